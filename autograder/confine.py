"""The kernel launcher of sandbox.py: apply limits and isolation to this process, then become the kernel.

    python autograder/confine.py '<json limits>' -- COMMAND...

Run as a script with the standard library only, so that starting a kernel costs no extra imports. The limits
(see SandboxKernelManager.format_kernel_cmd): memory_mb, cpu_seconds, file_size_mb, and for isolated kernels
uid, max_processes and hide (paths to cover with an empty folder).
"""
import ctypes
import json
import os
import resource
import signal
import sys
import tempfile

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
PR_SET_PDEATHSIG = 1


def _libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}: {os.strerror(errno)}")


def _hide(path):
    """Mount an empty, unreadable tmpfs over a folder (or /dev/null over a file) in this mount namespace."""
    if os.path.isdir(path):
        _libc_call("mount", b"none", path.encode(), b"tmpfs", 0, b"size=4k,mode=000")
    else:
        _libc_call("mount", b"/dev/null", path.encode(), None, MS_BIND, None)


def _expose(path):
    """Let another uid reach path when an ancestor is closed to it (a Python installed under /root).

    In this mount namespace the closed ancestor is replaced by an empty, traversable folder holding only
    the way to path; the rest of it (root's home, say) disappears from view.
    """
    parts = os.path.realpath(path).split(os.sep)[1:]
    for depth in range(1, len(parts)):
        closed = os.sep + os.path.join(*parts[:depth])
        if os.stat(closed).st_mode & 0o001:
            continue
        child = os.path.join(closed, parts[depth])
        staging = tempfile.mkdtemp(prefix="autograder-expose-")
        _libc_call("mount", child.encode(), staging.encode(), None, MS_BIND | MS_REC, None)
        _libc_call("mount", b"none", closed.encode(), b"tmpfs", 0, b"size=4k,mode=755")
        os.mkdir(child)
        _libc_call("mount", staging.encode(), child.encode(), None, MS_MOVE, None)
        os.rmdir(staging)


def enter(limits):
    """Apply limits to this process (see the module docstring); called by the launcher just before exec."""
    if "uid" in limits:
        _libc_call("unshare", CLONE_NEWNS | CLONE_NEWNET)
        _libc_call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
        for path in limits["hide"]:
            if os.path.exists(path):
                _hide(path)
        for path in {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}:
            _expose(path)
        uid = limits["uid"]
        for folder, _, files in os.walk("."):
            for name in [folder, *(os.path.join(folder, f) for f in files)]:
                os.chown(name, uid, uid, follow_symlinks=False)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["max_processes"],) * 2)
    # after the uid change, which would clear it: die with the grader
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_mb"] * mb,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_mb"] * mb,) * 2)


def main(argv):
    """confine.py LIMITS_JSON -- COMMAND...: apply the limits, then become COMMAND."""
    separator = argv.index("--")
    enter(json.loads(argv[0]))
    command = argv[separator + 1:]
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
