"""`mlseminar calendar`: the iCalendar file parsed back with icalendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import icalendar
import pytest

from mlseminar.ical import export_calendar
from mlseminar.registry import load_registry_text

NEW_YORK_HEADER = """\
seminar:
  name: Test seminar
  organizer: Ann
  timezone: America/New_York
  default_time: {start: "17:00", end: "20:00"}
  rooms: [{name: GB 422, capacity: 10}]
people: [{short_name: Ann}]
entries:
"""


def events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def read_calendar(path: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(path.read_bytes())


def test_real_registry_exports_every_evening(project) -> None:
    result = project.run("calendar", "--output", "seminar.ics")
    assert result.exit_code == 0, result.stderr
    assert "wrote seminar.ics: 17 evenings" in result.stdout
    assert "note: left out, no dates yet: feb-2022" in result.stderr

    calendar = read_calendar(project.root / "seminar.ics")
    by_uid = events(calendar)
    assert len(by_uid) == 17
    assert "kickoff-day-1@mlseminar" in by_uid
    vae = by_uid["vae-day-1@mlseminar"]
    assert str(vae["SUMMARY"]) == "Variational auto-encoders (day one)"
    assert str(vae["LOCATION"]) == "to be announced"
    assert "Chairs: Luke & Johannes" in str(vae["DESCRIPTION"])
    assert "Auto-Encoding Variational Bayes" in str(vae["DESCRIPTION"])
    assert str(by_uid["vae-day-2@mlseminar"]["SUMMARY"]) == "Variational auto-encoders (day two)"


def test_times_and_time_zone(project) -> None:
    project.run("calendar", "--output", "seminar.ics")
    calendar = read_calendar(project.root / "seminar.ics")
    deep_rl = events(calendar)["deep-rl-day-2@mlseminar"]
    start, end = deep_rl.decoded("DTSTART"), deep_rl.decoded("DTEND")
    assert (start.date(), start.hour, start.minute) == (dt.date(2020, 4, 30), 16, 0)
    assert (end.hour, end.minute) == (19, 0)
    assert deep_rl["DTSTART"].params["TZID"] == "America/New_York"

    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["America/New_York"]


def test_uids_stable_across_exports(project) -> None:
    project.run("calendar", "--output", "first.ics")
    text = project.registry.read_text(encoding="utf-8").replace("    folder: sessions/hmm\n", "    folder: sessions/hmm\n    room: GB 422\n")
    project.registry.write_text(text, encoding="utf-8")
    project.run("calendar", "--output", "second.ics")

    first, second = events(read_calendar(project.root / "first.ics")), events(read_calendar(project.root / "second.ics"))
    assert first.keys() == second.keys()
    assert str(second["hmm-day-1@mlseminar"]["LOCATION"]) == "GB 422"


def test_export_is_reproducible(project) -> None:
    project.run("calendar", "--output", "first.ics")
    project.run("calendar", "--output", "second.ics")
    assert (project.root / "first.ics").read_bytes() == (project.root / "second.ics").read_bytes()


def test_daylight_saving_keeps_local_times(tmp_path: Path) -> None:
    entries = """\
  - {kind: session, id: before-fall, topic: A, chairs: [Ann], status: planned, day_one: 2019-10-30, day_two: 2019-10-31}
  - {kind: session, id: november, topic: B, chairs: [Ann], status: planned, day_one: 2019-11-06, day_two: 2019-11-07}
  - {kind: session, id: march, topic: C, chairs: [Ann], status: planned, day_one: 2020-03-11, day_two: 2020-03-12}
"""
    registry, _ = load_registry_text(NEW_YORK_HEADER + entries, tmp_path / "sessions.yaml")
    calendar = icalendar.Calendar.from_ical(export_calendar(registry).text)
    by_uid = events(calendar)
    offsets = {}
    for uid, event in by_uid.items():
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert (start.hour, start.minute, end.hour, end.minute) == (17, 0, 20, 0), uid
        offsets[uid.split("-day-")[0]] = start.utcoffset()
    assert offsets["before-fall"] == dt.timedelta(hours=-4)
    assert offsets["november"] == dt.timedelta(hours=-5)
    assert offsets["march"] == dt.timedelta(hours=-4)

    # The VTIMEZONE must carry both offsets, for clients that do not know the zone by name.
    zone = calendar.walk("VTIMEZONE")[0]
    offsets_in_zone = {component.decoded("TZOFFSETTO") for component in zone.subcomponents}
    assert offsets_in_zone == {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}


def test_per_evening_times_used(tmp_path: Path) -> None:
    entries = """\
  - kind: session
    id: split
    chairs: [Ann]
    status: planned
    day_one: 2030-03-05
    day_two: 2030-03-06
    day_one_time: {start: "17:30", end: "19:30"}
    room: GB 422
"""
    registry, _ = load_registry_text(NEW_YORK_HEADER + entries, tmp_path / "sessions.yaml")
    by_uid = events(icalendar.Calendar.from_ical(export_calendar(registry).text))
    day_one, day_two = by_uid["split-day-1@mlseminar"], by_uid["split-day-2@mlseminar"]
    assert day_one.decoded("DTSTART").hour == 17
    assert day_one.decoded("DTSTART").minute == 30
    assert day_two.decoded("DTSTART").hour == 17
    assert day_two.decoded("DTEND").hour == 20
    assert str(day_one["LOCATION"]) == "GB 422"
    assert str(day_one["SUMMARY"]) == "T.B.A. (day one)"


def test_upcoming_keeps_later_sessions(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("    month: 2022-02\n", "    day_one: 2022-02-09\n    day_two: 2022-02-10\n")
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("calendar", "--upcoming", "--today", "2022-01-15")
    assert result.exit_code == 0, result.stderr
    by_uid = events(icalendar.Calendar.from_ical(result.stdout))
    assert sorted(by_uid) == ["feb-2022-day-1@mlseminar", "feb-2022-day-2@mlseminar"]
    assert str(by_uid["feb-2022-day-1@mlseminar"]["SUMMARY"]) == "T.B.A. (day one)"


def test_cancelled_session_marked(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace(
        "    status: planned\n", "    status: cancelled\n    day_one: 2022-02-09\n    day_two: 2022-02-10\n"
    ).replace("    month: 2022-02\n", "")
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("calendar")
    by_uid = events(icalendar.Calendar.from_ical(result.stdout))
    assert str(by_uid["feb-2022-day-1@mlseminar"]["STATUS"]) == "CANCELLED"
    assert str(by_uid["vae-day-1@mlseminar"]["STATUS"]) == "CONFIRMED"


@pytest.mark.parametrize(
    "args, message",
    [
        (("calendar", "--upcoming", "--today", "2023-01-01"), "no session has an evening on or after 2023-01-01"),
        (("calendar", "--today", "2023-01-01"), "--today only applies together with --upcoming"),
        (("calendar", "--upcoming", "--today", "2023-13-01"), "--today: '2023-13-01' is not a valid date; write YYYY-MM-DD"),
        (("calendar", "--output", "README.md"), "README.md already exists; pass --force to overwrite it"),
        (("calendar", "--output", "missing/seminar.ics"), "the folder of --output missing/seminar.ics does not exist"),
    ],
    ids=["nothing upcoming", "today without upcoming", "bad date", "existing output", "missing folder"],
)
def test_bad_input_one_line_error(project, args: tuple[str, ...], message: str) -> None:
    before = project.snapshot()
    result = project.run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert project.snapshot() == before


def test_registry_without_dates_rejected(tmp_path: Path, monkeypatch) -> None:
    from tests.conftest import TempProject

    (tmp_path / "sessions.yaml").write_text(
        NEW_YORK_HEADER + "  - {kind: session, id: later, chairs: [Ann], status: planned, month: 2030-05}\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    result = TempProject(tmp_path).run("calendar", "--output", "seminar.ics")
    assert result.exit_code == 1
    assert "no session in the registry has dates; add day_one and day_two" in result.stderr
    assert not (tmp_path / "seminar.ics").exists()
