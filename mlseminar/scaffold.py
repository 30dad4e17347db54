"""Create a new session: a planned entry in sessions.yaml and a session folder rendered from templates.

The registry is edited as text, not re-serialised: the new entry (and any new person) is inserted
as a block of lines, so every other byte of sessions.yaml (comments, blank lines, quoting, key
order) stays as it was. The result is parsed and validated before anything is written.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import keyword
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from mlseminar.catalog import ApiItem, TaskIdea, Topic, load_catalog
from mlseminar.project import Project
from mlseminar.readme import template_environment
from mlseminar.registry import (
    PLACEHOLDER_CHAIRS,
    SLUG,
    TIME,
    Registry,
    Session,
    TimeRange,
    entry_sort_key,
    closest,
    first_line_break_or_control,
    load_registry_text,
)
from mlseminar.tables import format_chairs, format_dates, format_time
from mlseminar.yamlfile import FileProblems, YamlDocument, atomic_write

SESSION_TEMPLATES = "session"
ENTRY_TEMPLATE = "registry/session_entry.yaml.j2"


class ScaffoldError(Exception):
    """A request that cannot be carried out; the message names the option and the fix."""


@dataclass(frozen=True)
class SessionRequest:
    """The chair's request from the command line; a None field takes its default."""

    topic: str
    session_id: str | None = None
    title: str | None = None
    chairs: tuple[str, ...] = ()
    dates: tuple[str, str] | None = None
    month: str | None = None
    time: str | None = None
    room: str | None = None
    new_people: bool = False


@dataclass
class Plan:
    """Everything `new-session` will write, computed before anything is written."""

    session_id: str
    folder: Path
    entry_text: str
    added_people: list[str]
    registry_text: str
    files: dict[str, str] = field(default_factory=dict)

    def describe(self, project: Project, done: bool = False) -> str:
        """List the entry, the new people and the files, as a plan or (with `done`) as a record."""
        add, create = ("added", "created") if done else ("add", "create")
        lines = [f"{add} to {project.display(project.registry_path)}:", *("  " + line for line in self.entry_text.splitlines())]
        for person in self.added_people:
            lines.append(f"{add} person {person!r} to people")
        lines.append(f"{create} {project.display(self.folder)}/ with:")
        lines += [f"  {name}" for name in sorted(self.files)]
        return "\n".join(lines)


def slugify(text: str) -> str:
    """Suggest an id for free text: lower case, hyphens between words, nothing else."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "session"


def check_id(session_id: str) -> str:
    """Return a valid id unchanged, or raise ScaffoldError with a normalised suggestion."""
    if SLUG.match(session_id):
        return session_id
    reasons = []
    if "/" in session_id or "\\" in session_id:
        reasons.append("contains a path separator")
    if ".." in session_id:
        reasons.append("contains '..'")
    if any(ch.isspace() for ch in session_id):
        reasons.append("contains spaces")
    if any(ch.isupper() for ch in session_id):
        reasons.append("contains capitals")
    why = ", ".join(reasons) or "has characters other than lower-case letters, digits and single hyphens"
    raise ScaffoldError(f"--id {session_id!r} {why}; ids are lower-case letters, digits and hyphens, for example {slugify(session_id)!r}")


# File names a session folder already uses for something else.
RESERVED_MODULES = {"tasks", "conftest", "exercise", "figures", "test"}


def generic_topic(slug: str, title: str) -> Topic:
    """A topic for a title that is not in the catalog: one stub function and no readings yet."""
    module = slug.replace("-", "_")
    if not module.isidentifier() or keyword.iskeyword(module) or module in RESERVED_MODULES or module.startswith("test_"):
        raise ScaffoldError(
            f"--topic {slug!r} would name the module {module}.py, which is not a usable Python module name; "
            "choose a slug that starts with a letter and is not a Python keyword or one of tasks, conftest, exercise, figures, test"
        )
    return Topic.model_construct(
        slug=slug,
        title=title,
        summary=f"TODO: one paragraph on {title}: what the model is, what it is good at, and where it fails.",
        readings=[],
        module=module,
        notation="TODO: every letter used in the code, with its meaning and shape.",
        api=[
            ApiItem(
                name="log_likelihood",
                signature="(params, data)",
                docstring="Log-likelihood of `data` under the model with parameters `params`.\n\nReturns\n-------\nfloat",
            )
        ],
        tasks=[TaskIdea(name="toy_problem", description=f"A toy problem that shows what {title} does well and where it fails.")],
        tests=(
            "def test_log_likelihood_reference():\n"
            "    # TODO: compare with an exact reference (closed form, brute force or a peer library).\n"
            f"    value = {module}.log_likelihood(None, None)\n"
            "    assert np.isfinite(value)\n"
        ),
    )


def _parse_date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ScaffoldError(f"{option}: {text!r} is not a valid date; write YYYY-MM-DD, such as 2027-03-02") from None


def _parse_time(text: str) -> TimeRange:
    start, separator, end = text.partition("-")
    if not separator or not TIME.match(start) or not TIME.match(end):
        raise ScaffoldError(f"--time: {text!r} is not a time range; write START-END in 24-hour time, such as 17:00-20:00")
    if end <= start:
        raise ScaffoldError(f"--time: end {end} is not after start {start}")
    return TimeRange(start=start, end=end)


def _resolve_chairs(registry: Registry, chairs: tuple[str, ...], new_people: bool) -> tuple[list[str], list[str]]:
    """Return the chairs and the people to add, rejecting likely misspellings of known people."""
    if len(chairs) > 2:
        raise ScaffoldError(f"--chairs given {len(chairs)} times; a session has one or two chairs")
    known = [person.short_name for person in registry.people]
    added = []
    for chair in chairs:
        if not chair.strip():
            raise ScaffoldError("--chairs: empty name; give the chair's short name, such as 'Anna K.'")
        if chair in known or chair in PLACEHOLDER_CHAIRS:
            continue
        lowered = {name.lower(): name for name in known}
        near = [lowered[match] for match in difflib.get_close_matches(chair.lower(), list(lowered), n=1, cutoff=0.6)]
        if near and not new_people:
            raise ScaffoldError(
                f"--chairs: {chair!r} is not in people; did you mean {near[0]!r}? Pass --new-person to add {chair!r} as a new person"
            )
        added.append(chair)
    if len(set(chairs)) != len(chairs):
        raise ScaffoldError("--chairs: the same person is given twice")
    return list(chairs), added


def _q(value: str) -> str:
    """Quote a string for YAML as a JSON string, which YAML reads back unchanged."""
    return json.dumps(str(value), ensure_ascii=False)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    return starts


def _list_layout(doc: YamlDocument, text: str, key: str) -> tuple[int, int]:
    """Return (dash column, key column), 0-based, of the block list under top-level `key`."""
    lines = text.splitlines()
    line, column = doc.value_positions[(key, 0)]
    dash = lines[line - 1].index("-")
    return dash, column - 1


def _end_of_list(doc: YamlDocument, text: str, key: str) -> int:
    """Return the 0-based line index after the last line of the top-level list `key`.

    The list ends before the next top-level key, and before the blank and comment lines above it.
    """
    lines = text.splitlines()
    start = doc.key_positions[(key,)][0]
    following = sorted(line for loc, (line, _) in doc.key_positions.items() if len(loc) == 1 and line > start)
    end = (following[0] - 1) if following else len(lines)
    while end > start and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _entry_start(doc: YamlDocument, text: str, index: int) -> int:
    """Return the 0-based line index where entry `index` begins, including the comments above it."""
    lines = text.splitlines()
    line = doc.value_positions[("entries", index)][0] - 1
    while line > 0 and lines[line - 1].lstrip().startswith("#"):
        line -= 1
    return line


def _indent(block: str, dash: int, key: int) -> list[str]:
    """Indent a rendered `- key: ...` block to the file's dash and key columns."""
    result = []
    for number, line in enumerate(block.splitlines()):
        if number == 0:
            result.append(" " * dash + "-" + " " * (key - dash - 1) + line[2:])
        else:
            result.append(" " * (key - 2) + line if line.strip() else "")
    return result


def _insert_lines(text: str, line_index: int, new_lines: list[str]) -> str:
    """Insert whole lines before 0-based line `line_index`, keeping the file's line ending."""
    newline = "\r\n" if "\r\n" in text else "\n"
    starts = _line_starts(text)
    if line_index >= len(starts) or (line_index == len(starts) - 1 and starts[-1] == len(text)):
        prefix = text if text.endswith(("\n", "\r")) or not text else text + newline
        return prefix + newline.join(new_lines) + newline
    offset = starts[line_index]
    return text[:offset] + newline.join(new_lines) + newline + text[offset:]


def insert_entry(text: str, doc: YamlDocument, registry: Registry, entry_block: str, session: Session) -> str:
    """Insert a rendered entry into the `entries` list at its chronological position."""
    if not registry.entries:
        raise ScaffoldError("sessions.yaml has no entries yet; add the first entry by hand, then use new-session")
    dash, key = _list_layout(doc, text, "entries")
    block = _indent(entry_block, dash, key)

    new_key = entry_sort_key(session)
    after = None
    for index, entry in enumerate(registry.entries):
        entry_key = entry_sort_key(entry)
        if new_key is not None and entry_key is not None and entry_key > new_key:
            after = index
            break
    if after is None:
        return _insert_lines(text, _end_of_list(doc, text, "entries"), ["", *block])
    return _insert_lines(text, _entry_start(doc, text, after), [*block, ""])


def insert_people(text: str, doc: YamlDocument, names: list[str]) -> str:
    """Append people, by short name, to the end of the `people` list."""
    if not names:
        return text
    dash, key = _list_layout(doc, text, "people")
    lines = [" " * dash + "-" + " " * (key - dash - 1) + f"short_name: {_q(name)}" for name in names]
    return _insert_lines(text, _end_of_list(doc, text, "people"), lines)


def _docstring_safe(text: str) -> str:
    """Make text safe inside a triple-quoted docstring: no closing quotes, no trailing backslash."""
    return str(text).replace('"""', "'''").rstrip('\\')


def _environment(project: Project) -> jinja2.Environment:
    """The strict template environment with the scaffolding filters `q` and `docstring`."""
    environment = template_environment(project.templates)
    environment.filters["q"] = _q
    environment.filters["docstring"] = _docstring_safe
    return environment


def _render_folder(project: Project, context: dict, module: str) -> dict[str, str]:
    environment = _environment(project)
    folder = project.templates / SESSION_TEMPLATES
    if not folder.is_dir():
        raise ScaffoldError(f"{project.display(folder)} is missing; the session templates must be in templates/session/")
    files = {}
    for template_path in sorted(folder.rglob("*.j2")):
        relative = template_path.relative_to(project.templates).as_posix()
        name = template_path.relative_to(folder).as_posix()[: -len(".j2")]
        name = name.replace("test_module.py", f"test_{module}.py").replace("module.py", f"{module}.py")
        try:
            files[name] = environment.get_template(relative).render(**context)
        except jinja2.TemplateError as error:
            raise ScaffoldError(f"{project.display(template_path)}: rendering failed: {error}") from None
    return files


def plan_new_session(project: Project, registry: Registry, doc: YamlDocument, request: SessionRequest) -> Plan:
    """Work out the registry edit and the files of a new session; raises ScaffoldError for bad requests."""
    for option, value in (("--title", request.title), *(("--chairs", chair) for chair in request.chairs)):
        if value is not None and first_line_break_or_control(value) is not None:
            raise ScaffoldError(f"{option}: {value!r} contains a line break or control character; give it on one line")
    if request.title is not None and not request.title.strip():
        raise ScaffoldError("--title is empty; give the topic's title, such as 'Diffusion models'")
    topic = load_catalog().topic(request.topic)
    if topic is None:
        if not SLUG.match(request.topic):
            raise ScaffoldError(f"--topic {request.topic!r} is not a slug; use lower-case words joined by hyphens, such as {slugify(request.topic)!r}")
        if not request.title:
            suggestions = closest(request.topic, [t.slug for t in load_catalog().topics])
            hint = f"did you mean {suggestions[0]!r}? " if suggestions else ""
            raise ScaffoldError(
                f"--topic {request.topic!r} is not in the catalog ({hint}`mlseminar topics` lists it); "
                "for a new topic, also give its --title"
            )
        topic = generic_topic(request.topic, request.title)

    session_id = check_id(request.session_id or topic.slug)
    existing = registry.entry(session_id)
    folder = project.sessions_dir / session_id
    if existing is not None:
        line = doc.position(("entries", registry.entries.index(existing), "id"))[0]
        raise ScaffoldError(
            f"id {session_id!r} is already used in {project.display(project.registry_path)} (line {line}); choose another with --id, such as '{session_id}-2'"
        )
    if folder.exists():
        raise ScaffoldError(f"{project.display(folder)} already exists; choose another id with --id, or move the folder")

    chairs, added_people = _resolve_chairs(registry, request.chairs, request.new_people)

    day_one = day_two = None
    if request.dates and request.month:
        raise ScaffoldError("--dates and --month cannot be combined; give the two dates, or the month while they are open")
    if request.dates:
        day_one = _parse_date(request.dates[0], "--dates")
        day_two = _parse_date(request.dates[1], "--dates")
        if day_two <= day_one:
            raise ScaffoldError(f"--dates: day two ({day_two}) is not after day one ({day_one})")
    month = None
    if request.month:
        if not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", request.month):
            raise ScaffoldError(f"--month: {request.month!r} is not a month; write YYYY-MM, such as 2027-03")
        month = request.month

    time = _parse_time(request.time) if request.time else registry.seminar.default_time
    room_names = [room.name for room in registry.seminar.rooms]
    if request.room is not None and request.room not in room_names:
        suggestions = closest(request.room, room_names)
        hint = f"did you mean {suggestions[0]!r}? " if suggestions else ""
        raise ScaffoldError(f"--room {request.room!r} is not listed under seminar.rooms; {hint}rooms: {', '.join(room_names)}")

    title = request.title or topic.title
    folder_name = f"sessions/{session_id}"
    session = Session(
        kind="session",
        id=session_id,
        status="planned",
        topic=title,
        chairs=chairs,
        day_one=day_one,
        day_two=day_two,
        month=month,
        time=time,
        room=request.room,
        readings=topic.readings,
        folder=folder_name,
    )

    environment = _environment(project)
    try:
        entry_block = environment.get_template(ENTRY_TEMPLATE).render(
            id=session_id, topic=title, chairs=chairs, day_one=day_one, day_two=day_two, month=month,
            time=time, room=request.room, folder=folder_name, readings=topic.readings,
        )
    except jinja2.TemplateError as error:
        raise ScaffoldError(f"templates/{ENTRY_TEMPLATE}: rendering failed: {error}") from None

    # Read the bytes, not text mode, so that Windows line endings and a byte-order mark survive.
    original = doc.path.read_bytes().decode("utf-8") if doc.path.exists() else ""
    text = insert_people(original, doc, added_people)
    # Positions shift by the people lines, so locate the entry in the re-parsed text.
    _, shifted_doc = _reparse(project, text, "adding the new people")
    text = insert_entry(text, shifted_doc, registry, entry_block, session)

    new_registry, _ = _reparse(project, text, "adding the new entry")
    if [entry.id for entry in new_registry.entries if entry.id != session_id] != [entry.id for entry in registry.entries]:
        raise ScaffoldError("internal error: inserting the entry changed other entries; sessions.yaml was not written")

    context = {
        "id": session_id,
        "title": title,
        "summary": topic.summary,
        "readings": topic.readings,
        "module": topic.module,
        "notation": topic.notation,
        "api": topic.api,
        "tasks": topic.tasks,
        "tests": topic.tests,
        "dates": format_dates(session.days, month),
        "time": format_time(time),
        "chairs": format_chairs(chairs),
        "room": request.room,
    }
    files = _render_folder(project, context, topic.module)
    return Plan(session_id, folder, entry_block, added_people, text, files)


def _reparse(project: Project, text: str, step: str) -> tuple[Registry, YamlDocument]:
    """Validate edited registry text; a problem means the edit is wrong, so nothing gets written."""
    try:
        return load_registry_text(text, project.registry_path, display_name=project.display(project.registry_path))
    except FileProblems as problems:
        raise ScaffoldError(f"{step} would make sessions.yaml invalid, so nothing was written: {problems.problems[0]}") from None


def apply_plan(project: Project, plan: Plan) -> None:
    """Write the session folder and the registry; on any failure, leave both as they were."""
    project.sessions_dir.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".new-{plan.session_id}-", dir=project.sessions_dir))
    try:
        for name, content in plan.files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        os.rename(staging, plan.folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        atomic_write(project.registry_path, plan.registry_text)
    except BaseException:
        shutil.rmtree(plan.folder, ignore_errors=True)
        raise
