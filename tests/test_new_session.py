"""`mlseminar new-session`: the registry edit, the rendered folder, and every rejected request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlseminar.registry import load_registry

DONE_WHEN = ("new-session", "--topic", "slds", "--chairs", "A. Chair", "--dates", "2027-03-02", "2027-03-03")

# A correct implementation of the slds skeleton's API, used to show that the scaffolded tests
# pass for right code and fail for wrong code.
SLDS_SOLUTION = '''
import numpy as np
from scipy import stats


def sample(params, T, rng):
    K, D = params["b"].shape
    z = np.empty(T, dtype=int)
    x = np.empty((T, D))
    z[0] = rng.choice(K, p=params["pi0"])
    x[0] = rng.multivariate_normal(params["mu0"], params["Sigma0"])
    for t in range(1, T):
        z[t] = rng.choice(K, p=params["P"][z[t - 1]])
        k = z[t]
        x[t] = rng.multivariate_normal(params["A"][k] @ x[t - 1] + params["b"][k], params["Q"][k])
    noise = rng.multivariate_normal(np.zeros(len(params["d"])), params["R"], size=T)
    return z, x, x @ params["C"].T + params["d"] + noise


def log_joint(z, x, y, params):
    total = np.log(params["pi0"][z[0]]) + stats.multivariate_normal(params["mu0"], params["Sigma0"]).logpdf(x[0])
    for t in range(1, len(z)):
        k = z[t]
        total += np.log(params["P"][z[t - 1], k])
        total += stats.multivariate_normal(params["A"][k] @ x[t - 1] + params["b"][k], params["Q"][k]).logpdf(x[t])
    for t in range(len(z)):
        total += SIGN * stats.multivariate_normal(params["C"] @ x[t] + params["d"], params["R"]).logpdf(y[t])
    return total
'''


def pytest_in(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)], capture_output=True, text=True, cwd=folder.parents[1])


def test_scaffold_creates_entry_and_folder(project) -> None:
    before = project.registry.read_text(encoding="utf-8")

    result = project.run(*DONE_WHEN)

    assert result.exit_code == 0, result.stderr
    folder = project.root / "sessions" / "slds"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "slds.py", "tasks.py", "test_slds.py"]
    registry, _ = load_registry(project.registry)
    entry = registry.entry("slds")
    assert entry.status == "planned"
    assert entry.chairs == ["A. Chair"]
    assert str(entry.day_one) == "2027-03-02"
    assert str(entry.day_two) == "2027-03-03"
    assert entry.time.start == "17:00"
    assert entry.time.end == "20:00"
    assert [reading.year for reading in entry.readings] == [2000, 2010, 2017]
    assert registry.person("A. Chair") is not None

    # Every original line is still there, in order, and the additions are two contiguous blocks.
    after = project.registry.read_text(encoding="utf-8")
    old_lines, new_lines = before.splitlines(), after.splitlines()
    added = list(new_lines)
    for line in old_lines:
        added.remove(line)
    assert added[0] == '  - short_name: "A. Chair"'
    assert added[1:3] == ["", "  - kind: session"]
    assert after.startswith(before[: before.index("  - short_name: John")])


def test_scaffold_then_validate_render_and_tests(project) -> None:
    project.add_session_folders()
    assert project.run(*DONE_WHEN).exit_code == 0

    assert project.run("validate").exit_code == 0
    assert project.run("render-readme").exit_code == 0
    assert project.run("render-readme", "--check").exit_code == 0
    upcoming = project.readme.read_text(encoding="utf-8").split("<!-- BEGIN upcoming-sessions -->")[1].split("<!-- END")[0]
    assert "| Mar 2-3, 2027 (Tue/Wed) | 5-8 p.m. | A. Chair | [Switching linear dynamical systems](sessions/slds) |" in upcoming

    run = pytest_in(project.root / "sessions" / "slds")
    assert run.returncode == 0, run.stdout
    assert "4 xfailed" in run.stdout


def test_scaffolded_tests_judge_filled_module(project) -> None:
    assert project.run(*DONE_WHEN).exit_code == 0
    folder = project.root / "sessions" / "slds"
    module = folder / "slds.py"

    module.write_text(SLDS_SOLUTION.replace("SIGN", "1.0"), encoding="utf-8")
    right = pytest_in(folder)
    assert right.returncode == 0, right.stdout
    assert "4 xpassed" in right.stdout

    module.write_text(SLDS_SOLUTION.replace("SIGN", "-1.0"), encoding="utf-8")
    wrong = pytest_in(folder)
    assert wrong.returncode == 1
    assert "test_log_joint_matches_scipy FAILED" in wrong.stdout or "FAILED" in wrong.stdout


def test_stubs_fail_once_session_held(project) -> None:
    assert project.run(*DONE_WHEN).exit_code == 0
    text = project.registry.read_text(encoding="utf-8")
    project.registry.write_text(text.replace("    status: planned\n    folder: sessions/slds", "    status: held\n    folder: sessions/slds"), encoding="utf-8")
    run = pytest_in(project.root / "sessions" / "slds")
    assert run.returncode == 1
    assert "NotImplementedError" in run.stdout


def test_dry_run_writes_nothing(project) -> None:
    before = project.snapshot()
    result = project.run(*DONE_WHEN, "--dry-run")
    assert result.exit_code == 0
    assert "  - kind: session" in result.stdout
    assert "  slds.py" in result.stdout
    assert result.stdout.rstrip().endswith("dry run: nothing written")
    assert project.snapshot() == before


def test_entry_placed_chronologically(project) -> None:
    result = project.run("new-session", "--topic", "lstm-gru", "--dates", "2020-01-15", "2020-01-16", "--chairs", "Alex")
    assert result.exit_code == 0, result.stderr
    registry, _ = load_registry(project.registry)
    ids = [entry.id for entry in registry.entries]
    assert ids.index("lstm-gru") == ids.index("rl-intro") + 1
    assert ids.index("kalman-particle") == ids.index("lstm-gru") + 1


def test_new_topic_needs_title(project) -> None:
    result = project.run("new-session", "--topic", "diffusion", "--title", "Diffusion models", "--month", "2027-06")
    assert result.exit_code == 0, result.stderr
    folder = project.root / "sessions" / "diffusion"
    assert (folder / "diffusion.py").is_file()
    assert load_registry(project.registry)[0].entry("diffusion").topic == "Diffusion models"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--topic", "diffusion"), "--topic 'diffusion' is not in the catalog"),
        (("--topic", "sdls"), "did you mean 'slds'?"),
        (("--topic", "slds", "--id", "../evil"), "--id '../evil' contains a path separator, contains '..'"),
        (("--topic", "slds", "--id", "My Session"), "contains spaces, contains capitals; ids are lower-case letters, digits and hyphens, for example 'my-session'"),
        (("--topic", "slds", "--id", "a/b"), "contains a path separator"),
        (("--topic", "hmm"), "id 'hmm' is already used in sessions.yaml (line"),
        (("--topic", "slds", "--chairs", "A", "--chairs", "B", "--chairs", "C"), "--chairs given 3 times; a session has one or two chairs"),
        (("--topic", "slds", "--chairs", "Johanes"), "--chairs: 'Johanes' is not in people; did you mean 'Johannes'? Pass --new-person"),
        (("--topic", "slds", "--dates", "2027-02-30", "2027-03-01"), "--dates: '2027-02-30' is not a valid date"),
        (("--topic", "slds", "--dates", "2027-03-03", "2027-03-02"), "--dates: day two (2027-03-02) is not after day one (2027-03-03)"),
        (("--topic", "slds", "--dates", "2027-03-02", "2027-03-03", "--month", "2027-03"), "--dates and --month cannot be combined"),
        (("--topic", "slds", "--month", "2027-13"), "--month: '2027-13' is not a month"),
        (("--topic", "slds", "--time", "5pm-8pm"), "--time: '5pm-8pm' is not a time range"),
        (("--topic", "slds", "--time", "20:00-17:00"), "--time: end 17:00 is not after start 20:00"),
        (("--topic", "slds", "--room", "GB 423"), "--room 'GB 423' is not listed under seminar.rooms; did you mean 'GB 422'?"),
        (("--topic", "Bad Topic", "--title", "X"), "--topic 'Bad Topic' is not a slug"),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_bad_request_rejected(project, args, message) -> None:
    before = project.snapshot()
    result = project.run("new-session", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert project.snapshot() == before


def test_existing_folder_never_overwritten(project) -> None:
    folder = project.root / "sessions" / "slds"
    folder.mkdir(parents=True)
    (folder / "notes.md").write_text("keep me", encoding="utf-8")
    before = project.snapshot()
    result = project.run(*DONE_WHEN)
    assert result.exit_code == 1
    assert "sessions/slds already exists" in result.stderr
    assert project.snapshot() == before


def test_render_failure_leaves_nothing(project) -> None:
    broken = project.root / "templates" / "session" / "tasks.py.j2"
    broken.write_text(broken.read_text(encoding="utf-8") + "{{ no_such_variable }}\n", encoding="utf-8")
    before = project.snapshot()
    result = project.run(*DONE_WHEN)
    assert result.exit_code == 1
    assert "rendering failed" in result.stderr
    assert "no_such_variable" in result.stderr
    assert project.snapshot() == before
    assert not (project.root / "sessions").exists() or not any((project.root / "sessions").iterdir())


def test_invalid_registry_blocks_scaffold(project) -> None:
    project.registry.write_text(project.registry.read_text(encoding="utf-8").replace("chairs: [Selmaan]", "chiars: [Selmaan]"), encoding="utf-8")
    before = project.snapshot()
    result = project.run(*DONE_WHEN)
    assert result.exit_code == 1
    assert "unknown key 'chiars'" in result.stderr
    assert project.snapshot() == before


def test_crlf_registry_keeps_line_endings(project) -> None:
    crlf = project.registry.read_bytes().replace(b"\n", b"\r\n")
    project.registry.write_bytes(crlf)
    assert project.run(*DONE_WHEN).exit_code == 0
    after = project.registry.read_bytes()
    assert b"\n" not in after.replace(b"\r\n", b"")
    assert after.startswith(crlf[: crlf.index(b"  - short_name: John")])


@pytest.mark.parametrize("chair", ["luke", "Lukas", "anna k."])
def test_near_duplicate_chair_needs_flag(project, chair) -> None:
    before = project.snapshot()
    result = project.run("new-session", "--topic", "slds", "--month", "2027-03", "--chairs", chair)
    assert result.exit_code == 1
    assert "Pass --new-person" in result.stderr
    assert project.snapshot() == before
    assert project.run("new-session", "--topic", "slds", "--month", "2027-03", "--chairs", chair, "--new-person").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--title", "Line one\nkind: break"), "--title: 'Line one\\nkind: break' contains a line break or control character"),
        (("--title", " "), "--title is empty"),
        (("--chairs", "A\tB"), "--chairs: 'A\\tB' contains a line break or control character"),
    ],
    ids=["line break in title", "empty title", "tab in chair"],
)
def test_control_characters_rejected(project, args, message) -> None:
    before = project.snapshot()
    result = project.run("new-session", "--topic", "diffusion", "--month", "2027-03", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert project.snapshot() == before


@pytest.mark.parametrize("topic", ["3d-vision", "tasks", "class", "test-x"])
def test_unusable_module_name_rejected(project, topic) -> None:
    before = project.snapshot()
    result = project.run("new-session", "--topic", topic, "--title", "Something", "--month", "2027-05")
    assert result.exit_code == 1
    assert "which is not a usable Python module name" in result.stderr
    assert project.snapshot() == before


def test_title_with_quotes_compiles(project) -> None:
    result = project.run("new-session", "--topic", "quotes", "--title", 'The "triple""" model \\x', "--month", "2027-05")
    assert result.exit_code == 0, result.stderr
    for path in (project.root / "sessions" / "quotes").glob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_check_planned_session_reports_todo(project) -> None:
    assert project.run(*DONE_WHEN).exit_code == 0
    result = project.run("check", "slds", "--file", str(project.root / "sessions" / "slds" / "slds.py"))
    assert result.exit_code == 1
    assert result.stdout.count("TODO  ") == 4
    assert "NotImplementedError: log_joint is not implemented yet" in result.stdout
