"""Grading a whole class with nbgrader, dependably: `python -m autograder --help`.

Modules, one job each:
    release.py        regenerate release/ and solutions/ from source/ (nbgrader generate_assignment/solution)
    submissions.py    import submissions (nbgrader tree, student folders, LMS zip) and the naming rule
    grade.py          grade a class: template gradebook, parallel workers, progress bar, course gradebook
    cluster.py        where notebooks are graded: dask.distributed (a LocalCluster, or --scheduler),
                      each worker grading in a process it replaces when it dies or overruns
    task.py           what travels between grade.py and the workers: setup, task and result (dataclasses)
    worker.py         one notebook through nbgrader's own Autograde and GenerateFeedback
    options.py        every grading option, once: its type, default and reason (GradingOptions)
    preprocessors.py  what makes nbgrader's pipeline robust and fair (cell repair and order, judged tests,
                      kernel deaths, timeouts, output limits, tampering withheld for review)
    judge.py          runs inside the grading kernel: restores the testing surface, judges read-only cells,
                      explains failures in one line (explain)
    grading_notes.py  the model answer and mark scheme under each written answer, for formgrader
    feedback.py       the feedback pipeline: hidden tests by name and result, no grading notes, pending
                      answers, offline MathJax (templates/)
    formgrader.py     nbgrader's formgrader on a graded folder (python -m autograder formgrader)
    handback.py       after hand-grading: feedback, PDFs and reports again from the gradebook
    feedback_pdf.py   feedback pages printed to PDF by headless Chromium
    validate.py, validate_server.py   a student's check of a notebook, in the terminal and the Validate button
    audit.py          reads student code for constructs that tamper with testing
    sandbox.py        the kernel's launcher (a jupyter_client provisioner): bubblewrap allow-list and limits
    kernels/          the grading kernel spec, which names the provisioner
    reports.py        grades.csv, status.txt, summary.md and the score plot
    item_analysis.py  per question: difficulty, discrimination, full/partial/zero, hidden tests failed most
    similarity.py     the similarity report: ranked pairs per question and a side-by-side page, built on
                      similarity_notebooks.py (the answers), similarity_normalise.py (code to tokens)
                      and similarity_fingerprint.py (winnowing, pair scores)
    export.py         the totals as Canvas's or Moodle's grade import file (python -m autograder export)
    course.py         the course's nbgrader configuration and an assignment's questions
    demo.py, derive.py   the demo class and the submissions derived from source/ and release/ (tests too)
"""
import sys

# jsonschema imports rfc3987_syntax, when it is installed, for its "iri" format check, and rfc3987_syntax
# builds a Lark grammar as it is imported: 1.0-1.4 s of every process that imports nbformat (python -X
# importtime -c "import nbformat"), and a grading run starts several (this one, a grading process per
# worker). Nothing graded here checks the "iri" format (nbformat validates without format checks), so the
# import is blocked: None in sys.modules makes it an ImportError, which jsonschema expects and skips.
# rfc3987-syntax stays installed for jupyter-events (JupyterLab and formgrader run in processes of their own).
sys.modules.setdefault("rfc3987_syntax", None)
