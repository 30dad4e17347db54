"""Shared fixtures for the tool's tests: a copy of the repository's registry and README in a temporary folder."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlseminar.cli import app

REPO = Path(__file__).resolve().parents[1]
# The seminar's history as first recorded; the live sessions.yaml may have grown since.
HISTORY = Path(__file__).resolve().parent / "data" / "sessions-history.yaml"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class TempProject:
    """A seminar repository in a temporary folder: sessions.yaml, README.md and templates/."""

    root: Path

    @property
    def registry(self) -> Path:
        return self.root / "sessions.yaml"

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    def snapshot(self) -> dict[str, bytes]:
        """Every file under the root with its bytes, to prove that a failing command wrote nothing."""
        return {str(path.relative_to(self.root)): path.read_bytes() for path in sorted(self.root.rglob("*")) if path.is_file()}

    def add_session_folders(self) -> None:
        """Give every session with a `folder:` a minimal folder that meets the contract."""
        from mlseminar.registry import load_registry

        registry, _ = load_registry(self.registry)
        for session in registry.sessions:
            if session.folder:
                folder = self.root / session.folder
                folder.mkdir(parents=True, exist_ok=True)
                for name in ("README.md", "tasks.py", "model.py", "test_model.py"):
                    (folder / name).write_text("", encoding="utf-8")

    def run(self, *args: str) -> Result:
        """Invoke the CLI with `--registry` pointing at this project's sessions.yaml when the command takes it."""
        runner = CliRunner()
        result = runner.invoke(app, list(args), catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TempProject:
    """A copy of the recorded history, the README and the templates, with the working folder set to it."""
    shutil.copy(HISTORY, tmp_path / "sessions.yaml")
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    monkeypatch.chdir(tmp_path)
    return TempProject(tmp_path)
