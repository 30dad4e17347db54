"""Loading session files by path: two sessions may use the same module and file names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlseminar.modules import load_module

MODEL = "VALUE = {value}\n"
TEST = '''from mlseminar.testing import load_sibling

model = load_sibling(__file__, "model")
tasks = load_sibling(__file__, "tasks")


def test_value():
    assert model.VALUE == {value}
    assert tasks.task_value(figures_dir=None) == {{"value": {value}}}
'''
TASKS = '''from mlseminar.testing import load_sibling

model = load_sibling(__file__, "model")


def task_value(figures_dir):
    return {"value": model.VALUE}
'''


def make_sessions(root: Path) -> None:
    for name, value in (("first", 1), ("second", 2)):
        folder = root / "sessions" / name
        folder.mkdir(parents=True)
        (folder / "model.py").write_text(MODEL.format(value=value), encoding="utf-8")
        (folder / "tasks.py").write_text(TASKS, encoding="utf-8")
        (folder / "test_model.py").write_text(TEST.format(value=value), encoding="utf-8")


def test_same_names_load_separately(tmp_path) -> None:
    make_sessions(tmp_path)
    first = load_module(tmp_path / "sessions" / "first" / "model.py")
    second = load_module(tmp_path / "sessions" / "second" / "model.py")
    assert (first.VALUE, second.VALUE) == (1, 2)
    assert first.__name__ != second.__name__


def test_pytest_runs_both_sessions(tmp_path) -> None:
    make_sessions(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "--import-mode=importlib"\n', encoding="utf-8")
    together = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "sessions"], capture_output=True, text=True, cwd=tmp_path)
    assert together.returncode == 0, together.stdout
    assert "2 passed" in together.stdout
    alone = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "sessions/second"], capture_output=True, text=True, cwd=tmp_path)
    assert alone.returncode == 0, alone.stdout


def test_override_replaces_module(tmp_path, monkeypatch) -> None:
    make_sessions(tmp_path)
    replacement = tmp_path / "attempt.py"
    replacement.write_text("VALUE = 42\n", encoding="utf-8")
    monkeypatch.setenv("MLSEMINAR_MODULE_OVERRIDE", f"model={replacement}")
    assert load_module(tmp_path / "sessions" / "first" / "model.py").VALUE == 42
