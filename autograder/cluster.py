"""Where notebooks are graded: dask.distributed, on this machine or on a cluster.

    with connect(options) as client:        # a LocalCluster here, or the scheduler at options.scheduler
        check_workers(client, options)      # every worker can run the sandbox (or options say no sandbox)
        for result in grade_all(client, setup, tasks):   # task.NotebookResult, in completion order
            ...

Without a scheduler address, grading starts a LocalCluster of one worker process per core (one thread each).
With `--scheduler tcp://HOST:8786` the same tasks go to an existing cluster: `dask scheduler` on one machine
and `dask worker tcp://HOST:8786 --nthreads 1` on each grading machine, or dask-jobqueue (Slurm, PBS) and
dask-kubernetes, which start the same workers for you. A worker needs this project installed
(`pip install .`) and nothing else of the course: every task carries its data (task.py).

On each dask worker, notebooks are graded in a `GradingProcess` of its own (worker.serve), which the worker
kills and replaces when a notebook overruns its deadline (options.worker_deadline): a hung nbgrader costs only
its notebook, and the dask worker stays responsive. A dask worker that dies (killed, out of memory) has its
task retried by the scheduler on another worker; a notebook that stopped `allowed-failures` + 1 workers
(dask's setting, 3 by default) is graded once more, alone, and reported as such if it stops workers again:
it costs only itself.
"""
import functools
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import dask
from distributed import Client, KilledWorker, LocalCluster, as_completed

from autograder import sandbox
from autograder.task import NotebookResult

@contextmanager
def connect(options):
    """A dask Client: to options.scheduler if given, else to a LocalCluster of options.workers processes.

    Leaving it stops the workers' grading processes and the LocalCluster; that may be done from another thread
    (grade.py lets it run while it writes the reports), so the Client is not made the context's default."""
    local = None
    if options.scheduler:
        client = Client(options.scheduler, timeout="30s", set_as_default=False)
    else:
        workers = options.workers or os.cpu_count() or 1
        # the workers inherit SIG_IGN: Ctrl-C stops this process, which stops them quietly
        with _ignoring_ctrl_c():
            local = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                 dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(local, set_as_default=False)
    try:
        yield client
    finally:
        try:
            # a cluster's workers stay up for the next run: their grading processes (and the kernel each
            # started for a next notebook) are this run's, and end with it
            client.run(stop_grading_processes, on_error="ignore")
        finally:
            client.close()
            if local is not None:
                local.close()


@contextmanager
def _ignoring_ctrl_c():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def check_workers(client, options):
    """Raise SandboxUnavailable when a worker cannot run the sandbox that options ask for."""
    from autograder.options import SandboxUnavailable
    client.wait_for_workers(1, timeout=120)
    if options.sandbox:
        problems = {why for why in client.run(sandbox.unavailable).values() if why}
        if problems:
            raise SandboxUnavailable("; ".join(sorted(problems)))


def grade_all(client, setup, tasks, on_worker=None):
    """Grade every task.NotebookTask on the cluster; yields a task.NotebookResult for each, as they finish.

    The setup (with the template) goes to each worker once, and there are never more notebooks on the cluster
    than its workers have threads. When a worker dies, dask blames every notebook it held, and retries them;
    a notebook blamed too often (KilledWorker) is graded once more at the end, alone on the cluster, so that
    the blame is exact: only a notebook that stops its workers then too is reported, with a failure saying so.
    on_worker(setup, task): what grades a task on a worker (grade_on_worker; benchmarks/grading.py's simulated
    cluster gives a stand-in)."""
    if not tasks:
        return
    # a task, not scattered data: if every worker holding it dies, dask makes it again instead of failing
    shared = client.submit(_same, setup, key=f"setup-{setup.tests[:12]}-{id(setup)}", pure=False)
    submit = functools.partial(_submit, client, on_worker or grade_on_worker, shared)
    waiting, running, suspects = list(reversed(tasks)), {}, []
    finished = as_completed(loop=client.loop)  # the client is not the default one (see connect)

    def submit_while_threads_are_free():
        threads = max(1, sum(client.nthreads().values()))  # read again each time: workers come and go
        while waiting and len(running) < threads:
            task = waiting.pop()
            future = submit(task, "")
            running[future] = task
            finished.add(future)

    submit_while_threads_are_free()
    for future in finished:
        task = running.pop(future)
        result = _result(future, task)
        if result is None:
            suspects.append(task)
        else:
            yield result
        submit_while_threads_are_free()
    for task in suspects:
        result = _result(submit(task, "-alone"), task)
        if result is None:
            allowed = dask.config.get("distributed.scheduler.allowed-failures")
            result = NotebookResult.lost(task, f"grading this notebook stopped {allowed + 1} grading workers, "
                                               "also when it was graded alone (each worker was replaced)")
        yield result


def _submit(client, on_worker, shared, task, suffix):
    return client.submit(on_worker, shared, task, pure=False,
                         key=f"grade-{task.student}-{task.notebook}-{task.key[:12]}{suffix}")


def _result(future, task):
    """The future's NotebookResult; None when dask gave up on it because its workers kept dying."""
    try:
        return future.result()
    except KilledWorker:
        return None
    except Exception as error:  # the task itself failed outside the grading process
        return NotebookResult.lost(task, f"the grader failed on this notebook ({type(error).__name__}: {error})")
    finally:
        future.release()


def _same(value):
    return value


_processes = {}  # on a dask worker: {setup.tests: GradingProcess}


def grade_on_worker(setup, task):
    """Run on a dask worker: grade the task in this worker's GradingProcess for the setup."""
    process = _processes.get(setup.tests)
    if process is None:
        for other in _processes.values():
            other.stop()
        _processes.clear()
        process = _processes[setup.tests] = GradingProcess(setup)
    return process.grade(task)


def stop_grading_processes():
    """Run on a dask worker: stop its GradingProcess (and so the spare kernel in it), if it has one."""
    for process in _processes.values():
        process.stop()
    _processes.clear()


class GradingProcess:
    """A process running worker.serve for one setup; replaced when it dies or overruns a notebook's deadline.

    A plain subprocess (`python -m autograder.worker FD`) with a pipe on file descriptor FD, not a
    multiprocessing child: dask's worker processes are daemons, which multiprocessing forbids to have children.
    """

    def __init__(self, setup):
        self.setup = setup
        self._start()

    def _start(self):
        self.connection, child = multiprocessing.Pipe()
        self.process = subprocess.Popen([sys.executable, "-m", "autograder.worker", str(child.fileno())],
                                        pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)
        child.close()
        self.connection.send(self.setup)
        if not self.connection.poll(180) or self.connection.recv() != "ready":
            self.stop(kill=True)
            raise RuntimeError("a grading process could not start")

    def grade(self, task):
        """task's NotebookResult; one saying why when the process died or overran (it is then replaced)."""
        deadline = self.setup.options.worker_deadline
        self.connection.send(task)
        started = time.monotonic()
        try:
            if self.connection.poll(deadline):
                return self.connection.recv()
            reason = f"grading this notebook took longer than {deadline:g} s and was stopped"
        except (EOFError, OSError):
            reason = "the grading process died while grading this notebook"
        self.stop(kill=True)
        self._start()
        result = NotebookResult.lost(task, reason)
        result.seconds = time.monotonic() - started
        return result

    def stop(self, kill=False):
        if not kill:
            try:
                self.connection.send(None)
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.connection.close()
