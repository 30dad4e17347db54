"""Folder checks of `mlseminar validate`: each breach of the session folder contract is one line."""

from __future__ import annotations

import json


def gp_folder(project):
    project.add_session_folders()
    return project.root / "sessions" / "gp"


def validate_errors(project) -> list[str]:
    """Run validate on a day before the planned February 2022 session, so it warns about nothing."""
    result = project.run("validate", "--today", "2022-01-15")
    assert "Traceback" not in result.stderr
    return result.stderr.splitlines()


def test_complete_folders_pass(project) -> None:
    project.add_session_folders()
    assert project.run("validate", "--today", "2022-01-15").exit_code == 0


def test_missing_readme(project) -> None:
    (gp_folder(project) / "README.md").unlink()
    assert validate_errors(project) == ["sessions/gp:1:1: README.md is missing; every session folder has one (see CONTRIBUTING.md)"]


def test_test_file_without_module(project) -> None:
    (gp_folder(project) / "model.py").unlink()
    assert validate_errors(project) == ["sessions/gp/test_model.py:1:1: test_model.py has no module model.py beside it; name the test file after the module it tests"]


def test_missing_folder_of_held_session(project) -> None:
    project.add_session_folders()
    for path in sorted((project.root / "sessions" / "gp").iterdir()):
        path.unlink()
    (project.root / "sessions" / "gp").rmdir()
    assert validate_errors(project) == ["sessions/gp:1:1: folder of held session 'gp' is missing; create it or remove `folder:` from the entry"]


def test_absolute_sys_path(project) -> None:
    (gp_folder(project) / "tasks.py").write_text("import sys\n\nsys.path.append('/home/anna/seminar')\n", encoding="utf-8")
    errors = validate_errors(project)
    assert len(errors) == 1
    assert errors[0].startswith("sessions/gp/tasks.py:3:1: adds an absolute path to sys.path")


def test_local_path_in_readme(project) -> None:
    (gp_folder(project) / "README.md").write_text("Data in\n/Users/selmaan/data.csv\n", encoding="utf-8")
    errors = validate_errors(project)
    assert errors == ["sessions/gp/README.md:2:1: contains a local path ('/Users/selmaan'); load session files with mlseminar.testing.load_sibling or relative paths"]


def test_exercise_notebook_with_outputs(project) -> None:
    exercise = gp_folder(project) / "exercise"
    exercise.mkdir()
    notebook = {"cells": [{"cell_type": "code", "source": "1 + 1", "outputs": [{"output_type": "execute_result"}], "execution_count": 1, "metadata": {}}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (exercise / "gp.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    assert validate_errors(project) == ["sessions/gp/exercise/gp.ipynb:1:1: cell 1 has outputs; commit exercise notebooks without outputs (regenerate with mlseminar exercise)"]


def test_file_over_five_megabytes(project) -> None:
    big = gp_folder(project) / "data.bin"
    with big.open("wb") as stream:
        stream.truncate(5 * 1024 * 1024 + 1)
    errors = validate_errors(project)
    assert errors == ["sessions/gp/data.bin:1:1: file is 5.0 MB, over the 5 MB limit; shrink it or generate it at run time"]


def test_readme_image_missing(project) -> None:
    folder = gp_folder(project)
    (folder / "figures").mkdir()
    (folder / "figures" / "fit.png").write_bytes(b"png")
    (folder / "README.md").write_text("![fit](figures/fit.png)\n\n![gap](figures/gap.png)\n![web](https://example.org/a.png)\n", encoding="utf-8")
    assert validate_errors(project) == ["sessions/gp/README.md:3:1: embeds image 'figures/gap.png', which does not exist; run the task that makes it or fix the path"]


def test_unregistered_folder(project) -> None:
    project.add_session_folders()
    (project.root / "sessions" / "scratch").mkdir()
    errors = validate_errors(project)
    assert errors == ["sessions/scratch:1:1: no session in sessions.yaml has id 'scratch' and this folder; add an entry with `folder: sessions/scratch` or rename the folder"]


def test_python_syntax_error(project) -> None:
    (gp_folder(project) / "tasks.py").write_text("def task_x(figures_dir):\n    return {\n", encoding="utf-8")
    errors = validate_errors(project)
    assert len(errors) == 1
    assert errors[0].startswith("sessions/gp/tasks.py:2:")
    assert "syntax error" in errors[0]
