"""Build a registry (sessions.yaml) from the session tables of an existing seminar README.

The README conventions this reads are those of the seminar's hand-written README from 2019 to
2021, and of the tables `mlseminar render-readme` writes:

- a sessions table has Dates, Chairs and Topic columns in its header, and optionally Time. Its rows
  are planned sessions when the heading above it mentions upcoming, planned or next sessions;
- date cells: `Jan 30, 2019`, `Feb 12-13 (Tue/Wed)`, `Apr 23+25, 2019`, `Mar  7+10`, `Feb, 2022`,
  `Jan 31-Feb 1, 2019`. A cell without a year takes the year of the dated row above, or the next
  year when the month goes backwards. Weekdays in brackets are checked against the dates;
- time cells: `5-7 p.m.`, `6-8:30 p.m.`, `11 a.m.-1 p.m.`, `17:00-20:00`, `TBD`;
- chairs joined with `&`, `+`, `and` or commas; `???`, `TBA`, `TBD` are placeholders;
- topics as text or as a Markdown link, whose target becomes the session's folder (a relative
  path) or its `url` (a web address); `T.B.A.` and `TBD` mean no topic yet;
- a kick-off row (its topic mentions the kick-off) and break rows (a date cell that is no date,
  with decorative text in the other cells).

The seminar section of the result contains defaults found in the README's prose (name, host,
organizer, repository, rooms) or fixed values (time zone); the written file says to check them.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from mlseminar.registry import PLACEHOLDER_CHAIRS, Registry, load_registry_text
from mlseminar.yamlfile import SEXAGESIMAL, YAML11_BOOLEANS, FileProblems, Problem, read_text

DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_TIME = ("17:00", "20:00")
PLACEHOLDER_TEXT = {"", "tba", "tbd", "t.b.a.", "t.b.d.", "?", "??", "???", "-", "n/a"}

MONTHS = {name.lower(): number for number, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"], start=1
)}
MONTHS |= {name[:3]: number for name, number in list(MONTHS.items())} | {"sept": 9}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

WEEKDAY_BRACKET = re.compile(r"\(([^)]*)\)")
DAY_SPAN = re.compile(
    r"""^(?P<m1>[A-Za-z]+)\.?\s*(?P<d1>\d{1,2})(?:,\s*(?P<y1>\d{4}))?
    (?:\s*(?P<joiner>[-+–&]|and)\s*(?:(?P<m2>[A-Za-z]+)\.?\s*)?(?P<d2>\d{1,2}))?
    (?:,?\s*(?P<y2>\d{4}))?$""",
    re.VERBOSE,
)
MONTH_ONLY = re.compile(r"^(?P<month>[A-Za-z]+)\.?,?\s*(?P<year>\d{4})?$")
CLOCK = r"(?P<{0}h>\d{{1,2}})(?::(?P<{0}m>\d{{2}}))?\s*(?P<{0}s>[ap]\.?\s?m\.?)?"
TIME_SPAN = re.compile(rf"^{CLOCK.format('a')}\s*(?:-|–|to)\s*{CLOCK.format('b')}$", re.IGNORECASE)
CHAIR_SEPARATOR = re.compile(r"\s*(?:&|\+|,|\band\b)\s*")
LINK = re.compile(r"^\[(?P<text>(?:\\.|[^\]\\])*)\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)$")
BREAK_WORD = re.compile(r"\b(break|pause|hiatus|holidays?|vacation)\b", re.IGNORECASE)
KICKOFF = re.compile(r"\bkick[- ]?off\b", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
SEPARATOR_ROW = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
UPCOMING_HEADING = re.compile(r"\b(upcoming|planned|next|future)\b", re.IGNORECASE)
TOPICS_HEADING = re.compile(r"\b(suggest\w*|future topics?|topic ideas?)\b", re.IGNORECASE)


class ReadmeFormatError(ValueError):
    """Raised by the cell parsers for text they cannot read; the message gives the expected form."""


class MissingYear(ReadmeFormatError):
    """Raised for a date without a year when no dated row above gives one."""


@dataclass(frozen=True)
class TableRow:
    """One data row of a sessions table, with its cells as Markdown text."""

    line: int
    dates: str
    time: str
    chairs: str
    topic: str
    upcoming: bool
    cell_count: int = 4
    column_count: int = 4


@dataclass(frozen=True)
class Dates:
    """The evenings of a date cell, or only its month; `weekdays` is the bracketed text, if any."""

    days: tuple[dt.date, ...] = ()
    month: str | None = None
    weekdays: str | None = None


@dataclass
class ReadmeImport:
    """The result of reading a README: registry data, the warnings, and the YAML text."""

    data: dict[str, Any]
    warnings: list[Problem] = field(default_factory=list)
    text: str = ""


# Cell parsers ---------------------------------------------------------------------------------


def unescape(text: str) -> str:
    """Undo the Markdown escapes of a table cell: backslash escapes and the `&lt;` entity."""
    return re.sub(r"\\([\\`*_|\[\]])", r"\1", text).replace("&lt;", "<").replace("&amp;", "&").strip()


def _month_number(word: str) -> int:
    number = MONTHS.get(word.lower().rstrip("."))
    if number is None:
        raise ReadmeFormatError(f"{word!r} is not a month name; write a month such as Feb or February")
    return number


def _infer_year(month: int, previous: tuple[int, int] | None, cell: str) -> int:
    """Year of a date written without one: the previous row's year, or the next when the month goes back."""
    if previous is None:
        raise MissingYear(f"{cell!r} has no year and no dated row above it gives one; add the year, as in 'Feb 12-13, 2019'")
    year, previous_month = previous
    return year + 1 if month < previous_month else year


def parse_dates(cell: str, previous: tuple[int, int] | None = None) -> Dates:
    """Read a date cell; `previous` is the (year, month) of the dated row above, for cells without a year.

    Returns empty Dates for a placeholder such as `TBA`. Raises ReadmeFormatError for other text
    that is not a date.
    """
    weekday_match = WEEKDAY_BRACKET.search(cell)
    weekdays = weekday_match.group(1).strip() if weekday_match else None
    text = " ".join(WEEKDAY_BRACKET.sub(" ", cell).split())
    if text.lower() in PLACEHOLDER_TEXT:
        return Dates()

    month_only = MONTH_ONLY.match(text)
    if month_only and month_only.group("month").lower().rstrip(".") in MONTHS:
        month = _month_number(month_only.group("month"))
        year = int(month_only.group("year")) if month_only.group("year") else _infer_year(month, previous, cell)
        return Dates(month=f"{year:04d}-{month:02d}", weekdays=weekdays)

    match = DAY_SPAN.match(text)
    if not match:
        raise ReadmeFormatError(f"{cell.strip()!r} is not a date; write it as 'Feb 12-13, 2019', 'Apr 23+25' or 'Feb 2022'")
    first_month = _month_number(match.group("m1"))
    first_day, second_day = int(match.group("d1")), match.group("d2")
    explicit_first, explicit_last = match.group("y1"), match.group("y2")
    if explicit_first:
        first_year = int(explicit_first)
    elif explicit_last:
        first_year = int(explicit_last)
    else:
        first_year = _infer_year(first_month, previous, cell)
    try:
        first = dt.date(first_year, first_month, first_day)
    except ValueError:
        raise ReadmeFormatError(f"{cell.strip()!r}: {match.group('m1')} {first_day} is not a day of the calendar") from None
    if second_day is None:
        return Dates(days=(first,), weekdays=weekdays)

    second_month = _month_number(match.group("m2")) if match.group("m2") else first_month
    if not match.group("m2") and int(second_day) < first_day:
        # `Jan 31-1`: the second evening is in the following month.
        second_month = first_month % 12 + 1
    if explicit_first and explicit_last:
        second_year = int(explicit_last)
    else:
        second_year = first_year + (second_month < first_month)
    try:
        second = dt.date(second_year, second_month, int(second_day))
    except ValueError:
        raise ReadmeFormatError(f"{cell.strip()!r}: the second evening is not a day of the calendar") from None
    if explicit_last and not explicit_first and second.year != int(explicit_last):
        # `Dec 30-Jan 2, 2020`: the year written at the end belongs to the second evening.
        try:
            first, second = first.replace(year=first.year - 1), second.replace(year=second.year - 1)
        except ValueError:
            raise ReadmeFormatError(f"{cell.strip()!r}: one of the evenings is not a day of the calendar in the year before") from None
    if second <= first:
        raise ReadmeFormatError(f"{cell.strip()!r}: the second evening is not after the first; fix the dates")
    return Dates(days=(first, second), weekdays=weekdays)


def weekday_mismatch(dates: Dates) -> str | None:
    """Describe how the bracketed weekdays disagree with the dates; None when they agree or are absent."""
    if dates.weekdays is None or not dates.days:
        return None
    written = [word[:3].lower() for word in re.findall(r"[A-Za-z]+", dates.weekdays)]
    actual = [WEEKDAYS[day.weekday()] for day in dates.days]
    if written == actual:
        return None
    shown = "/".join(name.capitalize() for name in actual)
    return f"the weekdays ({dates.weekdays}) do not match the dates, which fall on {shown}; the dates were kept"


def _hour(hour: int, suffix: str | None) -> int:
    if suffix is None:
        return hour
    pm = suffix.lower().startswith("p")
    return hour % 12 + (12 if pm else 0)


def parse_time(cell: str) -> tuple[str, str] | None:
    """Read a time cell as ("HH:MM", "HH:MM"); None for an empty cell or a placeholder such as TBD.

    `5-7 p.m.` takes p.m. for both ends; `11-1 p.m.` starts at 11 a.m., because an evening ends
    after it starts. A range with no a.m./p.m. is read as a 24-hour time if an hour is above 12,
    and otherwise as p.m., since the seminar meets in the evening.
    """
    text = " ".join(cell.split())
    if text.lower() in PLACEHOLDER_TEXT:
        return None
    match = TIME_SPAN.match(text)
    if not match:
        raise ReadmeFormatError(f"{text!r} is not a time range; write it as '5-8 p.m.' or '6-8:30 p.m.'")
    start_hour, end_hour = int(match.group("ah")), int(match.group("bh"))
    start_minute, end_minute = int(match.group("am") or 0), int(match.group("bm") or 0)
    start_suffix, end_suffix = match.group("as"), match.group("bs")
    # With a.m. or p.m., hours run from 1 to 12; "25-28 p.m." or "0-3 p.m." is a typo, not a time.
    if (start_suffix or end_suffix) and not (1 <= start_hour <= 12 and 1 <= end_hour <= 12):
        raise ReadmeFormatError(f"{text!r} is not a valid time of day; with a.m. or p.m. the hours run from 1 to 12")
    if start_suffix is None and end_suffix is None and max(start_hour, end_hour) <= 12:
        start_suffix = end_suffix = "pm"
    elif end_suffix is None and start_suffix is not None:
        end_suffix = start_suffix
    elif start_suffix is None and end_suffix is not None:
        start_suffix = end_suffix
        if (_hour(start_hour, start_suffix), start_minute) >= (_hour(end_hour, end_suffix), end_minute):
            start_suffix = "am"
    start, end = (_hour(start_hour, start_suffix), start_minute), (_hour(end_hour, end_suffix), end_minute)
    if start[0] > 23 or end[0] > 23 or start_minute > 59 or end_minute > 59:
        raise ReadmeFormatError(f"{text!r} is not a valid time of day")
    if end <= start:
        raise ReadmeFormatError(f"{text!r} ends before it starts")
    return f"{start[0]:02d}:{start[1]:02d}", f"{end[0]:02d}:{end[1]:02d}"


def _placeholder(name: str) -> str | None:
    """Return the registry's placeholder for a chair such as `?` or `T.B.A.`, or None for a real name."""
    compact = name.replace(".", "").upper()
    if set(name) <= {"?"}:
        return "???"
    if compact in PLACEHOLDER_CHAIRS:
        return compact
    return None


def parse_chairs(cell: str) -> list[str]:
    """Split a chairs cell on `&`, `+`, `and` or commas; placeholders become `???`, `TBA` or `TBD`."""
    text = unescape(cell)
    if not text:
        return []
    chairs = []
    for part in CHAIR_SEPARATOR.split(text):
        part = " ".join(part.split())
        if part:
            chairs.append(_placeholder(part) or part)
    return chairs


def parse_topic(cell: str) -> tuple[str | None, str | None]:
    """Return the topic text (None for T.B.A. or TBD) and the link target if the cell is a link."""
    text = cell.strip()
    target = None
    link = LINK.match(text)
    if link:
        text, target = link.group("text"), link.group("target")
    text = unescape(text)
    return (None if text.lower() in PLACEHOLDER_TEXT else text), target


# Finding the tables ---------------------------------------------------------------------------


def _split_cells(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", text)]


def _column_index(header: list[str]) -> dict[str, int] | None:
    """Map dates, time, chairs and topic onto column numbers; None if this is not a sessions table."""
    columns: dict[str, int] = {}
    for number, name in enumerate(header):
        lowered = name.lower()
        for key, word in (("dates", "date"), ("time", "time"), ("chairs", "chair"), ("topic", "topic")):
            if word in lowered and key not in columns:
                columns[key] = number
    return columns if {"dates", "chairs", "topic"} <= columns.keys() else None


def find_session_rows(text: str, display_name: str) -> list[TableRow]:
    """Return the data rows of every sessions table, past tables first, then upcoming ones.

    Raises FileProblems when the text has no sessions table.
    """
    lines = text.splitlines()
    past: list[TableRow] = []
    upcoming: list[TableRow] = []
    heading = ""
    number = 0
    while number < len(lines):
        line = lines[number]
        heading_match = HEADING.match(line)
        if heading_match:
            heading = heading_match.group("text")
        is_table = line.lstrip().startswith("|") and number + 1 < len(lines) and SEPARATOR_ROW.match(lines[number + 1].strip())
        if not is_table:
            number += 1
            continue
        header = _split_cells(line)
        columns = _column_index(header)
        is_upcoming = bool(UPCOMING_HEADING.search(heading)) and not TOPICS_HEADING.search(heading)
        number += 2
        while number < len(lines) and lines[number].lstrip().startswith("|"):
            cells = _split_cells(lines[number])
            if columns is not None and any(cells):
                cell = lambda key: cells[columns[key]] if key in columns and columns[key] < len(cells) else ""  # noqa: E731
                row = TableRow(number + 1, cell("dates"), cell("time"), cell("chairs"), cell("topic"), is_upcoming, len(cells), len(header))
                (upcoming if is_upcoming else past).append(row)
            number += 1
    if not past and not upcoming:
        raise FileProblems(
            [
                Problem(
                    display_name, 1, 1, "",
                    "no sessions table found; a sessions table is a Markdown table whose header row names the Dates, Chairs and Topic columns",
                )
            ]
        )
    return past + upcoming


# Rows to entries ------------------------------------------------------------------------------


def slugify(text: str, max_words: int = 6) -> str:
    """Turn a title into a registry id: lower-case ASCII words joined by single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    return "-".join(words[:max_words])


def _catalog_slugs() -> dict[str, str]:
    """Catalog titles in a normalized form, mapped to their slugs, so known topics keep their usual ids."""
    from mlseminar.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog()
    except CatalogError:
        return {}
    return {_normalized_title(topic.title): topic.slug for topic in catalog.topics}


def _normalized_title(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", title.lower().replace("&", " and ")))


class _Importer:
    """Turns table rows into registry entries, collecting warnings that name each row."""

    def __init__(self, display_name: str):
        self.display_name = display_name
        self.warnings: list[Problem] = []
        self.entries: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self.previous: tuple[int, int] | None = None
        self.catalog = _catalog_slugs()

    def warn(self, row: TableRow, message: str) -> None:
        self.warnings.append(Problem(self.display_name, row.line, 1, "", f"row '{_row_name(row)}': {message}", "warning"))

    def error(self, row: TableRow, message: str) -> FileProblems:
        return FileProblems([Problem(self.display_name, row.line, 1, "", f"row '{_row_name(row)}': {message}")])

    def unique_id(self, wanted: str) -> str:
        candidate, counter = wanted, 2
        while candidate in self.ids:
            candidate = f"{wanted}-{counter}"
            counter += 1
        self.ids.add(candidate)
        return candidate

    def add(self, row: TableRow) -> None:
        if row.cell_count != row.column_count:
            self.warn(row, f"the row has {row.cell_count} cells but the table has {row.column_count} columns; check how it was read")
        topic, target = parse_topic(row.topic)
        chairs = parse_chairs(row.chairs)
        try:
            dates = parse_dates(row.dates, self.previous)
        except MissingYear as error:
            # Every later row without a year would be wrong too, so the import stops here.
            raise self.error(row, str(error)) from None
        except ReadmeFormatError as error:
            # A break row names the pause in its date cell and may put decoration in any other cell.
            if BREAK_WORD.search(row.dates) or (not chairs and topic is None):
                if not BREAK_WORD.search(row.dates):
                    self.warn(row, f"{unescape(row.dates)!r} is not a date and the row has no chairs or topic, so it was read as a break")
                self.add_break(row)
                return
            self.warn(row, f"{error}; the session was imported without dates")
            dates = Dates()
        mismatch = weekday_mismatch(dates)
        if mismatch:
            self.warn(row, mismatch)
        if dates.days:
            self.previous = (dates.days[-1].year, dates.days[-1].month)
        elif dates.month:
            year, month = map(int, dates.month.split("-"))
            self.previous = (year, month)

        time = None
        try:
            time = parse_time(row.time)
        except ReadmeFormatError as error:
            self.warn(row, f"{error}; the time was left out")

        if topic is not None and KICKOFF.search(topic):
            self.add_kickoff(row, topic, dates, time, chairs)
        else:
            self.add_session(row, topic, target, dates, time, chairs)

    def add_break(self, row: TableRow) -> None:
        title = unescape(row.dates)
        decoration = " ".join(unescape(cell) for cell in (row.time, row.chairs, row.topic) if unescape(cell))
        entry: dict[str, Any] = {"kind": "break", "id": self.unique_id(slugify(title) or "break"), "title": title}
        if decoration:
            entry["decoration"] = decoration
        self.entries.append(entry)

    def add_kickoff(self, row: TableRow, title: str, dates: Dates, time: tuple[str, str] | None, chairs: list[str]) -> None:
        if not dates.days:
            raise self.error(row, "the kick-off meeting needs its date, such as 'Jan 30, 2019'; add it to the row")
        if len(dates.days) > 1:
            self.warn(row, "the kick-off meeting is one evening but the row gives two; the first was kept")
        complete = bool(chairs) and not any(chair in PLACEHOLDER_CHAIRS for chair in chairs)
        entry: dict[str, Any] = {"kind": "kickoff", "id": self.unique_id("kickoff"), "title": title, "date": dates.days[0]}
        if time:
            entry["time"] = time
        entry["chairs"] = chairs
        entry["status"] = "held" if complete and not row.upcoming else "planned"
        self.entries.append(entry)

    def add_session(
        self, row: TableRow, topic: str | None, target: str | None, dates: Dates, time: tuple[str, str] | None, chairs: list[str]
    ) -> None:
        named = [chair for chair in chairs if chair not in PLACEHOLDER_CHAIRS]
        if len(chairs) > 2:
            raise self.error(row, f"{len(chairs)} chairs ({', '.join(chairs)}); a session has one or two chairs, so fix the README row")
        entry: dict[str, Any] = {"kind": "session"}
        url, link_path, wanted_id = self.link_target(row, target)
        entry["id"] = self.unique_id(wanted_id or self.topic_id(topic, dates))
        folder = f"sessions/{entry['id']}" if link_path is not None else None
        if link_path is not None and link_path != folder:
            self.warn(row, f"link target {target!r} is not a session folder; the folder was set to {folder}, so move the files there")
        if topic is not None:
            entry["topic"] = topic
        entry["chairs"] = chairs
        if dates.days:
            entry["day_one"] = dates.days[0]
        if len(dates.days) > 1:
            entry["day_two"] = dates.days[1]
        if dates.month:
            entry["month"] = dates.month
        if time:
            entry["time"] = time

        missing = [
            name
            for name, absent in (
                ("topic", topic is None),
                ("both dates", len(dates.days) < 2),
                ("time", time is None),
                ("named chairs", not named or len(named) < len(chairs)),
            )
            if absent
        ]
        if row.upcoming:
            entry["status"] = "planned"
        elif missing:
            entry["status"] = "planned"
            self.warn(row, f"is in the past sessions table but lacks {', '.join(missing)}; imported as planned")
        else:
            entry["status"] = "held"
        if folder:
            entry["folder"] = folder
        if url:
            entry["url"] = url
        self.entries.append(entry)

    def link_target(self, row: TableRow, target: str | None) -> tuple[str | None, str | None, str | None]:
        """Return (url, relative path, wanted id) for a topic link target."""
        if target is None:
            return None, None, None
        if re.match(r"^https?://", target):
            return target, None, None
        path = target.strip().removeprefix("./").rstrip("/")
        parts = [part for part in path.split("/") if part not in ("", ".")]
        wanted = slugify(parts[-1], max_words=8) if parts else ""
        if not wanted:
            self.warn(row, f"link target {target!r} is not a folder name; the link was left out")
            return None, None, None
        return None, path, wanted

    def topic_id(self, topic: str | None, dates: Dates) -> str:
        if topic is not None:
            known = self.catalog.get(_normalized_title(topic))
            return known or slugify(topic) or "session"
        if dates.days:
            return f"{dates.days[0]:%b-%Y}".lower()
        if dates.month:
            year, month = map(int, dates.month.split("-"))
            return f"{dt.date(year, month, 1):%b-%Y}".lower()
        return "session"


def _row_name(row: TableRow) -> str:
    """Name a row in messages by its date cell, or by its topic when the date cell is empty."""
    return " ".join((row.dates or row.topic or "empty row").split())


# Seminar defaults from the README's prose -------------------------------------------------------


def _prose(text: str) -> str:
    """Drop the table lines of the README, so that defaults come from sentences only."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("|"))


def _seminar_name(text: str) -> str:
    italic = re.search(r"_([^_\n]{3,80})_\s+seminar", text)
    if italic:
        return italic.group(1).strip()
    for line in text.splitlines():
        heading = HEADING.match(line)
        if heading and line.startswith("# "):
            return heading.group("text").replace("-", " ").strip() or "Seminar"
    return "Seminar"


def _suggested_topics(text: str) -> list[str]:
    topics: list[str] = []
    inside = False
    for line in text.splitlines():
        heading = HEADING.match(line)
        if heading:
            inside = bool(TOPICS_HEADING.search(heading.group("text")))
            continue
        bullet = re.match(r"^\s*[-*+]\s+(.*\S)\s*$", line)
        if inside and bullet:
            topics.append(unescape(bullet.group(1)))
    return topics


def _rooms(text: str) -> list[dict[str, Any]]:
    """Room codes such as `GB 422`, with a capacity where `(10 person capacity)` or `(10 seats)` follows."""
    rooms: dict[str, dict[str, Any]] = {}
    for match in re.finditer(r"\b([A-Z]{2,5} \d{2,4}[A-Z]?)\b(?:\s*\((\d+)[ -]?(?:person capacity|persons|people|seats)\))?", text):
        room = rooms.setdefault(match.group(1), {"name": match.group(1)})
        if match.group(2):
            room["capacity"] = int(match.group(2))
    return list(rooms.values())


def _organizer(text: str, entries: list[dict[str, Any]], people: list[str]) -> str | None:
    match = re.search(r"\borganizer\s*\(([^)]+)\)", text, re.IGNORECASE) or re.search(
        r"\borganizer,\s+([A-Z][\w.-]*(?: [A-Z][\w.-]*)?),", text
    )
    if match:
        return match.group(1).strip()
    for entry in entries:
        if entry["kind"] == "kickoff" and entry["chairs"]:
            return entry["chairs"][0]
    return collections.Counter(people).most_common(1)[0][0] if people else None


def seminar_defaults(text: str, entries: list[dict[str, Any]], chairs_in_order: list[str]) -> dict[str, Any]:
    """Seminar metadata from the README's prose, with fixed defaults where the prose has none."""
    prose = _prose(text)
    seminar: dict[str, Any] = {"name": _seminar_name(prose)}
    host = re.search(r"\bin the (Department of [^.\n]+?) at ([^.\n]+?)\.", prose)
    if host:
        seminar["host"] = f"{host.group(1)}, {host.group(2)}"
    organizer = _organizer(prose, entries, chairs_in_order)
    seminar["organizer"] = organizer or "Organizer"
    repository = re.search(r"\bour github repository:?\s*(https://github\.com/[\w.-]+/[\w.-]+)", prose, re.IGNORECASE)
    if repository:
        seminar["repository"] = repository.group(1).rstrip(".")
    seminar["timezone"] = DEFAULT_TIMEZONE
    times = collections.Counter(entry["time"] for entry in entries if "time" in entry)
    seminar["default_time"] = times.most_common(1)[0][0] if times else DEFAULT_TIME
    seminar["rooms"] = _rooms(prose) or [{"name": "Seminar room"}]
    seminar["suggested_topics"] = _suggested_topics(text)
    return seminar


# YAML output ----------------------------------------------------------------------------------

HEADER = """\
# Registry of the {name} seminar.
# Imported from {source} by `mlseminar import-readme`.
#
# Check the seminar section: name, host, organizer, repository and rooms come from the README's
# prose where it mentions them, and the time zone is a default. Add each session's room,
# readings, software and folder, which the README tables do not record.

"""


def _needs_quotes(text: str) -> bool:
    """Whether a string must be quoted to read back as the same string, in block and flow context alike."""
    return (
        text != text.strip()
        or text[:1] in "-?:,[]{}#&*!|>'\"%@`"
        or any(character in text for character in ",[]{}")
        or ": " in text
        or " #" in text
        or text.lower() in YAML11_BOOLEANS | {"null", "true", "false", "~"}
        or bool(SEXAGESIMAL.match(text))
        or bool(re.match(r"^[-+.\d]+$", text))
    )


def _scalar(value: Any) -> Any:
    """Quote a string where plain YAML would change it, or where YAML 1.1 tools would read a number or boolean."""
    if isinstance(value, str) and (not value or _needs_quotes(value)):
        return DoubleQuotedScalarString(value)
    return value


def _flow_time(time: tuple[str, str]) -> CommentedMap:
    node = CommentedMap(start=DoubleQuotedScalarString(time[0]), end=DoubleQuotedScalarString(time[1]))
    node.fa.set_flow_style()
    return node


def _flow_list(items: list[str]) -> CommentedSeq:
    node = CommentedSeq(_scalar(item) for item in items)
    node.fa.set_flow_style()
    return node


def _yaml_entry(entry: dict[str, Any]) -> CommentedMap:
    node = CommentedMap()
    for key, value in entry.items():
        if key == "time":
            node[key] = _flow_time(value)
        elif key == "chairs":
            node[key] = _flow_list(value)
        else:
            node[key] = _scalar(value)
    return node


def registry_yaml(data: dict[str, Any], source: str) -> str:
    """Write registry data as sessions.yaml text in the shipped file's layout."""
    seminar = CommentedMap()
    for key, value in data["seminar"].items():
        if key == "default_time":
            seminar[key] = _flow_time(value)
        elif key == "rooms":
            seminar[key] = CommentedSeq(CommentedMap((k, _scalar(v)) for k, v in room.items()) for room in value)
        elif key == "suggested_topics":
            seminar[key] = CommentedSeq(_scalar(topic) for topic in value)
        else:
            seminar[key] = _scalar(value)
    document = CommentedMap()
    document["seminar"] = seminar
    document["people"] = CommentedSeq(CommentedMap(short_name=_scalar(name)) for name in data["people"])
    document["entries"] = CommentedSeq(_yaml_entry(entry) for entry in data["entries"])

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.allow_unicode = True
    stream = StringIO()
    yaml.dump(document, stream)
    body = stream.getvalue()
    # A blank line before each top-level key after the first and before each entry, as in the shipped file.
    body = re.sub(r"\n(people:|entries:)", r"\n\n\1", body)
    body = re.sub(r"\n(  - kind: )", r"\n\n\1", body).replace("entries:\n\n  - kind:", "entries:\n  - kind:")
    return HEADER.format(name=data["seminar"]["name"], source=source) + body


def parse_readme(text: str, display_name: str) -> ReadmeImport:
    """Read the README text into registry data; raise FileProblems when it has no sessions table."""
    importer = _Importer(display_name)
    for row in find_session_rows(text, display_name):
        importer.add(row)

    people: list[str] = []
    for entry in importer.entries:
        for chair in entry.get("chairs", []):
            if chair not in PLACEHOLDER_CHAIRS and chair not in people:
                people.append(chair)
    every_chair = [chair for entry in importer.entries for chair in entry.get("chairs", []) if chair not in PLACEHOLDER_CHAIRS]
    seminar = seminar_defaults(text, importer.entries, every_chair)
    if seminar["organizer"] not in people:
        people.append(seminar["organizer"])
    data = {"seminar": seminar, "people": people, "entries": importer.entries}
    return ReadmeImport(data, importer.warnings)


def parse_readme_file(readme: Path, display_name: str | None = None) -> ReadmeImport:
    """Read a README file and build its registry text; raise FileProblems for an unreadable or tableless file."""
    display_name = display_name or str(readme)
    result = parse_readme(read_text(readme, display_name), display_name)
    result.text = registry_yaml(result.data, readme.name)
    return result


def validate_import(result: ReadmeImport, output: Path) -> Registry:
    """Validate the built registry text as `mlseminar validate` would load it from `output`.

    Raises FileProblems, with positions in the text that would be written, if it is invalid.
    """
    registry, _ = load_registry_text(result.text, output, display_name=str(output))
    return registry
