"""Load a session's Python files by path, so two sessions may both have a `model.py` or `tasks.py`.

Session folders are not packages and are never put on `sys.path`. Each file is imported under a
name built from its folder and stem (`mlseminar_sessions.<folder>.<stem>`), so that `sessions/a/tasks.py`
and `sessions/b/tasks.py` never replace each other in `sys.modules`.

`mlseminar check` runs a session's tests against a participant's file instead of the reference module.
It sets the environment variable `MLSEMINAR_MODULE_OVERRIDE` to `STEM=PATH` (several pairs separated by
`os.pathsep`), and `load_module` then loads PATH wherever a session requests its module STEM.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

OVERRIDE_VARIABLE = "MLSEMINAR_MODULE_OVERRIDE"


def _overrides() -> dict[str, Path]:
    """Parse `MLSEMINAR_MODULE_OVERRIDE` into a mapping from module stem to replacement file."""
    raw = os.environ.get(OVERRIDE_VARIABLE, "")
    mapping: dict[str, Path] = {}
    for pair in filter(None, raw.split(os.pathsep)):
        stem, separator, path = pair.partition("=")
        if not separator or not stem or not path:
            raise ValueError(f"{OVERRIDE_VARIABLE}: invalid entry {pair!r}; expected STEM=PATH")
        mapping[stem] = Path(path)
    return mapping


def _module_name(path: Path, tag: str = "") -> str:
    folder = re.sub(r"\W", "_", path.parent.name) or "root"
    stem = re.sub(r"\W", "_", path.stem)
    return f"mlseminar_sessions.{folder}{tag}.{stem}"


def load_module(path: str | os.PathLike[str]) -> ModuleType:
    """Import the Python file at `path` under a name unique to its folder, and return the module.

    A file is executed once per process: later calls return the module from `sys.modules`. If the
    environment maps the file's stem to another file (see the module docstring), that file is loaded
    instead, under its own name, so the reference and the replacement never share a cache entry.

    Raises
    ------
    FileNotFoundError
        If the file (or its replacement) does not exist.
    """
    path = Path(path).resolve()
    replacement = _overrides().get(path.stem)
    if replacement is not None:
        name = _module_name(path, tag="_override")
        path = replacement.resolve()
    else:
        name = _module_name(path)

    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such Python file")

    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)

    # Register before executing, so dataclasses and pickling can find the module by name.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_sibling(anchor: str | os.PathLike[str], stem: str) -> ModuleType:
    """Import `<stem>.py` from the folder that contains `anchor` (usually the caller's `__file__`)."""
    return load_module(Path(anchor).resolve().parent / f"{stem}.py")
