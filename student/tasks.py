#!/usr/bin/env python3
"""Your commands for the course. Needs only Python 3.11+.

    python3 tasks.py setup          once, online: create .venv with the course's packages (a few minutes)
    python3 tasks.py lab            open the course in JupyterLab (works offline)
    python3 tasks.py validate NB    run a notebook's visible tests: question by question, what passes and what not
    python3 tasks.py pdf NB         export a notebook to PDF beside it (offline, xelatex, the course's template);
                                    --name "Ada Lovelace" puts your name under the title, --paper letter (default a4)

Every command sets up .venv first if it is missing. Once it is set up, nothing is installed again (so nothing
needs the internet) unless pyproject.toml changes. Anything after `lab` is passed on to JupyterLab.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"  # the hash of the pyproject.toml that .venv was set up from
JUPYTER_DIR = ROOT / "jupyter"  # the course's Jupyter settings: Validate, PDF template, no instructor panels

# Debian/Ubuntu packages behind PDF export (xelatex with fonts that have Greek letters; pandoc).
SYSTEM_PACKAGES = {
    "xelatex": ["texlive-xetex", "texlive-fonts-recommended", "texlive-plain-generic",
                "texlive-latex-extra", "lmodern", "fonts-dejavu-core"],
    "pandoc": ["pandoc"],
}


def run(*command, env=None):
    """Run a command in this folder with .venv's bin folder first on PATH (as if activated)."""
    print("+", " ".join(str(part) for part in command), flush=True)
    env = dict(env or os.environ, VIRTUAL_ENV=str(VENV))
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    # The course's matrices are small: one BLAS thread is faster than several.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return subprocess.run([str(part) for part in command], cwd=ROOT, env=env).returncode


def ensure_venv():
    """Create .venv and install the course's packages, unless it was set up from this very pyproject.toml."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
    if run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".") != 0:
        sys.exit("Installing the course's packages failed (see above); are you online?")
    STAMP.write_text(wanted)


def ensure_system_packages():
    """Install the Debian packages for PDF export when they are missing and this machine allows (root, apt-get)."""
    missing = [pkg for program, pkgs in SYSTEM_PACKAGES.items() if not shutil.which(program) for pkg in pkgs]
    if not missing:
        return
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        print("Not installed (PDF export needs them):", " ".join(missing))
        print("README.md, 'PDF export needs xelatex and pandoc', says how to install them on your system.")
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                                   *missing]):
        if run(*command, env=env) != 0:
            print("Could not install", " ".join(missing), "- PDF export will not work until they are installed.")
            return


def jupyter_env():
    """Environment for Jupyter with the course's settings in jupyter/."""
    return dict(os.environ, JUPYTER_CONFIG_PATH=str(JUPYTER_DIR))


def notebook_path(argument):
    """A notebook named on the command line, as a path from where you typed the command."""
    path = Path(argument).resolve()
    if not path.is_file():
        sys.exit(f"{argument} is not a file (give the path of your .ipynb notebook)")
    return path


def command_line():
    """The parser of this file's command line."""
    parser = argparse.ArgumentParser(prog="python3 tasks.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="create .venv with the course's packages (online, once)")
    commands.add_parser("lab", help="open the course in JupyterLab (anything after `lab` goes to JupyterLab)")
    validate = commands.add_parser("validate", help="run a notebook's visible tests and say what passes")
    validate.add_argument("notebook", help="your .ipynb file")
    pdf = commands.add_parser("pdf", help="export a notebook to PDF beside it")
    pdf.add_argument("notebook", help="your .ipynb file")
    # options of the course's PDF template (jupyter/nbconvert/course_pdf/page_setup.py)
    pdf.add_argument("--name", help='your name, printed under the title: --name "Ada Lovelace"')
    pdf.add_argument("--paper", choices=["a4", "letter"], type=str.lower, help="a4 (the default) or letter")
    return parser


def main(argv):
    if not argv:
        print(__doc__)
        return 0
    parser = command_line()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "setup":
        ensure_venv()
        ensure_system_packages()
        return 0
    if args.command == "lab":
        ensure_venv()
        ensure_system_packages()
        # JupyterLab refuses to run as root unless told to (containers run as root).
        as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        return run(BIN / "jupyter", "lab", *as_root, *rest, env=jupyter_env())
    notebook = notebook_path(args.notebook)
    if args.command == "validate":
        ensure_venv()
        return run(PYTHON, "-m", "autograder", "validate", notebook)
    ensure_venv()
    ensure_system_packages()
    page = [f"--PageSetup.{trait}={value}" for trait, value in [("author", args.name), ("paper", args.paper)]
            if value is not None]
    return run(BIN / "jupyter", "nbconvert", "--to", "pdf", *page, notebook, env=jupyter_env())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
