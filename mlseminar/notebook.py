"""Build the participants' Jupyter notebook of a session, deterministically.

The notebook opens with the session README's key equations as Markdown cells, then contains the
exercise module split into one code cell per top-level function or class, then runs each toy task
with the functions defined in the notebook and shows the figures it saved. Cell ids are numbered
and no timestamps are stored, so the same inputs always give the same file.
"""

from __future__ import annotations

import ast
import re

KEY_EQUATIONS = "## Key equations"
TASKS_HEADING = "## Toy tasks"
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def readme_section(readme: str, heading: str = KEY_EQUATIONS) -> str | None:
    """Return the text under a `## ` heading of a README, without the heading, or None."""
    lines = readme.splitlines()
    for start, line in enumerate(lines):
        if line.strip() == heading:
            end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
            return "\n".join(lines[start + 1 : end]).strip("\n")
    return None


def markdown_paragraphs(text: str) -> list[str]:
    """Split Markdown at blank lines, keeping `$$ ... $$` display blocks and fenced code whole."""
    paragraphs, current = [], []
    inside = None
    for line in text.splitlines():
        stripped = line.strip()
        if inside is None and not stripped:
            if current:
                paragraphs.append("\n".join(current))
                current = []
            continue
        current.append(line)
        for fence in ("$$", "```"):
            if stripped.startswith(fence) or (fence == "$$" and stripped.endswith(fence) and stripped != fence):
                occurrences = stripped.count(fence)
                if inside is None and occurrences % 2 == 1:
                    inside = fence
                elif inside == fence and occurrences % 2 == 1:
                    inside = None
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def code_cells(source: str) -> list[str]:
    """Split a module into cells: everything before the first definition, then one cell per top-level statement group.

    Comments and blank lines directly above a definition stay with it.
    """
    lines = source.splitlines()
    tree = ast.parse(source)
    starts = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)]) - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1
            starts.append(first)
    if not starts:
        return [source.strip("\n")]
    boundaries = [0, *starts, len(lines)] if starts[0] > 0 else [*starts, len(lines)]
    cells = []
    for begin, end in zip(boundaries, boundaries[1:]):
        cell = "\n".join(lines[begin:end]).strip("\n")
        if cell:
            cells.append(cell)
    return cells


def _setup_cell(module: str) -> str:
    return f'''# Run the toy tasks with the functions defined above instead of the module file.
import pathlib
import types

from IPython.display import Image, display

from mlseminar.testing import load_module

tasks = load_module(pathlib.Path("tasks.py").resolve())
{module} = types.SimpleNamespace(**{{name: value for name, value in globals().items() if not name.startswith("__")}})
for name, value in list(vars(tasks).items()):
    if isinstance(value, types.ModuleType) and pathlib.Path(getattr(value, "__file__", "") or "").stem == "{module}":
        setattr(tasks, name, {module})
figures = pathlib.Path("figures")
figures.mkdir(exist_ok=True)


def show_new_figures(since):
    for png in sorted(figures.glob("*.png")):
        if png.stat().st_mtime >= since:
            display(Image(filename=str(png)))'''


def _task_cell(task: str, description: str) -> str:
    return f'''# {description}
import time

started = time.time()
results = tasks.task_{task}(figures_dir=figures)
print(results)
show_new_figures(started)'''


def build_notebook(title: str, readme: str, exercise_source: str, module: str, tasks: list[tuple[str, str]]):
    """Return an nbformat NotebookNode: key equations, exercise code cells, then one cell per task."""
    import nbformat
    from nbformat import v4

    cells = [v4.new_markdown_cell(f"# {title}: exercise\n\nFill in every function that raises `NotImplementedError`, then run the cells below. "
                                  f"`mlseminar check` runs the session's tests against your code.")]
    equations = readme_section(readme)
    if equations:
        cells.append(v4.new_markdown_cell(KEY_EQUATIONS))
        cells += [v4.new_markdown_cell(paragraph) for paragraph in markdown_paragraphs(equations)]
    cells.append(v4.new_markdown_cell("## Implementation"))
    cells += [v4.new_code_cell(cell) for cell in code_cells(exercise_source)]
    cells.append(v4.new_markdown_cell(TASKS_HEADING))
    cells.append(v4.new_code_cell(_setup_cell(module)))
    cells += [v4.new_code_cell(_task_cell(name, description)) for name, description in tasks]

    notebook = v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    for number, cell in enumerate(notebook.cells, start=1):
        cell["id"] = f"cell-{number:03d}"
    nbformat.validate(notebook)
    return notebook


def notebook_text(notebook) -> str:
    import nbformat

    return nbformat.writes(notebook) + "\n"


def notebook_code(text: str, name: str) -> tuple[str, list[tuple[int, int]]]:
    """Return the code cells of a notebook joined into one module, and (cell number, first line) of each.

    Cells after a Markdown cell headed `## Toy tasks` run the tasks and are left out. IPython
    magics and shell escapes (lines starting with % or !) are commented out.
    """
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name}: not a valid notebook (line {error.lineno}: {error.msg})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{name}: not a valid notebook (no list of cells)")
    parts, offsets, line = [], [], 1
    if not all(isinstance(cell, dict) for cell in cells):
        raise ValueError(f"{name}: not a valid notebook (a cell is not a JSON object)")
    for number, cell in enumerate(cells, start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "markdown" and source.strip().startswith(TASKS_HEADING):
            break
        if cell.get("cell_type") != "code":
            continue
        source = re.sub(r"^(\s*)([%!])", r"\1# \2", source, flags=re.MULTILINE)
        offsets.append((number, line))
        parts.append(source.rstrip("\n"))
        line += source.rstrip("\n").count("\n") + 3
    return "\n\n\n".join(parts) + "\n", offsets
