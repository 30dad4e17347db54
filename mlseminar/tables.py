"""Turn registry entries into the cells of the README's session tables.

Every cell is computed from the registry alone (weekdays from dates, never typed), so the tables
are the same on every machine and every day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from mlseminar.registry import Break, Kickoff, Registry, Session, TimeRange


@dataclass(frozen=True)
class Row:
    """One table row; cells are Markdown, already escaped."""

    dates: str
    time: str
    chairs: str
    topic: str


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}"


def format_dates(days: list[dt.date], month: str | None = None) -> str:
    """Format one or two evenings as the README shows them.

    `Jan 30, 2019 (Wed)` for one evening, `Feb 12-13, 2019 (Tue/Wed)` for consecutive days,
    `Apr 23+25, 2019 (Tue/Thu)` otherwise. Two evenings in different months spell out both months
    (`Jan 31-Feb 1, 2019`), in different years both years. A month alone gives `Feb 2022`.
    """
    if not days:
        if month is None:
            return ""
        year, month_number = map(int, month.split("-"))
        return f"{dt.date(year, month_number, 1):%b %Y}"
    weekdays = "/".join(f"{day:%a}" for day in days)
    if len(days) == 1:
        return f"{_day(days[0])}, {days[0].year} ({weekdays})"

    first, second = days
    joiner = "-" if (second - first).days == 1 else "+"
    if first.year != second.year:
        span = f"{_day(first)}, {first.year}{joiner}{_day(second)}, {second.year}"
    elif first.month != second.month:
        span = f"{_day(first)}{joiner}{_day(second)}, {second.year}"
    else:
        span = f"{_day(first)}{joiner}{second.day}, {second.year}"
    return f"{span} ({weekdays})"


def _clock(hhmm: str) -> tuple[str, str]:
    """Return ('5', 'p.m.') for "17:00" and ('8:30', 'p.m.') for "20:30"."""
    hour, minute = map(int, hhmm.split(":"))
    suffix = "a.m." if hour < 12 else "p.m."
    hour12 = hour % 12 or 12
    return (f"{hour12}" if minute == 0 else f"{hour12}:{minute:02d}", suffix)


def format_time(time: TimeRange | None) -> str:
    """Format a time range as `5-8 p.m.`, `6-8:30 p.m.` or `11 a.m.-1 p.m.`."""
    if time is None:
        return ""
    start, start_suffix = _clock(time.start)
    end, end_suffix = _clock(time.end)
    if start_suffix == end_suffix:
        return f"{start}-{end} {end_suffix}"
    return f"{start} {start_suffix}-{end} {end_suffix}"


def format_chairs(chairs: list[str]) -> str:
    """Join chairs with ` & `; a session with no chair yet shows `TBA`."""
    return " & ".join(chairs) if chairs else "TBA"


MARKDOWN_SPECIAL = re.compile(r"([\\`*_|])")


def escape_cell(text: str) -> str:
    """Escape what Markdown would read as markup in a table cell: pipes, emphasis, code and HTML tags."""
    # An ampersand is escaped only where Markdown would read an entity, such as `&lt;`.
    escaped = re.sub(r"&(?=#?\w+;)", "&amp;", MARKDOWN_SPECIAL.sub(r"\\\1", text)).replace("<", "&lt;")
    return " ".join(escaped.split())


def escape_link_text(text: str) -> str:
    return escape_cell(text).replace("[", "\\[").replace("]", "\\]")


def session_times(session: Session) -> TimeRange | None:
    """Return the time shown in the table: the shared time, or day one's when the evenings differ."""
    return session.time or session.day_one_time or session.day_two_time


def row_for(entry: Session | Kickoff | Break, root: Path) -> Row:
    """Build the table row of one entry; `root` is the folder of README.md, for folder links."""
    if isinstance(entry, Break):
        return Row(escape_cell(entry.title), escape_cell(entry.decoration or ""), "", "")
    if isinstance(entry, Kickoff):
        return Row(
            format_dates(entry.days),
            format_time(entry.time),
            escape_cell(format_chairs(entry.chairs)),
            escape_cell(entry.title),
        )
    topic = escape_cell(entry.title)
    if entry.folder and (root / entry.folder).is_dir():
        topic = f"[{escape_link_text(entry.title)}]({entry.folder})"
    return Row(
        format_dates(entry.days, entry.month) or "TBA",
        format_time(session_times(entry)),
        escape_cell(format_chairs(entry.chairs)),
        topic,
    )


def upcoming_rows(registry: Registry, root: Path) -> list[Row]:
    """Rows of planned sessions, in registry order."""
    return [row_for(entry, root) for entry in registry.entries if isinstance(entry, Session) and entry.status == "planned"]


def past_rows(registry: Registry, root: Path) -> list[Row]:
    """Rows of held sessions, the kick-off and breaks, in registry order. Cancelled entries are left out."""
    rows = []
    for entry in registry.entries:
        if isinstance(entry, Break) or entry.status == "held":
            rows.append(row_for(entry, root))
    return rows

