"""Command line of the autograder:  python -m autograder COMMAND ...   (see --help).

    python -m autograder release [NAME ...]          regenerate release/ and solutions/ from source/
    python -m autograder grade ASSIGNMENT SUBMISSIONS grade a class (submitted/ tree, folder of folders, zip)
    python -m autograder formgrader [FOLDER]          grade written answers by hand in nbgrader's formgrader
    python -m autograder handback ASSIGNMENT          after hand-grading: feedback, PDFs and reports again
    python -m autograder demo                         build release/ and grade the demo class in demo/
    python -m autograder validate NOTEBOOK            each question: passed, failed with its hint, or not answered
    python -m autograder feedback-pdf FEEDBACK [OUT]  turn feedback HTML pages into PDFs (offline)
    python -m autograder export ASSIGNMENT --format canvas|moodle|csv --roster ROSTER   grades for the LMS
    python -m autograder similarity ASSIGNMENT        pairs of students whose answers are alike, for a person to judge
"""
import argparse
import sys

from autograder import release
from autograder.demo import DEMO_TIMEOUT
from autograder.options import GradingOptions, SandboxUnavailable


def add_grading_options(parser):
    """Options shared by `grade` and `demo`; their defaults and reasons live in options.GradingOptions."""
    defaults = GradingOptions()
    parser.add_argument("--workers", type=int, default=defaults.workers,
                        help="notebooks graded at once on this machine (default: number of cores)")
    parser.add_argument("--scheduler", default=defaults.scheduler, metavar="tcp://HOST:8786",
                        help="grade on the workers of a running dask scheduler instead (README, Grading on a cluster)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every notebook again, also those unchanged since they were graded")
    parser.add_argument("--timeout", type=int, default=defaults.cell_timeout,
                        help="seconds a cell may run (default: the course's ExecutePreprocessor.timeout)")
    parser.add_argument("--notebook-timeout", type=int, default=defaults.notebook_timeout,
                        help=f"seconds a whole notebook may run (default: {defaults.notebook_timeout})")
    parser.add_argument("--memory", type=int, default=defaults.memory_mb,
                        help=f"memory limit of a student's kernel in MB (default: {defaults.memory_mb})")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="grade without bubblewrap where it cannot run: limits only, and student code can "
                             "read whatever you can read (README, Isolation)")
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")


def add_gradebook_option(parser, default):
    """--gradebook FILE or --db URL: the same thing, a file or a database server."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--gradebook", default=None, help=f"gradebook file (default: {default})")
    where.add_argument("--db", dest="gradebook", metavar="URL",
                       help="gradebook database URL, e.g. postgresql://USER@HOST/DB (password from PGPASSWORD or "
                            "~/.pgpass) or sqlite:///FILE")


def grading_options(args):
    """The GradingOptions the command line asked for."""
    return GradingOptions(cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                          memory_mb=args.memory, workers=args.workers, sandbox=not args.no_sandbox,
                          scheduler=args.scheduler, regrade=args.regrade)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="regenerate release/ and solutions/ from source/ with nbgrader")
    rel.add_argument("assignments", nargs="*", help="assignment names (default: all in source/)")

    from autograder import submissions
    grade = commands.add_parser("grade", help="grade every submission of an assignment",
                                description="Grade a class with nbgrader.\n\n" + submissions.__doc__,
                                epilog="examples:\n"
                                       "  python -m autograder grade 04_digits exports/canvas-digits.zip\n"
                                       "  python -m autograder grade 01_gradient_descent submitted/ --workers 4\n"
                                       "then: python -m autograder formgrader, and after hand-grading "
                                       "python -m autograder handback 04_digits",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    grade.add_argument("assignment", help="assignment name (a folder in source/)")
    grade.add_argument("submissions", help="nbgrader submitted/ folder, folder of student folders, or LMS zip")
    grade.add_argument("--course-root", default=str(release.COURSE_ROOT), help="course folder with nbgrader_config.py (default: this course)")
    add_gradebook_option(grade, "the course's db_url")
    grade.add_argument("--output", default=None,
                       help="where submitted/, autograded/ and reports/ go (default: the course root)")
    add_grading_options(grade)

    back = commands.add_parser("handback", help="after grading in formgrader: feedback pages and PDFs, grades.csv "
                                                "and the summary again, from the gradebook",
                               description=handback_doc(),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    back.add_argument("assignment", help="assignment name (a folder in source/)")
    back.add_argument("--course-root", default=str(release.COURSE_ROOT), help="course folder with nbgrader_config.py (default: this course)")
    add_gradebook_option(back, "the one grading used")
    back.add_argument("--output", default=None,
                      help="where grading wrote autograded/ and reports/ (default: the course root)")
    back.add_argument("--no-pdf", action="store_true", help="feedback pages only, no PDFs")

    form = commands.add_parser("formgrader", help="open nbgrader's formgrader on a graded folder",
                               description=formgrader_doc(), formatter_class=argparse.RawDescriptionHelpFormatter)
    form.add_argument("folder", nargs="?", default=str(release.COURSE_ROOT),
                      help="where grading wrote gradebook.db and autograded/ (default: the course root; "
                           "the demo: build/demo)")
    form.add_argument("--course-root", default=str(release.COURSE_ROOT), help="course folder with nbgrader_config.py (default: this course)")
    form.add_argument("--port", type=int, default=None, help="JupyterLab's port (default: 8888 or the next free)")
    form.add_argument("--no-browser", action="store_true", help="do not open a browser")
    form.add_argument("--db", default=None, metavar="URL",
                      help="the gradebook database grading used (grade --db), instead of FOLDER/gradebook.db")

    demo = commands.add_parser("demo", help="build release/ and solutions/, then grade the demo class")
    demo.add_argument("--regenerate", action="store_true",
                      help="rewrite the demo class in demo/ from source/ and release/ first")
    demo.add_argument("--skip-release", action="store_true", help="use release/ as it is")
    add_grading_options(demo)
    demo.set_defaults(timeout=DEMO_TIMEOUT)

    validate = commands.add_parser("validate", help="run a notebook's visible tests: each question passed, failed "
                                                    "with its hint, or not answered")
    validate.add_argument("notebook", help="the student's .ipynb file")
    validate.add_argument("--timeout", type=int, default=None,
                          help="seconds a cell may run (default: the course's ExecutePreprocessor.timeout)")

    pdf = commands.add_parser("feedback-pdf", help="turn every feedback HTML page below a folder into a PDF")
    pdf.add_argument("feedback", help="folder of feedback pages, e.g. reports/01_gradient_descent/feedback")
    pdf.add_argument("out", nargs="?", default=None, help="where the PDFs go (default: FEEDBACK-pdf beside it)")

    exp = commands.add_parser("export", help="the gradebook's totals as Canvas's or Moodle's grade import file",
                              description=export_doc(), formatter_class=argparse.RawDescriptionHelpFormatter)
    exp.add_argument("assignment", help="assignment name (a folder in source/)")
    exp.add_argument("--format", required=True, choices=["canvas", "moodle", "csv"],
                     help="canvas: Canvas's Gradebook CSV; moodle: Moodle's CSV grade import; csv: a plain table")
    exp.add_argument("--roster", default=None,
                     help="CSV file with the columns student_id, name, email, lms_id (needed for canvas and moodle)")
    exp.add_argument("--output", default=None,
                     help="the file to write (default: reports/ASSIGNMENT/FORMAT-grades.csv in the course root)")
    exp.add_argument("--course-root", default=str(release.COURSE_ROOT), help="course folder with nbgrader_config.py (default: this course)")
    add_gradebook_option(exp, "the one grading used, else the course's db_url")
    exp.add_argument("--column", default=None,
                     help="the assignment's column header (default: the assignment's name; Canvas: an existing "
                          "assignment as Canvas names it, e.g. \"Digits (12345)\")")
    exp.add_argument("--moodle-key", choices=["email", "idnumber"], default="email",
                     help="how Moodle finds the student: the roster's email (default) or its lms_id as ID number")
    exp.add_argument("--allow-pending", action="store_true",
                     help="export even while answers wait for a person (their totals so far; named on stderr)")

    sim = commands.add_parser("similarity", help="pairs of students whose solution cells are alike, ranked, and side "
                                                 "by side (for a person to judge; never changes a grade)",
                              description=similarity_doc(), formatter_class=argparse.RawDescriptionHelpFormatter)
    sim.add_argument("assignment", help="assignment name (a folder in source/)")
    sim.add_argument("--course-root", default=str(release.COURSE_ROOT), help="course folder with nbgrader_config.py (default: this course)")
    sim.add_argument("--output", default=None,
                     help="where grading wrote autograded/, submitted/ and reports/ (default: the course root)")
    sim.add_argument("--top", type=int, default=None, help="pairs to show (default: 20)")

    args = parser.parse_args(argv)
    problem = problem_with(args)
    if problem:
        parser.exit(2, f"python -m autograder {args.command}: {problem}\n")
    try:
        return run(args)
    except KeyboardInterrupt:
        if args.command in ("grade", "demo"):
            print("\nInterrupted. The notebooks graded so far are kept: run the same command again to grade "
                  "the rest.", file=sys.stderr)
        return 130
    except SandboxUnavailable as error:
        print(f"Cannot grade safely here: {error}.\nInstall bubblewrap, or pass --no-sandbox to grade with the "
              "resource limits only (student code can then read whatever you can read; README, Isolation).",
              file=sys.stderr)
        return 2


def formgrader_doc():
    from autograder import formgrader
    return formgrader.__doc__


def handback_doc():
    from autograder import handback
    return handback.__doc__


def export_doc():
    from autograder import export
    return export.__doc__


def similarity_doc():
    from autograder import similarity
    return similarity.__doc__


def problem_with(args):
    """What is wrong with the command line's paths and names, in words, or None."""
    from pathlib import Path
    if args.command in ("grade", "handback", "export", "similarity"):
        root = Path(args.course_root)
        if not (root / "source").is_dir():
            return f"{root} is not a course folder (it has no source/ folder)"
        names = release.assignments(root)
        if args.assignment not in names:
            return f"there is no assignment {args.assignment!r} in {root / 'source'}; the assignments are: " \
                   + (", ".join(names) or "none")
        if args.command == "grade" and not Path(args.submissions).exists():
            return f"{args.submissions} does not exist (give a folder of submissions or an LMS zip)"
    if args.command == "export":
        if args.format != "csv" and not args.roster:
            return f"--format {args.format} needs --roster ROSTER: a CSV file with the columns student_id, name, " \
                   "email, lms_id (python -m autograder export --help)"
        if args.roster and not Path(args.roster).is_file():
            return f"{args.roster} is not a file (give the roster: a CSV file with the columns student_id, name, " \
                   "email, lms_id)"
    if args.command == "similarity" and args.top is not None and args.top < 1:
        return f"--top {args.top}: give how many pairs to show, 1 or more"
    if args.command == "formgrader" and not Path(args.folder).is_dir():
        return f"{args.folder} is not a folder (give where grading wrote gradebook.db, for example build/demo)"
    if args.command == "validate" and not Path(args.notebook).is_file():
        return f"{args.notebook} is not a file (give the path of your .ipynb notebook)"
    if args.command == "feedback-pdf" and not Path(args.feedback).is_dir():
        return f"{args.feedback} is not a folder of feedback pages (for example reports/01_gradient_descent/feedback)"
    return None


def run(args):
    """Carry out the parsed command line."""
    if args.command == "release":
        release.generate(args.assignments)
        print("release/ and solutions/ regenerated from source/")
    elif args.command == "grade":
        from autograder.grade import grade as grade_class
        from autograder.reports import format_table
        result = grade_class(args.assignment, args.submissions, course_root=args.course_root,
                             gradebook=args.gradebook, output=args.output, options=grading_options(args),
                             progress=not args.no_progress)
        print(format_table(result.assignment, result.table))
        kept = f"; {result.reused} unchanged since they were graded, kept" if result.reused else ""
        print(f"\nGraded {result.graded} notebooks{kept}.")
        print(f"Reports: {result.reports_dir} (grades.csv, status.txt, summary.md, feedback/)")
    elif args.command == "handback":
        from autograder.handback import NothingToHandBack, hand_back
        from autograder.reports import format_table
        from autograder.course import Assignment
        try:
            rows, reports_dir = hand_back(args.assignment, course_root=args.course_root, gradebook=args.gradebook,
                                          output=args.output, pdf=not args.no_pdf)
        except NothingToHandBack as error:
            print(f"python -m autograder handback: {error}", file=sys.stderr)
            return 2
        print(format_table(Assignment.read(args.course_root, args.assignment), rows))
        print(f"\nHanded back: {reports_dir} (feedback/, {'' if args.no_pdf else 'feedback-pdf/, '}grades.csv, "
              "summary.md)")
    elif args.command == "formgrader":
        from autograder import formgrader
        extra = ([f"--ServerApp.port={args.port}"] if args.port else []) + (["--no-browser"] if args.no_browser else [])
        try:
            return formgrader.run(args.folder, args.course_root, extra, db_url=args.db)
        except (FileNotFoundError, ValueError) as error:
            print(f"python -m autograder formgrader: {error}", file=sys.stderr)
            return 2
    elif args.command == "demo":
        from autograder import demo as demo_module
        demo_module.run(regenerate_class=args.regenerate, skip_release=args.skip_release,
                        options=grading_options(args), progress=not args.no_progress)
    elif args.command == "validate":
        from autograder.course import load_config
        from autograder.validate import report, run_visible_tests
        config = load_config(release.COURSE_ROOT)
        summary = run_visible_tests(args.notebook, timeout=args.timeout or config.ExecutePreprocessor.timeout,
                                    config=config)
        print(report(summary))
        return 0 if summary.passed else 1
    elif args.command == "feedback-pdf":
        from pathlib import Path

        from autograder.feedback_pdf import feedback_to_pdf
        feedback = Path(args.feedback)
        out = Path(args.out) if args.out else feedback.with_name(feedback.name + "-pdf")
        pdfs = feedback_to_pdf(feedback, out)
        print(f"{len(pdfs)} PDFs in {out}")
    elif args.command == "export":
        return export_grades(args)
    elif args.command == "similarity":
        return similarity_report(args)
    return 0


def export_grades(args):
    """The export command: writes the file and names on stderr whom it leaves out. Exit status 0: everyone
    is in the file; 1: written, but students are left out (named); 2: nothing written (said why)."""
    from pathlib import Path

    from autograder import export, reports
    from autograder.course import Assignment, gradebook_url, load_config, without_password
    command = "python -m autograder export"
    root = Path(args.course_root).resolve()
    asg = Assignment.read(root, args.assignment)
    reports_dir = root / "reports" / args.assignment
    used = reports.read_run(reports_dir)[0] if (reports_dir / "run.json").exists() else None
    db_url = gradebook_url(load_config(root), root, args.gradebook or used)
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).is_file():
        print(f"{command}: there is no gradebook at {db_url[len('sqlite:///'):]} (grade {args.assignment} first, "
              "or give --gradebook FILE or --db URL)", file=sys.stderr)
        return 2
    try:
        roster = export.read_roster(args.roster) if args.roster else None
    except export.RosterError as error:
        print(f"{command}: {error}", file=sys.stderr)
        return 2
    if not export.graded_students(db_url, args.assignment):
        print(f"{command}: the gradebook ({without_password(db_url)}) has no graded submission of "
              f"{args.assignment}; nothing written", file=sys.stderr)
        return 2
    result = export.export(asg, db_url, roster, args.format, column=args.column, moodle_key=args.moodle_key)
    if result.pending:
        print(f"{command}: {export.pending_words(result.pending, args.assignment, args.allow_pending)}",
              file=sys.stderr)
        if not args.allow_pending:
            return 2
    output = Path(args.output) if args.output else reports_dir / f"{args.format}-grades.csv"
    export.write(output, result.lines)
    students = len(result.lines) - (2 if args.format == "canvas" else 1)
    print(f"{args.assignment}: the totals of {students} student{'' if students == 1 else 's'} for "
          f"{args.format} in {output}")
    for sentence in result.problems():
        print(f"{command}: {sentence}", file=sys.stderr)
    return 1 if result.problems() else 0


def similarity_report(args):
    """The similarity command: compares the students graded (run.json), else every student with a notebook in
    autograded/ or submitted/. Exit status 0: written; 2: no student to compare (said why)."""
    from pathlib import Path

    from autograder import reports, similarity
    from autograder.course import Assignment
    root = Path(args.course_root).resolve()
    output = Path(args.output or root).resolve()
    asg = Assignment.read(root, args.assignment)
    reports_dir = output / "reports" / args.assignment
    folders = [output / "autograded", output / "submitted"]
    if (reports_dir / "run.json").exists():
        students = list(reports.read_run(reports_dir)[1])
    else:
        students = sorted({path.parent.name for folder in folders for path in folder.glob(f"*/{args.assignment}")
                           if path.is_dir()})
    if not students:
        print(f"python -m autograder similarity: no graded or submitted notebooks of {args.assignment} in {output} "
              f"(grade it first, or give --output where grading wrote autograded/ and submitted/)", file=sys.stderr)
        return 2
    found = similarity.write(reports_dir, asg, {s: [folder / s / args.assignment for folder in folders]
                                                for s in students}, top=args.top or similarity.TOP)
    print(f"{args.assignment}: {len(found.answers)} students compared, pairs sharing anything: {len(found.pairs)}; "
          f"{reports_dir / 'similarity.md'} and {reports_dir / 'similarity.html'} (for a person to judge)")
    for line in similarity.remarks(found):
        print(f"python -m autograder similarity: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
