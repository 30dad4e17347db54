"""Check a participant's attempt (a .py file or a notebook) with the session's own tests.

The attempt is first compiled and imported in a separate process, so a syntax error or a missing
package gives one clear message. Then pytest runs the session's test file with the module loader
pointed at the attempt (see `mlseminar.modules`), and the JUnit report gives each test's outcome.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from mlseminar.modules import OVERRIDE_VARIABLE


class AttemptError(Exception):
    """The attempt cannot be tested: unreadable, not Python, a syntax error or an import error."""


@dataclass(frozen=True)
class TestOutcome:
    name: str
    outcome: str  # "passed", "failed", "not implemented" or "skipped"
    message: str = ""


def _source_of(path: Path) -> tuple[str, list[tuple[int, int]] | None]:
    if path.is_dir():
        raise AttemptError(f"{path}: is a folder; give the path of your .py file or notebook")
    if not path.is_file():
        raise AttemptError(f"{path}: no such file; give the path of your .py file or notebook")
    if path.suffix not in (".py", ".ipynb"):
        raise AttemptError(f"{path}: expected a .py file or an .ipynb notebook, got {path.suffix or 'no suffix'}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise AttemptError(f"{path}: not valid UTF-8 text; save it with UTF-8 encoding") from None
    if path.suffix == ".ipynb":
        from mlseminar.notebook import notebook_code

        try:
            return notebook_code(text, str(path))
        except ValueError as error:
            raise AttemptError(str(error)) from None
    return text, None


def _where(path: Path, line: int, offsets: list[tuple[int, int]] | None) -> str:
    if offsets is None:
        return f"{path}:{line}"
    cell, first = max(((cell, first) for cell, first in offsets if first <= line), default=(offsets[0] if offsets else (1, 1)))
    return f"{path}: cell {cell}, line {line - first + 1}"


def prepare_attempt(path: Path, module: str, workdir: Path) -> Path:
    """Compile and import the attempt; return the .py file that the tests will load."""
    source, offsets = _source_of(path)
    try:
        compile(source, str(path), "exec")
    except SyntaxError as error:
        raise AttemptError(f"{_where(path, error.lineno or 1, offsets)}: syntax error: {error.msg}; fix it and run the check again") from None

    target = workdir / f"{module}.py"
    target.write_text(source, encoding="utf-8")
    probe = (
        "import sys\n"
        "from mlseminar.modules import load_module\n"
        "try:\n"
        f"    load_module({str(target)!r})\n"
        "except BaseException as error:\n"
        "    import traceback\n"
        f"    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == {str(target)!r}]\n"
        "    line = frames[-1].lineno if frames else 0\n"
        "    print(f'{line}\\t{type(error).__name__}: {error}')\n"
        "    sys.exit(1)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=workdir)
    if result.returncode != 0:
        line, _, message = result.stdout.strip().partition("\t")
        where = _where(path, int(line), offsets) if line.isdigit() and int(line) > 0 else str(path)
        if not message:
            # The probe itself failed (for example, mlseminar is not importable): show its last line.
            message = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise AttemptError(f"{where}: importing failed: {message}")
    return target


def run_session_tests(test_file: Path, module: str, attempt: Path, root: Path, workdir: Path) -> tuple[int, list[TestOutcome], str]:
    """Run the session's tests against the attempt; return pytest's exit code, outcomes and output."""
    report = workdir / "report.xml"
    environment = {**os.environ, OVERRIDE_VARIABLE: f"{module}={attempt}", "MLSEMINAR_STRICT": "1"}
    command = [sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider", "--tb=short", f"--junitxml={report}"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=root, env=environment)
    outcomes = []
    if report.is_file():
        for case in ElementTree.parse(report).getroot().iter("testcase"):
            name = case.get("name", "?")
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            if case.find("skipped") is not None:
                outcomes.append(TestOutcome(name, "skipped", case.find("skipped").get("message", "")))
            elif failure is not None:
                lines = [line.strip() for line in (failure.get("message") or "").splitlines() if line.strip()]
                first = lines[0] if lines else "failed"
                if first.rstrip(":") == "AssertionError" and len(lines) > 1:
                    # numpy's assert_allclose starts its message on the second line.
                    first = f"AssertionError: {lines[1]}"
                raised_stub = "NotImplementedError" in first or "NotImplementedError" in (failure.text or "")
                outcomes.append(TestOutcome(name, "not implemented" if raised_stub else "failed", first))
            else:
                outcomes.append(TestOutcome(name, "passed"))
    return result.returncode, outcomes, result.stdout + result.stderr


def check_attempt(session_dir: Path, module: str, attempt: Path, root: Path) -> tuple[int, list[TestOutcome], str]:
    """Prepare the attempt and run the session's tests against it."""
    with tempfile.TemporaryDirectory(prefix="mlseminar-check-") as scratch:
        workdir = Path(scratch)
        prepared = prepare_attempt(attempt.resolve(), module, workdir)
        return run_session_tests(session_dir / f"test_{module}.py", module, prepared, root, workdir)
