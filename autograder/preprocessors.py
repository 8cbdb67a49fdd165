"""nbgrader preprocessors that make autograding dependable; grade.py adds them to nbgrader's own pipeline.

Sanitizing (before nbgrader's ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
CheckCellMetadata):
- RepairCells: puts back what students break in the notebook's structure: deleted test cells, cells whose
  nbgrader metadata was stripped, duplicated or unknown grade ids. nbgrader then restores the content of
  every read-only cell (OverwriteCells compares checksums) and re-inserts hidden tests.
Autograding (RobustExecute replaces nbgrader's Execute; StderrIsNotFailure runs right after it):
- RobustExecute: a per-cell timeout with a message a student understands, a dead kernel fails only the cell
  that killed it (the kernel is restarted and the cells before are re-run), a time budget per notebook, and
  output limited in bytes and figures while it is produced.
- StderrIsNotFailure: text on stderr in a test cell (a warning) no longer scores the test 0; errors still do.

Every preprocessor records what it did, in words, in the notebook's metadata ("autograder" -> "notes"), where
the grading worker reads it for the student's status line.
"""
import copy
import json
import time

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.client import NotebookClient
from nbformat.notebooknode import from_dict
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

from autograder.sandbox import SandboxKernelManager


def add_note(nb, grade_id, text):
    """Record a note for the status line: grade_id is the cell concerned ("" for the whole notebook)."""
    notes = nb.metadata.setdefault("autograder", {}).setdefault("notes", [])
    if [grade_id, text] not in notes:
        notes.append([grade_id, text])


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def _error_output(ename, evalue):
    return from_dict({"output_type": "error", "ename": ename, "evalue": evalue,
                      "traceback": [f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]})


_BLANK = from_dict({"output_type": "stream", "name": "stdout", "text": ""})


def _is_blank(output):
    return output.output_type == "stream" and not output.text


class RepairCells(NbGraderPreprocessor):
    """Re-attach or re-insert the release notebook's nbgrader cells that a submission lost.

    A careful TA lines up the submission with the release notebook: cells keep their place between the
    cells around them. Read-only cells (tests, setup) are recognised by their text, answer cells by their
    place; whatever cannot be found is inserted, from the release notebook, after the cell that precedes it.
    """

    release_notebook = Unicode("", help="path of the release notebook; {assignment} and {notebook} "
                                        "are replaced").tag(config=True)

    def preprocess(self, nb, resources):
        ids = resources["nbgrader"]
        path = self.release_notebook.format(assignment=ids["assignment"], notebook=ids["notebook"])
        release = nbformat.read(path, as_version=4)
        self._drop_bad_ids(nb, release)
        matched = self._match(nb, release)
        nb.cells = self._rebuild(nb, release, matched)
        return nb, resources

    def _drop_bad_ids(self, nb, release):
        """Remove nbgrader metadata that nbgrader would choke on: unknown ids, duplicates, missing keys."""
        known = {_nbgrader(cell)["grade_id"]: cell for cell in release.cells if "grade_id" in _nbgrader(cell)}
        last = {}
        for index, cell in enumerate(nb.cells):
            last[_nbgrader(cell).get("grade_id")] = index
        for index, cell in enumerate(nb.cells):
            if "nbgrader" not in cell.metadata:
                continue
            grade_id = _nbgrader(cell).get("grade_id")
            if grade_id not in known:
                del cell.metadata["nbgrader"]
                add_note(nb, grade_id or "", "a cell carried nbgrader metadata of a cell that does not exist in "
                                             "the assignment; it was graded as an ordinary cell")
            elif last[grade_id] != index:
                # like nbgrader's DeduplicateIds, the last copy keeps the id
                del cell.metadata["nbgrader"]
                add_note(nb, grade_id, "the cell was duplicated; the last copy was graded")
            else:
                # keep the student's content, take the cell's role (grade, points, locked...) from the release
                cell.metadata["nbgrader"] = copy.deepcopy(known[grade_id].metadata["nbgrader"])

    def _match(self, nb, release):
        """{release index: submission index} for every release nbgrader cell found in the submission."""
        position = {_nbgrader(cell).get("grade_id"): i for i, cell in enumerate(nb.cells)
                    if "nbgrader" in cell.metadata}
        matched = {}
        for r, cell in enumerate(release.cells):
            grade_id = _nbgrader(cell).get("grade_id")
            if grade_id in position:
                matched[r] = position[grade_id]
        taken = set(matched.values())

        def window(r):
            """Submission indices between the matched cells before and after release cell r."""
            before = max((s for q, s in matched.items() if q < r), default=-1)
            after = min((s for q, s in matched.items() if q > r), default=len(nb.cells))
            return [s for s in range(before + 1, after) if s not in taken]

        # read-only cells and plain text first: they are anchors recognised by their exact text
        for r, cell in enumerate(release.cells):
            if r in matched or _nbgrader(cell).get("solution"):
                continue
            for s in window(r):
                sub = nb.cells[s]
                if sub.cell_type == cell.cell_type and sub.source.strip() == cell.source.strip():
                    matched[r] = s
                    taken.add(s)
                    break
        # answer cells: the first unclaimed cell of the same type in their place
        for r, cell in enumerate(release.cells):
            if r in matched or not _nbgrader(cell).get("solution"):
                continue
            for s in window(r):
                if nb.cells[s].cell_type == cell.cell_type:
                    matched[r] = s
                    taken.add(s)
                    break
        return matched

    def _rebuild(self, nb, release, matched):
        """The submission's cells with metadata re-attached and missing nbgrader cells inserted in place."""
        inserted_after = {}  # submission index (-1: start) -> release cells to insert after it
        previous = -1
        for r, cell in enumerate(release.cells):
            meta = _nbgrader(cell)
            if r in matched:
                previous = matched[r]
                sub = nb.cells[previous]
                if meta and "nbgrader" not in sub.metadata:
                    sub.metadata["nbgrader"] = copy.deepcopy(meta)
                    add_note(nb, meta["grade_id"], "the cell had lost its nbgrader metadata; it was restored")
            elif meta.get("grade") or meta.get("locked"):
                inserted_after.setdefault(previous, []).append(copy.deepcopy(cell))
                add_note(nb, meta["grade_id"], "the cell was missing and was restored from the assignment")
            elif meta.get("solution"):
                inserted_after.setdefault(previous, []).append(copy.deepcopy(cell))
                add_note(nb, meta["grade_id"], "the answer cell was missing; the empty one from the assignment "
                                               "was put back")
        cells = list(inserted_after.get(-1, []))
        for s, cell in enumerate(nb.cells):
            cells.append(cell)
            cells.extend(inserted_after.get(s, []))
        for cell in cells:
            meta = _nbgrader(cell)
            released = next((c for c in release.cells if _nbgrader(c).get("grade_id") == meta.get("grade_id")), None)
            if meta.get("locked") and released is not None and cell.source.strip() != released.source.strip():
                add_note(nb, meta["grade_id"], "the read-only cell had been edited; the original was used")
        return cells


class RobustExecute(Execute):
    """nbgrader's Execute, made to survive what student code does to a kernel.

    - A cell that runs longer than `timeout` is interrupted and fails with a message in plain words.
    - A cell that kills the kernel (os._exit, a crash, running out of memory or CPU time) fails; a new kernel
      re-runs the cells before it and grading goes on with the next cell (at most `max_restarts` times).
    - After `notebook_timeout` seconds the remaining cells are not run and fail with a note.
    - Output is limited while it arrives: `max_text_bytes` of text and `max_figures` images per cell,
      `max_output_bytes` for all outputs of the notebook.
    Every failure ends up as an error output in the cell concerned, so nbgrader scores it 0.
    """

    notebook_timeout = Integer(600, help="time budget of the whole notebook (s)").tag(config=True)
    max_restarts = Integer(3, help="kernel restarts allowed per notebook").tag(config=True)
    max_text_bytes = Integer(100_000, help="text output kept per cell (bytes)").tag(config=True)
    max_figures = Integer(10, help="images kept per cell").tag(config=True)
    max_output_bytes = Integer(10_000_000, help="all outputs kept per notebook (bytes)").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self.error_on_timeout = {
            "ename": "TimeoutError",
            "evalue": f"this cell ran longer than {self.timeout} seconds and was stopped. Look for a loop that "
                      "never ends, or work that is much bigger than the question needs.",
            "traceback": [f"TimeoutError: this cell ran longer than {self.timeout} seconds and was stopped."],
        }
        self._total_bytes = 0
        self._replaying = False
        deadline = time.monotonic() + self.notebook_timeout
        finished = []  # code cells that ran to the end (with or without an error), to re-run after a restart
        index, restarts = 0, 0
        while index < len(self.nb.cells):
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                if restarts and not self._replay(finished):
                    break
                while index < len(self.nb.cells):
                    if time.monotonic() > deadline:
                        break
                    try:
                        self.preprocess_cell(self.nb.cells[index], resources, index)
                    except (DeadKernelError, CellTimeoutError) as error:
                        self._kernel_lost(index, error)
                        index, restarts = index + 1, restarts + 1
                        break
                    finished.append(index)
                    index += 1
            if time.monotonic() > deadline or restarts > self.max_restarts:
                break
        self._not_run(index, deadline)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _kernel_lost(self, index, error):
        """Fail the cell that killed or hung the kernel, in words."""
        cell = self.nb.cells[index]
        grade_id = _nbgrader(cell).get("grade_id", "")
        if isinstance(error, CellTimeoutError):
            message = (f"this cell ran longer than {self.timeout} seconds and did not stop when interrupted, so "
                       "its Python kernel was shut down. Look for a loop that never ends.")
        else:
            message = ("the Python kernel stopped while running this cell (for example os._exit(), exit(), a "
                       "crash in compiled code, or too much memory or CPU time). The cells before it were re-run "
                       "in a new kernel and grading went on with the next cell.")
        cell.outputs.append(_error_output("KernelStopped", message))
        add_note(self.nb, grade_id, "stopped the Python kernel" if isinstance(error, DeadKernelError)
                 else "ran forever and ignored the interrupt")

    def _replay(self, finished):
        """Re-run the cells that ran before the kernel was lost, keeping their first outputs; False if it dies."""
        self._replaying = True
        try:
            for index in finished:
                original = self.nb.cells[index]
                self.execute_cell(copy.deepcopy(original), index, store_history=False)
                self.nb.cells[index] = original
            return True
        except (DeadKernelError, CellTimeoutError):
            add_note(self.nb, "", "the kernel stopped again while re-running earlier cells")
            return False
        finally:
            self._replaying = False

    def _not_run(self, start, deadline):
        """Fail every code cell from start on that did not run (a cell without output would score full marks)."""
        late = time.monotonic() > deadline
        reason = (f"the notebook used up its {self.notebook_timeout} s time budget" if late
                  else "the Python kernel stopped too many times")
        for cell in self.nb.cells[start:]:
            if cell.cell_type == "code" and cell.source.strip():
                cell.outputs = [_error_output("NotRun", f"this cell was not run: {reason}.")]
        if start < len(self.nb.cells):
            add_note(self.nb, "", f"cells after the first {start} were not run: {reason}")

    def preprocess_cell(self, cell, resources, index):
        self._cell_text = self._cell_figures = 0
        self._dropped = set()
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type != "code":
            return cell, resources
        cell.outputs = [out for out in cell.outputs if not _is_blank(out)]
        if any(out.output_type == "error" and out.get("evalue") == self.error_on_timeout["evalue"]
               for out in cell.outputs):
            add_note(self.nb, _nbgrader(cell).get("grade_id", ""),
                     f"ran longer than {self.timeout} s and was stopped")
        if self._dropped:
            dropped = " and ".join(sorted(self._dropped))
            cell.outputs.append(from_dict({"output_type": "stream", "name": "stdout",
                                           "text": f"\n[autograder: output cut here: {dropped}]\n"}))
            add_note(self.nb, _nbgrader(cell).get("grade_id", ""), f"output was cut ({dropped})")
        return cell, resources

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or self._replaying:
            return out
        size = len(json.dumps(out))
        if out.output_type == "stream":
            room = min(self.max_text_bytes - self._cell_text, self.max_output_bytes - self._total_bytes)
            if len(out.text) > room:
                out.text = out.text[:max(room, 0)]
                self._dropped.add(f"more than {self.max_text_bytes // 1000} kB of text")
            self._cell_text += len(out.text)
            size = len(out.text)
        elif out.output_type == "error":
            # errors decide the grade: keep them, shortened
            out.evalue = out.evalue[:2000]
            out.traceback = [line[:2000] for line in out.traceback[:200]]
            size = 0
        elif any(key.startswith("image/") for key in out.get("data", {})):
            self._cell_figures += 1
            if self._cell_figures > self.max_figures:
                self._dropped.add(f"more than {self.max_figures} figures")
                size = None
        if size is None or self._total_bytes + size > self.max_output_bytes:
            if size is not None:
                self._dropped.add(f"the notebook's outputs exceeded {self.max_output_bytes // 1_000_000} MB")
            # blank it in place rather than remove it: nbclient keeps output indices for display updates
            outs[-1] = copy.deepcopy(_BLANK)  # super().output() has just appended it
            return None
        self._total_bytes += size
        return out


class StderrIsNotFailure(NbGraderPreprocessor):
    """Show stderr text of autograded test cells as ordinary output, so that a warning does not score 0.

    nbgrader scores a test cell 0 if it has any stderr output; a failed test raises an error, which still
    scores 0. The warning stays visible in the feedback, marked as such.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = _nbgrader(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
                    output.text = "[stderr] " + output.text
                    resources.setdefault("autograder_warned", set()).add(meta["grade_id"])
        return cell, resources

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        for grade_id in sorted(resources.pop("autograder_warned", ())):
            add_note(nb, grade_id, "printed warnings (not counted against the test)")
        return nb, resources
