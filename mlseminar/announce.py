"""Announcements of a session, as Markdown or as an e-mail message file; nothing is ever sent.

The text comes from two jinja2 templates in the repository's `templates/announce/` folder, one in
Markdown and one as the plain-text body of an e-mail. `email_message` wraps the plain text in an
RFC 5322 message built with the standard library's `email` package.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import jinja2

from mlseminar.readme import template_environment
from mlseminar.registry import PLACEHOLDER_CHAIRS, Registry, Session, TimeRange
from mlseminar.tables import format_dates, format_time

FORMATS = ("markdown", "email")
TEMPLATES = {"markdown": "announce/announcement.md.j2", "email": "announce/email.txt.j2"}
PURPOSES = {1: "theory and readings", 2: "implementation"}
LABELS = {1: "Day one", 2: "Day two"}
TO_BE_ANNOUNCED = "to be announced"
EMAIL_WIDTH = 72


class AnnounceError(ValueError):
    """Raised for an entry that cannot be announced or a missing template; the message gives the fix."""


@dataclass(frozen=True)
class Announcement:
    """A rendered announcement: the subject line and the body in the requested format."""

    subject: str
    body: str


def _long_date(day: dt.date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def _evenings(registry: Registry, session: Session) -> list[dict[str, str]]:
    """Both evenings with weekday, date and time; an evening without a date is 'to be announced'."""
    evenings = []
    for day, (date, own_time) in enumerate(((session.day_one, session.day_one_time), (session.day_two, session.day_two_time)), start=1):
        time: TimeRange | None = own_time or session.time or registry.seminar.default_time
        if date is None:
            when = TO_BE_ANNOUNCED
            if session.month:
                year, month = map(int, session.month.split("-"))
                when += f" (planned for {dt.date(year, month, 1):%B %Y})"
        else:
            when = f"{_long_date(date)}, {format_time(time)}"
        evenings.append({"label": LABELS[day], "purpose": PURPOSES[day], "when": when})
    return evenings


def _chairs(registry: Registry, session: Session) -> str:
    """Chairs by full name where known; open places are mentioned, not shown as placeholders."""
    names = []
    for chair in session.chairs:
        if chair in PLACEHOLDER_CHAIRS:
            continue
        person = registry.person(chair)
        names.append(person.full_name if person and person.full_name else chair)
    open_places = sum(chair in PLACEHOLDER_CHAIRS for chair in session.chairs)
    if not names:
        return TO_BE_ANNOUNCED
    text = " and ".join(names)
    return f"{text}, with a co-chair {TO_BE_ANNOUNCED}" if open_places else text


def _organizer_name(registry: Registry) -> str:
    person = registry.person(registry.seminar.organizer)
    return person.full_name if person and person.full_name else registry.seminar.organizer


def announcement_context(registry: Registry, session: Session) -> dict[str, Any]:
    """Build the variables of the announcement templates for one session."""
    organizer = _organizer_name(registry)
    return {
        "seminar_name": registry.seminar.name,
        "topic": session.title,
        "evenings": _evenings(registry, session),
        "room": session.room or TO_BE_ANNOUNCED,
        "chairs": _chairs(registry, session),
        "readings": session.readings,
        "software": session.software,
        "dinner": (
            f"{organizer} orders dinner for the reading session on day one. Please reply by the day before "
            "if you will come, and mention any dietary needs, so that there is enough for everyone."
        ),
        "repository": registry.seminar.repository,
        "organizer": organizer,
    }


def subject_line(registry: Registry, session: Session) -> str:
    """`Machine Learning from Scratch: Hidden Markov Models, Apr 23+25, 2019 (Tue/Thu)`."""
    when = format_dates(session.days, session.month)
    subject = f"{registry.seminar.name}: {session.title}"
    return f"{subject}, {when}" if when else subject


def render_announcement(registry: Registry, entry_id: str, templates_dir: Path, output_format: str = "markdown") -> Announcement:
    """Render the announcement of session `entry_id` in `output_format` ("markdown" or "email").

    Raises
    ------
    listing.UnknownEntry
        For an id that is not in the registry.
    AnnounceError
        For an entry that is not a session, a cancelled session, an unknown format or a missing template.
    """
    from mlseminar.listing import find_entry

    if output_format not in FORMATS:
        raise AnnounceError(f"unknown format {output_format!r}; use one of {', '.join(FORMATS)}")
    entry = find_entry(registry, entry_id)
    if not isinstance(entry, Session):
        kind = "the kick-off meeting" if entry.kind == "kickoff" else f"a {entry.kind}"
        raise AnnounceError(f"{entry_id!r} is {kind}, not a session; announce takes the id of a session (see `mlseminar list`)")
    if entry.status == "cancelled":
        raise AnnounceError(f"{entry_id!r} is cancelled; set `status: planned` in sessions.yaml before announcing it")

    environment = template_environment(templates_dir)
    try:
        template = environment.get_template(TEMPLATES[output_format])
    except jinja2.TemplateNotFound:
        raise AnnounceError(f"template {TEMPLATES[output_format]} is missing from {templates_dir}; restore templates/announce/") from None
    body = template.render(announcement_context(registry, entry))
    return Announcement(subject_line(registry, entry), body.rstrip("\n") + "\n")


def wrap_plain_text(text: str, width: int = EMAIL_WIDTH) -> str:
    """Wrap long lines at `width` columns, keeping list indentation and never splitting a URL.

    Short lines let the e-mail body travel as plain 7- or 8-bit text instead of quoted-printable.
    """
    lines = []
    for line in text.splitlines():
        if len(line) <= width:
            lines.append(line)
            continue
        marker = re.match(r"^(\s*(?:\d+\.|-)\s+)", line)
        indent = " " * len(marker.group(1)) if marker else re.match(r"^\s*", line).group(0)
        lines += textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines) + "\n"


def email_message(announcement: Announcement, *, sender: str | None = None, recipients: tuple[str, ...] = ()) -> EmailMessage:
    """Wrap a plain-text announcement in an RFC 5322 message with a UTF-8 body.

    The message has no Date header, so the file is the same on every run. A mail client adds
    Date, and From when `sender` is not given, when the draft is sent.
    """
    message = EmailMessage(policy=SMTP)
    message["Subject"] = announcement.subject
    if sender:
        message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message.set_content(wrap_plain_text(announcement.body), subtype="plain", charset="utf-8")
    return message


def email_text(message: EmailMessage) -> str:
    """Serialize the message with CRLF line ends, keeping an 8-bit UTF-8 body readable in the file."""
    return message.as_bytes(policy=SMTP).decode("utf-8")
