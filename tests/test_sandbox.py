"""The grading kernel's sandbox (autograder/sandbox.py), tried directly: what a kernel can see and do."""
import os
import tempfile
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from autograder import sandbox

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def kernel():
    """A sandboxed grading kernel started in a folder holding one data file."""
    folder = Path(tempfile.mkdtemp())
    (folder / "data.csv").write_text("1,2,3\n")
    yield from started_kernel(folder)


def sandboxed_kernel(folder, **judge):
    """Start a sandboxed grading kernel in folder; returns its kernel manager and a ready client."""
    problem = sandbox.unavailable()
    if problem:  # CI installs bubblewrap (tasks.py setup): there this fails instead
        pytest.fail(problem) if os.environ.get("CI", "").lower() == "true" else pytest.skip(problem)
    km = KernelManager(kernel_name=sandbox.KERNEL_NAME)
    km.kernel_spec_manager = sandbox.kernel_spec_manager()
    km.start_kernel(cwd=str(folder), **judge)
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return km, client


def started_kernel(folder, **judge):
    """Start a sandboxed grading kernel in folder; yields run(code) -> (what it printed, status)."""
    km, client = sandboxed_kernel(folder, **judge)

    def run(code):
        """Run code in the kernel; returns what it printed (and the error, if any)."""
        printed = []
        reply = client.execute_interactive(code, timeout=60, output_hook=lambda msg: printed.append(
            msg["content"].get("text") or msg["content"].get("evalue") or ""))
        return "".join(printed), reply["content"]["status"]

    yield run
    client.stop_channels()
    km.shutdown_kernel(now=True)


def test_the_kernel_has_its_files_and_the_course_library(kernel):
    printed, status = kernel("import utils, numpy\nprint(open('data.csv').read().strip())")
    assert status == "ok" and printed.strip() == "1,2,3"


def test_the_kernel_sees_nothing_of_the_course_but_its_library(kernel):
    printed, _ = kernel(f"import os\nprint(sorted(os.listdir({str(ROOT)!r})))")
    visible = set(eval(printed))
    assert visible <= {".venv", "utils", "autograder"}, visible
    for private in ("source", "solutions", "tests", ".git", "gradebook.db", "reports"):
        assert private not in visible


def test_the_kernel_has_no_network_and_no_home(kernel):
    printed, _ = kernel("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=2)\n"
                        "    print('connected')\nexcept OSError as error:\n    print(type(error).__name__)")
    assert "connected" not in printed
    printed, _ = kernel("import os\nprint(os.path.exists(os.path.expanduser('~root/.bashrc')), os.listdir('/tmp'))")
    assert printed.startswith("False")


def test_the_kernel_runs_under_limits_and_not_as_root(kernel):
    printed, _ = kernel("import os, resource\nprint(os.getuid(), resource.getrlimit(resource.RLIMIT_NPROC)[0],"
                        " resource.getrlimit(resource.RLIMIT_AS)[0] // 2**20)")
    uid, processes, memory_mb = map(int, printed.split())
    assert uid != 0
    assert processes == sandbox.SandboxProvisioner.max_processes.default_value
    assert memory_mb == sandbox.SandboxProvisioner.memory_mb.default_value


def test_the_judges_key_is_gone_before_student_code_runs(kernel):
    printed, _ = kernel("import os\nprint(sorted(f for f in os.listdir('.') if 'key' in f))")
    assert printed.strip() == "[]"


def test_nothing_a_student_hands_in_runs_before_the_judge(tmp_path):
    """A student's files that Python, IPython or matplotlib would read as the kernel starts, or that shadow
    the judge or a module the tests use, never run: the judge and the recorded modules are the course's."""
    flag = "import builtins; builtins.RAN_FIRST = builtins.__dict__.get('RAN_FIRST', '') + {!r}\n"
    files = {".ipython/profile_default/startup/00-first.py": flag.format("startup "),
             ".ipython/profile_default/ipython_config.py": flag.format("profile "),
             ".local/lib/python3.11/site-packages/first.pth": "import builtins; builtins.RAN_FIRST = 'pth '\n",
             ".matplotlib/matplotlibrc": "backend: module://first_backend\n",
             "numpy.py": flag.format("numpy.py "),
             "autograder/__init__.py": flag.format("autograder/ "),
             "autograder/judge.py": flag.format("judge.py ") + "def install(*args, **kwargs): pass\n",
             "data/kernel.json": "{}",  # deeper down, a name of the grader's is only a student's data file
             "data.csv": "1,2,3\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    run = started_kernel(tmp_path, judge_packages=["numpy"], judge_imports=["numpy", "numpy.testing"])
    kernel = next(run)
    try:
        printed, status = kernel("import builtins, numpy, autograder.judge, os\n"
                                 "print(repr(builtins.__dict__.get('RAN_FIRST', '')))\n"
                                 "print(numpy.__file__.startswith(os.getcwd()), autograder.judge.__file__.startswith(os.getcwd()))\n"
                                 "print('__autograder__' in get_ipython().user_ns, sorted(os.listdir('data')))")
        assert status == "ok", printed
        ran, shadowed, judged = printed.splitlines()
        assert ran == "''", ran
        assert shadowed == "False False"
        assert judged == "True ['kernel.json']"
    finally:
        next(run, None)


def test_the_font_list_is_built_once_per_machine_and_kernels_find_it(tmp_path, monkeypatch):
    import shutil
    import subprocess
    import sys

    from autograder import worker
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    worker.build_matplotlib_cache(tmp_path / "first")
    kept = worker.machine_matplotlib_cache()
    assert str(kept).startswith(str(tmp_path / "cache")) and list(kept.glob("fontlist-*.json"))

    def no_build(*args, **kwargs):
        raise AssertionError("the font list was built again")
    monkeypatch.setattr(worker.subprocess, "run", no_build)
    worker.build_matplotlib_cache(tmp_path / "second")
    assert sorted(p.name for p in (tmp_path / "second").iterdir()) == sorted(p.name for p in kept.iterdir())
    monkeypatch.undo()

    # a kernel's copy of it (sandbox.SandboxProvisioner copies the folder): matplotlib builds nothing
    shutil.copytree(tmp_path / "second", tmp_path / "kernel-home")
    plotted = subprocess.run([sys.executable, "-c", "import matplotlib; matplotlib.use('Agg'); "
                              "import matplotlib.pyplot as plt; plt.plot([1, 2]); plt.savefig('p.png')"],
                             cwd=tmp_path, env=dict(os.environ, MPLCONFIGDIR=str(tmp_path / "kernel-home")),
                             capture_output=True, text=True, check=True)
    assert plotted.stderr == "" and (tmp_path / "p.png").stat().st_size > 0


def test_a_stopped_kernel_is_gone_with_every_process_it_started(tmp_path):
    """shutdown_kernel(now=True), as grading stops a kernel once its last cell has run: the kernel, the sandbox
    around it and a process the student's code started are all gone, and the kernel manager knows it."""
    import psutil

    km, client = sandboxed_kernel(tmp_path)
    client.execute_interactive("import subprocess\nsubprocess.Popen(['sleep', '600'])", timeout=60)
    launched = psutil.Process(km.provisioner.process.pid)
    processes = [launched, *launched.children(recursive=True)]
    assert any(p.name() == "sleep" for p in processes)
    client.stop_channels()
    km.shutdown_kernel(now=True)
    assert not km.is_alive()
    _, alive = psutil.wait_procs(processes, timeout=10)
    assert alive == []
