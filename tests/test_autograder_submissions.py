"""Importing a class's submissions: nbgrader tree, folder of student folders, LMS zip, and the naming rule."""
import zipfile

import pytest

from autograder.submissions import collect, notebook_stem, student_id, which_notebook

NOTEBOOKS = ["squares", "extra"]
CONTENT = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def touch(path, text=CONTENT):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("name, expected", [
    ("ada", "ada"),
    ("Ada Lovelace_4711_assignsubmission_file_", "Ada_Lovelace_4711"),
    ("grace.hopper", "grace.hopper"),
    ("../..", None),
])
def test_student_id(name, expected):
    assert student_id(name) == expected


@pytest.mark.parametrize("filename, expected", [
    ("squares.ipynb", "squares"),
    ("squares-1.ipynb", "squares"),
    ("squares (2).ipynb", "squares"),
    ("squares-Copy1.ipynb", "squares"),
    ("Copy of squares.ipynb", "squares"),
    ("lovelaceada_4711_93_squares-2.ipynb", "squares"),
    ("extra.ipynb", "extra"),
    ("squares.py", None),
    ("cubes.ipynb", None),
    ("mysquares.ipynb", None),
])
def test_which_notebook(filename, expected):
    assert which_notebook(filename, NOTEBOOKS) == expected
    assert notebook_stem("a-1 (3).ipynb") == "a"


def test_folder_of_student_folders(tmp_path):
    incoming = tmp_path / "in"
    touch(incoming / "ada" / "squares.ipynb")
    touch(incoming / "ada" / "extra (1).ipynb")
    touch(incoming / "ada" / "data" / "points.csv", "x,y\n")
    touch(incoming / "bob" / "work" / "squares-2.ipynb")  # nested and renamed
    touch(incoming / "bob" / "scratch.ipynb")
    touch(incoming / "cy" / "squares-10.ipynb", "latest")
    touch(incoming / "cy" / "squares-9.ipynb")
    touch(incoming / "cy" / "squares.ipynb")
    touch(incoming / "cy" / ".ipynb_checkpoints" / "squares-checkpoint.ipynb")
    touch(incoming / "README.txt", "instructions")
    result = collect(incoming, "ex", NOTEBOOKS, tmp_path / "out")
    assert sorted(result.folders) == ["ada", "bob", "cy"]
    assert (tmp_path / "out" / "ada" / "extra.ipynb").exists()
    assert (tmp_path / "out" / "ada" / "data" / "points.csv").read_text() == "x,y\n"
    assert (tmp_path / "out" / "bob" / "squares.ipynb").exists()
    assert result.missing == {"bob": ["extra"], "cy": ["extra"]}
    assert (tmp_path / "out" / "cy" / "squares.ipynb").read_text() == "latest"
    assert "graded extra (1).ipynb as extra.ipynb" in result.notes["ada"]
    unmatched = dict(result.unmatched)
    assert unmatched["bob/scratch.ipynb"] == "notebook not part of the assignment"
    assert unmatched["README.txt"] == "not a notebook of this assignment"
    assert "cy/.ipynb_checkpoints/squares-checkpoint.ipynb" in unmatched


def test_nbgrader_submitted_tree(tmp_path):
    incoming = tmp_path / "submitted"
    touch(incoming / "ada" / "ex" / "squares.ipynb")
    touch(incoming / "ada" / "ex" / "timestamp.txt", "2024-05-01 10:00:00")
    touch(incoming / "ada" / "other_assignment" / "squares.ipynb")
    touch(incoming / "bob" / "other_assignment" / "squares.ipynb")
    result = collect(incoming, "ex", NOTEBOOKS, tmp_path / "out")
    assert list(result.folders) == ["ada"]
    assert (tmp_path / "out" / "ada" / "timestamp.txt").read_text() == "2024-05-01 10:00:00"
    assert ("bob", "no folder ex/ inside") in result.unmatched


def test_lms_zip(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        # Canvas: flat files, student before the first underscore, resubmissions numbered
        z.writestr("export/lovelaceada_4711_93_squares.ipynb", CONTENT)
        z.writestr("export/lovelaceada_4711_94_squares-1.ipynb", CONTENT.replace("[]", "[ ]"))
        z.writestr("export/hoppergrace_LATE_12_13_extra.ipynb", CONTENT)
        # Moodle: one folder per student
        z.writestr("export/Alan Turing_99_assignsubmission_file_/squares.ipynb", CONTENT)
        z.writestr("export/squares.ipynb", CONTENT)  # no student name
        z.writestr("export/syllabus.pdf", "%PDF")
        z.writestr("__MACOSX/export/._squares.ipynb", "junk")
        z.writestr("../evil.ipynb", CONTENT)
    result = collect(archive, "ex", NOTEBOOKS, tmp_path / "out")
    assert sorted(result.folders) == ["Alan_Turing_99", "hoppergrace", "lovelaceada"]
    assert (tmp_path / "out" / "lovelaceada" / "squares.ipynb").read_text() == CONTENT.replace("[]", "[ ]")
    assert any("several files for squares.ipynb" in note for note in result.notes["lovelaceada"])
    unmatched = dict(result.unmatched)
    assert unmatched["../evil.ipynb"] == "unsafe path or link in the zip, refused"
    assert unmatched["squares.ipynb"] == "no student name before an underscore in the file name"
    assert unmatched["syllabus.pdf"] == "not a notebook of this assignment"
    assert not (tmp_path / "evil.ipynb").exists()


def test_single_notebook_assignment_takes_any_name(tmp_path):
    touch(tmp_path / "in" / "ada" / "my work.ipynb")
    result = collect(tmp_path / "in", "ex", ["squares"], tmp_path / "out")
    assert (tmp_path / "out" / "ada" / "squares.ipynb").exists()
    assert result.notes["ada"] == ["graded my work.ipynb as squares.ipynb"]
