"""The `mlseminar` command line: parse options, call the library, print, and map errors to exit codes.

numpy and matplotlib are imported only inside the commands that run session code, so `--help` and
the registry commands start quickly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer

from mlseminar.project import Project, ProjectNotFound, find_project
from mlseminar.yamlfile import FileProblems

app = typer.Typer(
    help="Keep the seminar's session registry, README tables and session folders in order.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

RegistryOption = Annotated[
    Optional[Path],
    typer.Option("--registry", help="Path of sessions.yaml. Default: the nearest sessions.yaml at or above the working folder."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error to stderr and leave with `code`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def report(problems: FileProblems) -> NoReturn:
    for problem in problems.problems:
        typer.echo(str(problem), err=True)
    raise typer.Exit(1)


def _project(registry: Path | None) -> Project:
    try:
        return find_project(registry)
    except ProjectNotFound as error:
        fail(str(error))


def _load(project: Project):
    from mlseminar.registry import load_registry

    try:
        registry, _ = load_registry(project.registry_path, display_name=project.display(project.registry_path))
    except FileProblems as problems:
        report(problems)
    return registry


@app.command()
def validate(registry: RegistryOption = None) -> None:
    """Check sessions.yaml and print every problem, one line each as FILE:LINE:COLUMN: FIELD: message."""
    project = _project(registry)
    _load(project)
    typer.echo(f"{project.display(project.registry_path)}: no problems found")


@app.command("render-readme")
def render_readme(
    registry: RegistryOption = None,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 with a unified diff if README.md is out of date.")] = False,
    stdout: Annotated[bool, typer.Option("--stdout", help="Print the rendered README.md instead of writing it.")] = False,
) -> None:
    """Regenerate the session tables in README.md from sessions.yaml."""
    from mlseminar import readme
    from mlseminar.yamlfile import atomic_write

    if check and stdout:
        fail("--check and --stdout cannot be combined; use one of them")
    project = _project(registry)
    loaded = _load(project)
    name = project.display(project.readme)
    try:
        result = readme.render_readme(loaded, project.readme, project.templates)
    except FileProblems as problems:
        report(problems)

    if stdout:
        typer.echo(result.new, nl=False)
    elif check:
        if result.changed:
            typer.echo(result.diff(name), nl=False)
            fail(f"{name} is out of date; run `mlseminar render-readme`")
        typer.echo(f"{name} is up to date")
    elif result.changed:
        atomic_write(project.readme, result.new)
        typer.echo(f"wrote {name}")
    else:
        typer.echo(f"{name} is up to date")


@app.command("list")
def list_entries(registry: RegistryOption = None) -> None:
    """Print every registry entry as a table."""
    from mlseminar.listing import list_table

    typer.echo(list_table(_load(_project(registry))))


@app.command()
def show(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Id of a session, the kick-off or a break, as `mlseminar list` shows it.")],
    registry: RegistryOption = None,
) -> None:
    """Print one session with its dates, chairs, readings and folder."""
    from mlseminar.listing import UnknownEntry, find_entry, show_entry

    project = _project(registry)
    loaded = _load(project)
    try:
        entry = find_entry(loaded, entry_id)
    except UnknownEntry as error:
        fail(str(error))
    typer.echo(show_entry(loaded, entry, project.root))


def main() -> None:
    """Entry point of the `mlseminar` console script."""
    app()
