"""`mlseminar run` and `mlseminar test`: task discovery, timing, budgets and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlseminar.runner import RunError, run_tasks

TASKS = '''
import time


def task_second(figures_dir):
    """Defined first in the file, so it runs first."""
    (figures_dir / "second.png").write_bytes(b"png")
    return {"value": 0.5, "name": "second"}


def helper():
    return 1


def task_first(figures_dir):
    """Defined second."""
    time.sleep(SLEEP)
    return {"count": 3}
'''


def make_session(project, tasks: str, sleep: float = 0.0, failing: bool = False) -> Path:
    project.add_session_folders()
    folder = project.root / "sessions" / "gp"
    body = tasks.replace("SLEEP", str(sleep))
    if failing:
        body += "\n\ndef task_broken(figures_dir):\n    raise ValueError('bad shape (3,)')\n"
    (folder / "tasks.py").write_text(body, encoding="utf-8")
    return folder


def test_run_all_tasks_in_file_order(project) -> None:
    folder = make_session(project, TASKS)
    result = project.run("run", "gp")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "second: running"
    assert lines[1].startswith("second: ok, ")
    assert lines[1].endswith(" s of 300 s budget")
    assert lines[2:4] == ["  value: 0.5", "  name: second"]
    assert lines[4] == "first: running"
    assert "  count: 3" in lines
    assert (folder / "figures" / "second.png").read_bytes() == b"png"


def test_run_one_task(project) -> None:
    make_session(project, TASKS)
    result = project.run("run", "gp", "first")
    assert result.exit_code == 0
    assert "second" not in result.stdout


def test_unknown_task_lists_tasks(project) -> None:
    make_session(project, TASKS)
    result = project.run("run", "gp", "thrid")
    assert result.exit_code == 1
    assert "no task 'thrid'" in result.stderr
    assert "its tasks are: second, first" in result.stderr


def test_failing_task_reported(project) -> None:
    make_session(project, TASKS, failing=True)
    result = project.run("run", "gp")
    assert result.exit_code == 1
    assert "broken: FAILED after" in result.stderr
    assert "ValueError: bad shape (3,) (tasks.py:" in result.stderr
    assert "Traceback" not in result.stderr
    assert "first: ok" in result.stdout


def test_over_budget_stopped(project) -> None:
    make_session(project, TASKS, sleep=5)
    result = project.run("run", "gp", "first", "--budget", "0.2")
    assert result.exit_code == 1
    assert "first: FAILED after 0.2 s: TaskTimeout: stopped after the budget of 0.2 s" in result.stderr


@pytest.mark.parametrize("budget", ["0", "-1", "nan", "inf"])
def test_invalid_budget_rejected(project, budget) -> None:
    make_session(project, TASKS)
    result = project.run("run", "gp", "--budget", budget)
    assert result.exit_code == 1
    assert "--budget must be a positive number of seconds" in result.stderr


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("    import sys\n    sys.exit(3)\n", "the task called sys.exit(3); return its results instead"),
        ("    return 5\n", "TypeError: returned a int; a task returns a dict of its key numbers"),
        ("    return {'thing': object()}\n", "result['thing'] is a object, which is not JSON-compatible"),
    ],
    ids=["sys.exit", "not a dict", "not JSON"],
)
def test_task_contract_enforced(project, body, message) -> None:
    folder = make_session(project, TASKS)
    (folder / "tasks.py").write_text(f"def task_odd(figures_dir):\n{body}", encoding="utf-8")
    result = project.run("run", "gp")
    assert result.exit_code == 1
    assert message in result.stderr


def test_numpy_results_converted(project) -> None:
    folder = make_session(project, TASKS)
    (folder / "tasks.py").write_text(
        "import numpy as np\n\n\ndef task_arrays(figures_dir):\n    return {'n': np.int64(3), 'x': np.array([0.5, 1.5])}\n", encoding="utf-8"
    )
    result = project.run("run", "gp")
    assert result.exit_code == 0, result.stderr
    assert "  n: 3" in result.stdout
    assert "  x: [0.5, 1.5]" in result.stdout


def test_heartbeat_for_long_tasks(project) -> None:
    folder = make_session(project, TASKS, sleep=0.35)
    lines: list[str] = []
    run_tasks(folder, "first", lines.append, heartbeat=0.1)
    assert any(line.startswith("  ... first still running (") for line in lines)


def test_import_error_reported(project) -> None:
    folder = make_session(project, "import no_such_package\n")
    with pytest.raises(RunError, match=r"importing failed: ModuleNotFoundError: No module named 'no_such_package' \(tasks.py:1\)"):
        run_tasks(folder, None, print)


def test_run_unknown_session(project) -> None:
    result = project.run("run", "gpp")
    assert result.exit_code == 1
    assert "did you mean 'gp'" in result.stderr


def test_run_entry_without_folder(project) -> None:
    result = project.run("run", "feb-2022")
    assert result.exit_code == 1
    assert "'feb-2022' has no session folder" in result.stderr


def test_test_command_passes_exit_code(project) -> None:
    folder = make_session(project, TASKS)
    (folder / "test_model.py").write_text("def test_ok():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    assert project.run("test", "gp").exit_code == 0
    (folder / "test_model.py").write_text("def test_wrong():\n    assert 1 + 1 == 3\n", encoding="utf-8")
    assert project.run("test", "gp").exit_code == 1


def test_test_needs_id_or_all(project) -> None:
    result = project.run("test")
    assert result.exit_code == 1
    assert "give one session ID, or --all" in result.stderr


def test_budget_not_swallowed_by_task(project) -> None:
    folder = make_session(project, TASKS)
    (folder / "tasks.py").write_text(
        "import time\n\n\ndef task_stubborn(figures_dir):\n    for _ in range(50):\n        try:\n            time.sleep(0.1)\n"
        "        except Exception:\n            pass\n    return {}\n",
        encoding="utf-8",
    )
    result = project.run("run", "gp", "--budget", "0.3")
    assert result.exit_code == 1
    assert "stubborn: FAILED after 0.3 s: TaskTimeout" in result.stderr


def test_budget_above_one_day_rejected(project) -> None:
    make_session(project, TASKS)
    result = project.run("run", "gp", "--budget", "1e12")
    assert result.exit_code == 1
    assert "at most 86400" in result.stderr
