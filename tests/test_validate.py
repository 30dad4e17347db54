"""`mlseminar validate`: every kind of bad input gets one clear line with file, line, column and field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

VAE_CHAIRS = "    chairs: [Luke, Johannes]\n"
VAE_DAY_TWO = "    day_two: 2019-02-13\n"
VAE_TIME = '    day_two: 2019-02-13\n    time: {start: "17:00", end: "20:00"}\n'


@dataclass(frozen=True)
class BadInput:
    """A change to the real registry, the line it should be reported on, and the expected message."""

    name: str
    edit: Callable[[str], str]
    line_text: str | None  # a substring of the reported line in the edited file; None for line 1
    field: str
    message: str


def replace_once(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert text.count(old) >= 1, f"test setup: {old!r} not found in sessions.yaml"
        return text.replace(old, new, 1)

    return edit


CASES = [
    BadInput("yaml syntax", replace_once(VAE_CHAIRS, "    chairs: [Luke, Johannes\n"), "    day_one: 2019-02-12", "", "YAML syntax error"),
    BadInput("unknown key", replace_once(VAE_CHAIRS, "    chiars: [Luke, Johannes]\n"), "chiars:", "entries[1].chiars", "unknown key 'chiars'; did you mean 'chairs'?"),
    BadInput("wrong type", replace_once("        year: 2014\n", "        year: twenty\n"), "year: twenty", "entries[1].readings[0].year", "expected a whole number, got 'twenty'"),
    BadInput("missing field", replace_once("    id: vae\n    topic: Variational auto-encoders\n", "    topic: Variational auto-encoders\n"), "  - kind: session\n    topic: Variational", "entries[1].id", "required field is missing; add `id:`"),
    BadInput("duplicate id", replace_once("    id: hmm\n", "    id: vae\n"), "    id: vae\n    topic: Hidden", "entries[2].id", "duplicate id 'vae'"),
    BadInput("day two before day one", replace_once(VAE_DAY_TWO, "    day_two: 2019-02-11\n"), "day_two: 2019-02-11", "entries[1].day_two", "day two (2019-02-11) is not after day one (2019-02-12)"),
    BadInput("end before start", replace_once(VAE_TIME, '    day_two: 2019-02-13\n    time: {start: "17:00", end: "16:00"}\n'), 'end: "16:00"', "entries[1].time.end", "end time 16:00 is not after start time 17:00"),
    BadInput("three chairs", replace_once(VAE_CHAIRS, "    chairs: [Luke, Johannes, Alex]\n"), "chairs: [Luke, Johannes, Alex]", "entries[1].chairs", "3 chairs listed; a session has one or two chairs"),
    BadInput("unknown room", replace_once(VAE_CHAIRS, VAE_CHAIRS + "    room: GB 423\n"), "room: GB 423", "entries[1].room", "room 'GB 423' is not listed under seminar.rooms; did you mean 'GB 422'"),
    BadInput("out of order", replace_once("    day_one: 2019-06-26\n    day_two: 2019-06-27\n", "    day_one: 2019-03-26\n    day_two: 2019-03-27\n"), "    id: gp", "entries[3].id", "entry 'gp' is dated before the entry above it ('hmm')"),
    BadInput("unquoted time", replace_once(VAE_TIME, '    day_two: 2019-02-13\n    time: {start: 17:00, end: "20:00"}\n'), "start: 17:00", "entries[1].time.start", 'unquoted 17:00 is read as a base-60 number by YAML 1.1 parsers; write it in quotes: "17:00"'),
    BadInput("unquoted boolean", replace_once(VAE_CHAIRS, VAE_CHAIRS + "    software: [no]\n"), "software: [no]", "entries[1].software[0]", 'unquoted no is read as a boolean by YAML 1.1 parsers; write it in quotes: "no"'),
    BadInput("impossible date", replace_once("    day_one: 2019-02-12\n", "    day_one: 2019-02-30\n"), "day_one: 2019-02-30", "entries[1].day_one", "'2019-02-30' is not a valid date; write a real date as YYYY-MM-DD"),
    BadInput("misspelt chair", replace_once(VAE_CHAIRS, "    chairs: [Luke, Johanes]\n"), "chairs: [Luke, Johanes]", "entries[1].chairs[1]", "'Johanes' is not listed under people; did you mean 'Johannes'?"),
    BadInput("placeholder in held session", replace_once(VAE_CHAIRS, '    chairs: [Luke, "???"]\n'), 'chairs: [Luke, "???"]', "entries[1].chairs[1]", "placeholder '???' in a held session"),
    BadInput("held session incomplete", replace_once("    topic: Variational auto-encoders\n", ""), "  - kind: session\n    id: vae", "entries[1].topic", "a held session must be complete; add `topic:`"),
    BadInput("duplicate key", replace_once(VAE_CHAIRS, VAE_CHAIRS + "    chairs: [Luke]\n"), "    chairs: [Luke]\n", "", "YAML syntax error"),
    BadInput("unknown status", replace_once("    status: held\n    folder: sessions/vae\n", "    status: done\n    folder: sessions/vae\n"), "status: done", "entries[1].status", "'done' is not allowed; use one of 'planned', 'held' or 'cancelled'"),
    BadInput("folder not matching id", replace_once("    folder: sessions/vae\n", "    folder: sessions/vae2\n"), "folder: sessions/vae2", "entries[1].folder", "does not match the id"),
]


def expected_line(text: str, line_text: str | None) -> int:
    if line_text is None:
        return 1
    offset = text.index(line_text)
    return text.count("\n", 0, offset) + 1


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_registry_reported(project, case: BadInput) -> None:
    text = case.edit(project.registry.read_text(encoding="utf-8"))
    project.registry.write_text(text, encoding="utf-8")
    before = project.snapshot()

    result = project.run("validate")

    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    line = expected_line(text, case.line_text)
    prefix = f"sessions.yaml:{line}:"
    matching = [row for row in result.stderr.splitlines() if row.startswith(prefix) and case.message in row]
    assert matching, f"no line starting with {prefix} containing {case.message!r} in:\n{result.stderr}"
    if case.field:
        assert re.match(rf"sessions\.yaml:\d+:\d+: {re.escape(case.field)}: ", matching[0]), matching[0]
    assert project.snapshot() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "sessions.yaml:1:1: the file is empty"),
        (b"# only a comment\n", "sessions.yaml:1:1: the file is empty"),
        (b"- a\n- b\n", "sessions.yaml:1:1: the top level is a list, not a mapping"),
        (b"just text\n", "sessions.yaml:1:1: the top level is a str, not a mapping"),
    ],
    ids=["empty", "comment only", "list", "scalar"],
)
def test_file_shape_reported(project, content: bytes, message: str) -> None:
    project.registry.write_bytes(content)
    before = project.snapshot()
    result = project.run("validate")
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert project.snapshot() == before


def test_non_utf8_reported(project) -> None:
    raw = project.registry.read_bytes().replace(b"short_name: Luke", b"short_name: Luk\xe9")
    project.registry.write_bytes(raw)
    before = project.snapshot()
    line = raw[: raw.index(b"Luk\xe9")].count(b"\n") + 1

    result = project.run("validate")

    assert result.exit_code == 1
    assert result.stderr.startswith(f"sessions.yaml:{line}:")
    assert "not valid UTF-8 (byte 0xe9)" in result.stderr
    assert project.snapshot() == before


def test_every_problem_reported_at_once(project) -> None:
    text = project.registry.read_text(encoding="utf-8")
    text = text.replace(VAE_CHAIRS, "    chiars: [Luke, Johannes]\n", 1).replace("    id: hmm\n", "    id: vae\n", 1)
    text = text.replace("    day_one: 2019-06-26\n", "    day_one: 2019-06-30\n", 1)
    project.registry.write_text(text, encoding="utf-8")

    result = project.run("validate")

    # Pydantic errors stop before the cross-entry checks, so a wrong key and an impossible order
    # in the same file are both reported only when the types are right; here the key error is the only line.
    assert result.exit_code == 1
    assert "unknown key 'chiars'" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_cross_entry_problems_reported_together(project) -> None:
    text = project.registry.read_text(encoding="utf-8")
    text = text.replace("    id: hmm\n", "    id: vae\n", 1).replace(VAE_DAY_TWO, "    day_two: 2019-02-10\n", 1)
    text = text.replace("    chairs: [Selmaan]\n", "    chairs: [Selman]\n", 1)
    project.registry.write_text(text, encoding="utf-8")

    result = project.run("validate")

    lines = result.stderr.splitlines()
    assert result.exit_code == 1
    assert [line.split(": ")[1] for line in lines] == ["entries[1].day_two", "entries[2].id", "entries[2].folder", "entries[3].chairs[0]"]
    assert [int(line.split(":")[1]) for line in lines] == sorted(int(line.split(":")[1]) for line in lines)


def test_valid_registry_passes(project) -> None:
    project.add_session_folders()
    result = project.run("validate", "--today", "2022-01-15")
    assert result.exit_code == 0
    assert result.stdout == "sessions.yaml: no problems found\n"


def test_warnings_exit_zero_unless_strict(project) -> None:
    project.add_session_folders()
    result = project.run("validate", "--today", "2026-12-04")
    assert result.exit_code == 0
    assert result.stdout == "sessions.yaml: 1 warning\n"
    assert "feb-2022" in result.stderr
    assert ": warning: " in result.stderr
    assert project.run("validate", "--today", "2026-12-04", "--strict").exit_code == 1


def test_missing_registry(tmp_path, monkeypatch) -> None:
    from tests.conftest import TempProject

    monkeypatch.chdir(tmp_path)
    result = TempProject(tmp_path).run("validate")
    assert result.exit_code == 1
    assert "no sessions.yaml in" in result.stderr


def test_control_character_rejected(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("topic: Gaussian processes", 'topic: "Gaussian\\nprocesses"')
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("validate")
    assert result.exit_code == 1
    assert "entries[3].topic: contains the control character '\\n'; write the text on one line" in result.stderr


def test_line_separator_rejected(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("topic: Hidden Markov Models", 'topic: "Hidden Markov\\u2028Models"')
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("validate")
    assert result.exit_code == 1
    assert "entries[2].topic: contains the control character '\\u2028'" in result.stderr


def test_month_year_out_of_range(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("    month: 2022-02\n", '    month: "0000-02"\n')
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("validate")
    assert result.exit_code == 1
    assert "'0000-02' is not a month; write YYYY-MM with a year from 1900 to 2999" in result.stderr


def test_overlong_topic_rejected(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("topic: Gaussian processes", "topic: " + "x" * 201)
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("validate")
    assert result.exit_code == 1
    assert "entries[3].topic: is 201 characters long; a title fits a table cell, so keep it to 200 characters" in result.stderr
