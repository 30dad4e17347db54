"""Locate the seminar repository and the files the tool reads and writes in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlseminar.registry import REGISTRY_FILE


class ProjectNotFound(Exception):
    """Raised when no sessions.yaml is found in the working folder or any folder above it."""


@dataclass(frozen=True)
class Project:
    """Paths of one seminar repository, all derived from the registry's location."""

    registry_path: Path

    @property
    def root(self) -> Path:
        return self.registry_path.parent

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def sessions_dir(self) -> Path:
        return self.root / "sessions"

    def display(self, path: Path) -> str:
        """Show `path` relative to the working folder when it lies below it, so messages stay short."""
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)


def find_project(registry: Path | None = None, start: Path | None = None) -> Project:
    """Return the project whose registry is `registry`, or the nearest sessions.yaml at or above `start`."""
    if registry is not None:
        return Project(registry.resolve())
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / REGISTRY_FILE).is_file():
            return Project(candidate / REGISTRY_FILE)
    raise ProjectNotFound(
        f"no {REGISTRY_FILE} in {folder} or any folder above it; run the command inside the seminar repository or pass --registry PATH"
    )
