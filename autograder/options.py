"""Every option of a grading run, defined once: its type, its default and why. The CLI (`__main__.py`), the
demo, grade.py and the workers all read `GradingOptions`; nbgrader's own options stay in nbgrader_config.py.
"""
from dataclasses import dataclass, replace

# A kernel may spend its whole time budget computing, plus a minute for its start-up and the cells re-run
# after a restart: the CPU limit only stops a kernel that the wall-clock budget somehow did not.
CPU_MARGIN_S = 60
# The grading process's own deadline for a notebook: the notebook's budget plus kernel start-ups (one per
# restart), nbgrader's bookkeeping and the feedback page. Past it the process is killed and replaced.
WORKER_MARGIN_S = 180


@dataclass(frozen=True)
class GradingOptions:
    cell_timeout: int | None = None
    """Seconds one cell may run. None: the course's ExecutePreprocessor.timeout in nbgrader_config.py."""
    notebook_timeout: int = 600
    """Seconds a whole notebook may run, restarts included: ten times the course's slowest solution notebook
    (about a minute on a busy machine), so only a notebook that loops or keeps crashing reaches it."""
    memory_mb: int = 4096
    """Address space of a kernel. numpy, scipy and matplotlib map about 1.5 GB at import; the digits network
    needs little more, so 4 GB stops runaway allocations without stopping honest work."""
    file_size_mb: int = 100
    """Largest file a kernel may write: enough for any figure or data file the course asks for."""
    max_processes: int = 64
    """Processes and threads a kernel may run at once (a kernel itself uses about 12): stops fork bombs."""
    sandbox: bool = True
    """Run kernels in bubblewrap (sandbox.py). False grades with the limits only (see README, Isolation)."""
    workers: int | None = None
    """Notebooks graded at once on this machine (a LocalCluster of that many dask workers). None: one per core.
    Not used with `scheduler`: there the cluster's workers decide."""
    scheduler: str | None = None
    """Address of a running dask scheduler (tcp://HOST:8786) to grade on its workers. None: a LocalCluster here."""
    regrade: bool = False
    """Grade every notebook again, even those graded before with the same files and tests (see grade.py)."""

    @property
    def cpu_seconds(self):
        return self.notebook_timeout + CPU_MARGIN_S

    @property
    def worker_deadline(self):
        return self.notebook_timeout + WORKER_MARGIN_S

    def deciding_grades(self):
        """These options without those that only decide where and whether notebooks are graded."""
        return replace(self, workers=None, scheduler=None, regrade=False)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here; the message says why and what to do."""
