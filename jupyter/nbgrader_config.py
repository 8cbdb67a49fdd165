"""nbgrader settings of the instructors' JupyterLab (`python3 tasks.py lab` reads jupyter/ through JUPYTER_CONFIG_PATH).

Nbgrader -> Assignment List shows what an nbgrader exchange holds. This course has none in use: students get the
student package (`python3 tasks.py student-package`) and hand in through the learning-management system. Without
an exchange the panel showed "Error fetching courses!"; this one is an empty folder of the course's own, in
build/ (git-ignored), made here when the lab reads this file. nbgrader's `release_assignment`, `fetch_assignment`
and `collect` would use it too.
"""
from pathlib import Path

c = get_config()  # noqa: F821 (nbgrader provides get_config)

EXCHANGE = Path(__file__).resolve().parent.parent / "build" / "exchange"
EXCHANGE.mkdir(parents=True, exist_ok=True)
c.Exchange.root = str(EXCHANGE)
