"""Schedule checks of `mlseminar validate`: each check on a small registry that triggers it and one that does not."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from mlseminar.registry import load_registry, load_registry_text
from mlseminar.schedule import schedule_problems
from mlseminar.yamlfile import Problem

REPO = Path(__file__).resolve().parents[1]
HISTORY = Path(__file__).resolve().parent / "data" / "sessions-history.yaml"
FAR_PAST = dt.date(2000, 1, 1)

HEADER = """\
seminar:
  name: Test seminar
  organizer: Ann
  default_time: {start: "17:00", end: "20:00"}
  rooms:
    - {name: GB 422, capacity: 10}
    - {name: WAB 236}
people:
  - short_name: Ann
  - short_name: Bob
  - short_name: Cy
entries:
"""


def session(entry_id: str, day_one: str | None = None, day_two: str | None = None, *, chairs: str = "[Bob]", status: str = "planned", **fields: str) -> str:
    """One session entry as YAML; extra fields are written as given, such as room="GB 422"."""
    lines = [f"- kind: session", f"  id: {entry_id}", f"  topic: Topic {entry_id}", f"  chairs: {chairs}", f"  status: {status}"]
    if day_one:
        lines.append(f"  day_one: {day_one}")
    if day_two:
        lines.append(f"  day_two: {day_two}")
    lines += [f"  {key}: {value}" for key, value in fields.items()]
    return textwrap.indent("\n".join(lines), "  ") + "\n"


BREAK = "  - kind: break\n    id: pause\n    title: PAUSE\n"


def check(*entries: str, today: dt.date = FAR_PAST) -> list[Problem]:
    text = HEADER + "".join(entries)
    registry, doc = load_registry_text(text, Path("sessions.yaml"))
    return schedule_problems(registry, doc, today)


def messages(problems: list[Problem], severity: str) -> list[str]:
    return [problem.message for problem in problems if problem.severity == severity]


def test_room_booked_twice_same_evening() -> None:
    problems = check(
        session("a", "2030-03-04", "2030-03-05", room="GB 422"),
        session("b", "2030-03-05", "2030-03-06", chairs="[Cy]", room="GB 422"),
    )
    errors = messages(problems, "error")
    assert len(errors) == 1
    assert "room 'GB 422' is booked by 'a' and 'b' on the same evening (2030-03-05)" in errors[0]
    assert problems[0].field == "entries[1].room"


def test_room_other_room_or_day_passes() -> None:
    other_room = check(
        session("a", "2030-03-04", "2030-03-05", room="GB 422"),
        session("b", "2030-03-05", "2030-03-06", chairs="[Cy]", room="WAB 236"),
    )
    other_day = check(
        session("a", "2030-03-04", "2030-03-05", room="GB 422"),
        session("b", "2030-03-06", "2030-03-07", chairs="[Cy]", room="GB 422"),
    )
    assert other_room == []
    assert other_day == []


def test_room_cancelled_session_frees_it() -> None:
    problems = check(
        session("a", "2030-03-04", "2030-03-05", room="GB 422", status="cancelled"),
        session("b", "2030-03-05", "2030-03-06", chairs="[Cy]", room="GB 422"),
    )
    assert problems == []


def test_chair_in_two_overlapping_evenings() -> None:
    problems = check(
        session("a", "2030-03-04", "2030-03-05", chairs="[Bob, Ann]"),
        session("b", "2030-03-05", "2030-03-06", chairs="[Cy, Bob]"),
    )
    errors = messages(problems, "error")
    assert len(errors) == 1
    assert "'Bob' chairs both 'a' (17:00-20:00) and 'b' (17:00-20:00) on 2030-03-05" in errors[0]
    assert problems[0].field == "entries[1].chairs"


def test_chair_evenings_not_overlapping_pass() -> None:
    problems = check(
        session("a", "2030-03-04", "2030-03-05", day_two_time='{start: "12:00", end: "14:00"}', time='{start: "17:00", end: "20:00"}'),
        session("b", "2030-03-05", "2030-03-06"),
    )
    assert problems == []


def test_chair_placeholders_never_conflict() -> None:
    problems = check(
        session("a", "2030-03-04", "2030-03-05", chairs='[Ann, "???"]'),
        session("b", "2030-03-05", "2030-03-06", chairs='[Bob, "???"]'),
    )
    assert problems == []


def test_attendance_above_capacity() -> None:
    problems = check(session("a", "2030-03-04", "2030-03-05", room="GB 422", expected_attendance="12"))
    errors = messages(problems, "error")
    assert errors == ["'a' expects 12 people but GB 422 seats 10; book a larger room or lower expected_attendance"]
    assert problems[0].field == "entries[0].expected_attendance"


@pytest.mark.parametrize("room, attendance", [("GB 422", "10"), ("WAB 236", "40")], ids=["at capacity", "capacity unknown"])
def test_attendance_within_capacity_passes(room: str, attendance: str) -> None:
    assert check(session("a", "2030-03-04", "2030-03-05", room=room, expected_attendance=attendance)) == []


def test_long_day_one_warns() -> None:
    problems = check(session("a", "2030-03-04", "2030-03-05", day_one_time='{start: "17:00", end: "20:00"}', time='{start: "17:00", end: "20:00"}'))
    warnings = messages(problems, "warning")
    assert len(warnings) == 1
    assert "day one of 'a' lasts 3 h 00 min (17:00-20:00)" in warnings[0]
    assert messages(problems, "error") == []


def test_day_one_of_two_and_a_half_hours_passes() -> None:
    problems = check(session("a", "2030-03-04", "2030-03-05", day_one_time='{start: "17:00", end: "19:30"}', day_two_time='{start: "17:00", end: "20:00"}'))
    assert problems == []


def test_shared_time_never_checks_day_one() -> None:
    problems = check(session("a", "2030-03-04", "2030-03-05", time='{start: "16:00", end: "20:00"}'))
    assert problems == []


def test_gap_over_four_months_warns() -> None:
    problems = check(
        session("a", "2030-01-08", "2030-01-09", status="held", time='{start: "17:00", end: "20:00"}'),
        session("b", "2030-05-14", "2030-05-15"),
    )
    warnings = messages(problems, "warning")
    assert len(warnings) == 1
    assert "125 days between 'a' (last evening 2030-01-09) and 'b' (first evening 2030-05-14)" in warnings[0]
    assert problems[0].field == "entries[1].id"


def test_gap_with_break_entry_passes() -> None:
    problems = check(
        session("a", "2030-01-08", "2030-01-09", status="held", time='{start: "17:00", end: "20:00"}'),
        BREAK,
        session("b", "2030-05-14", "2030-05-15"),
    )
    assert problems == []


def test_gap_nov_to_feb_passes() -> None:
    # Nov 21, 2019 to Feb 12, 2020 in the real history: under three months.
    problems = check(
        session("a", "2019-11-20", "2019-11-21", status="held", time='{start: "17:00", end: "20:00"}'),
        session("b", "2020-02-12", "2020-02-19", status="held", time='{start: "17:00", end: "20:00"}'),
    )
    assert problems == []


def test_gap_to_month_only_session() -> None:
    # A month-only session counts from the month's first day, so May is within four months of January 9.
    within = check(session("a", "2030-01-08", "2030-01-09"), session("b", month="2030-05"))
    beyond = check(session("a", "2030-01-08", "2030-01-09"), session("b", month="2030-06"))
    assert within == []
    assert len(messages(beyond, "warning")) == 1


def test_planned_session_in_past_warns() -> None:
    problems = check(session("a", "2030-03-04", "2030-03-05"), today=dt.date(2030, 3, 6))
    warnings = messages(problems, "warning")
    assert len(warnings) == 1
    assert "'a' is planned but its dates (2030-03-05) lie before today (2030-03-06); was it held?" in warnings[0]
    assert problems[0].field == "entries[0].status"


def test_planned_session_on_day_two_passes() -> None:
    assert check(session("a", "2030-03-04", "2030-03-05"), today=dt.date(2030, 3, 5)) == []


def test_planned_month_only_in_past_warns() -> None:
    during = check(session("a", month="2030-03"), today=dt.date(2030, 3, 31))
    after = check(session("a", month="2030-03"), today=dt.date(2030, 4, 1))
    assert during == []
    assert "dates (2030-03) lie before today (2030-04-01)" in messages(after, "warning")[0]


def test_real_registry_warns_only_about_feb_2022() -> None:
    registry, doc = load_registry(HISTORY)
    problems = schedule_problems(registry, doc, dt.date(2026, 1, 1))
    assert [(problem.severity, problem.field) for problem in problems] == [("warning", "entries[10].status")]
    assert "'feb-2022' is planned" in problems[0].message


def test_real_registry_before_feb_2022_is_clean() -> None:
    registry, doc = load_registry(HISTORY)
    assert schedule_problems(registry, doc, dt.date(2022, 1, 15)) == []


def test_real_registry_without_covid_break_warns(tmp_path: Path) -> None:
    text = HISTORY.read_text(encoding="utf-8")
    start = text.index("  - kind: break")
    end = text.index("  - kind: session", start)
    registry, doc = load_registry_text(text[:start] + text[end:], tmp_path / "sessions.yaml")
    warnings = messages(schedule_problems(registry, doc, dt.date(2022, 1, 15)), "warning")
    assert len(warnings) == 1
    assert "between 'deep-rl' (last evening 2020-04-30) and 'bbvi-bnn' (first evening 2021-12-15)" in warnings[0]


def test_validate_warning_exits_zero(project) -> None:
    project.add_session_folders()
    result = project.run("validate", "--today", "2026-01-01")
    assert result.exit_code == 0
    assert "entries[10].status: warning: 'feb-2022' is planned" in result.stderr
    assert result.stdout == "sessions.yaml: 1 warning\n"


def test_validate_strict_fails_on_warning(project) -> None:
    project.add_session_folders()
    result = project.run("validate", "--strict", "--today", "2026-01-01")
    assert result.exit_code == 1
    assert "warning: 'feb-2022' is planned" in result.stderr


def test_validate_schedule_error_exits_one(project) -> None:
    project.add_session_folders()
    text = project.registry.read_text(encoding="utf-8")
    text = text.replace("    day_one: 2019-04-23\n    day_two: 2019-04-25\n", "    day_one: 2019-04-23\n    day_two: 2019-04-25\n    room: GB 422\n    expected_attendance: 14\n")
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("validate", "--today", "2022-01-15")
    assert result.exit_code == 1
    assert "entries[2].expected_attendance: 'hmm' expects 14 people but GB 422 seats 10" in result.stderr


def test_three_chairs_reported_once(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("chairs: [Luke, Johannes]", "chairs: [Luke, Johannes, Alex]")
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("validate", "--today", "2022-01-15")
    assert result.exit_code == 1
    assert result.stderr.count("3 chairs listed") == 1


def test_day_two_far_after_day_one_warns(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("    day_two: 2019-06-27\n", "    day_two: 2019-08-27\n")
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("validate", "--today", "2022-01-15")
    assert "entries[3].day_two: warning: day two of 'gp' is 62 days after day one" in result.stderr
