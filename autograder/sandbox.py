"""Run student code in a kernel that sees only what it must, with limits, and a judge loaded before it.

`SandboxProvisioner` is a jupyter_client kernel provisioner, the supported way to change how a kernel is
launched (registered in pyproject.toml as "autograder-sandbox"; the kernel spec in kernels/ names it). The
grading kernel is started as

    bwrap ALLOW-LIST -- [setpriv --reuid UID ...] prlimit LIMITS -- python -m ipykernel_launcher -f kernel.json
        --IPKernelApp.exec_lines=<install the judge (judge.py)>

- bubblewrap (`bwrap`, the sandbox under Flatpak) gives the kernel new mount, PID, network, IPC and UTS
  namespaces. Its file system is an allow-list: the system's /usr (and /bin, /lib, a few files of /etc), the
  course's Python environment, `utils/` and the judge, read-only; its own fresh folder holding the
  student's data files (never those a kernel reads as it starts: START_UP_NAMES), read-write; an empty
  /tmp. Nothing else exists for it: not the gradebook, source/, solutions/, reports/, other students'
  files, the grader's work folders or anyone's home. No network; the
  grader talks to it over unix sockets in its folder. It dies with the grader (--die-with-parent), and
  everything it started dies with it (its PID namespace). jupyter_client starts it in a session of its own.
- prlimit (util-linux) sets the limits: memory (address space), CPU seconds, largest file, processes.
- Grading as root, the kernel runs as a uid of its own (61000 and up, one per grading process on the machine,
  claim_uid; via setpriv), so the process limit counts only its processes. As another user, bwrap needs unprivileged user namespaces
  (most Linux distributions have them on); the kernel keeps that user's uid inside its own namespace.
- `sandbox=False` (the grader's --no-sandbox) keeps the limits, the folder and the judge, without bwrap:
  student code can then read whatever the grading user can read.
"""
import asyncio
import ctypes
import fcntl
import fnmatch
import functools
import os
import secrets
import signal
import shutil
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Bool, Integer, Unicode

from autograder.options import GradingOptions

DEFAULTS = GradingOptions()

KERNEL_NAME = "autograder-sandbox"
KERNEL_DIRS = [str(Path(__file__).with_name("kernels"))]  # holds kernels/autograder-sandbox/kernel.json
UID_FIRST = 61000  # kernels run as uids from here when the grader is root (claim_uid)
ETC_FILES = ["/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", "/etc/passwd", "/etc/group",
             "/etc/nsswitch.conf", "/etc/hosts", "/etc/mime.types"]
# jupyter_client interrupts a kernel by sending SIGINT to its process group, which holds bwrap too; bwrap
# would die of it and take the kernel along. So bwrap is started ignoring SIGINT: the kernel inherits that,
# and ipykernel installs its own handler while it runs a cell, as it always does.
IGNORING_SIGINT = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])"
SYSTEM_DIRS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
# What a kernel reads as it starts, before the judge is installed, in its folder (which is also its HOME): a
# student's files of these names would run code first (IPython's startup files and profile, Python's user
# site-packages, matplotlib's rc) or replace the grader's own (the key, the connection file). Never copied in.
START_UP_NAMES = [".ipython", ".jupyter", ".local", ".config", ".matplotlib", ".cache", ".autograder-key",
                  "kernel.json", "kernel-ipc*"]
# The judge and the modules it records come from the course's environment, never from the kernel's folder
# (IPython puts the folder first on sys.path, where a student's numpy.py or autograder/ would win).
INSTALL_JUDGE = ("import os as _os, sys as _sys; _path = _sys.path[:]; "
                 "_sys.path[:] = [p for p in _path if p not in ('', '.') and _os.path.abspath(p) != _os.getcwd()]; "
                 "import autograder.judge as _j; _j.install(get_ipython(), packages={packages!r}, imports={imports!r}); "
                 "_sys.path[:] = _path; del _j, _os, _sys, _path")


UID_COUNT = 1000  # grading processes that may run at once on one machine, each with its kernels' own uid
_claimed = []  # the lock file held for this process's uid (held until the process ends)


def claim_uid():
    """A uid for this grading process's kernels that no other grading process on this machine has: the
    first of UID_FIRST, UID_FIRST + 1, ... whose lock file this process can lock (the lock ends with it).
    The processes may belong to one dask cluster or to several; the lock files see them all."""
    if _claimed:
        return _claimed[0][0]
    folder = Path(tempfile.gettempdir()) / "autograder-kernel-uids"
    folder.mkdir(mode=0o755, exist_ok=True)
    for uid in range(UID_FIRST, UID_FIRST + UID_COUNT):
        handle = open(folder / f"{uid}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _claimed.append((uid, handle))
        return uid
    raise RuntimeError(f"more than {UID_COUNT} grading processes on this machine")


def die_with_parent():
    """Have Linux kill this process when its parent dies (a killed dask worker takes its grading process along)."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def kernel_spec_manager():
    """A KernelSpecManager that finds the grading kernel spec (and only it)."""
    return KernelSpecManager(kernel_dirs=KERNEL_DIRS)


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


@functools.lru_cache(maxsize=None)
def unavailable():
    """Why bubblewrap cannot run here, in words, or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (bubblewrap); this is {sys.platform}"
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    probe = [bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--die-with-parent",
             *([] if is_root() else ["--unshare-user"]), "--", "true"]
    result = subprocess.run(probe, capture_output=True, text=True)
    if result.returncode != 0:
        return ("bubblewrap cannot create namespaces here (" + result.stderr.strip()[:200] + "); as an ordinary "
                "user it needs unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)")
    return None


@functools.lru_cache(maxsize=None)
def allowed_paths():
    """What a kernel may read: the Python installation and environment, and the course packages it imports."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    for package in ("utils", "autograder"):
        spec = find_spec(package)
        paths.update(spec.submodule_search_locations or [] if spec else [])
    return outermost(p for p in map(os.path.realpath, paths) if os.path.exists(p) and not p.startswith("/usr/"))


def outermost(paths):
    """The paths that are not inside another one of them (binding a folder binds what is inside)."""
    kept = []
    for path in sorted({os.path.abspath(p) for p in paths}, key=len):
        if not any(path == k or path.startswith(k.rstrip(os.sep) + os.sep) for k in kept):
            kept.append(path)
    return kept


def bwrap_arguments(folder):
    """bwrap's allow-list for a kernel whose folder is `folder` (everything up to the `--`)."""
    # No --new-session: jupyter_client already starts the kernel in a session of its own (no terminal to
    # inject keys into), and interrupts it by signalling its process group, which must include the kernel.
    args = [shutil.which("bwrap"), "--die-with-parent", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--ro-bind", "/usr", "/usr"]
    if not is_root():
        args.append("--unshare-user")
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC_FILES:
        args += ["--ro-bind-try", path, path]
    # an empty /tmp before what is bound below it (a course, or the kernel's own folder, may live in /tmp)
    args += ["--tmpfs", "/tmp"]
    # the folders above what is bound, traversable (bwrap would make them 0700: closed to the kernel's uid)
    ancestors = {str(parent) for path in allowed_paths() for parent in Path(path).parents if str(parent) != "/"}
    for path in sorted(ancestors, key=len):
        args += ["--perms", "0755", "--dir", path]
    for path in allowed_paths():
        args += ["--ro-bind", path, path]
    args += ["--bind", folder, folder, "--chdir", folder, "--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--tmpfs", "/dev/shm"]  # shared memory for multiprocessing and joblib
    return args + ["--"]


def _not_copied(source_dir, directory, names):
    """shutil.copytree's ignore: the notebooks, and at the top of source_dir the START_UP_NAMES."""
    skipped = {name for name in names if name.endswith(".ipynb") or name == ".ipynb_checkpoints"}
    if os.path.samefile(directory, source_dir):
        skipped |= {name for name in names if any(fnmatch.fnmatch(name, p) for p in START_UP_NAMES)}
    return skipped


class SandboxProvisioner(LocalProvisioner):
    """Launches grading kernels in bubblewrap, under limits, in a fresh folder, with the judge installed."""

    # defaults and their reasons: options.GradingOptions (grading sets every one of these from it)
    memory_mb = Integer(DEFAULTS.memory_mb, help="address-space limit of the kernel (MB)").tag(config=True)
    cpu_seconds = Integer(DEFAULTS.cpu_seconds, help="CPU-time limit of one kernel process (s)").tag(config=True)
    file_size_mb = Integer(DEFAULTS.file_size_mb, help="largest file the kernel may write (MB)").tag(config=True)
    max_processes = Integer(DEFAULTS.max_processes, help="processes and threads the kernel may run at once"
                            ).tag(config=True)
    sandbox = Bool(DEFAULTS.sandbox, help="run the kernel in bubblewrap (False: limits only)").tag(config=True)
    uid = Integer(UID_FIRST, help="uid of the kernel when the grader runs as root").tag(config=True)
    matplotlib_cache = Unicode("", help="prebuilt MPLCONFIGDIR copied into each kernel's folder").tag(config=True)

    folder = None  # the kernel's folder (its cwd and HOME)
    judge_key = None  # the key the kernel signs its verdicts with (judge.py); new for every launch

    async def pre_launch(self, **kwargs):
        km = self.parent
        packages, imports = kwargs.pop("judge_packages", ()), kwargs.pop("judge_imports", ())
        self.folder = tempfile.mkdtemp(prefix="autograder-kernel-")
        self._copy_files(kwargs.get("cwd"))
        env = dict(kwargs.get("env") or os.environ)
        # one BLAS thread per kernel: workers already use every core, and results do not depend on timing
        # PYTHONNOUSERSITE: no user site-packages (HOME/.local), whose .pth files would run before the judge
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", HOME=self.folder,
                   PYTHONNOUSERSITE="1",
                   USER="student", IPYTHONDIR=os.path.join(self.folder, ".ipython"),
                   MPLCONFIGDIR=os.path.join(self.folder, ".matplotlib"), TMPDIR="/tmp")
        if self.matplotlib_cache and os.path.isdir(self.matplotlib_cache):
            shutil.copytree(self.matplotlib_cache, env["MPLCONFIGDIR"], dirs_exist_ok=True)
        self.judge_key = secrets.token_bytes(32)
        key_file = os.path.join(self.folder, ".autograder-key")
        with open(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(self.judge_key)
        install = INSTALL_JUDGE.format(packages=list(packages), imports=list(imports))
        extra = [f"--IPKernelApp.exec_lines={install}"]
        if self.sandbox:
            # in its PID namespace the kernel's parent is bwrap, not the grader: bwrap's --die-with-parent
            # does what ipykernel's parent polling would (and would get wrong); 1 turns the polling off
            extra.append("--IPKernelApp.parent_handle=1")
        kwargs["extra_arguments"] = [*kwargs.get("extra_arguments", []), *extra]
        kwargs.update(cwd=self.folder, env=env)
        # unix sockets in the kernel's folder: the kernel has no network, not even loopback
        km.transport, km.ip, km.cache_ports = "ipc", os.path.join(self.folder, "kernel-ipc"), False
        km.connection_file = os.path.join(self.folder, "kernel.json")
        kwargs = await super().pre_launch(**kwargs)  # writes the connection file
        self._give_to_kernel([Path(self.folder), *Path(self.folder).rglob("*")])
        kwargs["cmd"] = self.confined(kwargs["cmd"])
        return kwargs

    def _copy_files(self, source_dir):
        if source_dir and os.path.isdir(source_dir):
            # the student's data files, but not the notebooks (tests and answers stay with the grader)
            shutil.copytree(source_dir, self.folder, dirs_exist_ok=True,
                            ignore=functools.partial(_not_copied, source_dir))

    def _give_to_kernel(self, paths):
        """Make paths the kernel's own (its uid), when grading as root in the sandbox."""
        if self.sandbox and is_root():
            for path in paths:
                os.chown(path, self.uid, self.uid, follow_symlinks=False)

    def add_files(self, source_dir):
        """Copy the data files of source_dir into the folder of a kernel that is already running (a kernel
        started before its notebook was known: preprocessors.RobustExecute's spare), owned by its uid."""
        before = set(Path(self.folder).rglob("*"))
        self._copy_files(source_dir)
        self._give_to_kernel(set(Path(self.folder).rglob("*")) - before)

    def confined(self, command):
        """The kernel command inside bubblewrap (if sandboxed), as its own uid (if root), under limits."""
        mb = 1024 * 1024
        limits = ["prlimit", f"--as={self.memory_mb * mb}", f"--cpu={self.cpu_seconds}:{self.cpu_seconds + 5}",
                  f"--fsize={self.file_size_mb * mb}", f"--nproc={self.max_processes}", "--"]
        if not self.sandbox:
            return limits + command
        drop = []
        if is_root():
            drop = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--no-new-privs",
                    "--inh-caps=-all", "--bounding-set=-all", "--"]
        return [sys.executable, "-c", IGNORING_SIGINT] + bwrap_arguments(self.folder) + drop + limits + command

    async def kill(self, restart=False):
        """Kill the kernel's process group, then wait the few milliseconds until it is gone: the kernel
        manager polls every 0.1 s after a kill, and its first poll, too early, cost every notebook 0.1 s."""
        await super().kill(restart=restart)
        for _ in range(200):  # at most about a second; the manager waits on after that
            if not self.process or self.process.poll() is not None:
                return
            await asyncio.sleep(0.005)

    async def cleanup(self, restart=False):
        await super().cleanup(restart=restart)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

