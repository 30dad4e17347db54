"""Plain-text views of the registry for the terminal: `mlseminar list` and `mlseminar show`."""

from __future__ import annotations

from pathlib import Path

from mlseminar.registry import Break, Kickoff, Registry, Session, closest
from mlseminar.tables import format_chairs, format_dates, format_time, session_times


class UnknownEntry(LookupError):
    """Raised for an id that is not in the registry; the message suggests the closest ids."""


def _columns(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def list_table(registry: Registry) -> str:
    """Format all entries as an aligned text table: id, status, dates, time, chairs and topic."""
    rows = [["ID", "STATUS", "DATES", "TIME", "CHAIRS", "TOPIC"]]
    for entry in registry.entries:
        if isinstance(entry, Break):
            rows.append([entry.id, "break", "", "", "", entry.title])
        elif isinstance(entry, Kickoff):
            rows.append([entry.id, entry.status, format_dates(entry.days), format_time(entry.time), format_chairs(entry.chairs), entry.title])
        else:
            rows.append(
                [
                    entry.id,
                    entry.status,
                    format_dates(entry.days, entry.month),
                    format_time(session_times(entry)),
                    format_chairs(entry.chairs),
                    entry.title,
                ]
            )
    return _columns(rows)


def find_entry(registry: Registry, entry_id: str) -> Session | Kickoff | Break:
    """Return the entry with this id, or raise UnknownEntry naming the closest ids."""
    entry = registry.entry(entry_id)
    if entry is not None:
        return entry
    ids = [entry.id for entry in registry.entries]
    suggestions = closest(entry_id, ids)
    hint = f"did you mean {' or '.join(repr(s) for s in suggestions)}? " if suggestions else ""
    raise UnknownEntry(f"unknown id {entry_id!r}; {hint}`mlseminar list` shows every id")


def show_entry(registry: Registry, entry: Session | Kickoff | Break, root: Path) -> str:
    """Describe one entry over several lines, with its readings and folder."""
    if isinstance(entry, Break):
        return f"{entry.title} ({entry.id})\n  kind: break"
    lines = [f"{entry.title} ({entry.id})", f"  status:  {entry.status}"]
    if isinstance(entry, Kickoff):
        lines.append(f"  date:    {format_dates(entry.days)}")
        lines.append(f"  time:    {format_time(entry.time) or 'not set'}")
        lines.append(f"  chairs:  {format_chairs(entry.chairs)}")
        lines.append(f"  room:    {entry.room or 'not set'}")
        return "\n".join(lines)

    lines.append(f"  dates:   {format_dates(entry.days, entry.month) or 'not set'}")
    if entry.day_one_time or entry.day_two_time:
        lines.append(f"  day one: {format_time(entry.day_one_time or entry.time) or 'not set'}")
        lines.append(f"  day two: {format_time(entry.day_two_time or entry.time) or 'not set'}")
    else:
        lines.append(f"  time:    {format_time(entry.time) or 'not set'}")
    lines.append(f"  chairs:  {format_chairs(entry.chairs)}")
    lines.append(f"  room:    {entry.room or 'not set'}")
    if entry.expected_attendance:
        lines.append(f"  expected attendance: {entry.expected_attendance}")
    if entry.folder:
        state = "" if (root / entry.folder).is_dir() else " (not created yet)"
        lines.append(f"  folder:  {entry.folder}{state}")
    if entry.software:
        lines.append(f"  software to install: {', '.join(entry.software)}")
    if entry.readings:
        lines.append("  readings:")
        for reading in entry.readings:
            lines.append(f"    - {reading.authors} ({reading.year}). {reading.title}. {reading.url}")
    return "\n".join(lines)
