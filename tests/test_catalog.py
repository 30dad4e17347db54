"""The topic catalog: coverage, and scaffolded tests that accept right code and reject wrong code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlseminar.catalog import load_catalog

SOLUTIONS = Path(__file__).resolve().parent / "catalog_solutions"
HELD = ["vae", "hmm", "gp", "gan", "rl-intro", "kalman-particle", "deep-rl", "bbvi-bnn"]
SUGGESTED = ["slds", "lstm-gru", "neural-ode", "hdp", "natural-gradient", "gnn", "maml", "vsa"]

# Wraps a correct module so that every float result is slightly off. Any test that compares a
# value with an exact reference must then fail.
PERTURBED = '''
import importlib.util
import inspect

import numpy as np

_spec = importlib.util.spec_from_file_location("_correct_{module}", {path!r})
_correct = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_correct)


def _perturb(value):
    if isinstance(value, tuple):
        return tuple(_perturb(item) for item in value)
    if isinstance(value, dict):
        return {{key: _perturb(item) for key, item in value.items()}}
    if isinstance(value, float) or (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
        return value * 1.001 + 1e-3
    return value


def _wrap(function):
    return lambda *args, **kwargs: _perturb(function(*args, **kwargs))


for _name, _function in inspect.getmembers(_correct, inspect.isfunction):
    if not _name.startswith("_"):
        globals()[_name] = _wrap(_function)
'''


def test_catalog_covers_every_topic() -> None:
    slugs = [topic.slug for topic in load_catalog().topics]
    assert slugs == HELD + SUGGESTED


def test_catalog_entries_complete() -> None:
    for topic in load_catalog().topics:
        assert 2 <= len(topic.readings) <= 4, topic.slug
        assert all(reading.url.startswith(("https://", "http://")) for reading in topic.readings), topic.slug
        assert topic.api and topic.tasks, topic.slug
        compile(topic.tests, f"{topic.slug} tests", "exec")
        assert (SOLUTIONS / f"{topic.module}.py").is_file(), f"no reference solution for {topic.slug}"


def test_topics_command_lists_catalog(project) -> None:
    result = project.run("topics")
    assert result.exit_code == 0
    first_columns = [line.split()[0] for line in result.stdout.splitlines()]
    assert first_columns == ["TOPIC", *HELD, *SUGGESTED]


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory) -> Path:
    """A repository with every catalog topic scaffolded as a planned session."""
    from tests.conftest import HISTORY, REPO, TempProject

    root = tmp_path_factory.mktemp("catalog")
    shutil.copy(HISTORY, root / "sessions.yaml")
    shutil.copy(REPO / "README.md", root / "README.md")
    shutil.copytree(REPO / "templates", root / "templates")
    project = TempProject(root)
    cwd = Path.cwd()
    os.chdir(root)
    try:
        for number, topic in enumerate(load_catalog().topics):
            result = project.run("new-session", "--topic", topic.slug, "--id", f"new-{topic.slug}", "--month", f"{2030 + number // 12}-{number % 12 + 1:02d}")
            assert result.exit_code == 0, result.stderr
    finally:
        os.chdir(cwd)
    return root


def run_pytest(root: Path) -> str:
    command = [sys.executable, "-W", "error::SyntaxWarning", "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "sessions"]
    return subprocess.run(command, capture_output=True, text=True, cwd=root).stdout


def counts(output: str) -> dict[str, int]:
    return {word: int(number) for number, word in re.findall(r"(\d+) (passed|failed|xfailed|xpassed|error|errors)", output.splitlines()[-1])}


def test_skeletons_expected_to_fail(scaffolded) -> None:
    output = run_pytest(scaffolded)
    result = counts(output)
    assert set(result) == {"xfailed"}, output
    assert result["xfailed"] >= 2 * len(load_catalog().topics)


def test_correct_modules_pass(scaffolded, tmp_path) -> None:
    for topic in load_catalog().topics:
        shutil.copy(SOLUTIONS / f"{topic.module}.py", scaffolded / "sessions" / f"new-{topic.slug}" / f"{topic.module}.py")
    output = run_pytest(scaffolded)
    assert set(counts(output)) == {"xpassed"}, output


def test_wrong_modules_fail(scaffolded) -> None:
    for topic in load_catalog().topics:
        target = scaffolded / "sessions" / f"new-{topic.slug}" / f"{topic.module}.py"
        target.write_text(PERTURBED.format(module=topic.module, path=str(SOLUTIONS / f"{topic.module}.py")), encoding="utf-8")
    output = run_pytest(scaffolded)
    failed_topics = set(re.findall(r"^FAILED sessions/new-([a-z-]+)/", output, flags=re.MULTILINE))
    assert failed_topics == {topic.slug for topic in load_catalog().topics}, output
