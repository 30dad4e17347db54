"""`mlseminar import-readme`: the real 2021 README, each of its conventions, and a render-back round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mlseminar.import_readme import (
    ReadmeFormatError,
    registry_yaml,
    parse_chairs,
    parse_dates,
    parse_readme,
    parse_readme_file,
    parse_time,
    parse_topic,
    validate_import,
)
from mlseminar.readme import render_tables
from mlseminar.registry import Break, Kickoff, Registry, Session, load_registry
from mlseminar.tables import session_times
from mlseminar.yamlfile import FileProblems

REPO = Path(__file__).resolve().parents[1]
HISTORY = Path(__file__).resolve().parent / "data" / "sessions-history.yaml"
REAL_README = Path(__file__).parent / "data" / "seminar-README-2021.md"
TABLE_HEADER = "| Dates | Time | Chairs | Topic |\n|:---|:---|:---:|:---|\n"


def small_readme(past: list[str], upcoming: list[str] | None = None) -> str:
    """A README with a past sessions table and, if given, an upcoming sessions table above it."""
    text = "# Test seminar\n\nThe organizer (Ann) orders dinner. We meet in GB 422 (10 person capacity).\n\n"
    if upcoming is not None:
        text += "## Upcoming sessions\n\n" + TABLE_HEADER + "".join(row + "\n" for row in upcoming) + "\n"
    return text + "## Past sessions\n\n" + TABLE_HEADER + "".join(row + "\n" for row in past)


def imported(tmp_path: Path, text: str) -> tuple[Registry, list[str]]:
    """Import README text and validate the result; return the registry and the warning lines."""
    result = parse_readme_file(_write(tmp_path, text), "README.md")
    return validate_import(result, tmp_path / "sessions.yaml"), [str(warning) for warning in result.warnings]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def facts(entry: Session | Kickoff | Break) -> tuple:
    """What a README row shows about an entry: kind, dates with weekdays, time, chairs and topic."""
    if isinstance(entry, Break):
        return ("break", entry.title, entry.decoration)
    weekdays = tuple(f"{day:%a}" for day in entry.days)
    if isinstance(entry, Kickoff):
        time = entry.time
        return ("kickoff", tuple(entry.days), weekdays, time and (time.start, time.end), tuple(entry.chairs), entry.title, entry.status)
    time = session_times(entry)
    return ("session", tuple(entry.days), weekdays, entry.month, time and (time.start, time.end), tuple(entry.chairs), entry.topic, entry.status)


# The real README --------------------------------------------------------------------------------


def test_real_readme_matches_shipped_registry(tmp_path: Path) -> None:
    shipped, _ = load_registry(HISTORY)
    result = parse_readme_file(REAL_README)
    registry = validate_import(result, tmp_path / "sessions.yaml")

    assert len(registry.entries) == len(shipped.entries)
    for imported_entry, shipped_entry in zip(registry.entries, shipped.entries):
        assert facts(imported_entry) == facts(shipped_entry), shipped_entry.id


def test_real_readme_seminar_defaults(tmp_path: Path) -> None:
    shipped, _ = load_registry(HISTORY)
    registry = validate_import(parse_readme_file(REAL_README), tmp_path / "sessions.yaml")
    assert registry.seminar.name == shipped.seminar.name
    assert registry.seminar.host == shipped.seminar.host
    assert registry.seminar.organizer == "Johannes"
    assert registry.seminar.repository == shipped.seminar.repository
    assert registry.seminar.rooms == shipped.seminar.rooms
    assert registry.seminar.suggested_topics == shipped.seminar.suggested_topics
    assert [person.short_name for person in registry.people] == [person.short_name for person in shipped.people]


def test_real_readme_warns_about_feb_2022_row() -> None:
    warnings = [str(warning) for warning in parse_readme_file(REAL_README, "README.md").warnings]
    assert warnings == [
        "README.md:85:1: warning: row 'Feb, 2022': is in the past sessions table but lacks topic, both dates, time, "
        "named chairs; imported as planned"
    ]


def test_cli_writes_valid_registry(project) -> None:
    result = project.run("import-readme", str(REAL_README), "--output", "imported.yaml")
    assert result.exit_code == 0, result.stderr
    assert "wrote imported.yaml: 11 entries (8 held, 1 planned, 1 kickoff, 1 break), 12 people" in result.stdout
    assert "row 'Feb, 2022'" in result.stderr
    registry, _ = load_registry(project.root / "imported.yaml")
    assert registry.entry("vae") is not None

    validated = project.run("validate", "--registry", "imported.yaml", "--today", "2022-01-15")
    assert validated.exit_code == 0, validated.stderr


def test_cli_existing_output_needs_force(project) -> None:
    before = project.snapshot()
    result = project.run("import-readme", str(REAL_README), "--output", "sessions.yaml")
    assert result.exit_code == 1
    assert "sessions.yaml already exists; pass --force to overwrite it" in result.stderr
    assert project.snapshot() == before

    forced = project.run("import-readme", str(REAL_README), "--output", "sessions.yaml", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "Imported from seminar-README-2021.md" in project.registry.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "content, message",
    [
        ("# Notes\n\nNo tables here.\n", "no sessions table found"),
        ("| Name | Room |\n|---|---|\n| Ann | GB 422 |\n", "no sessions table found"),
        (None, "file not found"),
        (b"| Dates | Chairs | Topic |\n|---|---|---|\n| Jan 1, 2020 | Ann | Caf\xe9 |\n", "not valid UTF-8"),
    ],
    ids=["no table", "other table", "missing file", "not utf-8"],
)
def test_cli_bad_readme_rejected(project, content: str | bytes | None, message: str) -> None:
    path = project.root / "old-README.md"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    before = project.snapshot()
    result = project.run("import-readme", "old-README.md", "--output", "new.yaml")
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert project.snapshot() == before


def test_cli_three_chairs_rejected(project) -> None:
    (project.root / "old-README.md").write_text(small_readme(["| Feb 12-13, 2019 | 5-8 p.m. | Ann & Bob & Cy | VAE |"]), encoding="utf-8")
    before = project.snapshot()
    result = project.run("import-readme", "old-README.md", "--output", "new.yaml")
    assert result.exit_code == 1
    assert "row 'Feb 12-13, 2019': 3 chairs (Ann, Bob, Cy); a session has one or two chairs" in result.stderr
    assert project.snapshot() == before


def test_cli_invalid_result_writes_nothing(project) -> None:
    # Rows out of date order import fine, but the registry requires chronological entries.
    rows = ["| Apr 23+25, 2019 | 5-8 p.m. | Ann | HMM |", "| Feb 12-13, 2019 | 5-8 p.m. | Bob | VAE |"]
    (project.root / "old-README.md").write_text(small_readme(rows), encoding="utf-8")
    before = project.snapshot()
    result = project.run("import-readme", "old-README.md", "--output", "new.yaml")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: the registry built from old-README.md is invalid, so nothing was written:"
    assert "new.yaml:" in lines[1]
    assert "entry 'vae' is dated before the entry above it ('hmm')" in lines[1]
    assert project.snapshot() == before


# Date cells --------------------------------------------------------------------------------------


def test_dates_without_year_take_row_above() -> None:
    dates = parse_dates("Feb 12-13 (Tue/Wed)", (2019, 1))
    assert dates.days == (dt.date(2019, 2, 12), dt.date(2019, 2, 13))
    assert dates.weekdays == "Tue/Wed"


def test_dates_month_going_back_next_year() -> None:
    assert parse_dates("Feb 12+19", (2019, 11)).days == (dt.date(2020, 2, 12), dt.date(2020, 2, 19))


def test_dates_first_row_without_year(tmp_path: Path) -> None:
    with pytest.raises(FileProblems) as raised:
        imported(tmp_path, small_readme(["| Feb 12-13 (Tue/Wed) | 5-8 p.m. | Ann | VAE |"]))
    assert "README.md:9:1: row 'Feb 12-13 (Tue/Wed)': 'Feb 12-13 (Tue/Wed)' has no year" in str(raised.value)


def test_dates_plus_form() -> None:
    assert parse_dates("Apr 23+25, 2019 (Tue/Thu)").days == (dt.date(2019, 4, 23), dt.date(2019, 4, 25))


def test_dates_double_space() -> None:
    assert parse_dates("Mar  7+10", (2019, 2)).days == (dt.date(2019, 3, 7), dt.date(2019, 3, 10))


def test_dates_single_evening_with_year() -> None:
    assert parse_dates("Jan 30, 2019").days == (dt.date(2019, 1, 30),)


@pytest.mark.parametrize("cell, previous, month", [("Feb, 2022", None, "2022-02"), ("Feb 2022", None, "2022-02"), ("March", (2021, 12), "2022-03")])
def test_dates_month_only(cell: str, previous: tuple[int, int] | None, month: str) -> None:
    dates = parse_dates(cell, previous)
    assert dates.days == ()
    assert dates.month == month


def test_dates_across_months_and_years() -> None:
    assert parse_dates("Jan 31-Feb 1, 2019").days == (dt.date(2019, 1, 31), dt.date(2019, 2, 1))
    assert parse_dates("Dec 31, 2019-Jan 1, 2020").days == (dt.date(2019, 12, 31), dt.date(2020, 1, 1))


@pytest.mark.parametrize("cell", ["TBA", "T.B.A.", ""])
def test_dates_placeholder_empty(cell: str) -> None:
    assert parse_dates(cell) == parse_dates("TBD")
    assert parse_dates(cell).days == ()


def test_dates_invalid_rejected() -> None:
    with pytest.raises(ReadmeFormatError, match="'Feb 30, 2019': Feb 30 is not a day of the calendar"):
        parse_dates("Feb 30, 2019")


def test_weekday_mismatch_warns_with_row(tmp_path: Path) -> None:
    registry, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 (Tue/Thu) | 5-8 p.m. | Ann | VAE |"]))
    assert warnings == [
        "README.md:9:1: warning: row 'Feb 12-13, 2019 (Tue/Thu)': the weekdays (Tue/Thu) do not match the dates, "
        "which fall on Tue/Wed; the dates were kept"
    ]
    assert registry.entries[0].days == [dt.date(2019, 2, 12), dt.date(2019, 2, 13)]


def test_weekday_full_names_accepted(tmp_path: Path) -> None:
    _, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 (Tuesday/Wednesday) | 5-8 p.m. | Ann | VAE |"]))
    assert warnings == []


# Time cells --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("5-7 p.m.", ("17:00", "19:00")),
        ("4-7 p.m.", ("16:00", "19:00")),
        ("6-8:30 p.m.", ("18:00", "20:30")),
        ("11 a.m.-1 p.m.", ("11:00", "13:00")),
        ("11-1 p.m.", ("11:00", "13:00")),
        ("17:00-20:00", ("17:00", "20:00")),
        ("5 pm - 8 pm", ("17:00", "20:00")),
    ],
)
def test_time_ranges(cell: str, expected: tuple[str, str]) -> None:
    assert parse_time(cell) == expected


@pytest.mark.parametrize("cell", ["TBD", "TBA", ""])
def test_time_placeholder_none(cell: str) -> None:
    assert parse_time(cell) is None


def test_time_unreadable_warns(tmp_path: Path) -> None:
    registry, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 | evening | Ann | VAE |"]))
    assert len(warnings) == 2
    assert "row 'Feb 12-13, 2019': 'evening' is not a time range; write it as '5-8 p.m.'" in warnings[0]
    assert "lacks time; imported as planned" in warnings[1]
    assert registry.entries[0].time is None


# Chair cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("Luke & Johannes", ["Luke", "Johannes"]),
        ("John + ???", ["John", "???"]),
        ("Seul Ah and Win", ["Seul Ah", "Win"]),
        ("Anna K.", ["Anna K."]),
        ("Ann & TBD", ["Ann", "TBD"]),
        ("T.B.A.", ["TBA"]),
        ("?", ["???"]),
        ("", []),
    ],
)
def test_chairs_split(cell: str, expected: list[str]) -> None:
    assert parse_chairs(cell) == expected


def test_chairs_placeholder_makes_planned(tmp_path: Path) -> None:
    registry, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 | 5-8 p.m. | Ann + ??? | VAE |"]))
    assert registry.entries[0].status == "planned"
    assert registry.entries[0].chairs == ["Ann", "???"]
    assert "lacks named chairs; imported as planned" in warnings[0]


# Topic cells -------------------------------------------------------------------------------------


def test_topic_link_becomes_folder(tmp_path: Path) -> None:
    registry, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 | 5-8 p.m. | Ann | [Variational auto-encoders](sessions/vae) |"]))
    session = registry.entries[0]
    assert (session.id, session.folder, session.topic) == ("vae", "sessions/vae", "Variational auto-encoders")
    assert warnings == []


def test_topic_other_relative_link_warns(tmp_path: Path) -> None:
    registry, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 | 5-8 p.m. | Ann | [VAE](./VAE/) |"]))
    assert registry.entries[0].folder == "sessions/vae"
    assert "link target './VAE/' is not a session folder; the folder was set to sessions/vae" in warnings[0]


def test_topic_web_link_becomes_url(tmp_path: Path) -> None:
    url = "https://github.com/DrugowitschLab/ML-from-scratch-seminar/tree/master/VAE"
    registry, _ = imported(tmp_path, small_readme([f"| Feb 12-13, 2019 | 5-8 p.m. | Ann | [Variational auto-encoders]({url}) |"]))
    assert registry.entries[0].url == url
    assert registry.entries[0].folder is None


@pytest.mark.parametrize("cell", ["T.B.A.", "TBD", "TBA", ""])
def test_topic_placeholder_none(cell: str) -> None:
    assert parse_topic(cell) == (None, None)


def test_topic_escaped_pipe() -> None:
    assert parse_topic(r"A \| B") == ("A | B", None)


# Rows that are not sessions, and the upcoming table -------------------------------------------------


def test_kickoff_row(tmp_path: Path) -> None:
    registry, _ = imported(tmp_path, small_readme(["| Jan 30, 2019 | 5-7 p.m. | Ann | Kick-off meeting |"]))
    kickoff = registry.entries[0]
    assert isinstance(kickoff, Kickoff)
    assert (kickoff.date, kickoff.time.start, kickoff.time.end, kickoff.status) == (dt.date(2019, 1, 30), "17:00", "19:00", "held")


def test_break_row_with_decoration(tmp_path: Path) -> None:
    rows = [
        "| Apr 29+30, 2020 (Wed/Thu) | 4-7 p.m. | Ann | Deep RL |",
        "| SUMMER BREAK | ~~~ | (o_o) | ~~~ |",
        "| Dec 15+16, 2021 (Wed/Thu) | 5-8 p.m. | Ann | BBVI |",
    ]
    registry, warnings = imported(tmp_path, small_readme(rows))
    pause = registry.entries[1]
    assert isinstance(pause, Break)
    assert (pause.id, pause.title, pause.decoration) == ("summer-break", "SUMMER BREAK", "~~~ (o_o) ~~~")
    assert warnings == []


def test_upcoming_table_beside_past(tmp_path: Path) -> None:
    text = small_readme(
        past=["| Feb 12-13, 2019 (Tue/Wed) | 5-8 p.m. | Ann | VAE |", "|  |  |  |  |"],
        upcoming=["| Mar 5+7 (Tue/Thu) | 5-8 p.m. | Ann | HMM |"],
    )
    registry, warnings = imported(tmp_path, text)
    assert [(entry.topic, entry.status) for entry in registry.entries] == [("VAE", "held"), ("HMM", "planned")]
    # The upcoming row has no year; it follows the last past row, so it is read as 2019.
    assert registry.entries[1].days == [dt.date(2019, 3, 5), dt.date(2019, 3, 7)]
    assert warnings == []


# Round trip through the README tables ----------------------------------------------------------------


def round_trip(tmp_path: Path, first: Registry) -> Registry:
    """Render the registry's tables as README.md shows them, then import that text again."""
    tables = render_tables(first, tmp_path, REPO / "templates")
    rendered = f"## Upcoming sessions\n\n{tables['upcoming-sessions']}\n\n## Past sessions\n\n{tables['past-sessions']}\n"
    result = parse_readme(rendered, "README.md")
    result.text = registry_yaml(result.data, "README.md")
    return validate_import(result, tmp_path / "again.yaml")


def sorted_facts(registry: Registry) -> list[tuple]:
    # Rendering moves planned sessions into the upcoming table, so the rows are compared as a set.
    return sorted((facts(entry) for entry in registry.entries), key=repr)


def test_render_back_real_readme(tmp_path: Path) -> None:
    first = validate_import(parse_readme_file(REAL_README), tmp_path / "sessions.yaml")
    second = round_trip(tmp_path, first)
    assert sorted_facts(second) == sorted_facts(first)


def test_render_back_keeps_links(tmp_path: Path) -> None:
    text = small_readme(
        past=[
            "| Jan 30, 2019 | 5-7 p.m. | Ann | Kick-off meeting |",
            "| Feb 12-13 (Tue/Wed) | 6-8:30 p.m. | Ann & Bob | [Variational auto-encoders](sessions/vae) |",
            "| BREAK | (-_-) |  |  |",
            "| Jan 31-Feb 1, 2021 | 5-8 p.m. | Cy and Bob | Hidden Markov Models |",
        ],
        upcoming=["| Mar  7+10 | TBD | Cy + ??? | T.B.A. |"],
    )
    first, _ = imported(tmp_path, text)
    (tmp_path / "sessions" / "vae").mkdir(parents=True)
    second = round_trip(tmp_path, first)
    assert sorted_facts(second) == sorted_facts(first)
    assert second.entry("vae").folder == "sessions/vae"


# Odd rows ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["25-28 p.m.", "13-16 p.m.", "0-3 p.m.", "5-13 a.m."])
def test_time_hours_out_of_range_rejected(cell: str) -> None:
    with pytest.raises(ReadmeFormatError, match="with a.m. or p.m. the hours run from 1 to 12"):
        parse_time(cell)


def test_short_row_warns(tmp_path: Path) -> None:
    registry, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 | 5-8 p.m. | Ann | VAE |", "| broken row |"]))
    assert "row 'broken row': the row has 1 cells but the table has 4 columns" in warnings[0]
    assert "'broken row' is not a date and the row has no chairs or topic, so it was read as a break" in warnings[1]
    assert isinstance(registry.entries[1], Break)


def test_extra_cell_warns(tmp_path: Path) -> None:
    _, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 | 5-8 p.m. | Ann | VAE | extra |"]))
    assert warnings == [warnings[0]]
    assert "the row has 5 cells but the table has 4 columns" in warnings[0]


def test_impossible_shifted_date_warns(tmp_path: Path) -> None:
    registry, warnings = imported(tmp_path, small_readme(["| Feb 12-13, 2019 | 5-8 p.m. | Ann | VAE |", "| Feb 29-Jan 3, 2020 | 5-8 p.m. | Ann | Weird |"]))
    assert any("row 'Feb 29-Jan 3, 2020'" in warning and "not a day of the calendar" in warning for warning in warnings)
