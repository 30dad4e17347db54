"""`mlseminar announce`: Markdown on stdout, an RFC 5322 message file, and one-line errors."""

from __future__ import annotations

import email
from email import policy

import pytest


def test_markdown_has_session_facts(project) -> None:
    result = project.run("announce", "hmm")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("# Machine Learning from Scratch: Hidden Markov Models\n")
    assert "**Day one** (theory and readings): Tuesday, April 23, 2019, 5-8 p.m." in text
    assert "**Day two** (implementation): Thursday, April 25, 2019, 5-8 p.m." in text
    assert "**Room:** to be announced" in text
    assert "**Chairs:** Chong and Alex" in text
    assert "[A Tutorial on Hidden Markov Models and Selected Applications in Speech Recognition](https://doi.org/10.1109/5.18626)" in text
    assert "beyond Python 3" in text
    assert "Johannes Bill orders dinner" in text


def test_markdown_room_software_and_full_names(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace(
        "    folder: sessions/gp\n", "    folder: sessions/gp\n    room: WAB 236\n    software: [scikit-learn, jax]\n"
    )
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("announce", "gp")
    assert result.exit_code == 0, result.stderr
    assert "**Room:** WAB 236" in result.stdout
    assert "- scikit-learn\n- jax\n" in result.stdout
    assert "**Day two** (implementation): Thursday, June 27, 2019, 5-8 p.m." in result.stdout


def test_markdown_month_only_session(project) -> None:
    result = project.run("announce", "feb-2022")
    assert result.exit_code == 0, result.stderr
    assert "# Machine Learning from Scratch: T.B.A." in result.stdout
    assert "to be announced (planned for February 2022)" in result.stdout
    assert "**Chairs:** John, with a co-chair to be announced" in result.stdout


def test_markdown_written_with_output(project) -> None:
    result = project.run("announce", "vae", "--output", "vae.md")
    assert result.exit_code == 0, result.stderr
    written = (project.root / "vae.md").read_text(encoding="utf-8")
    assert written == project.run("announce", "vae").stdout


def test_email_parses_back(project) -> None:
    result = project.run("announce", "gp", "--format", "email", "--output", "gp.eml", "--to", "seminar@example.org", "--from", "Johannes <jb@example.org>")
    assert result.exit_code == 0, result.stderr
    raw = (project.root / "gp.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)

    # The subject is folded onto its own line at 78 columns; Python's parser keeps the space of the fold.
    assert message["Subject"].strip() == "Machine Learning from Scratch: Gaussian processes, Jun 26-27, 2019 (Wed/Thu)"
    assert message["To"] == "seminar@example.org"
    assert message["From"] == "Johannes <jb@example.org>"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "Day one (theory and readings): Wednesday, June 26, 2019, 5-8 p.m." in body
    assert "Chairs: Selmaan" in body
    assert "Görtler, J.; Kehlbeck, R.; Deussen, O. (2019)" in body
    assert "https://gaussianprocess.org/gpml/" in body
    assert "Dinner" in body
    assert b"\r\n" in raw
    assert max(len(line) for line in body.splitlines()) <= 78


def test_email_needs_output(project) -> None:
    before = project.snapshot()
    result = project.run("announce", "hmm", "--format", "email")
    assert result.exit_code == 1
    assert "error: --format email writes a message file; add --output FILE" in result.stderr
    assert project.snapshot() == before


def test_existing_output_needs_force(project) -> None:
    (project.root / "hmm.eml").write_text("old\n", encoding="utf-8")
    before = project.snapshot()
    result = project.run("announce", "hmm", "--format", "email", "--output", "hmm.eml")
    assert result.exit_code == 1
    assert "hmm.eml already exists; pass --force to overwrite it" in result.stderr
    assert project.snapshot() == before

    forced = project.run("announce", "hmm", "--format", "email", "--output", "hmm.eml", "--force")
    assert forced.exit_code == 0
    assert (project.root / "hmm.eml").read_text(encoding="utf-8").startswith("Subject:")


@pytest.mark.parametrize(
    "args, message",
    [
        (("announce", "hm"), "unknown id 'hm'; did you mean 'hmm'?"),
        (("announce", "covid-break"), "'covid-break' is a break, not a session"),
        (("announce", "kickoff"), "'kickoff' is the kick-off meeting, not a session"),
        (("announce", "hmm", "--format", "html"), "--format 'html' is not supported; use --format markdown or --format email"),
        (("announce", "hmm", "--to", "a@example.org"), "--from and --to set e-mail headers; use them with --format email"),
    ],
    ids=["unknown id", "break", "kickoff", "bad format", "headers without email"],
)
def test_bad_input_one_line_error(project, args: tuple[str, ...], message: str) -> None:
    before = project.snapshot()
    result = project.run(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert project.snapshot() == before


def test_cancelled_session_rejected(project) -> None:
    text = project.registry.read_text(encoding="utf-8").replace("    status: planned\n", "    status: cancelled\n")
    project.registry.write_text(text, encoding="utf-8")
    result = project.run("announce", "feb-2022")
    assert result.exit_code == 1
    assert "'feb-2022' is cancelled" in result.stderr


def test_missing_template_reported(project) -> None:
    (project.root / "templates" / "announce" / "announcement.md.j2").unlink()
    result = project.run("announce", "hmm")
    assert result.exit_code == 1
    assert "template announce/announcement.md.j2 is missing" in result.stderr


def test_email_header_line_break_rejected(project, tmp_path) -> None:
    output = tmp_path / "a.eml"
    result = project.run("announce", "hmm", "--format", "email", "--output", str(output), "--from", "a@b.org\nBcc: x@y.org")
    assert result.exit_code == 1
    assert "--from: 'a@b.org\\nBcc: x@y.org' contains a line break" in result.stderr
    assert not output.exists()


@pytest.mark.parametrize("separator", ["\x0c", "\x0b", "\u2028"])
def test_email_header_other_line_breaks_rejected(project, tmp_path, separator) -> None:
    output = tmp_path / "a.eml"
    result = project.run("announce", "hmm", "--format", "email", "--output", str(output), "--to", f"a@b.org{separator}Bcc: x")
    assert result.exit_code == 1
    assert "contains a line break" in result.stderr
    assert not output.exists()
