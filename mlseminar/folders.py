"""Check session folders against the contract in CONTRIBUTING.md.

Each finding is a Problem that names the file, so `mlseminar validate` can print it beside the
registry's own problems.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mlseminar.registry import Registry, Session
from mlseminar.yamlfile import Problem, YamlDocument

MAX_FILE_BYTES = 5 * 1024 * 1024
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".txt", ".yaml", ".yml", ".cfg", ".toml", ".json"}
# A home or user folder of a local machine, on Linux, macOS or Windows.
LOCAL_PATH = re.compile(r"(?<![\w.])(/home/[^/\s\"']+|/Users/[^/\s\"']+|/root/|[A-Za-z]:\\\\?Users\\\\?)")
SYS_PATH_ABSOLUTE = re.compile(r"sys\.path\.(append|insert)\([^)]*['\"](/|[A-Za-z]:\\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<img\s[^>]*src=[\"']([^\"']+)[\"']", re.IGNORECASE)
SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


class NoModule(LookupError):
    """A session folder without exactly one test_<module>.py beside its module."""


def session_module(folder: Path) -> str:
    """Return the name of a session's model module, found through its single test_<module>.py."""
    modules = [test.name[len("test_") : -len(".py")] for test in sorted(folder.glob("test_*.py")) if (folder / test.name[len("test_") :]).is_file()]
    if len(modules) != 1:
        found = ", ".join(modules) or "none"
        raise NoModule(f"{folder}: expected one test_<module>.py beside its <module>.py, found {found}")
    return modules[0]


def _files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() and not SKIPPED_DIRS.intersection(path.relative_to(folder).parts))


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def check_session_folder(root: Path, session: Session) -> list[Problem]:
    """Check one session's folder; returns problems with paths relative to the repository root."""
    problems: list[Problem] = []
    folder = root / (session.folder or f"sessions/{session.id}")
    shown = folder.relative_to(root).as_posix()

    def problem(path: Path, message: str, line: int = 1) -> None:
        problems.append(Problem(path.relative_to(root).as_posix(), line, 1, "", message))

    if not folder.is_dir():
        if session.status == "held":
            problems.append(Problem(shown, 1, 1, "", f"folder of held session {session.id!r} is missing; create it or remove `folder:` from the entry"))
        return problems
    if folder.name != session.id:
        problem(folder, f"folder name {folder.name!r} differs from the session id {session.id!r}; rename it to sessions/{session.id}")

    if not (folder / "README.md").is_file():
        problem(folder, "README.md is missing; every session folder has one (see CONTRIBUTING.md)")
    if not (folder / "tasks.py").is_file():
        problem(folder, "tasks.py is missing; it holds the toy tasks as task_<name> functions")
    tests = sorted(folder.glob("test_*.py"))
    if not tests:
        problem(folder, "no test_<module>.py; the session's tests sit beside its module")
    for test in tests:
        module = folder / (test.name[len("test_") :])
        if not module.is_file():
            problem(test, f"{test.name} has no module {module.name} beside it; name the test file after the module it tests")

    for path in _files(folder):
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problem(path, f"file is {size / 1024 / 1024:.1f} MB, over the 5 MB limit; shrink it or generate it at run time")
            continue
        if path.suffix == ".py":
            problems += _syntax_problems(root, path)
        if path.suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            for pattern, what in ((SYS_PATH_ABSOLUTE, "adds an absolute path to sys.path"), (LOCAL_PATH, "contains a local path")):
                match = pattern.search(text)
                if match:
                    problem(path, f"{what} ({match.group(0)!r}); load session files with mlseminar.testing.load_sibling or relative paths", _line(text, match.start()))
                    break
        if path.suffix == ".ipynb" and "exercise" in path.relative_to(folder).parts:
            problems += _notebook_outputs(root, path)
        if path.suffix == ".md":
            problems += _missing_images(root, path)
    return problems


def _syntax_problems(root: Path, path: Path) -> list[Problem]:
    """Compile a Python file without running it; a syntax error becomes a problem at its line."""
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        return [Problem(path.relative_to(root).as_posix(), error.lineno or 1, error.offset or 1, "", f"syntax error: {error.msg}")]
    except ValueError as error:
        return [Problem(path.relative_to(root).as_posix(), 1, 1, "", f"cannot be compiled: {error}")]
    return []


def _notebook_outputs(root: Path, path: Path) -> list[Problem]:
    shown = path.relative_to(root).as_posix()
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return [Problem(shown, 1, 1, "", f"not a valid notebook: {error}")]
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        return [Problem(shown, 1, 1, "", "not a valid notebook: expected a JSON object with a list of cells; regenerate it with mlseminar exercise")]
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            return [Problem(shown, 1, 1, "", f"cell {index + 1} has outputs; commit exercise notebooks without outputs (regenerate with mlseminar exercise)")]
    return []


def _missing_images(root: Path, path: Path) -> list[Problem]:
    problems = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for match in IMAGE.finditer(text):
        target = match.group(1) or match.group(2)
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        if not (path.parent / target.split("#")[0]).is_file():
            problems.append(
                Problem(path.relative_to(root).as_posix(), _line(text, match.start()), 1, "", f"embeds image {target!r}, which does not exist; run the task that makes it or fix the path")
            )
    return problems


def folder_problems(root: Path, registry: Registry, doc: YamlDocument) -> list[Problem]:
    """Check every registered session folder, and flag folders under sessions/ that no entry names."""
    problems: list[Problem] = []
    named = set()
    for session in registry.sessions:
        if session.folder is None:
            continue
        named.add(Path(session.folder).name)
        problems += check_session_folder(root, session)
    sessions_dir = root / "sessions"
    if sessions_dir.is_dir():
        for folder in sorted(sessions_dir.iterdir()):
            if folder.is_dir() and not folder.name.startswith(".") and folder.name not in named and folder.name not in SKIPPED_DIRS:
                problems.append(
                    Problem(folder.relative_to(root).as_posix(), 1, 1, "", f"no session in {doc.display_name} has id {folder.name!r} and this folder; add an entry with `folder: sessions/{folder.name}` or rename the folder")
                )
    return problems
