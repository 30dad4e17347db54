"""Export the seminar's evenings as an iCalendar file (RFC 5545) with the `icalendar` package.

Each evening of a session (and the kick-off) becomes one VEVENT in the seminar's time zone, with a
VTIMEZONE component for that zone. An event's UID is built from the entry id and the day
(`vae-day-1@mlseminar`), so a calendar application that imports a newer export matches the events
it already has instead of adding copies. The output depends on the registry alone, so two exports
of the same registry are byte-identical.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar

from mlseminar.registry import Kickoff, Registry, Session, TimeRange
from mlseminar.tables import format_chairs

UID_DOMAIN = "mlseminar"
PRODUCT_ID = "-//mlseminar//Machine Learning from Scratch seminar//EN"
# RFC 5545 requires a DTSTAMP on every event, normally the time the file was written. A fixed
# instant (the day before the seminar's kick-off) keeps exports reproducible and diffable.
# NOTE: a calendar application that follows RFC 5546 strictly may keep its old copy of a changed
# event, because neither DTSTAMP nor SEQUENCE grows between exports. Deleting and re-importing works.
DTSTAMP = dt.datetime(2019, 1, 29, tzinfo=dt.timezone.utc)
DAY_NAMES = {1: "day one", 2: "day two"}
DAY_PURPOSE = {
    1: "Day one: the chairs introduce the model, then we read together over dinner.",
    2: "Day two: everyone implements the model on the toy tasks; bring a laptop.",
}
NO_ROOM = "to be announced"


class CalendarError(ValueError):
    """Raised when there is no evening to export; the message names the dates to add."""


@dataclass(frozen=True)
class Evening:
    """One calendar event: an evening of a session or the kick-off."""

    uid: str
    summary: str
    start: dt.datetime
    end: dt.datetime
    location: str
    description: str
    cancelled: bool
    url: str | None = None


@dataclass(frozen=True)
class CalendarExport:
    """The iCalendar text, and the ids of entries left out because they have no dates yet."""

    text: str
    events: int
    undated: list[str]


def _at(day: dt.date, hhmm: str, zone: ZoneInfo) -> dt.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone)


def _reading_line(reading) -> str:
    return f"- {reading.authors} ({reading.year}). {reading.title}. {reading.url}"


def _description(entry: Session | Kickoff, day: int) -> str:
    lines = []
    if isinstance(entry, Session):
        lines.append(DAY_PURPOSE[day])
    lines.append(f"Chairs: {format_chairs(entry.chairs)}")
    if isinstance(entry, Session):
        if entry.readings:
            lines.append("Readings:")
            lines += [_reading_line(reading) for reading in entry.readings]
        if entry.software:
            lines.append(f"Software to install beforehand: {', '.join(entry.software)}")
    return "\n".join(lines)


def entry_evenings(registry: Registry, entry: Session | Kickoff) -> list[Evening]:
    """Build one event per dated evening of `entry`, at its own time or the seminar's default time."""
    zone = ZoneInfo(registry.seminar.timezone)
    default = registry.seminar.default_time
    if isinstance(entry, Kickoff):
        days: list[tuple[int, dt.date, TimeRange]] = [(1, entry.date, entry.time or default)]
        summary = {1: entry.title}
    else:
        days = []
        for day, (date, own_time) in enumerate(((entry.day_one, entry.day_one_time), (entry.day_two, entry.day_two_time)), start=1):
            if date is not None:
                days.append((day, date, own_time or entry.time or default))
        summary = {day: f"{entry.title} ({DAY_NAMES[day]})" for day in DAY_NAMES}
    return [
        Evening(
            uid=f"{entry.id}-day-{day}@{UID_DOMAIN}",
            summary=summary[day],
            start=_at(date, time.start, zone),
            end=_at(date, time.end, zone),
            location=entry.room or NO_ROOM,
            description=_description(entry, day),
            cancelled=entry.status == "cancelled",
            url=entry.url if isinstance(entry, Session) else None,
        )
        for day, date, time in days
    ]


def collect_evenings(registry: Registry, *, upcoming_from: dt.date | None = None) -> tuple[list[Evening], list[str]]:
    """Return every evening in registry order and the ids of sessions without dates.

    With `upcoming_from`, only entries whose last evening falls on or after that date are kept,
    together with all of their evenings.
    """
    evenings: list[Evening] = []
    undated: list[str] = []
    for entry in registry.entries:
        if not isinstance(entry, Session | Kickoff):
            continue
        if not entry.days:
            undated.append(entry.id)
            continue
        if upcoming_from is not None and entry.days[-1] < upcoming_from:
            continue
        evenings += entry_evenings(registry, entry)
    return evenings, undated


def build_calendar(registry: Registry, evenings: list[Evening]) -> icalendar.Calendar:
    """Assemble the VCALENDAR with one VEVENT per evening and a VTIMEZONE for the seminar's zone."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", registry.seminar.name)
    calendar.add("x-wr-timezone", registry.seminar.timezone)
    for evening in evenings:
        event = icalendar.Event()
        event.add("uid", evening.uid)
        event.add("dtstamp", DTSTAMP)
        event.add("dtstart", evening.start)
        event.add("dtend", evening.end)
        event.add("summary", evening.summary)
        event.add("location", evening.location)
        event.add("description", evening.description)
        event.add("status", "CANCELLED" if evening.cancelled else "CONFIRMED")
        if evening.url:
            event.add("url", evening.url)
        calendar.add_component(event)
    if evenings:
        # The VTIMEZONE lists the zone's offset changes from a year before the first evening to a
        # year after the last, which covers every event in the file.
        first = min(evening.start for evening in evenings).date()
        last = max(evening.end for evening in evenings).date()
        calendar.add_missing_timezones(first_date=first - dt.timedelta(days=366), last_date=last + dt.timedelta(days=366))
    return calendar


def export_calendar(registry: Registry, *, upcoming_from: dt.date | None = None) -> CalendarExport:
    """Build the iCalendar text of the registry; raise CalendarError when no evening has a date."""
    evenings, undated = collect_evenings(registry, upcoming_from=upcoming_from)
    if not evenings:
        if upcoming_from is not None:
            raise CalendarError(
                f"no session has an evening on or after {upcoming_from.isoformat()}; add day_one and day_two to a planned "
                "session in sessions.yaml, or leave out --upcoming to export past sessions"
            )
        raise CalendarError("no session in the registry has dates; add day_one and day_two to a session in sessions.yaml")
    text = build_calendar(registry, evenings).to_ical().decode("utf-8")
    return CalendarExport(text, len(evenings), undated)
