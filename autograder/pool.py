"""A pool of grading processes that survives its workers: a worker that dies or overruns is replaced.

Why not concurrent.futures: one worker killed by the kernel's OOM killer breaks a ProcessPoolExecutor for
every task still queued, and a hung worker cannot be stopped. Here each worker is a process with a pipe; a
task gets a deadline, and a worker that misses it is killed (its kernels die with it) and restarted.
"""
import multiprocessing
import time
from multiprocessing.connection import wait

from autograder import worker as worker_module

CONTEXT = multiprocessing.get_context("spawn")  # a clean interpreter: no threads or state copied from here


class _Worker:
    def __init__(self, setup, index):
        self.setup, self.index = setup, index
        self.task, self.deadline = None, None
        self.connection, child = CONTEXT.Pipe()
        self.process = CONTEXT.Process(target=worker_module.serve, args=(child, dict(setup, worker_index=index)),
                                       daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def send(self, task, seconds):
        self.task, self.deadline = task, time.monotonic() + seconds
        self.connection.send(task)

    def stop(self, kill=False):
        if kill:
            self.process.kill()
        else:
            try:
                self.connection.send(None)
            except OSError:
                pass
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def failed(task, reason):
    """The result of a task whose worker did not return one."""
    return {"student": task["student"], "notebook": task["notebook"], "grades": None, "notes": [],
            "failure": reason}


class Pool:
    """`workers` grading processes, started at once so that they import nbgrader while the caller prepares.

    setup: what worker.Grader needs (see worker.py) but the worker's index, which each worker gets. Use as a
    context manager; run() may be called once the template in setup exists.
    """

    def __init__(self, setup, workers):
        self.workers = [_Worker(setup, index) for index in range(max(1, workers))]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for w in self.workers:
            w.stop()

    def run(self, tasks, deadline_seconds, on_result):
        """Grade every task; call on_result(result) for each, in completion order. A task's worker is killed
        and replaced after deadline_seconds of wall time."""
        queue, pool = list(reversed(tasks)), self.workers
        while queue or any(w.task for w in pool):
            for w in pool:
                if w.ready and w.task is None and queue:
                    w.send(queue.pop(), deadline_seconds)
            ready = wait([w.connection for w in pool], timeout=1.0)
            for index, w in enumerate(pool):
                if w.connection in ready:
                    try:
                        message = w.connection.recv()
                    except (EOFError, OSError):
                        message = None
                    if message is None:
                        pool[index] = _restart(w, "the grading process died while grading this notebook", on_result)
                    elif message.get("ready"):
                        w.ready = True
                    else:
                        w.task = None
                        on_result(message)
                elif w.task is not None and time.monotonic() > w.deadline:
                    pool[index] = _restart(w, f"grading this notebook took longer than {deadline_seconds:.0f} s "
                                              "and was stopped", on_result, kill=True)
                elif not w.process.is_alive():
                    pool[index] = _restart(w, "the grading process died while grading this notebook", on_result)


def _restart(w, reason, on_result, kill=False):
    """Report w's task as failed, kill w and return a fresh worker with the same index (and kernels' uid)."""
    if not w.ready:
        w.stop(kill=True)
        raise RuntimeError("a grading worker could not start (its error is printed above)")
    if w.task is not None:
        on_result(failed(w.task, reason))
    w.stop(kill=True)
    return _Worker(w.setup, w.index)
