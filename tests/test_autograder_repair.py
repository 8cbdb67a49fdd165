"""RepairCells: a submission's lost, deleted, duplicated or foreign nbgrader cells are lined up with the release."""
import copy

import nbformat
import pytest

from autograder import derive
from tests.fixtures import example_course as example
from autograder.preprocessors import RepairCells


@pytest.fixture
def release(tmp_path):
    """The example notebook stands in for the release notebook (RepairCells reads only metadata and text)."""
    nb = example.squares_notebook()
    nbformat.write(nb, tmp_path / "squares.ipynb")
    return nb, str(tmp_path / "{notebook}.ipynb")


def repair(nb, path):
    nb, _ = RepairCells(release_notebook=path).preprocess(
        copy.deepcopy(nb), {"nbgrader": {"assignment": "ex", "notebook": "squares"}})
    return nb


def ids(nb):
    return [derive.grade_id(cell) for cell in nb.cells]


def notes(nb):
    return nb.metadata.get("autograder", {}).get("notes", [])


def test_intact_notebook_is_unchanged(release):
    nb, path = release
    assert repair(nb, path).cells == nb.cells
    assert notes(repair(nb, path)) == []


def test_stripped_metadata_is_reattached_to_the_same_cells(release):
    nb, path = release
    repaired = repair(derive.without_metadata(nb), path)
    assert ids(repaired) == ids(nb)
    assert [c.source for c in repaired.cells] == [c.source for c in nb.cells]
    assert ["q1_test_hidden", "the cell had lost its nbgrader metadata; it was restored"] in notes(repaired)


def test_deleted_test_cells_come_back_in_place(release):
    nb, path = release
    repaired = repair(derive.without_cells(nb, ["q1_test_visible", "q2_test_hidden"]), path)
    assert ids(repaired) == ids(nb)
    assert ["q2_test_hidden", "the cell was missing and was restored from the assignment"] in notes(repaired)


def test_deleted_and_stripped_together(release):
    nb, path = release
    repaired = repair(derive.without_metadata(derive.without_cells(nb, ["q1_test_visible", "q1_square"])), path)
    assert ids(repaired) == ids(nb)


def test_duplicated_cell_keeps_the_last_copy(release):
    nb, path = release
    nb = copy.deepcopy(nb)
    answer = next(c for c in nb.cells if derive.grade_id(c) == "q1_square")
    first_try = copy.deepcopy(answer)
    first_try.source = "# first try"
    nb.cells.insert(nb.cells.index(answer), first_try)
    repaired = repair(nb, path)
    assert ids(repaired).count("q1_square") == 1
    kept = next(c for c in repaired.cells if derive.grade_id(c) == "q1_square")
    assert kept.source == answer.source
    assert ["q1_square", "the cell was duplicated; the last copy was graded"] in notes(repaired)


def test_foreign_grade_id_becomes_an_ordinary_cell(release):
    nb, path = release
    nb = copy.deepcopy(nb)
    stray = copy.deepcopy(nb.cells[3])
    stray.metadata.nbgrader["grade_id"] = "q9_from_another_notebook"
    nb.cells.append(stray)
    repaired = repair(nb, path)
    assert "nbgrader" not in repaired.cells[-1].metadata
    assert ids(repaired) == ids(nb)[:-1] + [None]


def test_edited_read_only_cell_is_reported(release):
    nb, path = release
    repaired = repair(derive.with_cell_source(nb, "q2_test_visible", "pass"), path)
    assert ["q2_test_visible", "the read-only cell had been edited; the original was used"] in notes(repaired)


def test_cells_moved_out_of_order_are_put_back(release):
    """An answer moved below its own tests (nbgrader issue 1941) goes back before them, with the student's
    scratch cell that followed it."""
    nb, path = release
    moved = copy.deepcopy(nb)
    answer = next(i for i, cell in enumerate(moved.cells) if derive.grade_id(cell) == "q2_mean")
    scratch = nbformat.v4.new_code_cell("print(mean([1, 2]))")
    cells = moved.cells[:answer] + moved.cells[answer + 1:]
    after_tests = [derive.grade_id(c) for c in cells].index("q2_test_hidden") + 1
    moved.cells = cells[:after_tests] + [moved.cells[answer], scratch] + cells[after_tests:]
    repaired = repair(moved, path)
    order = ids(repaired)
    assert order.index("q2_mean") < order.index("q2_test_visible") < order.index("q2_test_hidden")
    assert repaired.cells[order.index("q2_mean") + 1].source == scratch.source
    assert any("out of the assignment's order" in text and "q2" in text for _, text in notes(repaired))


def test_cells_in_order_are_left_alone(release):
    nb, path = release
    repaired = repair(nb, path)
    assert ids(repaired) == ids(nb)
    assert not any("order" in text for _, text in notes(repaired))
