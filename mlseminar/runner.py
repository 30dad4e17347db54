"""Run a session's toy tasks and tests.

Tasks are loaded by path from `sessions/<id>/tasks.py` (never imported by name), run in the order in
which the file defines them, and timed against the seminar's budget. Tests run in a pytest
subprocess, so a session's imports and plots cannot leak into the tool's process.
"""

from __future__ import annotations

import inspect
import math
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUDGET_SECONDS = 300.0
# One day; the interval timer that enforces the budget overflows on values far beyond this.
MAX_BUDGET_SECONDS = 86400.0
HEARTBEAT_SECONDS = 15.0
TASK_PREFIX = "task_"


class RunError(Exception):
    """A session whose tasks cannot be found or loaded; the message names the file."""


@dataclass
class TaskResult:
    name: str
    seconds: float
    results: Any = None
    error: str | None = None
    details: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class SessionRun:
    budget: float
    tasks: list[TaskResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(task.ok and task.seconds <= self.budget for task in self.tasks)


def discover_tasks(tasks_file: Path) -> list[tuple[str, Callable[..., Any]]]:
    """Load `tasks.py` by path and return its `task_*` functions in definition order."""
    from mlseminar.modules import load_module

    if not tasks_file.is_file():
        raise RunError(f"{tasks_file}: no tasks file; a session defines its toy tasks in tasks.py")
    try:
        module = load_module(tasks_file)
    except Exception as error:  # noqa: BLE001 - any error in the session's code is reported, not raised
        location = _user_frame(error, tasks_file.parent)
        raise RunError(f"{tasks_file}: importing failed: {type(error).__name__}: {error}{location}") from None
    functions = [
        (name[len(TASK_PREFIX) :], value)
        for name, value in vars(module).items()
        if name.startswith(TASK_PREFIX) and inspect.isfunction(value) and value.__module__ == module.__name__
    ]
    return sorted(functions, key=lambda item: item[1].__code__.co_firstlineno)


def _user_frame(error: BaseException, folder: Path) -> str:
    """Return ' (FILE:LINE)' for the deepest traceback frame inside the session folder, if any."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename).resolve().is_relative_to(folder.resolve())]
    if not frames:
        return ""
    frame = frames[-1]
    return f" ({Path(frame.filename).name}:{frame.lineno})"


class _Heartbeat:
    """Print a line every `interval` seconds while a long task runs, so the user sees it is alive."""

    def __init__(self, name: str, echo: Callable[[str], None], interval: float = HEARTBEAT_SECONDS):
        self.name, self.echo, self.interval = name, echo, interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        start = time.perf_counter()
        while not self.stop.wait(self.interval):
            self.echo(f"  ... {self.name} still running ({time.perf_counter() - start:.0f} s)")

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


class TaskTimeout(BaseException):
    """Raised inside a task that runs past its budget.

    It derives from BaseException, like KeyboardInterrupt, so a task's own `except Exception`
    cannot swallow it.
    """


class _Deadline:
    """Interrupt the task with TaskTimeout once `seconds` have passed, where SIGALRM exists.

    NOTE: on systems without SIGALRM (Windows), or outside the main thread, a task over budget
    runs to its end and is only then reported as over budget.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.armed = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()

    def _expire(self, signum: int, frame: object) -> None:
        raise TaskTimeout(f"stopped after the budget of {self.seconds:g} s")

    def __enter__(self) -> _Deadline:
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def _json_compatible(value: Any, where: str) -> Any:
    """Convert numpy scalars and arrays to plain Python; raise TypeError naming anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(key): _json_compatible(item, f"{where}[{key!r}]") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_compatible(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":
        return _json_compatible(value.tolist(), where)
    raise TypeError(f"{where} is a {type(value).__name__}, which is not JSON-compatible; return numbers, strings, lists or dicts")


def check_results(results: Any) -> dict[str, Any]:
    """Return a task's results as a plain dict, or raise TypeError saying what the contract expects."""
    if not isinstance(results, dict):
        raise TypeError(f"returned a {type(results).__name__}; a task returns a dict of its key numbers")
    return _json_compatible(results, "result")


def run_tasks(
    session_dir: Path,
    only: str | None,
    echo: Callable[[str], None],
    budget: float = BUDGET_SECONDS,
    heartbeat: float = HEARTBEAT_SECONDS,
    on_result: Callable[[TaskResult], None] | None = None,
) -> SessionRun:
    """Run every task of a session (or the one named `only`), saving figures to `session_dir/figures`.

    Each task's result is passed to `on_result` as soon as the task ends. A task that raises,
    calls sys.exit, returns something other than a JSON-compatible dict, or runs past `budget`
    seconds is recorded as failed, and the next task runs.
    """
    if not math.isfinite(budget) or not 0 < budget <= MAX_BUDGET_SECONDS:
        raise RunError(f"the budget must be a number of seconds above 0 and at most {MAX_BUDGET_SECONDS:g}, got {budget}")
    # Plots go to files; a task must never open a window.
    os.environ.setdefault("MPLBACKEND", "Agg")
    tasks = discover_tasks(session_dir / "tasks.py")
    if not tasks:
        raise RunError(f"{session_dir / 'tasks.py'}: defines no task; name each toy task function task_<name>")
    if only is not None:
        names = [name for name, _ in tasks]
        if only.removeprefix(TASK_PREFIX) not in names:
            raise RunError(f"no task {only!r} in {session_dir / 'tasks.py'}; its tasks are: {', '.join(names)}")
        tasks = [(name, function) for name, function in tasks if name == only.removeprefix(TASK_PREFIX)]

    figures = session_dir / "figures"
    figures.mkdir(exist_ok=True)
    run = SessionRun(budget)
    for name, function in tasks:
        echo(f"{name}: running")
        start = time.perf_counter()
        try:
            with _Heartbeat(name, echo, heartbeat), _Deadline(budget):
                results = check_results(function(figures_dir=figures))
        except TaskTimeout as error:
            result = TaskResult(name, time.perf_counter() - start, error=f"TaskTimeout: {error}")
        except SystemExit as error:
            result = TaskResult(name, time.perf_counter() - start, error=f"the task called sys.exit({error.code!r}); return its results instead")
        except Exception as error:  # noqa: BLE001 - a failing task is reported and the next one runs
            where = _user_frame(error, session_dir)
            result = TaskResult(name, time.perf_counter() - start, error=f"{type(error).__name__}: {error}{where}", details=traceback.format_exc())
        else:
            result = TaskResult(name, time.perf_counter() - start, results)
        run.tasks.append(result)
        if on_result is not None:
            on_result(result)
    return run


def run_pytest(paths: list[Path], cwd: Path, extra: list[str] | None = None) -> int:
    """Run pytest on `paths` in a subprocess of the same interpreter and return its exit code."""
    command = [sys.executable, "-m", "pytest", *(str(path) for path in paths), *(extra or [])]
    return subprocess.call(command, cwd=cwd)
