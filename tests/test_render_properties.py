"""Property tests: rendering is idempotent and never touches text outside the markers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mlseminar.readme import MARKER, REGIONS, render_tables, replace_regions
from mlseminar.registry import Break, Kickoff, Person, Registry, Room, Seminar, Session, TimeRange

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NAMES = ["Anna K.", "Anna", "John", "Johannes", "Zoë", "Seul Ah"]

cell_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(str.strip)
times = st.sampled_from([TimeRange(start="17:00", end="20:00"), TimeRange(start="18:00", end="20:30"), TimeRange(start="09:00", end="13:00")])


@st.composite
def sessions(draw: st.DrawFn, index: int, day: dt.date) -> Session:
    status = draw(st.sampled_from(["planned", "held", "cancelled"]))
    gap = draw(st.integers(1, 10))
    month_only = status == "planned" and draw(st.booleans())
    return Session(
        kind="session",
        id=f"s{index}",
        status=status,
        topic=draw(cell_text) if status == "held" or draw(st.booleans()) else None,
        chairs=draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True)),
        day_one=None if month_only else day,
        day_two=None if month_only else day + dt.timedelta(days=gap),
        month=day.strftime("%Y-%m") if month_only else None,
        time=draw(times),
        folder=f"sessions/s{index}",
    )


@st.composite
def registries(draw: st.DrawFn) -> Registry:
    entries = []
    day = dt.date(2019, 1, 1)
    for index in range(draw(st.integers(0, 8))):
        day += dt.timedelta(days=draw(st.integers(20, 90)))
        kind = draw(st.sampled_from(["session", "session", "kickoff", "break"]))
        if kind == "session":
            entries.append(draw(sessions(index, day)))
        elif kind == "kickoff":
            entries.append(Kickoff(kind="kickoff", id=f"k{index}", status="held", title=draw(cell_text), date=day, chairs=["John"]))
        else:
            entries.append(Break(kind="break", id=f"b{index}", title=draw(cell_text), decoration=draw(st.none() | cell_text)))
    return Registry(
        seminar=Seminar(name="Seminar", organizer="John", default_time=TimeRange(start="17:00", end="20:00"), rooms=[Room(name="GB 422", capacity=10)], suggested_topics=draw(st.lists(cell_text, max_size=3))),
        people=[Person(short_name=name) for name in NAMES],
        entries=entries,
    )


free_text = st.text(max_size=200).filter(lambda text: not MARKER.search(text))


@settings(max_examples=60, deadline=None)
@given(registry=registries(), before=free_text, between=free_text, after=free_text, old_tables=st.lists(free_text, min_size=3, max_size=3))
def test_render_idempotent_outside_kept(tmp_path_factory, registry, before, between, after, old_tables) -> None:
    root = tmp_path_factory.mktemp("readme")
    parts = [before]
    for name, old in zip(REGIONS, old_tables):
        parts.append(f"<!-- BEGIN {name} -->{old}<!-- END {name} -->")
        parts.append(between)
    parts.append(after)
    text = "".join(parts)

    tables = render_tables(registry, root, TEMPLATES)
    once = replace_regions(text, tables, "README.md")
    twice = replace_regions(once, tables, "README.md")

    assert twice == once
    assert once.startswith(before + "<!-- BEGIN upcoming-sessions -->")
    assert once.endswith("<!-- END suggested-topics -->" + between + after)
    # The tables take the file's line endings: CRLF as soon as the text contains one.
    newline = "\r\n" if "\r\n" in text else "\n"
    for name in REGIONS:
        inside = once.split(f"<!-- BEGIN {name} -->")[1].split(f"<!-- END {name} -->")[0]
        assert inside == newline + tables[name].replace("\n", newline) + newline
