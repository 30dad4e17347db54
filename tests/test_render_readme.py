"""`mlseminar render-readme`: the generated tables, markers, idempotence and the --check/--stdout modes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from mlseminar.registry import Registry, TimeRange
from mlseminar.tables import format_dates, format_time

# Every row of the seminar's past-sessions table, as rendered from the real registry when no
# session folder exists (so no topic is a link).
PAST_ROWS = [
    "| Jan 30, 2019 (Wed) | 5-7 p.m. | Johannes | Kick-off meeting |",
    "| Feb 12-13, 2019 (Tue/Wed) | 5-8 p.m. | Luke & Johannes | Variational auto-encoders |",
    "| Apr 23+25, 2019 (Tue/Thu) | 5-8 p.m. | Chong & Alex | Hidden Markov Models |",
    "| Jun 26-27, 2019 (Wed/Thu) | 5-8 p.m. | Selmaan | Gaussian processes |",
    "| Sep 25-26, 2019 (Wed/Thu) | 5-8 p.m. | Shih-Yi & Johannes | Generative Adversarial Networks |",
    "| Nov 20-21, 2019 (Wed/Thu) | 5-8 p.m. | Seul Ah & Win | Intro to Reinforcement Learning |",
    "| Feb 12+19, 2020 (Wed/Wed) | 5-8 p.m. | Anna K. | Kalman & particle filters |",
    "| Apr 29-30, 2020 (Wed/Thu) | 4-7 p.m. | Emma & Jeff | Deep Reinforcement Learning |",
    "| COVID BREAK | (\u2688\u0325\u0325\u0325\u0325\u0325\u0301\u2322\u2688\u0325\u0325\u0325\u0325\u0325\u0300) |  |  |",
    "| Dec 15-16, 2021 (Wed/Thu) | 5-8 p.m. | Alex & Johannes | Bayesian Neural Nets & BBVI |",
]
UPCOMING_ROWS = ["| Feb 2022 |  | John & ??? | T.B.A. |"]
HEADER = ["| Dates | Time | Chairs | Topic |", "|:------|:-----|:------:|:------|"]


def region(text: str, name: str) -> list[str]:
    start = text.index(f"<!-- BEGIN {name} -->")
    end = text.index(f"<!-- END {name} -->")
    return text[start:end].splitlines()[1:]


def test_past_table_matches_history(project) -> None:
    result = project.run("render-readme")
    assert result.exit_code == 0
    text = project.readme.read_text(encoding="utf-8")
    assert region(text, "past-sessions") == HEADER + PAST_ROWS
    assert region(text, "upcoming-sessions") == HEADER + UPCOMING_ROWS


def test_topic_links_existing_folder(project) -> None:
    (project.root / "sessions" / "hmm").mkdir(parents=True)
    project.run("render-readme")
    rows = region(project.readme.read_text(encoding="utf-8"), "past-sessions")
    assert "| Apr 23+25, 2019 (Tue/Thu) | 5-8 p.m. | Chong & Alex | [Hidden Markov Models](sessions/hmm) |" in rows
    assert "| Jun 26-27, 2019 (Wed/Thu) | 5-8 p.m. | Selmaan | Gaussian processes |" in rows


def test_second_run_changes_nothing(project) -> None:
    project.run("render-readme")
    first = project.readme.read_bytes()
    result = project.run("render-readme")
    assert result.exit_code == 0
    assert result.stdout == "README.md is up to date\n"
    assert project.readme.read_bytes() == first


def outside_regions(text: str) -> str:
    """The README text with every marked region emptied."""
    return re.sub(r"(<!-- BEGIN ([\w-]+) -->).*?(<!-- END \2 -->)", r"\1\3", text, flags=re.DOTALL)


def test_text_outside_markers_kept(project) -> None:
    text = project.readme.read_text(encoding="utf-8").replace("## Past sessions", "## Past sessions ✨ kept | as is")
    project.readme.write_text(text.replace("<!-- END past-sessions -->", "stale row\n<!-- END past-sessions -->"), encoding="utf-8")
    project.run("render-readme")
    after = project.readme.read_text(encoding="utf-8")
    assert outside_regions(after) == outside_regions(text)
    assert "## Past sessions ✨ kept | as is" in after
    assert "stale row" not in after


def test_check_reports_stale_readme(project) -> None:
    project.run("render-readme")
    stale = project.readme.read_text(encoding="utf-8").replace("Selmaan", "Someone")
    project.readme.write_text(stale, encoding="utf-8")
    before = project.snapshot()

    result = project.run("render-readme", "--check")

    assert result.exit_code == 1
    assert "-| Jun 26-27, 2019 (Wed/Thu) | 5-8 p.m. | Someone | Gaussian processes |" in result.stdout
    assert "+| Jun 26-27, 2019 (Wed/Thu) | 5-8 p.m. | Selmaan | Gaussian processes |" in result.stdout
    assert "README.md is out of date" in result.stderr
    assert project.snapshot() == before


def test_check_passes_after_render(project) -> None:
    project.run("render-readme")
    result = project.run("render-readme", "--check")
    assert result.exit_code == 0


def test_stdout_writes_nothing(project) -> None:
    before = project.snapshot()
    result = project.run("render-readme", "--stdout")
    assert result.exit_code == 0
    assert PAST_ROWS[1] in result.stdout
    assert project.snapshot() == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("<!-- END past-sessions -->", ""), "README.md:"),
        (lambda t: t.replace("<!-- BEGIN upcoming-sessions -->\n", "").replace("<!-- END upcoming-sessions -->\n", ""), "missing markers for upcoming-sessions"),
        (lambda t: t.replace("<!-- END past-sessions -->", "<!-- END past-sessions -->\n<!-- END past-sessions -->"), "END past-sessions without a matching BEGIN"),
        (lambda t: t + "\n<!-- BEGIN past-sessions -->\n<!-- END past-sessions -->\n", "a second BEGIN past-sessions"),
        (lambda t: t.replace("<!-- BEGIN past-sessions -->", "<!-- BEGIN past-session -->"), "unknown marker name 'past-session'"),
    ],
    ids=["unclosed", "missing", "unbalanced end", "repeated", "misspelt"],
)
def test_broken_markers_rejected(project, edit, message) -> None:
    project.readme.write_text(edit(project.readme.read_text(encoding="utf-8")), encoding="utf-8")
    before = project.snapshot()
    result = project.run("render-readme")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert project.snapshot() == before


def test_unclosed_marker_names_line(project) -> None:
    text = project.readme.read_text(encoding="utf-8").replace("<!-- END past-sessions -->", "")
    project.readme.write_text(text, encoding="utf-8")
    line = text[: text.index("<!-- BEGIN past-sessions -->")].count("\n") + 1
    result = project.run("render-readme")
    assert result.stderr.startswith(f"README.md:{line}:1: BEGIN past-sessions is never closed")


def test_pipe_escaped_and_unicode_kept(project) -> None:
    text = project.registry.read_text(encoding="utf-8")
    text = text.replace("topic: Gaussian processes", "topic: GPs | kernels 🎉 Görtler")
    text = text.replace("  - short_name: Selmaan", "  - short_name: Selmaan\n  - short_name: Zoë")
    text = text.replace("chairs: [Selmaan]", "chairs: [Zoë]")
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("render-readme")
    assert result.exit_code == 0
    rows = region(project.readme.read_text(encoding="utf-8"), "past-sessions")
    assert "| Jun 26-27, 2019 (Wed/Thu) | 5-8 p.m. | Zoë | GPs \\| kernels 🎉 Görtler |" in rows


def test_crlf_readme_kept(project) -> None:
    project.run("render-readme")
    crlf = project.readme.read_bytes().replace(b"\n", b"\r\n")
    project.readme.write_bytes(crlf)
    project.run("render-readme")
    after = project.readme.read_bytes()
    head = crlf.split(b"<!-- BEGIN upcoming-sessions -->")[0]
    assert after.startswith(head)


def test_no_temporary_files_left(project) -> None:
    project.run("render-readme")
    assert sorted(p.name for p in project.root.iterdir()) == ["README.md", "sessions.yaml", "templates"]


def test_invalid_registry_leaves_readme(project) -> None:
    project.registry.write_text(project.registry.read_text(encoding="utf-8").replace("id: vae", "id: Vae"), encoding="utf-8")
    before = project.snapshot()
    result = project.run("render-readme")
    assert result.exit_code == 1
    assert "entries[1].id" in result.stderr
    assert project.snapshot() == before


def test_check_and_stdout_conflict(project) -> None:
    result = project.run("render-readme", "--check", "--stdout")
    assert result.exit_code == 1
    assert "cannot be combined" in result.stderr


@pytest.mark.parametrize(
    ("days", "month", "expected"),
    [
        ([dt.date(2019, 1, 30)], None, "Jan 30, 2019 (Wed)"),
        ([dt.date(2019, 2, 12), dt.date(2019, 2, 13)], None, "Feb 12-13, 2019 (Tue/Wed)"),
        ([dt.date(2019, 4, 23), dt.date(2019, 4, 25)], None, "Apr 23+25, 2019 (Tue/Thu)"),
        ([dt.date(2020, 2, 12), dt.date(2020, 2, 19)], None, "Feb 12+19, 2020 (Wed/Wed)"),
        ([dt.date(2019, 1, 31), dt.date(2019, 2, 1)], None, "Jan 31-Feb 1, 2019 (Thu/Fri)"),
        ([dt.date(2019, 1, 29), dt.date(2019, 2, 5)], None, "Jan 29+Feb 5, 2019 (Tue/Tue)"),
        ([dt.date(2019, 12, 31), dt.date(2020, 1, 1)], None, "Dec 31, 2019-Jan 1, 2020 (Tue/Wed)"),
        ([], "2022-02", "Feb 2022"),
    ],
)
def test_date_cells(days, month, expected) -> None:
    assert format_dates(days, month) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [("17:00", "20:00", "5-8 p.m."), ("18:00", "20:30", "6-8:30 p.m."), ("16:00", "19:00", "4-7 p.m."), ("11:00", "13:00", "11 a.m.-1 p.m."), ("09:15", "11:00", "9:15-11 a.m."), ("12:00", "14:00", "12-2 p.m.")],
)
def test_time_cells(start, end, expected) -> None:
    assert format_time(TimeRange(start=start, end=end)) == expected


def test_registry_module_imports_no_numpy() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import mlseminar.cli, mlseminar.registry, mlseminar.readme, mlseminar.listing, mlseminar.scaffold, "
        "mlseminar.schedule, mlseminar.import_readme, mlseminar.announce, mlseminar.ical, mlseminar.folders, mlseminar.exercise; "
        "print(any(m in sys.modules for m in ('numpy', 'matplotlib')))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"


def test_real_readme_is_current() -> None:
    """The committed README.md matches the committed registry (what CI checks with --check)."""
    from mlseminar import readme
    from mlseminar.registry import load_registry

    root = Path(__file__).resolve().parents[1]
    registry, _ = load_registry(root / "sessions.yaml")
    assert isinstance(registry, Registry)
    assert not readme.render_readme(registry, root / "README.md", root / "templates").changed


def test_crlf_readme_up_to_date_after_render(project) -> None:
    project.readme.write_bytes(project.readme.read_bytes().replace(b"\n", b"\r\n"))
    assert project.run("render-readme").exit_code == 0
    text = project.readme.read_bytes()
    assert b"\n" not in text.replace(b"\r\n", b"")
    assert project.run("render-readme", "--check").exit_code == 0


def test_write_protected_readme_left_alone(project) -> None:
    project.readme.write_text(project.readme.read_text(encoding="utf-8").replace("| Selmaan |", "| Someone |"), encoding="utf-8")
    project.readme.chmod(0o444)
    before = project.snapshot()
    result = project.run("render-readme")
    assert result.exit_code == 1
    assert result.stderr == "error: writing README.md failed, it was left unchanged: the file is write-protected\n"
    assert project.snapshot() == before


def test_markup_in_topic_escaped(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("topic: Gaussian processes", "topic: GPs *fast* <b>_x_</b>")
    project.registry.write_text(text, encoding="utf-8")
    assert project.run("render-readme").exit_code == 0
    rows = region(project.readme.read_text(encoding="utf-8"), "past-sessions")
    assert "| Jun 26-27, 2019 (Wed/Thu) | 5-8 p.m. | Selmaan | GPs \\*fast\\* &lt;b>\\_x\\_&lt;/b> |" in rows


def test_missing_readme_reported(project) -> None:
    project.readme.unlink()
    result = project.run("render-readme")
    assert result.exit_code == 1
    assert result.stderr == "README.md:1:1: file not found; README.md must sit beside sessions.yaml and contain the table markers\n"


def test_entity_text_kept_literal(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("topic: Gaussian processes", "topic: GPs &lt; & kernels")
    project.registry.write_text(text, encoding="utf-8")
    assert project.run("render-readme").exit_code == 0
    rows = region(project.readme.read_text(encoding="utf-8"), "past-sessions")
    assert "| Jun 26-27, 2019 (Wed/Thu) | 5-8 p.m. | Selmaan | GPs &amp;lt; & kernels |" in rows
