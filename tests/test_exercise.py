"""Solution markers, the exercise folder and notebook, and `mlseminar check` on participants' files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlseminar.exercise import MarkerError, build_exercise, find_regions, make_exercise
from mlseminar.folders import session_module
from mlseminar.notebook import build_notebook, code_cells, notebook_text

REPO = Path(__file__).resolve().parents[1]
def held_sessions() -> list[str]:
    """Ids of held sessions with a folder; a planned session's stubs have no exercise yet."""
    from mlseminar.registry import load_registry

    registry, _ = load_registry(REPO / "sessions.yaml")
    return sorted(s.id for s in registry.sessions if s.status == "held" and s.folder and (REPO / s.folder / "tasks.py").is_file())


SESSIONS = held_sessions()

REFERENCE = '''"""A tiny module."""

import numpy as np


def double(x):
    """Return 2 x."""
    # BEGIN SOLUTION
    # HINT: multiply by two.
    y = 2 * x
    return y
    # END SOLUTION


def square(x):
    """Return x squared."""
    # BEGIN SOLUTION
    return x * x
    # END SOLUTION
'''


def test_regions_replaced_by_stubs() -> None:
    exercise = make_exercise(REFERENCE, "tiny.py")
    assert '    # HINT: multiply by two.\n    raise NotImplementedError("double: write this part of the exercise")\n' in exercise
    assert '    raise NotImplementedError("square: write this part of the exercise")\n' in exercise
    assert "y = 2 * x" not in exercise
    assert "BEGIN SOLUTION" not in exercise
    namespace: dict = {}
    exec(compile(exercise, "tiny.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="double"):
        namespace["double"](1)


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        (REFERENCE.replace("    y = 2 * x\n", "    # BEGIN SOLUTION\n    y = 2 * x\n"), 10, "nested '# BEGIN SOLUTION': the region opened at line 8"),
        (REFERENCE.replace("    return x * x\n    # END SOLUTION\n", "    return x * x\n"), 17, "'# BEGIN SOLUTION' is never closed"),
        (REFERENCE.replace("    # BEGIN SOLUTION\n    return x * x", "    return x * x"), 18, "'# END SOLUTION' without a '# BEGIN SOLUTION' above it"),
        (REFERENCE.replace("    return y\n    # END SOLUTION", "    return y\n  # END SOLUTION"), 12, "is indented differently"),
        (REFERENCE.replace("    y = 2 * x\n", "\ty = 2 * x\n"), 10, "mixed tabs and spaces"),
        (REFERENCE.replace("import numpy as np\n", "# BEGIN SOLUTION\nimport numpy as np\n# END SOLUTION\n"), 3, "solution region outside a function"),
        (REFERENCE.replace("    # BEGIN SOLUTION\n    return x * x", "    #BEGIN solution\n    return x * x"), 17, "looks like a solution marker"),
    ],
    ids=["nested", "unclosed", "unbalanced end", "misaligned end", "mixed indentation", "module level", "misspelt"],
)
def test_bad_markers_name_line(source: str, line: int, message: str) -> None:
    with pytest.raises(MarkerError) as caught:
        make_exercise(source, "tiny.py")
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"tiny.py:{line}: ")


def test_marker_text_inside_docstring_ignored() -> None:
    source = REFERENCE.replace('"""Return x squared."""', '"""Return x squared.\n\n    # BEGIN SOLUTION\n    """')
    assert len(find_regions(source, "tiny.py")) == 2
    assert '    # BEGIN SOLUTION\n    """' in make_exercise(source, "tiny.py")


def test_windows_line_endings_kept() -> None:
    exercise = make_exercise(REFERENCE.replace("\n", "\r\n"), "tiny.py")
    assert "\r\n" in exercise
    assert "\n" not in exercise.replace("\r\n", "")
    assert 'raise NotImplementedError("double: write this part of the exercise")\r\n' in exercise


def test_every_session_has_regions() -> None:
    for session in SESSIONS:
        folder = REPO / "sessions" / session
        module = session_module(folder)
        assert find_regions((folder / f"{module}.py").read_text(encoding="utf-8"), module), session


def registry_title(session: str) -> str:
    from mlseminar.registry import load_registry

    return load_registry(REPO / "sessions.yaml")[0].entry(session).title


@pytest.mark.parametrize("session", SESSIONS)
def test_exercise_committed_and_current(session: str) -> None:
    folder = REPO / "sessions" / session
    files = build_exercise(folder, session_module(folder), registry_title(session))
    assert files.stale() == [], f"run `mlseminar exercise {session}`"
    notebook = nbformat.reads(files.files[f"{session_module(folder)}.ipynb"], as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("session", SESSIONS)
def test_exercise_fails_session_tests(session: str) -> None:
    """The stubs make the session's tests fail; the reference passing them is the main test run."""
    module = session_module(REPO / "sessions" / session)
    attempt = REPO / "sessions" / session / "exercise" / f"{module}.py"
    result = subprocess.run(
        [sys.executable, "-m", "mlseminar", "check", session, "--file", str(attempt)], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "TODO  " in result.stdout


def test_build_is_deterministic() -> None:
    folder = REPO / "sessions" / SESSIONS[0]
    module = session_module(folder)
    first = build_exercise(folder, module, "x").files
    second = build_exercise(folder, module, "x").files
    assert first == second


def make_project_with_tiny_session(project) -> Path:
    project.add_session_folders()
    folder = project.root / "sessions" / "gp"
    for path in folder.iterdir():
        path.unlink()
    (folder / "tiny.py").write_text(REFERENCE, encoding="utf-8")
    (folder / "test_tiny.py").write_text(
        "from mlseminar.testing import load_sibling\n\ntiny = load_sibling(__file__, 'tiny')\n\n\n"
        "def test_double():\n    assert tiny.double(3) == 6\n\n\ndef test_square():\n    assert tiny.square(3) == 9\n",
        encoding="utf-8",
    )
    (folder / "tasks.py").write_text('def task_one(figures_dir):\n    """Nothing to see."""\n    return {}\n', encoding="utf-8")
    (folder / "README.md").write_text("# Tiny\n\n## Key equations\n\n$$\ny = 2x\n$$\n\nDoubling.\n\n## Toy tasks\n", encoding="utf-8")
    return folder


def test_exercise_command_writes_folder(project) -> None:
    folder = make_project_with_tiny_session(project)
    result = project.run("exercise", "gp")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (folder / "exercise").iterdir()) == ["tasks.py", "tiny.ipynb", "tiny.py"]
    notebook = nbformat.read(folder / "exercise" / "tiny.ipynb", as_version=4)
    assert [cell.source for cell in notebook.cells[1:4]] == ["## Key equations", "$$\ny = 2x\n$$", "Doubling."]
    assert project.run("exercise", "gp", "--check").exit_code == 0

    (folder / "exercise" / "tiny.py").write_text("stale\n", encoding="utf-8")
    result = project.run("exercise", "gp", "--check")
    assert result.exit_code == 1
    assert "sessions/gp/exercise/tiny.py is out of date" in result.stderr


def test_exercise_bad_marker_writes_nothing(project) -> None:
    folder = make_project_with_tiny_session(project)
    (folder / "tiny.py").write_text(REFERENCE.replace("    return x * x\n    # END SOLUTION\n", "    return x * x\n"), encoding="utf-8")
    before = project.snapshot()
    result = project.run("exercise", "gp")
    assert result.exit_code == 1
    assert result.stderr == "error: sessions/gp/tiny.py:17: '# BEGIN SOLUTION' is never closed; add '# END SOLUTION' after the solution code\n"
    assert project.snapshot() == before


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("def double(x):\n    return 2 * x\n\ndef square(x)\n    return x * x\n", ".py", "attempt.py:4: syntax error"),
        ("import no_such_package_here\n", ".py", "attempt.py:1: importing failed: ModuleNotFoundError: No module named 'no_such_package_here'"),
        ("def double(x):\n    return 2 * x\n", ".txt", "expected a .py file or an .ipynb notebook"),
        ("{not json", ".ipynb", "not a valid notebook"),
    ],
    ids=["syntax error", "import error", "wrong suffix", "broken notebook"],
)
def test_check_bad_attempt(project, tmp_path, content, suffix, message) -> None:
    make_project_with_tiny_session(project)
    attempt = tmp_path / f"attempt{suffix}"
    attempt.write_text(content, encoding="utf-8")
    result = project.run("check", "gp", "--file", str(attempt))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_check_reports_each_test(project, tmp_path) -> None:
    make_project_with_tiny_session(project)
    attempt = tmp_path / "mine.py"
    attempt.write_text("def double(x):\n    return 2 * x\n\n\ndef square(x):\n    return x + x\n", encoding="utf-8")
    result = project.run("check", "gp", "--file", str(attempt))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PASS  test_double")
    assert lines[1].startswith("FAIL  test_square")
    assert "assert 6 == 9" in lines[1]
    assert lines[2] == "1 of 2 tests pass"


def test_check_notebook_attempt(project, tmp_path) -> None:
    make_project_with_tiny_session(project)
    notebook = build_notebook("Tiny", "", REFERENCE, "tiny", [])
    notebook.cells.insert(0, nbformat.v4.new_code_cell("%matplotlib inline"))
    attempt = tmp_path / "mine.ipynb"
    attempt.write_text(notebook_text(notebook), encoding="utf-8")
    result = project.run("check", "gp", "--file", str(attempt))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "2 of 2 tests pass"


def test_check_notebook_syntax_error_names_cell(project, tmp_path) -> None:
    make_project_with_tiny_session(project)
    notebook = build_notebook("Tiny", "", REFERENCE, "tiny", [])
    notebook.cells[4].source += "\ndef broken(:\n    pass"
    attempt = tmp_path / "mine.ipynb"
    attempt.write_text(notebook_text(notebook), encoding="utf-8")
    result = project.run("check", "gp", "--file", str(attempt))
    assert result.exit_code == 1
    assert "mine.ipynb: cell 5, line 6: syntax error" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("session", SESSIONS)
def test_notebook_runs_with_reference(tmp_path, session: str) -> None:
    """Execute a session's notebook with the reference code filled in, tasks and figures included."""
    nbclient = pytest.importorskip("nbclient")
    folder = REPO / "sessions" / session
    module = session_module(folder)
    work = tmp_path / "exercise"
    work.mkdir()
    shutil.copy(folder / "tasks.py", work / "tasks.py")
    shutil.copy(folder / f"{module}.py", work / f"{module}.py")
    notebook = nbformat.reads(build_exercise(folder, module, session).files[f"{module}.ipynb"], as_version=4)

    # The exercise's code cells, up to the toy tasks, hold the module one definition per cell, in
    # the same order as the reference, so each can be swapped for its reference version.
    reference_cells = code_cells((folder / f"{module}.py").read_text(encoding="utf-8"))
    tasks_heading = next(i for i, cell in enumerate(notebook.cells) if cell.source == "## Toy tasks")
    module_cells = [cell for cell in notebook.cells[:tasks_heading] if cell.cell_type == "code"]
    assert len(module_cells) == len(reference_cells)
    for cell, source in zip(module_cells, reference_cells):
        cell.source = source

    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    assert len(list((work / "figures").glob("*.png"))) >= 1


def test_check_notebook_not_an_object(project, tmp_path) -> None:
    make_project_with_tiny_session(project)
    attempt = tmp_path / "mine.ipynb"
    attempt.write_text("[1, 2]", encoding="utf-8")
    result = project.run("check", "gp", "--file", str(attempt))
    assert result.exit_code == 1
    assert "not a valid notebook (no list of cells)" in result.stderr


def test_check_folder_rejected(project, tmp_path) -> None:
    make_project_with_tiny_session(project)
    result = project.run("check", "gp", "--file", str(tmp_path))
    assert result.exit_code == 1
    assert "is a folder; give the path of your .py file or notebook" in result.stderr


def test_exercise_tasks_import_error_reported(project) -> None:
    folder = make_project_with_tiny_session(project)
    (folder / "tasks.py").write_text("import no_such_package_here\n", encoding="utf-8")
    result = project.run("exercise", "gp")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "No module named 'no_such_package_here'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["[]", '{"cells": ["x"]}'])
def test_malformed_notebook_reported(project, tmp_path, content) -> None:
    folder = make_project_with_tiny_session(project)
    (folder / "exercise").mkdir()
    (folder / "exercise" / "tiny.ipynb").write_text(content, encoding="utf-8")
    result = project.run("validate", "--today", "2022-01-15")
    assert result.exit_code == 1
    assert "sessions/gp/exercise/tiny.ipynb:1:1: not a valid notebook" in result.stderr
    attempt = tmp_path / "mine.ipynb"
    attempt.write_text(content, encoding="utf-8")
    checked = project.run("check", "gp", "--file", str(attempt))
    assert checked.exit_code == 1
    assert "not a valid notebook" in checked.stderr
    assert "Traceback" not in checked.stderr


def test_check_shows_numpy_message(project, tmp_path) -> None:
    folder = make_project_with_tiny_session(project)
    (folder / "test_tiny.py").write_text(
        "import numpy as np\nfrom mlseminar.testing import load_sibling\n\ntiny = load_sibling(__file__, 'tiny')\n\n\n"
        "def test_double():\n    np.testing.assert_allclose(tiny.double(np.ones(2)), [2.0, 2.0])\n",
        encoding="utf-8",
    )
    attempt = tmp_path / "mine.py"
    attempt.write_text("def double(x):\n    return 3 * x\n", encoding="utf-8")
    result = project.run("check", "gp", "--file", str(attempt))
    assert "FAIL  test_double  AssertionError: Not equal to tolerance" in result.stdout
