"""nbgrader preprocessors that make autograding dependable and fair; worker.py adds them to nbgrader's pipeline.

Sanitizing (before nbgrader's ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
CheckCellMetadata):
- RepairCells: puts back what students break in the notebook's structure: deleted test cells, cells whose
  nbgrader metadata was stripped, duplicated or unknown grade ids, cells moved out of the assignment's order.
  nbgrader then restores the content of every read-only cell (OverwriteCells compares checksums) and
  re-inserts hidden tests.
Autograding (around nbgrader's SaveAutoGrades):
- AuditStudentCode: reads every cell a student could edit for constructs that tamper with testing (audit.py).
- RobustExecute (replaces nbgrader's Execute): read-only cells run through the judge (judge.py) and are scored
  from its signed verdict; per-cell timeouts in words; a dead kernel fails only the cell that killed it;
  a time budget per notebook; output limited in bytes and figures while it is produced. Its kernels'
  client (PromptKernelClient) counts a kernel ready as soon as it is, without jupyter_client's 0.2 s wait.
- StderrIsNotFailure: text on stderr in a test cell (a warning) no longer scores the test 0; errors still do.
- WithholdForReview (after SaveAutoGrades): when tampering was found, the tests from that point on keep their
  scores but are marked for manual grading (formgrader lists them), with the reason in the cell and comment.

Every preprocessor records what it did, in words, in the notebook's metadata ("autograder" -> "notes"), where
the grading worker reads it for the student's status line.
"""
import copy
import hmac
import json
import queue
import re
import secrets
import textwrap
import time
from pathlib import Path

import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from nbclient.client import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from jupyter_core.utils import ensure_async, run_sync
from nbformat.notebooknode import from_dict
from nbgrader.api import Gradebook
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Integer, Unicode

from autograder import audit, judge, sandbox
from autograder.course import nbgrader_metadata
from autograder.options import GradingOptions


def add_note(nb, grade_id, text):
    """Record a note for the status line: grade_id is the cell concerned ("" for the whole notebook)."""
    notes = nb.metadata.setdefault("autograder", {}).setdefault("notes", [])
    if [grade_id, text] not in notes:
        notes.append([grade_id, text])


def record_tampering(nb, index, grade_id, line, how, what):
    """Record a construct that changes how tests judge: cell `index` (grade_id or ""), found `how`."""
    found = nb.metadata.setdefault("autograder", {}).setdefault("tampering", [])
    entry = {"cell": index, "grade_id": grade_id, "line": line, "how": how, "what": what}
    if entry not in found:
        found.append(entry)


def tampering(nb):
    return nb.metadata.get("autograder", {}).get("tampering", [])


def _error_output(ename, evalue, traceback=None):
    return from_dict({"output_type": "error", "ename": ename, "evalue": evalue,
                      "traceback": traceback or [f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]})


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
        nb.cells = self._reorder(nb, release)
        return nb, resources

    def _reorder(self, nb, release):
        """Put nbgrader cells moved out of the release's order back (nbgrader issue 1941). Each nbgrader cell
        moves with the cells the student added after it; the cells before the first nbgrader cell stay first."""
        order = {nbgrader_metadata(cell)["grade_id"]: r for r, cell in enumerate(release.cells) if "grade_id" in nbgrader_metadata(cell)}
        head, groups = [], []
        for cell in nb.cells:
            grade_id = nbgrader_metadata(cell).get("grade_id")
            if grade_id in order:
                groups.append((order[grade_id], [cell]))
            elif groups:
                groups[-1][1].append(cell)
            else:
                head.append(cell)
        ranks = [rank for rank, _ in groups]
        if ranks == sorted(ranks):
            return nb.cells
        moved = [nbgrader_metadata(group[0])["grade_id"] for (rank, group), before in zip(groups, [-1, *ranks])
                 if rank < before]
        add_note(nb, "", "cells were out of the assignment's order and were put back (" + ", ".join(moved[:4])
                 + (", ..." if len(moved) > 4 else "") + " had been moved)")
        return head + [cell for _, group in sorted(groups, key=lambda g: g[0]) for cell in group]

    def _drop_bad_ids(self, nb, release):
        """Remove nbgrader metadata that nbgrader would choke on: unknown ids, duplicates, missing keys."""
        known = {nbgrader_metadata(cell)["grade_id"]: cell for cell in release.cells if "grade_id" in nbgrader_metadata(cell)}
        last = {}
        for index, cell in enumerate(nb.cells):
            last[nbgrader_metadata(cell).get("grade_id")] = index
        for index, cell in enumerate(nb.cells):
            if "nbgrader" not in cell.metadata:
                continue
            grade_id = nbgrader_metadata(cell).get("grade_id")
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
        position = {nbgrader_metadata(cell).get("grade_id"): i for i, cell in enumerate(nb.cells)
                    if "nbgrader" in cell.metadata}
        matched = {}
        for r, cell in enumerate(release.cells):
            grade_id = nbgrader_metadata(cell).get("grade_id")
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
            if r in matched or nbgrader_metadata(cell).get("solution"):
                continue
            for s in window(r):
                sub = nb.cells[s]
                if sub.cell_type == cell.cell_type and sub.source.strip() == cell.source.strip():
                    matched[r] = s
                    taken.add(s)
                    break
        # answer cells: the first unclaimed cell of the same type in their place
        for r, cell in enumerate(release.cells):
            if r in matched or not nbgrader_metadata(cell).get("solution"):
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
            meta = nbgrader_metadata(cell)
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
            meta = nbgrader_metadata(cell)
            released = next((c for c in release.cells if nbgrader_metadata(c).get("grade_id") == meta.get("grade_id")), None)
            if meta.get("locked") and released is not None and cell.source.strip() != released.source.strip():
                add_note(nb, meta["grade_id"], "the read-only cell had been edited; the original was used")
        return cells


def is_instructor_cell(cell):
    """A read-only code cell of the assignment (setup or test): nbgrader restored its source before grading."""
    meta = nbgrader_metadata(cell)
    return cell.cell_type == "code" and bool(meta.get("locked") or meta.get("grade")) and not meta.get("solution")


def is_test_cell(cell):
    meta = nbgrader_metadata(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _signed_verdict(output, nonce, key):
    """The judge's verdict in an output, if it is one, carries this cell's nonce and a valid signature."""
    verdict = output.get("data", {}).get(judge.VERDICT_MIME) if output.output_type == "display_data" else None
    if not isinstance(verdict, dict) or verdict.get("nonce") != nonce:
        return None
    verdict = json.loads(json.dumps(verdict))
    valid = hmac.compare_digest(str(verdict.get("signature", "")), judge.signature(key, verdict))
    return verdict if valid else None


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's kernel client, ready as soon as the kernel is (RobustExecute's kernels use it).

    jupyter_client's wait_for_ready ends by waiting until IOPub has been silent for 0.2 s, so every kernel
    start idled 0.2 s (a sixth of grading's overhead per notebook). Here the wait ends when IOPub carries the
    kernel_info request's own closing "idle" status: that both proves IOPub is connected (a subscriber misses
    what was sent before it joined, so jupyter_client checks it too) and leaves nothing of the start-up to
    flush. Cells' messages are told apart by their parent request in any case (nbclient)."""

    IOPUB_PATIENCE = 0.2  # s to wait for the request's idle status before asking again (jupyter_client's)

    async def wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except queue.Empty:
                reply = None
            if reply and reply["msg_type"] == "kernel_info_reply" and await self._iopub_idle_after(request):
                self._handle_kernel_info_reply(reply)  # jupyter_client's: adapts to the kernel's protocol
                return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _iopub_idle_after(self, request):
        """Whether IOPub brings the "idle" status of request within IOPUB_PATIENCE seconds."""
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=self.IOPUB_PATIENCE)
            except queue.Empty:
                return False
            if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                    and msg["parent_header"].get("msg_id") == request):
                return True


class RobustExecute(Execute):
    """nbgrader's Execute, made to survive what student code does to a kernel and to judge fairly.

    - Read-only cells (setup and tests) are not sent to the kernel as they are: each is run by the judge
      (judge.py) that the sandbox loads before any student code, and scored from its signed verdict. A test
      the kernel did not run as written fails, and the notebook is flagged for review.
    - A cell that runs longer than `timeout` is interrupted and fails with a message in plain words.
    - A cell that kills the kernel (os._exit, a crash, running out of memory or CPU time) fails; a new kernel
      re-runs the cells before it (except those that killed a kernel) and grading goes on with the next cell,
      for as long as the notebook's time budget `notebook_timeout` lasts. After that the remaining cells
      are not run and fail with a note.
    - Output is limited while it arrives: `max_text_bytes` of text and `max_figures` images per cell,
      `max_output_bytes` for all outputs of the notebook.
    - With `start_next_kernel`, once a notebook's last cell has run, the kernel for the next notebook starts
      (a fresh one, in a fresh folder, no code of anyone's run in it), so that it boots while nbgrader saves
      the grades and writes the feedback; the next notebook of the same kind takes it, with its student's
      data files copied in first (`_take_spare_kernel`). One spare at most, in this process.
    Every failure ends up as an error output in the cell concerned, so nbgrader scores it 0.
    """

    notebook_timeout = Integer(GradingOptions.notebook_timeout, help="time budget of the whole notebook (s); "
                               "default and reason: options.GradingOptions").tag(config=True)
    max_text_bytes = Integer(100_000, help="text output kept per cell (bytes)").tag(config=True)
    max_figures = Integer(10, help="images kept per cell").tag(config=True)
    max_output_bytes = Integer(10_000_000, help="all outputs kept per notebook (bytes)").tag(config=True)
    answers_notebook = Unicode("", help="path of the source notebook (its solution cells say which names are "
                                        "the student's answers); {assignment} and {notebook} are replaced"
                               ).tag(config=True)

    start_next_kernel = Bool(True, help="start the next notebook's kernel as soon as this one's cells have run"
                             ).tag(config=True)

    PHASES = ("kernel start", "cells", "kernel stop")  # where a notebook's execution time goes (seconds)
    last_seconds = {}  # {phase: seconds} of the notebook this process executed last
    spare = None  # (what it was started for, its KernelManager): the kernel started for the next notebook

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.kernel_spec_manager = sandbox.kernel_spec_manager()  # where the grading kernel spec is
        km.client_factory = PromptKernelClient
        return km

    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self.resources = resources
        self.error_on_timeout = {
            "ename": "TimeoutError",
            "evalue": f"this cell ran longer than {self.timeout} seconds and was stopped. Look for a loop that "
                      "never ends, or work that is much bigger than the question needs.",
            "traceback": [f"TimeoutError: this cell ran longer than {self.timeout} seconds and was stopped."],
        }
        self._plan = self._judge_plan(resources)
        self._total_bytes = 0
        self._replaying = False
        deadline = time.monotonic() + self.notebook_timeout
        finished = []  # code cells that ran to the end (with or without an error), to re-run after a restart
        killers = set()  # cells that stopped a kernel: never re-run
        index = 0
        self.seconds = dict.fromkeys(self.PHASES, 0.0)
        self._take_spare_kernel()
        while index < len(self.nb.cells) and time.monotonic() < deadline:
            clock = time.monotonic()
            with self.setup_kernel(judge_packages=self._plan["packages"], judge_imports=self._plan["imports"]):
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                clock = self._lap("kernel start", clock)
                # when a re-run cell stopped this kernel too, the loop starts another kernel without it
                replayed = self._replay(finished, killers, deadline)
                while replayed and index < len(self.nb.cells) and time.monotonic() < deadline:
                    try:
                        self.preprocess_cell(self.nb.cells[index], resources, index)
                    except (DeadKernelError, CellTimeoutError) as error:
                        self._kernel_lost(index, error)
                        killers.add(index)
                        index += 1
                        break
                    finished.append(index)
                    index += 1
                clock = self._lap("cells", clock)
            self._lap("kernel stop", clock)
        self._not_run(index, deadline)
        self.set_widgets_metadata()
        if self.start_next_kernel:
            self._start_spare_kernel()
        # nbgrader creates its preprocessors itself and keeps no handle on them: the grading worker reads
        # the last notebook's times here (worker.Grader.grade)
        RobustExecute.last_seconds = dict(self.seconds)
        return self.nb, self.resources

    def _spare_kind(self):
        """What a spare kernel must have been started for to serve this notebook: the same kernel, limits
        and sandbox (the configuration) and the same judge (the read-only cells' imports)."""
        settings = {name: dict(self.config[name]) for name in ("SandboxProvisioner", "KernelManager")}
        return repr((self.kernel_name, sorted(self._plan["packages"]), sorted(self._plan["imports"]),
                     sorted((name, sorted(values.items())) for name, values in settings.items())))

    def _take_spare_kernel(self):
        """Use the spare kernel if it was started for this kind of notebook and is alive; else stop it."""
        kind, km = RobustExecute.spare or (None, None)
        if km is None:
            return
        if kind != self._spare_kind() or not run_sync(km.is_alive)():
            self.stop_spare_kernel()
            return
        RobustExecute.spare = None
        km.provisioner.add_files(self.resources.get("metadata", {}).get("path"))
        self.km, self.owns_km = km, True  # from here on, nbclient's as if it had started it

    def _start_spare_kernel(self):
        """Start the kernel the next notebook of this kind will take (see _take_spare_kernel)."""
        km = self.create_kernel_manager()
        self.km = None  # nbclient's create_kernel_manager also keeps it as this notebook's
        arguments = list(self.extra_arguments)
        if self.ipython_hist_file and not any(a.startswith("--HistoryManager.hist_file") for a in arguments):
            arguments.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")  # as nbclient does
        try:
            run_sync(km.start_kernel)(extra_arguments=arguments, judge_packages=self._plan["packages"],
                                      judge_imports=self._plan["imports"])
        except Exception:  # the next notebook starts its own kernel, as without a spare
            return
        RobustExecute.spare = (self._spare_kind(), km)

    @classmethod
    def stop_spare_kernel(cls):
        """Stop the spare kernel, if any (the grading process does at its end)."""
        _, km = cls.spare or (None, None)
        cls.spare = None
        if km is not None:
            run_sync(km.shutdown_kernel)(now=True)

    def _lap(self, phase, since):
        """Add the time since `since` (time.monotonic()) to phase; returns now."""
        now = time.monotonic()
        self.seconds[phase] += now - since
        return now

    def _judge_plan(self, resources):
        """What the judge needs: the modules read-only cells import (the testing surface) and, for each
        read-only cell, the names it binds that are not the student's answers."""
        instructor = [cell.source for cell in self.nb.cells if is_instructor_cell(cell)]
        modules = sorted(set(audit.imported_names(instructor).values()))
        answers = set()
        if self.answers_notebook and resources and "nbgrader" in resources:
            ids = resources["nbgrader"]
            path = self.answers_notebook.format(assignment=ids["assignment"], notebook=ids["notebook"])
            for cell in nbformat.read(path, as_version=4).cells:
                if nbgrader_metadata(cell).get("solution") and cell.cell_type == "code":
                    answers.update(audit.bound_names(cell.source))
        return {"imports": modules, "packages": sorted({m.split(".")[0] for m in modules} | {"numpy"}),
                "answers": answers}

    def _replay(self, finished, killers, deadline):
        """Re-run the cells that ran before the kernel was lost, keeping their first outputs. False if one of
        them stops the kernel again: it joins `killers` and will not be re-run."""
        self._replaying = True
        try:
            for index in finished:
                if index in killers or time.monotonic() > deadline:
                    continue
                original = self.nb.cells[index]
                try:
                    self._execute(copy.deepcopy(original), index, store_history=False)
                except (DeadKernelError, CellTimeoutError):
                    killers.add(index)
                    add_note(self.nb, nbgrader_metadata(original).get("grade_id", ""),
                             "stopped the kernel again when it was re-run after a restart; it was left out")
                    return False
                finally:
                    self.nb.cells[index] = original
            return True
        finally:
            self._replaying = False

    def _execute(self, cell, index, store_history=True):
        """Run one cell: a read-only cell through the judge, any other as it is."""
        if not is_instructor_cell(cell):
            return self.execute_cell(cell, index, store_history=store_history)
        grade_id = nbgrader_metadata(cell).get("grade_id", f"cell {index}")
        nonce = secrets.token_hex(16)
        binds = [name for name in audit.bound_names(cell.source) if name not in self._plan["answers"]]
        stand_in = copy.deepcopy(cell)
        stand_in.source = (f"__autograder__({nonce!r}, {grade_id!r}, {cell.source!r}, {binds!r}, "
                           f"{is_test_cell(cell)!r})")
        key = self.km.provisioner.judge_key
        restored = self._restore_surface(nonce, key)
        self.execute_cell(stand_in, index, store_history=store_history)
        verdicts = [v for v in (_signed_verdict(out, nonce, key) for out in stand_in.outputs) if v]
        timed_out = [out for out in stand_in.outputs if out.output_type == "error"
                     and out.get("evalue") == self.error_on_timeout["evalue"]]
        # what the kernel reported itself is not trusted: errors and results come from the verdict
        outputs = [out for out in stand_in.outputs if out.output_type not in {"error", "execute_result"}
                   and judge.VERDICT_MIME not in out.get("data", {})] + timed_out
        if len(verdicts) == 1:
            verdict = verdicts[0]
            if not verdict["passed"] and not timed_out:
                error = verdict["error"]
                outputs.append(_error_output(error["ename"], error["evalue"], error["traceback"]))
            elif verdict["passed"] and verdict["result"] is not None:
                outputs.append(from_dict({"output_type": "execute_result", "metadata": {}, "data": {
                    "text/plain": verdict["result"]}, "execution_count": stand_in.execution_count}))
            restored = sorted(set(restored or []) | set(verdict["restored"]))
            if restored and not self._replaying:
                record_tampering(self.nb, index, grade_id, None, "at run time", "had changed "
                                 + ", ".join(restored[:6]) + "; the originals were used")
        elif not timed_out:
            outputs.append(_error_output("NotJudged", "the grader could not run this read-only cell as written: "
                                                      "the notebook changed how the Python kernel runs code"))
            if not self._replaying:
                record_tampering(self.nb, index, grade_id, None, "at run time",
                                 "the kernel did not run it as written (its result never reached the grader)")
        cell.outputs = outputs
        cell.execution_count = stand_in.execution_count
        self.nb.cells[index] = cell  # nbclient put the stand-in in its place
        return cell

    def _restore_surface(self, nonce, key):
        """Ask the judge, on the control channel, to put the testing surface back; returns what it had to put
        back, or None if no signed answer came (then the cell's own verdict decides)."""
        return run_sync(self._async_restore_surface)(nonce, key)

    async def _async_restore_surface(self, nonce, key):
        request = self.kc.session.msg("autograder_restore_request", {"nonce": nonce})
        self.kc.control_channel.send(request)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                reply = await ensure_async(self.kc.control_channel.get_msg(timeout=deadline - time.monotonic()))
            except queue.Empty:
                break
            content = reply.get("content", {})
            if reply.get("parent_header", {}).get("msg_id") == request["header"]["msg_id"]:
                valid = content.get("nonce") == nonce and hmac.compare_digest(
                    str(content.get("signature", "")), judge.signature(key, content))
                return content.get("restored", []) if valid else None
        return None

    def _kernel_lost(self, index, error):
        """Fail the cell that killed or hung the kernel, in words."""
        cell = self.nb.cells[index]
        grade_id = nbgrader_metadata(cell).get("grade_id", "")
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

    def _not_run(self, start, deadline):
        """Fail every code cell from start on that did not run (a cell without output would score full marks)."""
        reason = f"the notebook used up its {self.notebook_timeout} s time budget"
        for cell in self.nb.cells[start:]:
            if cell.cell_type == "code" and cell.source.strip():
                cell.outputs = [_error_output("NotRun", f"this cell was not run: {reason}.")]
        if start < len(self.nb.cells):
            add_note(self.nb, "", f"cells after the first {start} were not run: {reason}")

    def preprocess_cell(self, cell, resources, index):
        self._cell_text = self._cell_figures = 0
        self._dropped = set()
        cell = self._execute(cell, index)
        if cell.cell_type != "code":
            return cell, resources
        cell.outputs = [out for out in cell.outputs if not _is_blank(out)]
        if any(out.output_type == "error" and out.get("evalue") == self.error_on_timeout["evalue"]
               for out in cell.outputs):
            add_note(self.nb, nbgrader_metadata(cell).get("grade_id", ""),
                     f"ran longer than {self.timeout} s and was stopped")
        if self._dropped:
            dropped = " and ".join(sorted(self._dropped))
            cell.outputs.append(from_dict({"output_type": "stream", "name": "stdout",
                                           "text": f"\n[autograder: output cut here: {dropped}]\n"}))
            add_note(self.nb, nbgrader_metadata(cell).get("grade_id", ""), f"output was cut ({dropped})")
        return cell, resources

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or self._replaying or judge.VERDICT_MIME in out.get("data", {}):
            return out  # a verdict is never cut: the test's score depends on it
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
        meta = nbgrader_metadata(cell)
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


MAX_AUDITED_FILE = 1_000_000  # bytes of a handed-in .py file that are read


class AuditStudentCode(NbGraderPreprocessor):
    """Flag constructs in the cells a student could edit that change how tests judge (see audit.py).

    Read-only cells are the instructor's (nbgrader has restored them by now); every other code cell is
    audited, with the notebook's imports (so that `np` is known to be numpy) and the names of the functions
    and classes read-only cells define (redefining one is flagged); so is every .py file handed in with it.
    """

    def preprocess(self, nb, resources):
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        modules = audit.imported_names(cell.source for cell in code)
        protected = {name for cell in code if is_instructor_cell(cell) for name in audit.defined_functions(cell.source)}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or is_instructor_cell(cell):
                continue
            for finding in audit.audit_cell(cell.source, modules, protected):
                record_tampering(nb, index, nbgrader_metadata(cell).get("grade_id", ""), finding.line, "in the code",
                                 finding.construct)
        # Python files handed in with the notebook run as student code too (import helpers)
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            text = path.read_bytes()[:MAX_AUDITED_FILE].decode("utf-8", errors="replace")
            for finding in audit.audit_cell(text, modules, protected):
                record_tampering(nb, -1, str(path.relative_to(folder)), finding.line, "in a file handed in",
                                 finding.construct)
        return nb, resources


class WithholdForReview(NbGraderPreprocessor):
    """When tampering was found, withhold the tests from that point on for a person to review.

    Their autograded scores (judged on the restored testing surface) stay, but nbgrader marks them as needing
    manual grading, so formgrader lists the submission; the test cells and the answer cell's comment say why.
    Runs after SaveAutoGrades.
    """

    def preprocess(self, nb, resources):
        found = tampering(nb)
        if not found:
            return nb, resources
        first = min(entry["cell"] for entry in found)
        withheld = [cell for index, cell in enumerate(nb.cells) if index >= first and is_test_cell(cell)]
        reasons = [self._where(nb, entry) + entry["what"] for entry in found]
        message = textwrap.fill("[autograder] This test is withheld for manual review because the notebook changes "
                                "how tests judge: " + "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else ""),
                                width=100) + "\n"
        for cell in withheld:
            cell.outputs.append(from_dict({"output_type": "stream", "name": "stdout", "text": message}))
        ids = resources["nbgrader"]
        with Gradebook(ids["db_url"]) as gb:
            for cell in withheld:
                grade = gb.find_grade(nbgrader_metadata(cell)["grade_id"], ids["notebook"], ids["assignment"], ids["student"])
                grade.needs_manual_grade = True
            for grade_id in self._answer_cells(nb, found):
                comment = gb.find_comment(grade_id, ids["notebook"], ids["assignment"], ids["student"])
                comment.auto_comment = "Autograder: " + "; ".join(reasons)
            gb.db.commit()
        nb.metadata["autograder"]["withheld"] = [nbgrader_metadata(cell)["grade_id"] for cell in withheld]
        add_note(nb, "", "tampering flagged, tests from " + (nbgrader_metadata(withheld[0])["grade_id"] if withheld else "-")
                 + " on withheld for manual review: " + "; ".join(reasons))
        return nb, resources

    @staticmethod
    def _where(nb, entry):
        name = entry["grade_id"] or f"cell {entry['cell'] + 1}"
        return f"{name}" + (f" line {entry['line']}" if entry["line"] else "") + ": "

    @staticmethod
    def _answer_cells(nb, found):
        """The answer cell at or before each flagged cell (its comment box in formgrader carries the reason)."""
        answers = []
        for entry in found:
            before = [nbgrader_metadata(cell)["grade_id"] for cell in nb.cells[:entry["cell"] + 1]
                      if nbgrader_metadata(cell).get("solution")]
            after = [nbgrader_metadata(cell)["grade_id"] for cell in nb.cells if nbgrader_metadata(cell).get("solution")]
            if before or after:
                answers.append((before or after)[-1 if before else 0])
        return list(dict.fromkeys(answers))
