"""python -m autograder validate NOTEBOOK: run a notebook's visible tests and say which pass.

This is what `python3 tasks.py validate NOTEBOOK` runs (the instructors' autograder has the same command).
"""
import argparse
import sys
from pathlib import Path

from traitlets.config import PyFileConfigLoader

from autograder.validate import report, run_visible_tests

JUPYTER_DIR = Path(__file__).resolve().parent.parent / "jupyter"  # nbgrader_config.py: the course's settings


def settings():
    """nbgrader's settings for your notebooks (jupyter/nbgrader_config.py, the course's), as a traitlets Config."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(JUPYTER_DIR)).load_config()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="run a notebook's visible tests and say which pass")
    validate.add_argument("notebook", help="your .ipynb file")
    validate.add_argument("--timeout", type=int, default=None,
                          help="seconds a cell may run (default: the course's ExecutePreprocessor.timeout)")
    args = parser.parse_args(argv)
    if not Path(args.notebook).is_file():
        parser.exit(2, f"python -m autograder validate: {args.notebook} is not a file "
                       "(give the path of your .ipynb notebook)\n")
    config = settings()
    summary = run_visible_tests(args.notebook, timeout=args.timeout or config.ExecutePreprocessor.timeout,
                                config=config)
    print(report(summary))
    return 0 if summary.passed else 1


if __name__ == "__main__":
    sys.exit(main())
