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
def validate(
    registry: RegistryOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too, not only on errors.")] = False,
    today: Annotated[Optional[str], typer.Option("--today", help="Date (YYYY-MM-DD) against which planned sessions count as past. Default: today.")] = None,
) -> None:
    """Check sessions.yaml, the schedule and the session folders; print each problem as FILE:LINE:COLUMN: FIELD: message."""
    import datetime as dt

    from mlseminar.folders import folder_problems
    from mlseminar.registry import load_registry
    from mlseminar.schedule import schedule_problems

    try:
        reference_day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        fail(f"--today: {today!r} is not a valid date; write YYYY-MM-DD")
    project = _project(registry)
    try:
        loaded, doc = load_registry(project.registry_path, display_name=project.display(project.registry_path))
    except FileProblems as problems:
        report(problems)
    problems = schedule_problems(loaded, doc, reference_day) + folder_problems(project.root, loaded, doc)
    for problem in problems:
        typer.echo(str(problem), err=True)
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    if errors or (strict and warnings):
        raise typer.Exit(1)
    summary = f"{warnings} warning{'s' if warnings != 1 else ''}" if warnings else "no problems found"
    typer.echo(f"{project.display(project.registry_path)}: {summary}")


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
        try:
            atomic_write(project.readme, result.new)
        except OSError as error:
            fail(f"writing {name} failed, it was left unchanged: {error.strerror or error}")
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


@app.command()
def topics() -> None:
    """List the topic catalog: every topic new-session can scaffold, with its module name."""
    from mlseminar.catalog import load_catalog

    rows = [("TOPIC", "MODULE", "TITLE")] + [(topic.slug, topic.module, topic.title) for topic in load_catalog().topics]
    width = [max(len(row[i]) for row in rows) for i in range(2)]
    for slug, module, title in rows:
        typer.echo(f"{slug.ljust(width[0])}  {module.ljust(width[1])}  {title}")


@app.command("new-session")
def new_session(
    topic: Annotated[str, typer.Option("--topic", help="Catalog slug (see `mlseminar topics`), or a new slug together with --title.")],
    chairs: Annotated[Optional[list[str]], typer.Option("--chairs", help="Short name of a chair; repeat for a second chair. Unknown names are added to people.")] = None,
    dates: Annotated[Optional[tuple[str, str]], typer.Option("--dates", metavar="DAY_ONE DAY_TWO", help="The two evenings as YYYY-MM-DD YYYY-MM-DD.")] = None,
    month: Annotated[Optional[str], typer.Option("--month", help="YYYY-MM, while the exact dates are open.")] = None,
    time: Annotated[Optional[str], typer.Option("--time", help="START-END in 24-hour time, such as 17:00-20:00. Default: the seminar's default time.")] = None,
    room: Annotated[Optional[str], typer.Option("--room", help="A room listed under seminar.rooms.")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Topic title shown in the tables. Default: the catalog title; required for a topic not in the catalog.")] = None,
    session_id: Annotated[Optional[str], typer.Option("--id", help="Session id and folder name. Default: the topic slug.")] = None,
    new_person: Annotated[bool, typer.Option("--new-person", help="Add a chair whose name is close to a known person's as a new person.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the entry and files that would be created, and write nothing.")] = False,
    registry: RegistryOption = None,
) -> None:
    """Scaffold a planned session: an entry in sessions.yaml and a folder sessions/ID from templates/session/."""
    from mlseminar.registry import load_registry
    from mlseminar.scaffold import ScaffoldError, SessionRequest, apply_plan, plan_new_session

    project = _project(registry)
    try:
        loaded, doc = load_registry(project.registry_path, display_name=project.display(project.registry_path))
    except FileProblems as problems:
        report(problems)
    request = SessionRequest(
        topic=topic, session_id=session_id, title=title, chairs=tuple(chairs or ()), dates=dates,
        month=month, time=time, room=room, new_people=new_person,
    )
    try:
        plan = plan_new_session(project, loaded, doc, request)
    except ScaffoldError as error:
        fail(str(error))
    if dry_run:
        typer.echo(plan.describe(project))
        typer.echo("dry run: nothing written")
        return
    try:
        apply_plan(project, plan)
    except OSError as error:
        fail(f"writing the session failed, nothing was kept: {error}")
    typer.echo(plan.describe(project, done=True))
    typer.echo("next: fill in the module, then run `mlseminar render-readme` to show the session in README.md")


def _sessions_with_folders(project: Project, loaded):
    """Sessions whose `folder:` exists on disk, in registry order."""
    return [s for s in loaded.sessions if s.folder and (project.root / s.folder).is_dir()]


def _session_folder(project: Project, entry_id: str) -> Path:
    """Return the existing folder of session `entry_id`, or fail with a message that names what is missing."""
    from mlseminar.listing import UnknownEntry, find_entry
    from mlseminar.registry import Session

    loaded = _load(project)
    try:
        entry = find_entry(loaded, entry_id)
    except UnknownEntry as error:
        fail(str(error))
    if not isinstance(entry, Session) or entry.folder is None:
        fail(f"{entry_id!r} has no session folder; only sessions with `folder:` in sessions.yaml have tasks and tests")
    folder = project.root / entry.folder
    if not folder.is_dir():
        fail(f"{entry.folder} does not exist; create it with `mlseminar new-session` or fix `folder:` in sessions.yaml")
    return folder


@app.command("test")
def test_session(
    entry_id: Annotated[Optional[str], typer.Argument(metavar="[ID]", help="Session id; omit with --all.")] = None,
    all_sessions: Annotated[bool, typer.Option("--all", help="Run the tests of every session folder.")] = False,
    registry: RegistryOption = None,
) -> None:
    """Run a session's tests with pytest and exit with pytest's exit code."""
    from mlseminar.runner import run_pytest

    project = _project(registry)
    if all_sessions == (entry_id is not None):
        fail("give one session ID, or --all for every session")
    if all_sessions:
        loaded = _load(project)
        folders = [project.root / s.folder for s in _sessions_with_folders(project, loaded)]
        if not folders:
            fail("no session folder exists yet")
    else:
        folders = [_session_folder(project, entry_id)]
    raise typer.Exit(run_pytest(folders, project.root))


@app.command("run")
def run_session(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Session id, as `mlseminar list` shows it.")],
    task: Annotated[Optional[str], typer.Argument(metavar="[TASK]", help="Run only this task (the name after task_).")] = None,
    budget: Annotated[float, typer.Option("--budget", help="Time budget per task in seconds; a task over it fails the run.")] = 300.0,
    show_traceback: Annotated[bool, typer.Option("--traceback", help="Print the full traceback of a task that raises.")] = False,
    registry: RegistryOption = None,
) -> None:
    """Run a session's toy tasks, print each one's results and wall time, and save figures."""
    from mlseminar.runner import RunError, run_tasks

    import math

    from mlseminar.runner import MAX_BUDGET_SECONDS

    if not math.isfinite(budget) or not 0 < budget <= MAX_BUDGET_SECONDS:
        fail(f"--budget must be a positive number of seconds, at most {MAX_BUDGET_SECONDS:g}; got {budget:g}")
    project = _project(registry)
    folder = _session_folder(project, entry_id)

    def print_result(result) -> None:
        if not result.ok:
            typer.echo(f"{result.name}: FAILED after {result.seconds:.1f} s: {result.error}", err=True)
            if show_traceback and result.details:
                typer.echo(result.details, err=True)
            return
        over = result.seconds > budget
        typer.echo(f"{result.name}: {'over budget' if over else 'ok'}, {result.seconds:.1f} s of {budget:g} s budget", err=over)
        for key, value in result.results.items():
            typer.echo(f"  {key}: {_short(value)}")

    try:
        run = run_tasks(folder, task, typer.echo, budget=budget, on_result=print_result)
    except RunError as error:
        fail(str(error))
    typer.echo(f"figures in {project.display(folder / 'figures')}")
    if not run.ok:
        raise typer.Exit(1)


@app.command()
def exercise(
    entry_id: Annotated[Optional[str], typer.Argument(metavar="[ID]", help="Session id; omit with --all.")] = None,
    all_sessions: Annotated[bool, typer.Option("--all", help="Every session that has a folder.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 and list the files that are out of date.")] = False,
    registry: RegistryOption = None,
) -> None:
    """Write sessions/ID/exercise/: the module with solutions replaced by stubs, the tasks and a notebook."""
    from mlseminar.exercise import MarkerError, build_exercise, write_exercise
    from mlseminar.folders import NoModule, session_module
    from mlseminar.registry import Session
    from mlseminar.runner import RunError

    project = _project(registry)
    if all_sessions == (entry_id is not None):
        fail("give one session ID, or --all for every session")
    loaded = _load(project)
    if all_sessions:
        sessions = _sessions_with_folders(project, loaded)
    else:
        folder = _session_folder(project, entry_id)
        sessions = [loaded.entry(entry_id)]
    stale_total = errors = 0
    for session in sessions:
        assert isinstance(session, Session) and session.folder is not None
        folder = project.root / session.folder
        try:
            module = session_module(folder)
            files = build_exercise(folder, module, session.title, shown=project.display(folder / f"{module}.py"))
        except (MarkerError, NoModule, RunError) as error:
            typer.echo(f"error: {error}", err=True)
            errors += 1
            continue
        except FileNotFoundError as error:
            typer.echo(f"error: {error.filename}: missing; a session needs its module and tasks.py to build an exercise", err=True)
            errors += 1
            continue
        shown = project.display(files.folder)
        if check:
            stale = files.stale()
            stale_total += len(stale)
            for name in stale:
                typer.echo(f"{shown}/{name} is out of date; run `mlseminar exercise {session.id}`", err=True)
            if not stale:
                typer.echo(f"{shown} is up to date")
        else:
            try:
                changed = write_exercise(files)
            except OSError as error:
                fail(f"writing {shown} failed: {error.strerror or error}")
            typer.echo(f"{shown}: wrote {', '.join(changed)}" if changed else f"{shown} is up to date")
    if stale_total or errors:
        raise typer.Exit(1)


@app.command("check")
def check_attempt(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Session id, as `mlseminar list` shows it.")],
    file: Annotated[Path, typer.Option("--file", help="Your attempt: a .py module or an .ipynb notebook whose code cells define the functions.")],
    details: Annotated[bool, typer.Option("--details", help="Also print pytest's full output.")] = False,
    registry: RegistryOption = None,
) -> None:
    """Run a session's tests against your own implementation and show which tests pass."""
    from mlseminar.attempt import AttemptError
    from mlseminar.attempt import check_attempt as run_check
    from mlseminar.folders import NoModule, session_module

    project = _project(registry)
    folder = _session_folder(project, entry_id)
    try:
        module = session_module(folder)
        code, outcomes, output = run_check(folder, module, file, project.root)
    except (AttemptError, NoModule) as error:
        fail(str(error))
    width = max((len(outcome.name) for outcome in outcomes), default=0)
    for outcome in outcomes:
        label = {"passed": "PASS", "failed": "FAIL", "not implemented": "TODO", "skipped": "SKIP"}[outcome.outcome]
        suffix = f"  {outcome.message}" if outcome.message else ""
        typer.echo(f"{label}  {outcome.name.ljust(width)}{suffix}")
    passed = sum(outcome.outcome == "passed" for outcome in outcomes)
    typer.echo(f"{passed} of {len(outcomes)} tests pass")
    if details or not outcomes:
        typer.echo(output)
    raise typer.Exit(code)


def _short(value: object) -> str:
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 100 else text[:97] + "..."


def main() -> None:
    """Entry point of the `mlseminar` console script."""
    app()


def _register_more_commands() -> None:
    from mlseminar import cli_logistics

    cli_logistics.register(app)


_register_more_commands()
