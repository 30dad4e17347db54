"""The command line as a user meets it: help, list, show and the installed entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_help_runs_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "mlseminar", "--help"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0
    for command in ("validate", "render-readme", "list", "show"):
        assert command in result.stdout


def test_list_shows_every_entry(project) -> None:
    result = project.run("list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "DATES", "TIME", "CHAIRS", "TOPIC"]
    ids = [line.split()[0] for line in lines[2:]]
    assert ids == ["kickoff", "vae", "hmm", "gp", "gan", "rl-intro", "kalman-particle", "deep-rl", "covid-break", "bbvi-bnn", "feb-2022"]
    assert "Apr 23+25, 2019 (Tue/Thu)" in result.stdout


def test_show_prints_readings(project) -> None:
    result = project.run("show", "hmm")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "Hidden Markov Models (hmm)"
    assert "  chairs:  Chong & Alex" in result.stdout
    assert "  folder:  sessions/hmm (not created yet)" in result.stdout
    assert "Rabiner, L.R. (1989). A Tutorial on Hidden Markov Models" in result.stdout


def test_show_unknown_id_suggests(project) -> None:
    result = project.run("show", "hmn")
    assert result.exit_code == 1
    assert result.stderr == "error: unknown id 'hmn'; did you mean 'hmm'? `mlseminar list` shows every id\n"


def test_registry_option(project, tmp_path_factory, monkeypatch) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    result = project.run("show", "gp", "--registry", str(project.registry))
    assert result.exit_code == 0
    assert "Gaussian processes (gp)" in result.stdout


def test_quickstart_matches_ci() -> None:
    """CI runs exactly the two commands of the README's quick start."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Quick start")[1].split("```bash\n")[1].split("```")[0]
    commands = block.strip().splitlines()
    ci = [line for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert len(commands) == 2
    assert ci == commands
