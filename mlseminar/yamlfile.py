"""Read a YAML file with line numbers for every value, and write files atomically.

The registry is read with ruamel.yaml in round-trip mode, which keeps the line and column of every
key and value. `load_yaml` turns the document into plain Python values and a table of positions,
so that a validation error on `entries[3].chairs` can name `sessions.yaml:57:5`.

It also reports the YAML 1.1 traps. The registry is parsed as YAML 1.2, but other tools that read it
(PyYAML, many editors' plugins) follow YAML 1.1, where an unquoted `17:00` is the integer 1020 and
an unquoted `no` is the boolean false. Such values must be quoted.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import ScalarString

# A path into the document: keys and list indices, e.g. ("entries", 3, "chairs").
Loc = tuple[str | int, ...]

SEXAGESIMAL = re.compile(r"^[-+]?\d+(:[0-5]?\d)+(\.\d*)?$")
YAML11_BOOLEANS = {"y", "n", "yes", "no", "on", "off"}


@dataclass(frozen=True)
class Problem:
    """One finding about a file, printed as `FILE:LINE:COLUMN: FIELD: MESSAGE`."""

    file: str
    line: int
    column: int
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        label = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}: {self.field}: {label}{self.message}" if self.field else f"{where}: {label}{self.message}"


class FileProblems(Exception):
    """Raised with every problem found in a file; nothing has been written when it is raised."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class YamlDocument:
    """Plain data of a YAML file, with the 1-based (line, column) of every key and value."""

    path: Path
    display_name: str
    data: Any
    value_positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    plain_scalars: set[Loc] = field(default_factory=set)

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Return the position of `loc`, or of its nearest ancestor that has one."""
        table = self.key_positions if key else self.value_positions
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefix in table:
                return table[prefix]
            if prefix in self.value_positions:
                return self.value_positions[prefix]
        return (1, 1)

    def problem(self, loc: Loc, message: str, *, key: bool = False, severity: str = "error") -> Problem:
        line, column = self.position(loc, key=key)
        return Problem(self.display_name, line, column, format_loc(loc), message, severity)


def format_loc(loc: Loc) -> str:
    """Format ("entries", 3, "chairs") as `entries[3].chairs`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps an impossible date such as 2019-02-30 as its text.

    The standard constructor raises a ValueError without a line number and stops the whole load.
    Keeping the text lets validation report it, with its position, beside every other problem.
    """

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return node.value


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _walk(node: Any, loc: Loc, doc: YamlDocument) -> Any:
    """Convert ruamel's round-trip containers to dicts and lists, recording positions on the way."""
    if isinstance(node, CommentedMap):
        result = {}
        for key, value in node.items():
            child = (*loc, str(key))
            key_line, key_col = node.lc.key(key)
            value_line, value_col = node.lc.value(key)
            doc.key_positions[child] = (key_line + 1, key_col + 1)
            doc.value_positions[child] = (value_line + 1, value_col + 1)
            result[str(key)] = _walk(value, child, doc)
        return result
    if isinstance(node, CommentedSeq):
        result_list = []
        for index, value in enumerate(node):
            child = (*loc, index)
            line, col = node.lc.item(index)
            doc.value_positions[child] = (line + 1, col + 1)
            doc.key_positions[child] = (line + 1, col + 1)
            result_list.append(_walk(value, child, doc))
        return result_list
    if isinstance(node, str) and not isinstance(node, ScalarString):
        doc.plain_scalars.add(loc)
        return str(node)
    if isinstance(node, ScalarString):
        return str(node)
    if isinstance(node, bool | int | float | dt.date) or node is None:
        # ruamel's round-trip scalars subclass these; keep the plain built-in value.
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, dt.datetime):
            return dt.datetime.fromisoformat(node.isoformat())
        if isinstance(node, dt.date):
            return dt.date(node.year, node.month, node.day)
        return int(node) if isinstance(node, int) else float(node)
    return node


def read_text(path: Path, display_name: str, missing: str = "file not found; check the path") -> str:
    """Read a UTF-8 text file; a file that is not UTF-8 raises FileProblems with the line of the bad byte.

    `missing` is the message for a file that does not exist, so each caller can name its own fix.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileProblems([Problem(display_name, 1, 1, "", missing)]) from None
    except IsADirectoryError:
        raise FileProblems([Problem(display_name, 1, 1, "", "is a folder, not a file; give the path of the file")]) from None
    except OSError as error:
        raise FileProblems([Problem(display_name, 1, 1, "", f"cannot be read: {error.strerror}")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise FileProblems(
            [Problem(display_name, line, column, "", f"not valid UTF-8 (byte 0x{raw[error.start]:02x}); save the file with UTF-8 encoding")]
        ) from None


def load_yaml(path: Path, display_name: str | None = None) -> YamlDocument:
    """Parse a YAML file into a YamlDocument.

    Raises
    ------
    FileProblems
        For a missing, unreadable or non-UTF-8 file, a YAML syntax error, or an empty document.
    """
    display_name = display_name or path.name
    return parse_yaml(read_text(path, display_name), path, display_name)


def parse_yaml(text: str, path: Path, display_name: str) -> YamlDocument:
    """Parse YAML text as if read from `path`; see `load_yaml`."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.preserve_quotes = True
    try:
        node = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = " ".join(part for part in (error.context, error.problem) if part)
        raise FileProblems([Problem(display_name, line, column, "", f"YAML syntax error: {detail}; fix the YAML at this position")]) from None
    except YAMLError as error:
        raise FileProblems([Problem(display_name, 1, 1, "", f"YAML syntax error: {error}")]) from None

    doc = YamlDocument(path=path, display_name=display_name, data=None)
    doc.data = _walk(node, (), doc)
    return doc


def yaml11_traps(doc: YamlDocument) -> Iterator[Problem]:
    """Yield a problem for each unquoted value that a YAML 1.1 parser reads as a number or boolean."""
    for loc in sorted(doc.plain_scalars, key=lambda loc: doc.position(loc)):
        value = _get(doc.data, loc)
        if not isinstance(value, str):
            continue
        if SEXAGESIMAL.match(value):
            yield doc.problem(
                loc,
                f'unquoted {value} is read as a base-60 number by YAML 1.1 parsers; write it in quotes: "{value}"',
            )
        elif value.lower() in YAML11_BOOLEANS:
            yield doc.problem(
                loc,
                f'unquoted {value} is read as a boolean by YAML 1.1 parsers; write it in quotes: "{value}"',
            )


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename.

    A reader sees either the old or the new file, never a half-written one, and an error leaves
    the old file untouched. The file's permission bits are kept.
    """
    path = Path(path)
    if path.exists() and (not path.stat().st_mode & 0o222 or not os.access(path, os.W_OK)):
        # A rename would replace a write-protected file anyway, so honour the protection here.
        raise PermissionError(errno.EACCES, "the file is write-protected", str(path))
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
