"""Schedule checks of `mlseminar validate`: rooms, chairs, capacity, evening lengths and gaps."""

from __future__ import annotations

import datetime as dt

from mlseminar.registry import Registry
from mlseminar.yamlfile import Problem, YamlDocument


def schedule_problems(registry: Registry, doc: YamlDocument, today: dt.date) -> list[Problem]:
    """Return errors and warnings (Problem.severity "warning") about the schedule in the registry."""
    return []
