"""Real servers for the tests, started by the tests and removed after them: PostgreSQL and a dask cluster.

    with postgres_server() as url:                   # postgresql://grader@127.0.0.1:PORT/gradebook
        ...
    with dask_cluster(workers=2) as cluster:         # `dask scheduler` and `dask worker` command lines
        cluster.address, cluster.start_worker("extra"), cluster.kill_worker("extra")

PostgreSQL is Debian's `postgresql` package (tasks.py installs it): initdb and pg_ctl run as an unprivileged
user (nobody, when the tests run as root) on a private port, in a folder of their own. The dask scheduler and
workers run in folders that do not contain the course, as on machines of their own.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from autograder.release import nbgrader_environment
from tests.local_server import free_port

BIN = Path(sys.executable).parent


def postgres_program(name):
    """The path of a PostgreSQL server program (Debian keeps them in /usr/lib/postgresql/VERSION/bin)."""
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]
    assert found, f"PostgreSQL's {name} is missing: python3 tasks.py setup installs Debian's postgresql package"
    return found if isinstance(found, str) else found[0]


@contextmanager
def postgres_server():
    """A fresh PostgreSQL server with an empty database `gradebook`; yields its URL (trust authentication,
    localhost only)."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-postgres-"))
    folder.chmod(0o755)
    as_user = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        shutil.chown(folder, "nobody", "nogroup")
    data, port = folder / "data", free_port()

    def run(*command):
        subprocess.run([*as_user, *command], check=True, capture_output=True, text=True, cwd=folder)

    run(postgres_program("initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8")
    run(postgres_program("pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "start",
        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1")
    try:
        run(postgres_program("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gradebook")
        yield f"postgresql://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, postgres_program("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)


class DaskCluster:
    """A dask scheduler and workers started with dask's command lines, each in a folder of its own."""

    def __init__(self, folder):
        self.folder, self.port = Path(folder), free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.env = nbgrader_environment()
        self.processes = {}
        self.scheduler = self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                                   "--no-dashboard"])

    def _start(self, name, arguments):
        where = self.folder / name
        where.mkdir(parents=True, exist_ok=True)
        with open(where / "log.txt", "w") as log:
            return subprocess.Popen([str(BIN / "dask"), *arguments], cwd=where, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def start_worker(self, name):
        """Start `dask worker` named name (one process, one thread) and wait until the scheduler has it."""
        self.processes[name] = self._start(name, ["worker", self.address, "--name", name, "--nworkers", "1",
                                                  "--nthreads", "1", "--no-dashboard",
                                                  "--local-directory", str(self.folder / name)])
        self.wait_for(lambda names: name in names, f"worker {name} did not join")

    def worker_names(self):
        from distributed import Client
        with Client(self.address, timeout="20s") as client:
            return {info["name"] for info in client.scheduler_info(n_workers=-1)["workers"].values()}

    def wait_for(self, condition, message, seconds=120):
        deadline = time.monotonic() + seconds
        while not condition(self.worker_names()):
            assert time.monotonic() < deadline, message + ":\n" + self.logs()
            time.sleep(0.5)

    def kill_worker(self, name):
        """Kill worker `name` and everything it started, at once (SIGKILL: no goodbye to the scheduler)."""
        os.killpg(self.processes.pop(name).pid, signal.SIGKILL)

    def logs(self):
        return "\n".join(f"--- {p.parent.name}\n{p.read_text()[-2000:]}" for p in self.folder.glob("*/log.txt"))

    def stop(self):
        for process in [*self.processes.values(), self.scheduler]:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def dask_cluster(workers=2):
    """A scheduler on 127.0.0.1 and `workers` workers named w0, w1, ..."""
    cluster = DaskCluster(tempfile.mkdtemp(prefix="autograder-dask-"))
    try:
        for index in range(workers):
            cluster.start_worker(f"w{index}")
        yield cluster
    finally:
        cluster.stop()
