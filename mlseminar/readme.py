"""Regenerate the session tables of README.md between marker comments.

README.md contains three marked regions::

    <!-- BEGIN upcoming-sessions -->
    ...generated...
    <!-- END upcoming-sessions -->

and the same for `past-sessions` and `suggested-topics`. Only the text between a pair of markers is replaced; everything
else in the file stays byte for byte the same, so a second run changes nothing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

from mlseminar.registry import Registry
from mlseminar.tables import Row, escape_cell, past_rows, upcoming_rows
from mlseminar.yamlfile import FileProblems, Problem, read_text

REGIONS = ("upcoming-sessions", "past-sessions", "suggested-topics")
TABLE_TEMPLATE = "readme/sessions_table.md.j2"
TOPICS_TEMPLATE = "readme/suggested_topics.md.j2"
EMPTY_TEXT = {
    "upcoming-sessions": "_No sessions are planned yet._",
    "past-sessions": "_No sessions have been held yet._",
}
MARKER = re.compile(r"<!--\s*(BEGIN|END)\s+([\w-]+)\s*-->")


@dataclass(frozen=True)
class Region:
    """Character offsets of the text between a BEGIN marker's end and its END marker's start."""

    name: str
    start: int
    end: int


def template_environment(templates_dir: Path) -> jinja2.Environment:
    """Jinja2 environment over the repository's `templates/` folder, failing on any undefined name."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def find_regions(text: str, display_name: str) -> dict[str, Region]:
    """Locate every marked region; raise FileProblems for missing, repeated, unbalanced or unknown markers."""
    problems: list[Problem] = []
    regions: dict[str, Region] = {}
    open_marker: tuple[str, re.Match[str]] | None = None

    def problem(match: re.Match[str] | None, message: str) -> None:
        line = _line_of(text, match.start()) if match else 1
        problems.append(Problem(display_name, line, 1, "", message))

    for match in MARKER.finditer(text):
        kind, name = match.group(1), match.group(2)
        if name not in REGIONS:
            problem(match, f"unknown marker name {name!r}; the markers are {', '.join(REGIONS)}")
            continue
        if kind == "BEGIN":
            if open_marker is not None:
                problem(match, f"BEGIN {name} inside the unclosed region {open_marker[0]}; add <!-- END {open_marker[0]} --> before it")
            elif name in regions:
                problem(match, f"a second BEGIN {name}; keep one pair of {name} markers")
            else:
                open_marker = (name, match)
        else:
            if open_marker is None or open_marker[0] != name:
                problem(match, f"END {name} without a matching BEGIN {name} above it")
            else:
                regions[name] = Region(name, open_marker[1].end(), match.start())
                open_marker = None
    if open_marker is not None:
        problem(open_marker[1], f"BEGIN {open_marker[0]} is never closed; add <!-- END {open_marker[0]} --> after it")
    for name in REGIONS:
        if name not in regions and not any(name in p.message for p in problems):
            problems.append(
                Problem(display_name, 1, 1, "", f"missing markers for {name}; add <!-- BEGIN {name} --> and <!-- END {name} --> where the table belongs")
            )
    if problems:
        raise FileProblems(sorted(problems, key=lambda problem: problem.line))
    return regions


def render_tables(registry: Registry, root: Path, templates_dir: Path) -> dict[str, str]:
    """Render each region's Markdown from the registry."""
    environment = template_environment(templates_dir)
    table = environment.get_template(TABLE_TEMPLATE)
    rows: dict[str, list[Row]] = {
        "upcoming-sessions": upcoming_rows(registry, root),
        "past-sessions": past_rows(registry, root),
    }
    rendered = {name: table.render(rows=rows[name], empty_text=EMPTY_TEXT[name]) for name in rows}
    topics = [escape_cell(topic) for topic in registry.seminar.suggested_topics]
    rendered["suggested-topics"] = environment.get_template(TOPICS_TEMPLATE).render(topics=topics)
    return {name: text.strip("\n") for name, text in rendered.items()}


def replace_regions(text: str, tables: dict[str, str], display_name: str) -> str:
    """Return `text` with each marked region's content replaced by its table."""
    regions = find_regions(text, display_name)
    # Keep the file's line endings, so a checkout with Windows line endings stays consistent.
    newline = "\r\n" if "\r\n" in text else "\n"
    # Replace from the end of the file backwards, so earlier offsets stay valid.
    for region in sorted(regions.values(), key=lambda region: region.start, reverse=True):
        table = tables[region.name].replace("\n", newline)
        text = text[: region.start] + newline + table + newline + text[region.end :]
    return text


@dataclass(frozen=True)
class RenderResult:
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self, name: str) -> str:
        lines = difflib.unified_diff(
            self.old.splitlines(keepends=True), self.new.splitlines(keepends=True), fromfile=f"{name} (current)", tofile=f"{name} (rendered)"
        )
        return "".join(lines)


def render_readme(registry: Registry, readme: Path, templates_dir: Path) -> RenderResult:
    """Compute the new README text without writing it."""
    display_name = readme.name
    old = read_text(readme, display_name, missing="file not found; README.md must sit beside sessions.yaml and contain the table markers")
    tables = render_tables(registry, readme.parent, templates_dir)
    return RenderResult(old, replace_regions(old, tables, display_name))
