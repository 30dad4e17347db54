"""The session registry: pydantic models for sessions.yaml, loading, and its consistency checks.

`load_registry` returns a validated `Registry` or raises `FileProblems` listing every problem in the
file at once, each with its line, column and field. pydantic checks field types and required keys.
Then `consistency_problems` checks the rules that involve several fields or entries, such as dates
in order, chairs that exist and unique ids.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from mlseminar.yamlfile import FileProblems, Loc, Problem, YamlDocument, load_yaml, parse_yaml, yaml11_traps

REGISTRY_FILE = "sessions.yaml"
PLACEHOLDER_CHAIRS = ("???", "TBA", "TBD")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_TITLE_LENGTH = 200
GITHUB_HANDLE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a valid id; use lower-case letters, digits and single hyphens, such as 'slds' or 'deep-rl'"
        )
    return value


def _time(value: str) -> str:
    if not TIME.match(value):
        raise ValueError(f'{value!r} is not a time; write a quoted 24-hour time such as "17:00"')
    return value


def _month(value: str) -> str:
    if not MONTH.match(value) or not 1900 <= int(value[:4]) <= 2999:
        raise ValueError(f"{value!r} is not a month; write YYYY-MM with a year from 1900 to 2999, such as 2022-02")
    return value


def _url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+\.[^\s]+$", value):
        raise ValueError(f"{value!r} is not a web address; write a full URL starting with https://")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone; write a name such as America/New_York") from None
    return value


def _github(value: str) -> str:
    if not GITHUB_HANDLE.match(value):
        raise ValueError(f"{value!r} is not a GitHub handle; write the user name without @ or URL")
    return value


def first_line_break_or_control(text: str) -> str | None:
    """Return the first control character or line or paragraph separator in `text`, or None.

    These are the characters that `str.splitlines` breaks at (such as U+2028) plus tabs and other
    control characters, none of which belong in a one-line field or an e-mail header.
    """
    return next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Zl", "Zp")), None)


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty; write the text or remove the key")
    control = first_line_break_or_control(value)
    if control is not None:
        raise ValueError(f"contains the control character {control!r}; write the text on one line without tabs or line breaks")
    return value


def _title(value: str) -> str:
    if len(value) > MAX_TITLE_LENGTH:
        raise ValueError(f"is {len(value)} characters long; a title fits a table cell, so keep it to {MAX_TITLE_LENGTH} characters")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
Time = Annotated[str, AfterValidator(_time)]
Month = Annotated[str, AfterValidator(_month)]
Url = Annotated[str, AfterValidator(_url)]
Text = Annotated[str, AfterValidator(_text)]
Title = Annotated[str, AfterValidator(_text), AfterValidator(_title)]


class _Model(BaseModel):
    # Strict about keys, so that a typo such as `chiars` is an error instead of a silently ignored key.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeRange(_Model):
    """Start and end of an evening, as "HH:MM" in the seminar's time zone."""

    start: Time
    end: Time


class Room(_Model):
    name: Text
    capacity: Annotated[int, Field(gt=0)] | None = None


class Seminar(_Model):
    name: Text
    host: Text | None = None
    organizer: Text
    repository: Url | None = None
    timezone: Annotated[str, AfterValidator(_timezone)] = "America/New_York"
    default_time: TimeRange
    rooms: Annotated[list[Room], Field(min_length=1)]
    suggested_topics: list[Text] = []


class Person(_Model):
    short_name: Text
    full_name: Text | None = None
    github: Annotated[str, AfterValidator(_github)] | None = None


class Reading(_Model):
    title: Text
    authors: Text
    year: Annotated[int, Field(ge=1700, le=2100)]
    url: Url
    venue: Text | None = None


class Session(_Model):
    """One seminar session: a topic over two evenings, chaired by one or two people."""

    kind: Literal["session"]
    id: Slug
    status: Literal["planned", "held", "cancelled"]
    topic: Title | None = None
    chairs: list[Text] = []
    day_one: dt.date | None = None
    day_two: dt.date | None = None
    month: Month | None = None
    time: TimeRange | None = None
    day_one_time: TimeRange | None = None
    day_two_time: TimeRange | None = None
    room: Text | None = None
    expected_attendance: Annotated[int, Field(gt=0)] | None = None
    readings: list[Reading] = []
    software: list[Text] = []
    folder: Text | None = None
    # A web page of the session kept outside this repository, such as an old README's topic link.
    url: Url | None = None

    @property
    def title(self) -> str:
        return self.topic or "T.B.A."

    @property
    def days(self) -> list[dt.date]:
        return [day for day in (self.day_one, self.day_two) if day is not None]


class Kickoff(_Model):
    """The one-evening meeting that started the seminar."""

    kind: Literal["kickoff"]
    id: Slug
    status: Literal["planned", "held", "cancelled"]
    title: Title
    date: dt.date
    time: TimeRange | None = None
    chairs: list[Text] = []
    room: Text | None = None

    @property
    def days(self) -> list[dt.date]:
        return [self.date]


class Break(_Model):
    """A pause in the seminar, such as the COVID break, shown as a row of its own."""

    kind: Literal["break"]
    id: Slug
    title: Text
    decoration: str | None = None

    @property
    def days(self) -> list[dt.date]:
        return []


Entry = Annotated[Session | Kickoff | Break, Field(discriminator="kind")]
ENTRY_KINDS = ("session", "kickoff", "break")


class Registry(_Model):
    seminar: Seminar
    people: list[Person]
    entries: list[Entry]

    def entry(self, entry_id: str) -> Session | Kickoff | Break | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)

    @property
    def sessions(self) -> list[Session]:
        return [entry for entry in self.entries if isinstance(entry, Session)]

    def person(self, short_name: str) -> Person | None:
        return next((person for person in self.people if person.short_name == short_name), None)

    def room(self, name: str) -> Room | None:
        return next((room for room in self.seminar.rooms if room.name == name), None)


ALL_FIELD_NAMES = sorted(
    {name for model in (Registry, Seminar, Room, TimeRange, Person, Reading, Session, Kickoff, Break) for name in model.model_fields}
)


def closest(word: str, choices: list[str], n: int = 3) -> list[str]:
    """Return up to `n` choices that look like `word`, best first."""
    return difflib.get_close_matches(word, choices, n=n, cutoff=0.5)


def _resolve_loc(data: Any, pydantic_loc: tuple[Any, ...]) -> Loc:
    """Map a pydantic error location onto a path in the YAML data.

    Pydantic inserts the tag of a discriminated union (`('entries', 2, 'session', 'day_one')`);
    such parts are dropped because the YAML has no key of that name.
    """
    loc: list[str | int] = []
    node = data
    parts = list(pydantic_loc)
    for index, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            loc.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            loc.append(part)
            node = node[part]
        elif isinstance(part, str) and part in ENTRY_KINDS and index < len(parts) - 1:
            continue
        else:
            loc.append(part)
            node = None
    return tuple(loc)


def _reword(error: dict[str, Any], loc: Loc) -> tuple[str, bool]:
    """Turn one pydantic error into a sentence with a fix; return it and whether it points at a key."""
    kind = error["type"]
    value = error.get("input")
    name = loc[-1] if loc else ""
    if kind == "missing":
        return f"required field is missing; add `{name}:` to this entry", False
    if kind == "extra_forbidden":
        suggestions = closest(str(name), ALL_FIELD_NAMES)
        hint = f"; did you mean {suggestions[0]!r}?" if suggestions else "; remove it"
        return f"unknown key {name!r}{hint}", True
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return f"kind must be one of {', '.join(ENTRY_KINDS)}; got {value!r}" if kind == "union_tag_invalid" else (
            f"each entry needs `kind:` ({', '.join(ENTRY_KINDS)})"
        ), False
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{value!r} is not allowed; use one of {expected}", False
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"):
        return f"{value!r} is not a valid date; write a real date as YYYY-MM-DD", False
    if kind == "too_short":
        return "must not be empty; add at least one item", False
    if kind in ("string_type",):
        return f"expected text, got {value!r}; write it in quotes", False
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {value!r}", False
    if kind in ("list_type",):
        return f"expected a list, got {value!r}; write it as [a, b] or as lines starting with '- '", False
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys to values, got {value!r}", False
    if kind in ("greater_than", "greater_than_equal", "less_than_equal", "less_than"):
        return f"{value!r} is out of range: {error['msg'].lower()}", False
    if kind == "value_error":
        return str(error["ctx"]["error"]), False
    return f"{error['msg']} (got {value!r})", False


def _pydantic_problems(doc: YamlDocument, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = _resolve_loc(doc.data, item["loc"])
        message, at_key = _reword(item, loc)
        problems.append(doc.problem(loc, message, key=at_key))
    return problems


def _entry_loc(index: int, field: str | None = None) -> Loc:
    return ("entries", index, field) if field else ("entries", index)


def entry_sort_key(entry: Session | Kickoff | Break) -> tuple[int, int, int] | None:
    """Sort key of an entry: its first evening, or the first of its month; None for undated entries."""
    if entry.days:
        first = entry.days[0]
        return (first.year, first.month, first.day)
    if isinstance(entry, Session) and entry.month:
        year, month = map(int, entry.month.split("-"))
        return (year, month, 0)
    return None


def consistency_problems(registry: Registry, doc: YamlDocument, root: Path | None = None) -> list[Problem]:
    """Check the rules that span several fields or entries. Returns the problems in file order."""
    problems: list[Problem] = []
    known_people = [person.short_name for person in registry.people]

    seen_people: dict[str, int] = {}
    for index, person in enumerate(registry.people):
        if person.short_name in seen_people:
            problems.append(
                doc.problem(
                    ("people", index, "short_name"),
                    f"{person.short_name!r} is listed twice (also people[{seen_people[person.short_name]}]); "
                    "list each person once, and give two people with the same first name distinct short names such as 'Anna K.'",
                )
            )
        seen_people.setdefault(person.short_name, index)

    if registry.seminar.organizer not in known_people:
        problems.append(doc.problem(("seminar", "organizer"), _unknown_person(registry.seminar.organizer, known_people)))

    room_names = [room.name for room in registry.seminar.rooms]
    seen_ids: dict[str, int] = {}
    previous: tuple[int, tuple[int, int, int]] | None = None
    for index, entry in enumerate(registry.entries):
        if entry.id in seen_ids:
            problems.append(
                doc.problem(_entry_loc(index, "id"), f"duplicate id {entry.id!r} (also entries[{seen_ids[entry.id]}]); give each entry its own id")
            )
        seen_ids.setdefault(entry.id, index)

        if isinstance(entry, Session | Kickoff):
            problems += _chair_problems(entry, index, doc, known_people)
            if entry.room is not None and entry.room not in room_names:
                suggestions = closest(entry.room, room_names)
                hint = f"did you mean {suggestions[0]!r}, or" if suggestions else "use one of"
                problems.append(
                    doc.problem(
                        _entry_loc(index, "room"),
                        f"room {entry.room!r} is not listed under seminar.rooms; {hint} add it there ({', '.join(room_names)})",
                    )
                )
            problems += _time_problems(entry, index, doc)

        if isinstance(entry, Session):
            problems += _session_problems(entry, index, doc, root)

        key = entry_sort_key(entry)
        if key is not None:
            if previous is not None and key < previous[1]:
                other = registry.entries[previous[0]]
                problems.append(
                    doc.problem(
                        _entry_loc(index, "id"),
                        f"entry {entry.id!r} is dated before the entry above it ({other.id!r}); keep entries in chronological order",
                    )
                )
            previous = (index, key)
    return problems


def _unknown_person(name: str, known: list[str]) -> str:
    suggestions = closest(name, known)
    if suggestions:
        return f"{name!r} is not listed under people; did you mean {suggestions[0]!r}? Otherwise add the person to `people`"
    return f"{name!r} is not listed under people; add the person to `people` or fix the spelling"


def _chair_problems(entry: Session | Kickoff, index: int, doc: YamlDocument, known: list[str]) -> list[Problem]:
    problems = []
    held = entry.status == "held"
    for position, chair in enumerate(entry.chairs):
        loc = ("entries", index, "chairs", position)
        if chair in PLACEHOLDER_CHAIRS:
            if held:
                problems.append(doc.problem(loc, f"placeholder {chair!r} in a held session; write the chair's short name"))
        elif chair not in known:
            problems.append(doc.problem(loc, _unknown_person(chair, known)))
    named = [chair for chair in entry.chairs if chair not in PLACEHOLDER_CHAIRS]
    duplicates = sorted({chair for chair in named if named.count(chair) > 1})
    if duplicates:
        problems.append(doc.problem(("entries", index, "chairs"), f"{duplicates[0]!r} is listed twice; list each chair once"))
    if len(entry.chairs) > 2 and isinstance(entry, Session):
        problems.append(doc.problem(("entries", index, "chairs"), f"{len(entry.chairs)} chairs listed; a session has one or two chairs"))
    if held and not entry.chairs:
        problems.append(doc.problem(("entries", index, "chairs"), "a held session needs its chairs; list one or two short names"))
    return problems


def _time_problems(entry: Session | Kickoff, index: int, doc: YamlDocument) -> list[Problem]:
    problems = []
    ranges = {"time": entry.time}
    if isinstance(entry, Session):
        ranges |= {"day_one_time": entry.day_one_time, "day_two_time": entry.day_two_time}
    for field, time_range in ranges.items():
        if time_range is not None and time_range.end <= time_range.start:
            problems.append(
                doc.problem(
                    ("entries", index, field, "end"),
                    f"end time {time_range.end} is not after start time {time_range.start}; an evening must end after it starts",
                )
            )
    return problems


def _session_problems(session: Session, index: int, doc: YamlDocument, root: Path | None) -> list[Problem]:
    problems = []
    loc = lambda field: _entry_loc(index, field)  # noqa: E731

    if session.day_one and session.day_two and session.day_two <= session.day_one:
        problems.append(
            doc.problem(
                loc("day_two"),
                f"day two ({session.day_two.isoformat()}) is not after day one ({session.day_one.isoformat()}); swap or fix the dates",
            )
        )
    if session.day_two and not session.day_one:
        problems.append(doc.problem(loc("day_two"), "day two is given without day one; add `day_one:`"))
    if session.month and session.day_one:
        if session.month != session.day_one.strftime("%Y-%m"):
            problems.append(doc.problem(loc("month"), f"month {session.month} disagrees with day one; remove `month:` once the dates are fixed"))
    if session.day_one_time and not session.day_one:
        problems.append(doc.problem(loc("day_one_time"), "a time for day one is given but day one has no date"))
    if session.day_two_time and not session.day_two:
        problems.append(doc.problem(loc("day_two_time"), "a time for day two is given but day two has no date"))

    if session.status == "held":
        required = {
            "topic": session.topic,
            "day_one": session.day_one,
            "day_two": session.day_two,
            "time": session.time or (session.day_one_time and session.day_two_time),
        }
        for field, value in required.items():
            if not value:
                problems.append(doc.problem(loc(field), f"a held session must be complete; add `{field}:`"))

    if session.folder is not None:
        folder = PurePosixPath(session.folder)
        expected = f"sessions/{session.id}"
        if folder.is_absolute() or ".." in folder.parts or "\\" in session.folder:
            problems.append(doc.problem(loc("folder"), f"{session.folder!r} must be a path inside the repository; write {expected}"))
        elif str(folder) != expected:
            problems.append(doc.problem(loc("folder"), f"{session.folder!r} does not match the id; a session's folder is {expected}"))
    return problems


def load_registry(path: Path, *, display_name: str | None = None) -> tuple[Registry, YamlDocument]:
    """Load and validate a registry file.

    Returns
    -------
    registry : Registry
    document : YamlDocument
        The parsed file with positions, for reporting later checks against lines.

    Raises
    ------
    FileProblems
        With every problem found, in file order. Nothing is written.
    """
    return validate_document(load_yaml(path, display_name))


def load_registry_text(text: str, path: Path, *, display_name: str | None = None) -> tuple[Registry, YamlDocument]:
    """Validate registry text as if it were the file at `path`; see `load_registry`."""
    return validate_document(parse_yaml(text, path, display_name or path.name))


def validate_document(doc: YamlDocument) -> tuple[Registry, YamlDocument]:
    """Validate a parsed registry file; raises FileProblems with every problem found."""
    if doc.data is None:
        raise FileProblems([doc.problem((), "the file is empty; it needs the keys seminar, people and entries")])
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        raise FileProblems([doc.problem((), f"the top level is a {kind}, not a mapping; it needs the keys seminar, people and entries")])

    problems = list(yaml11_traps(doc))
    try:
        registry = Registry.model_validate(doc.data)
    except ValidationError as error:
        problems += _pydantic_problems(doc, error)
        raise FileProblems(_sorted(problems)) from None

    problems += consistency_problems(registry, doc, doc.path.parent)
    if problems:
        raise FileProblems(_sorted(problems))
    return registry, doc


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda problem: (problem.line, problem.column))
