"""The topic catalog: every topic the seminar has held or suggested, with readings and a skeleton API.

The catalog is data (`mlseminar/catalog.yaml`), read once and validated with pydantic.
`mlseminar new-session --topic SLUG` fills the session templates from it.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML

from mlseminar.registry import Reading, Slug


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiItem(_Model):
    """One function of a topic's skeleton module."""

    name: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    signature: str
    docstring: str


class TaskIdea(_Model):
    """A suggested toy task: `name` becomes `task_<name>` in tasks.py."""

    name: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    description: str


class Topic(_Model):
    slug: Slug
    title: str
    summary: str
    readings: Annotated[list[Reading], Field(min_length=2, max_length=4)]
    module: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    notation: str
    api: Annotated[list[ApiItem], Field(min_length=1)]
    tasks: Annotated[list[TaskIdea], Field(min_length=1)]
    tests: str
    held: bool = False


class Catalog(_Model):
    topics: list[Topic]

    def topic(self, slug: str) -> Topic | None:
        return next((topic for topic in self.topics if topic.slug == slug), None)


class CatalogError(Exception):
    """Raised when the packaged catalog itself is invalid; a bug in the package, not in user input."""


@functools.cache
def load_catalog() -> Catalog:
    """Read and validate `catalog.yaml` from the installed package."""
    text = resources.files("mlseminar").joinpath("catalog.yaml").read_text(encoding="utf-8")
    try:
        return Catalog.model_validate(YAML(typ="safe").load(text))
    except ValidationError as error:
        raise CatalogError(f"mlseminar/catalog.yaml is invalid: {error}") from None
