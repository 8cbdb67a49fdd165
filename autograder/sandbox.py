"""Run student code in a kernel that cannot harm the grader: resource limits, a private folder, no network.

`SandboxKernelManager` is the kernel manager nbgrader's Execute uses while grading. It starts the kernel through
the launcher confine.py,

    python autograder/confine.py '<json limits>' -- python -m ipykernel_launcher -f kernel.json

which, before it becomes the kernel (exec), applies the limits:
- always: the kernel works in a fresh folder holding only the assignment's data files (not the notebook, not
  the gradebook); limits on memory (RLIMIT_AS), CPU time (RLIMIT_CPU) and file size (RLIMIT_FSIZE); it is
  killed when the grading process dies (PR_SET_PDEATHSIG).
- when the grader runs as root on Linux (as in a container or CI): a network namespace with no network,
  a mount namespace in which the gradebook, source/, solutions/, the submissions and the grader's work
  folders are replaced by empty folders, and a uid of its own (no write access to anything of the grader's,
  a process limit against fork bombs).
- as another user: the limits only. Student code could then read what the grading user can read; grade as
  root inside a container (or a throw-away user account) for full isolation.
"""
import fcntl
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

CONFINE = Path(__file__).with_name("confine.py")  # the launcher, run as a script: no package imports


def can_isolate():
    """Whether this process may create namespaces and switch uid (root on Linux)."""
    return sys.platform.startswith("linux") and os.geteuid() == 0


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in a fresh folder under the limits applied by confine.py."""

    memory_mb = Integer(4096, help="address-space limit of the kernel (MB)").tag(config=True)
    cpu_seconds = Integer(900, help="CPU-time limit of one kernel process (s)").tag(config=True)
    file_size_mb = Integer(100, help="largest file the kernel may write (MB)").tag(config=True)
    max_processes = Integer(64, help="process limit of the kernel's uid (isolated kernels only)").tag(config=True)
    isolate = Bool(True, help="use namespaces and a uid of its own when running as root").tag(config=True)
    uid = Integer(-1, help="uid for isolated kernels (one per grading worker); -1: nobody").tag(config=True)
    hide = List(Unicode(), help="folders and files the kernel must not see").tag(config=True)
    matplotlib_cache = Unicode("", help="prebuilt MPLCONFIGDIR copied into each kernel's folder").tag(config=True)

    sandbox_dir = None

    def _isolated(self):
        return self.isolate and can_isolate()

    async def _async_pre_start_kernel(self, **kw):
        source_dir = kw.get("cwd")
        self.sandbox_dir = tempfile.mkdtemp(prefix="autograder-kernel-")
        if source_dir and os.path.isdir(source_dir):
            # the assignment's data files, but not the notebooks (tests and answers stay with the grader)
            shutil.copytree(source_dir, self.sandbox_dir, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        kw["cwd"] = self.sandbox_dir
        env = dict(kw.get("env") or os.environ)
        # one BLAS thread per kernel: workers already use every core, and results do not depend on timing
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   HOME=self.sandbox_dir, IPYTHONDIR=os.path.join(self.sandbox_dir, ".ipython"),
                   MPLCONFIGDIR=os.path.join(self.sandbox_dir, ".matplotlib"))
        if self.matplotlib_cache and os.path.isdir(self.matplotlib_cache):
            shutil.copytree(self.matplotlib_cache, env["MPLCONFIGDIR"], dirs_exist_ok=True)
        kw["env"] = env
        self.connection_file = os.path.join(self.sandbox_dir, "kernel.json")
        if self._isolated():
            # unix sockets instead of TCP: the kernel lives in a network namespace without loopback
            self.transport = "ipc"
            self.ip = os.path.join(self.sandbox_dir, "kernel-ipc")
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        limits = {"memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds,
                  "file_size_mb": self.file_size_mb}
        if self._isolated():
            limits.update(uid=self.uid if self.uid >= 0 else 65534, max_processes=self.max_processes,
                          hide=outermost(path for path in self.hide if os.path.exists(path)))
        command = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, str(CONFINE), json.dumps(limits), "--", *command]

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if self._isolated():
            kill_all_processes_of(self.uid if self.uid >= 0 else 65534)
        if self.sandbox_dir and not restart:
            shutil.rmtree(self.sandbox_dir, ignore_errors=True)
            self.sandbox_dir = None

    # AsyncKernelManager binds cleanup_resources to the base class's function: point it at ours
    cleanup_resources = _async_cleanup_resources


def outermost(paths):
    """The paths that are not inside another one of them (hiding a folder hides what is inside)."""
    kept = []
    for path in sorted({os.path.abspath(p) for p in paths}, key=len):
        if not any(path == k or path.startswith(k.rstrip(os.sep) + os.sep) for k in kept):
            kept.append(path)
    return kept


def kill_all_processes_of(uid):
    """Kill every process of uid (what a kernel left behind: subprocesses, daemons). Needs root."""
    if uid == 65534 or not can_isolate():
        return  # nobody is shared with the system: only per-worker uids are cleaned up
    pid = os.fork()
    if pid == 0:
        try:
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)  # as uid, -1 means every process uid may signal: its own
        finally:
            os._exit(0)
    os.waitpid(pid, 0)




UID_FIRST = 61000  # isolated kernels run as uids from here on (unused on a normal system)
UID_BLOCK = 64  # uids a grading run may use: one per worker
UID_BLOCKS = 64


class UidBlock:
    """A block of UID_BLOCK uids reserved for one grading run, so that two runs on one machine (two
    assignments graded at once) never share a uid: each cleans up after its kernels by killing every
    process of its uids, which must not hit the other run's kernels. The reservation is a lock on a file,
    held until release() or the end of the process."""

    def __init__(self):
        folder = Path(tempfile.gettempdir()) / "autograder-uids"
        folder.mkdir(exist_ok=True)
        for index in range(UID_BLOCKS):
            lock = open(folder / f"{index}.lock", "w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            self._lock, self.base = lock, UID_FIRST + index * UID_BLOCK
            return
        raise RuntimeError(f"more than {UID_BLOCKS} grading runs at once: no uids left for isolated kernels")

    def release(self):
        self._lock.close()  # closing the file releases the lock
