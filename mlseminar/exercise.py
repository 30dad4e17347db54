"""Derive participants' exercises from a reference module, and check a participant's attempt.

A reference module marks the code participants write between two comment lines::

    # BEGIN SOLUTION
    # HINT: optional hint lines, kept in the exercise
    ...reference code...
    # END SOLUTION

`make_exercise` replaces each region by its hint lines and `raise NotImplementedError(...)` at the
markers' indentation, so the exercise module still imports. Markers are found with `tokenize`, so
the same text inside a string or docstring is not a marker.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
HINT = "# HINT:"
NEAR_MISS = re.compile(r"^#\s*(BEGIN|END)[\s_-]*SOLUTION\b", re.IGNORECASE)


class MarkerError(Exception):
    """A malformed solution region; `str()` is `FILE:LINE: message`."""

    def __init__(self, filename: str, line: int, message: str):
        super().__init__(f"{filename}:{line}: {message}")
        self.filename, self.line, self.message = filename, line, message


@dataclass(frozen=True)
class Region:
    """A solution region: 1-based line numbers of its markers, the markers' indentation and hint lines."""

    begin: int
    end: int
    indent: str
    hints: tuple[str, ...]


def _comment_lines(source: str, filename: str) -> list[tuple[int, str]]:
    """Return (line, text) of every comment that is alone on its line."""
    comments = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as error:
        line = getattr(error, "lineno", None) or (error.args[1][0] if len(error.args) > 1 else 1)
        raise MarkerError(filename, line, f"cannot be tokenized: {error.args[0]}") from None
    lines = source.splitlines()
    for token in tokens:
        if token.type == tokenize.COMMENT:
            row, col = token.start
            if not lines[row - 1][:col].strip():
                comments.append((row, token.string.rstrip()))
    return comments


def find_regions(source: str, filename: str) -> list[Region]:
    """Locate every solution region; raise MarkerError for nested, unclosed, unbalanced or misspelt markers."""
    lines = source.splitlines()
    regions: list[Region] = []
    open_line: int | None = None
    for line, text in _comment_lines(source, filename):
        if text not in (BEGIN, END):
            if NEAR_MISS.match(text):
                raise MarkerError(filename, line, f"{text!r} looks like a solution marker; write exactly {BEGIN!r} or {END!r}")
            continue
        if text == BEGIN:
            if open_line is not None:
                raise MarkerError(filename, line, f"nested {BEGIN!r}: the region opened at line {open_line} is not closed; add {END!r} before this line")
            open_line = line
            continue
        if open_line is None:
            raise MarkerError(filename, line, f"{END!r} without a {BEGIN!r} above it")
        regions.append(_region(lines, open_line, line, filename))
        open_line = None
    if open_line is not None:
        raise MarkerError(filename, open_line, f"{BEGIN!r} is never closed; add {END!r} after the solution code")
    return regions


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _region(lines: list[str], begin: int, end: int, filename: str) -> Region:
    indent = _indent_of(lines[begin - 1])
    if _indent_of(lines[end - 1]) != indent:
        raise MarkerError(filename, end, f"{END!r} is indented differently from its {BEGIN!r} at line {begin}; align the two markers")

    body = [(number, lines[number - 1]) for number in range(begin + 1, end) if lines[number - 1].strip()]
    for number, text in body:
        own = _indent_of(text)
        if ("\t" in own) != ("\t" in indent) or (" " in own and "\t" in own):
            raise MarkerError(filename, number, "mixed tabs and spaces in a solution region; indent with spaces only")
        if not own.startswith(indent):
            raise MarkerError(filename, number, f"line is indented less than the markers of the region at line {begin}; indent the solution inside the markers")

    # Hints are the comment lines that open the region, before its first line of code.
    hints = []
    for _, text in body:
        if not text.strip().startswith(HINT):
            break
        hints.append(text.strip())
    return Region(begin, end, indent, tuple(hints))


def _enclosing_functions(source: str) -> list[tuple[int, int, str]]:
    """Return (first line, last line, name) of every function in the module."""
    tree = ast.parse(source)
    return [
        (node.lineno, node.end_lineno or node.lineno, node.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def make_exercise(source: str, filename: str) -> str:
    """Return the exercise version of a reference module's source.

    Raises
    ------
    MarkerError
        For malformed markers, a region outside a function, or a result that does not compile.
    """
    newline = "\r\n" if "\r\n" in source else "\n"
    regions = find_regions(source, filename)
    try:
        functions = _enclosing_functions(source)
    except SyntaxError as error:
        raise MarkerError(filename, error.lineno or 1, f"syntax error: {error.msg}") from None
    lines = source.splitlines()
    output: list[str] = []
    cursor = 0
    for region in regions:
        owners = [(first, name) for first, last, name in functions if first < region.begin <= last]
        if not owners:
            raise MarkerError(filename, region.begin, "solution region outside a function; the exercise module must still import, so mark code inside functions only")
        function = max(owners)[1]
        output += lines[cursor : region.begin - 1]
        output += [region.indent + hint for hint in region.hints]
        output.append(f'{region.indent}raise NotImplementedError("{function}: write this part of the exercise")')
        cursor = region.end
    output += lines[cursor:]
    result = newline.join(output) + (newline if source.endswith(("\n", "\r")) else "")
    try:
        compile(result, filename, "exec")
    except SyntaxError as error:
        raise MarkerError(filename, error.lineno or 1, f"the exercise version does not compile: {error.msg}") from None
    return result


@dataclass(frozen=True)
class ExerciseFiles:
    """The files of `sessions/<id>/exercise/`, by name, as they should be on disk."""

    folder: Path
    files: dict[str, str]

    def stale(self) -> list[str]:
        """Return the names of files that are missing or differ from what would be written."""
        stale = []
        for name, content in self.files.items():
            path = self.folder / name
            if not path.is_file() or path.read_bytes() != content.encode("utf-8"):
                stale.append(name)
        return stale


def build_exercise(session_dir: Path, module: str, title: str, shown: str | None = None) -> ExerciseFiles:
    """Compute the exercise module, tasks and notebook of one session folder.

    Raises
    ------
    MarkerError
        For malformed solution markers in the reference module.
    FileNotFoundError
        If the reference module or tasks.py is missing.
    """
    from mlseminar.notebook import build_notebook, notebook_text
    from mlseminar.runner import discover_tasks

    reference = session_dir / f"{module}.py"
    shown = shown or f"{session_dir.name}/{module}.py"
    source = reference.read_text(encoding="utf-8")
    exercise_source = make_exercise(source, shown)
    tasks_source = (session_dir / "tasks.py").read_text(encoding="utf-8")
    readme_path = session_dir / "README.md"
    readme = readme_path.read_text(encoding="utf-8") if readme_path.is_file() else ""
    tasks = [(name, (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else name) for name, function in discover_tasks(session_dir / "tasks.py")]
    notebook = build_notebook(title, readme, exercise_source, module, tasks)
    files = {
        f"{module}.py": exercise_source,
        "tasks.py": tasks_source,
        f"{module}.ipynb": notebook_text(notebook),
    }
    return ExerciseFiles(session_dir / "exercise", files)


def write_exercise(exercise: ExerciseFiles) -> list[str]:
    """Write the files that changed, each atomically; return their names."""
    from mlseminar.yamlfile import atomic_write

    changed = exercise.stale()
    exercise.folder.mkdir(exist_ok=True)
    for name in changed:
        atomic_write(exercise.folder / name, exercise.files[name])
    return changed
