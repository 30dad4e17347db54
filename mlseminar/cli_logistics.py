"""Commands for the organizer's logistics: announcements, the calendar export and README import.

They are registered on the main app by `register`, so cli.py stays short. Each command parses its
options, calls the library, prints, and leaves through typer.Exit with code 1 on bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from mlseminar.registry import first_line_break_or_control

from mlseminar.project import ProjectNotFound, find_project
from mlseminar.yamlfile import FileProblems

RegistryOption = Annotated[
    Optional[Path],
    typer.Option("--registry", help="Path of sessions.yaml. Default: the nearest sessions.yaml at or above the working folder."),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite the --output file if it exists.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error to stderr and leave with `code`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def report(problems: FileProblems, heading: str | None = None) -> NoReturn:
    """Print every problem on stderr, after an optional error line, and leave with code 1."""
    if heading:
        typer.echo(f"error: {heading}", err=True)
    for problem in problems.problems:
        typer.echo(str(problem), err=True)
    raise typer.Exit(1)


def _load(registry_path: Path | None):
    """Find and validate the registry; return (project, registry) or leave with its problems."""
    from mlseminar.registry import load_registry

    try:
        project = find_project(registry_path)
    except ProjectNotFound as error:
        fail(str(error))
    try:
        registry, _ = load_registry(project.registry_path, display_name=project.display(project.registry_path))
    except FileProblems as problems:
        report(problems)
    return project, registry


def _check_output(path: Path, force: bool) -> None:
    """Fail before any work when `path` cannot be written: an existing file without --force, or no folder."""
    if path.is_dir():
        fail(f"--output {path} is a folder; give a file name such as {path / 'out.txt'}")
    if path.exists() and not force:
        fail(f"{path} already exists; pass --force to overwrite it, or choose another --output")
    if not path.parent.is_dir():
        fail(f"the folder of --output {path} does not exist; create {path.parent} first")


def _write(path: Path, text: str) -> None:
    from mlseminar.yamlfile import atomic_write

    try:
        atomic_write(path, text)
    except OSError as error:
        fail(f"writing {path} failed, nothing was written: {error.strerror or error}")


def _today(value: str | None):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError:
        fail(f"--today: {value!r} is not a valid date; write YYYY-MM-DD")


def announce(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Id of the session to announce, as `mlseminar list` shows it.")],
    output_format: Annotated[str, typer.Option("--format", help="markdown (printed, or written with --output) or email (an RFC 5322 message file; needs --output).")] = "markdown",
    output: Annotated[Optional[Path], typer.Option("--output", help="File to write. Default for markdown: print to stdout.")] = None,
    force: ForceOption = False,
    sender: Annotated[Optional[str], typer.Option("--from", help="From address of the e-mail, such as 'Johannes Bill <jb@example.org>'.")] = None,
    recipients: Annotated[Optional[list[str]], typer.Option("--to", help="To address of the e-mail; repeat for more recipients.")] = None,
    registry: RegistryOption = None,
) -> None:
    """Render the announcement of a session from templates/announce/; nothing is sent."""
    from mlseminar.announce import FORMATS, AnnounceError, email_message, email_text, render_announcement
    from mlseminar.listing import UnknownEntry

    if output_format not in FORMATS:
        fail(f"--format {output_format!r} is not supported; use --format markdown or --format email")
    if output_format == "email" and output is None:
        fail("--format email writes a message file; add --output FILE, such as --output announcement.eml")
    if output_format == "markdown" and (sender or recipients):
        fail("--from and --to set e-mail headers; use them with --format email")
    for option, value in (("--from", sender), *(("--to", address) for address in recipients or ())):
        if value is not None and first_line_break_or_control(value) is not None:
            fail(f"{option}: {value!r} contains a line break; an e-mail header must be one line")
    if output is not None:
        _check_output(output, force)

    project, loaded = _load(registry)
    try:
        announcement = render_announcement(loaded, entry_id, project.templates, output_format)
    except (UnknownEntry, AnnounceError) as error:
        fail(str(error))

    if output_format == "email":
        text = email_text(email_message(announcement, sender=sender, recipients=tuple(recipients or ())))
    else:
        text = announcement.body
    if output is None:
        typer.echo(text, nl=False)
        return
    _write(output, text)
    typer.echo(f"wrote {output} ({output_format}); subject: {announcement.subject}")


def calendar(
    output: Annotated[Optional[Path], typer.Option("--output", help="The .ics file to write. Default: print to stdout.")] = None,
    upcoming: Annotated[bool, typer.Option("--upcoming", help="Only sessions whose last evening is today or later.")] = False,
    today: Annotated[Optional[str], typer.Option("--today", help="Date (YYYY-MM-DD) that --upcoming counts from. Default: today.")] = None,
    force: ForceOption = False,
    registry: RegistryOption = None,
) -> None:
    """Export every dated evening as an iCalendar file, one event per evening, with stable UIDs."""
    from mlseminar.ical import CalendarError, export_calendar

    reference_day = _today(today)
    if today is not None and not upcoming:
        fail("--today only applies together with --upcoming; add --upcoming or leave out --today")
    if output is not None:
        _check_output(output, force)
    _, loaded = _load(registry)
    try:
        export = export_calendar(loaded, upcoming_from=reference_day if upcoming else None)
    except CalendarError as error:
        fail(str(error))

    if export.undated:
        typer.echo(f"note: left out, no dates yet: {', '.join(export.undated)}", err=True)
    if output is None:
        typer.echo(export.text, nl=False)
        return
    _write(output, export.text)
    typer.echo(f"wrote {output}: {export.events} evening{'s' if export.events != 1 else ''}")


def import_readme(
    readme: Annotated[Path, typer.Argument(metavar="PATH", help="The README.md whose session tables are read.")],
    output: Annotated[Path, typer.Option("--output", help="The registry file to write, such as sessions.yaml.")],
    force: ForceOption = False,
) -> None:
    """Build a registry from the session tables of an existing seminar README."""
    from mlseminar import import_readme as importer

    _check_output(output, force)
    try:
        result = importer.parse_readme_file(readme)
    except FileProblems as problems:
        report(problems)
    for warning in result.warnings:
        typer.echo(str(warning), err=True)
    try:
        registry = importer.validate_import(result, output)
    except FileProblems as problems:
        report(problems, f"the registry built from {readme} is invalid, so nothing was written:")

    _write(output, result.text)
    kinds = [entry.kind if entry.kind != "session" else entry.status for entry in registry.entries]
    counts = ", ".join(f"{kinds.count(kind)} {kind}" for kind in ("held", "planned", "cancelled", "kickoff", "break") if kind in kinds)
    typer.echo(f"wrote {output}: {len(registry.entries)} entries ({counts}), {len(registry.people)} people")
    typer.echo("next: check the seminar section (rooms, organizer, time zone), then run `mlseminar validate`")


def register(app: typer.Typer) -> None:
    """Add the logistics commands to `app`."""
    app.command("announce")(announce)
    app.command("calendar")(calendar)
    app.command("import-readme")(import_readme)

