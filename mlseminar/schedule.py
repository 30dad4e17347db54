"""Schedule checks of `mlseminar validate`: rooms, chairs, capacity, evening lengths and gaps.

Errors are conflicts that cannot happen as planned: a room booked twice on one evening, a chair
expected in two places at once, more people than seats. Warnings are unusual plans worth a second
look: a long day one, a long pause without a break entry, a planned session whose dates are over.
Too many chairs, and a held session without chairs, are errors of the registry itself
(`registry.consistency_problems`), so they are not repeated here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from dataclasses import dataclass

from mlseminar.registry import PLACEHOLDER_CHAIRS, Kickoff, Registry, Session, TimeRange
from mlseminar.yamlfile import Problem, YamlDocument

# Day one (introduction, then reading over dinner) should end within two and a half hours.
MAX_DAY_ONE_MINUTES = 150
# The two evenings of a session are consecutive or a week apart at most (Feb 12 and 19, 2020).
MAX_DAYS_BETWEEN_EVENINGS = 7
# The seminar meets about every two months; a longer pause than this needs a break entry.
MAX_GAP_MONTHS = 4


@dataclass(frozen=True)
class Evening:
    """One evening of a session or of the kick-off, with the time it takes place."""

    index: int
    entry: Session | Kickoff
    day: int
    date: dt.date
    time: TimeRange

    @property
    def date_field(self) -> str:
        if isinstance(self.entry, Kickoff):
            return "date"
        return "day_one" if self.day == 1 else "day_two"


def schedule_problems(registry: Registry, doc: YamlDocument, today: dt.date) -> list[Problem]:
    """Return errors and warnings (Problem.severity "warning") about the schedule in the registry.

    `today` is the date against which a planned session counts as past.
    """
    evenings = _evenings(registry)
    problems = _room_conflicts(evenings, doc) + _chair_conflicts(evenings, doc)
    problems += _capacity_problems(registry, doc)
    problems += _long_day_one_problems(registry, doc)
    problems += _distant_day_two_problems(registry, doc)
    problems += _gap_problems(registry, doc)
    problems += _past_planned_problems(registry, doc, today)
    return sorted(problems, key=lambda problem: (problem.line, problem.column))


def _evenings(registry: Registry) -> list[Evening]:
    """List every dated evening of every entry that is not cancelled, in registry order.

    An evening without its own time takes the session's time, then the seminar's default time.
    """
    default = registry.seminar.default_time
    evenings = []
    for index, entry in enumerate(registry.entries):
        if isinstance(entry, Kickoff) and entry.status != "cancelled":
            evenings.append(Evening(index, entry, 1, entry.date, entry.time or default))
        elif isinstance(entry, Session) and entry.status != "cancelled":
            own_times = (entry.day_one_time, entry.day_two_time)
            for day, (date, own_time) in enumerate(zip((entry.day_one, entry.day_two), own_times), start=1):
                if date is not None:
                    evenings.append(Evening(index, entry, day, date, own_time or entry.time or default))
    return evenings


def _same_day_pairs(evenings: list[Evening]) -> list[tuple[Evening, Evening]]:
    """Pairs of evenings of two different entries on the same date; the later entry comes second."""
    pairs = []
    for first, second in itertools.combinations(evenings, 2):
        if first.index != second.index and first.date == second.date:
            pairs.append((first, second) if first.index < second.index else (second, first))
    return pairs


def _minutes(hhmm: str) -> int:
    hours, minutes = map(int, hhmm.split(":"))
    return 60 * hours + minutes


def _overlap(first: TimeRange, second: TimeRange) -> bool:
    return _minutes(first.start) < _minutes(second.end) and _minutes(second.start) < _minutes(first.end)


def _room_conflicts(evenings: list[Evening], doc: YamlDocument) -> list[Problem]:
    problems = []
    reported: set[tuple[int, int]] = set()
    for first, second in _same_day_pairs(evenings):
        room = first.entry.room
        if room is None or room != second.entry.room or (first.index, second.index) in reported:
            continue
        reported.add((first.index, second.index))
        problems.append(
            doc.problem(
                ("entries", second.index, "room"),
                f"room {room!r} is booked by {first.entry.id!r} and {second.entry.id!r} on the same evening "
                f"({second.date.isoformat()}); move one of them to another room or date",
            )
        )
    return problems


def _named_chairs(entry: Session | Kickoff) -> list[str]:
    return [chair for chair in entry.chairs if chair not in PLACEHOLDER_CHAIRS]


def _chair_conflicts(evenings: list[Evening], doc: YamlDocument) -> list[Problem]:
    problems = []
    reported: set[tuple[int, int, str]] = set()
    for first, second in _same_day_pairs(evenings):
        if not _overlap(first.time, second.time):
            continue
        shared = [chair for chair in _named_chairs(second.entry) if chair in _named_chairs(first.entry)]
        for chair in shared:
            if (first.index, second.index, chair) in reported:
                continue
            reported.add((first.index, second.index, chair))
            problems.append(
                doc.problem(
                    ("entries", second.index, "chairs"),
                    f"{chair!r} chairs both {first.entry.id!r} ({first.time.start}-{first.time.end}) and "
                    f"{second.entry.id!r} ({second.time.start}-{second.time.end}) on {second.date.isoformat()}; "
                    "move one session or find another chair",
                )
            )
    return problems


def _capacity_problems(registry: Registry, doc: YamlDocument) -> list[Problem]:
    problems = []
    for index, entry in enumerate(registry.entries):
        if not isinstance(entry, Session) or entry.expected_attendance is None or entry.room is None:
            continue
        room = registry.room(entry.room)
        # A room without a recorded capacity cannot be checked; an unknown room is a registry error.
        if room is None or room.capacity is None:
            continue
        if entry.expected_attendance > room.capacity:
            problems.append(
                doc.problem(
                    ("entries", index, "expected_attendance"),
                    f"{entry.id!r} expects {entry.expected_attendance} people but {room.name} seats {room.capacity}; "
                    "book a larger room or lower expected_attendance",
                )
            )
    return problems


def _long_day_one_problems(registry: Registry, doc: YamlDocument) -> list[Problem]:
    """Warn about a day one longer than the limit; only a separate `day_one_time` is checked.

    A session with one `time` for both evenings, as every held session in sessions.yaml has, gives
    day two's length, which may be longer, so it never triggers the warning.
    """
    problems = []
    for index, entry in enumerate(registry.entries):
        if not isinstance(entry, Session) or entry.day_one_time is None:
            continue
        minutes = _minutes(entry.day_one_time.end) - _minutes(entry.day_one_time.start)
        if minutes > MAX_DAY_ONE_MINUTES:
            problems.append(
                doc.problem(
                    ("entries", index, "day_one_time"),
                    f"day one of {entry.id!r} lasts {minutes // 60} h {minutes % 60:02d} min "
                    f"({entry.day_one_time.start}-{entry.day_one_time.end}); day one, dinner included, "
                    f"should last at most {MAX_DAY_ONE_MINUTES // 60} h {MAX_DAY_ONE_MINUTES % 60:02d} min",
                    severity="warning",
                )
            )
    return problems


def _distant_day_two_problems(registry: Registry, doc: YamlDocument) -> list[Problem]:
    """Warn when day two comes more than a week after day one, which is likely a typo in a date."""
    problems = []
    for index, entry in enumerate(registry.entries):
        if isinstance(entry, Session) and entry.day_one and entry.day_two:
            days = (entry.day_two - entry.day_one).days
            if days > MAX_DAYS_BETWEEN_EVENINGS:
                problems.append(
                    doc.problem(
                        ("entries", index, "day_two"),
                        f"day two of {entry.id!r} is {days} days after day one; the two evenings are at most "
                        f"{MAX_DAYS_BETWEEN_EVENINGS} days apart, so check both dates",
                        severity="warning",
                    )
                )
    return problems


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, month_number = map(int, month.split("-"))
    return dt.date(year, month_number, 1), dt.date(year, month_number, calendar.monthrange(year, month_number)[1])


def _span(entry: Session | Kickoff) -> tuple[dt.date, dt.date] | None:
    """Earliest possible first evening and latest possible last evening; None when undated.

    A session known only by its month spans the whole month.
    """
    if entry.days:
        return entry.days[0], entry.days[-1]
    if isinstance(entry, Session) and entry.month:
        return _month_bounds(entry.month)
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    """Add `months` to `day`, moving back to the month's last day where that month is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _gap_problems(registry: Registry, doc: YamlDocument) -> list[Problem]:
    """Warn where consecutive meetings lie more than MAX_GAP_MONTHS apart with no break entry between.

    For a session known only by its month, the gap is measured to its first day and from its last
    day, so that the warning fires only when every date in that month gives a long gap.
    """
    problems = []
    previous: tuple[Session | Kickoff, dt.date] | None = None
    for index, entry in enumerate(registry.entries):
        if not isinstance(entry, Session | Kickoff):
            # A break entry explains any pause around it.
            previous = None
            continue
        span = _span(entry)
        if entry.status == "cancelled" or span is None:
            continue
        start, end = span
        if previous is not None:
            other, other_end = previous
            if start > _add_months(other_end, MAX_GAP_MONTHS):
                problems.append(
                    doc.problem(
                        ("entries", index, "id"),
                        f"{(start - other_end).days} days between {other.id!r} (last evening {other_end.isoformat()}) and "
                        f"{entry.id!r} (first evening {start.isoformat()}), more than {MAX_GAP_MONTHS} months with no "
                        "break entry between them; add a `kind: break` entry if the pause is intended",
                        severity="warning",
                    )
                )
        previous = (entry, end)
    return problems


def _past_planned_problems(registry: Registry, doc: YamlDocument, today: dt.date) -> list[Problem]:
    problems = []
    for index, entry in enumerate(registry.entries):
        if not isinstance(entry, Session | Kickoff) or entry.status != "planned":
            continue
        span = _span(entry)
        if span is None or span[1] >= today:
            continue
        when = entry.month if isinstance(entry, Session) and not entry.days else span[1].isoformat()
        problems.append(
            doc.problem(
                ("entries", index, "status"),
                f"{entry.id!r} is planned but its dates ({when}) lie before today ({today.isoformat()}); was it held? "
                "Set `status: held` and complete the entry, set `status: cancelled`, or move its dates",
                severity="warning",
            )
        )
    return problems
