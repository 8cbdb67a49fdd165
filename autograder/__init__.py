"""Grading a whole class with nbgrader, dependably: `python -m autograder --help`.

Modules, one job each:
    release.py        regenerate release/ and solutions/ from source/ (nbgrader generate_assignment/solution)
    submissions.py    import submissions (nbgrader tree, student folders, LMS zip) and the naming rule
    grade.py          grade a class: template gradebook, parallel workers, progress bar, course gradebook
    pool.py           the worker processes, replaced when they die or overrun
    worker.py         one notebook through nbgrader's own Autograde and GenerateFeedback
    preprocessors.py  what makes nbgrader's pipeline robust (cell repair, kernel deaths, timeouts, output limits)
    sandbox.py        the kernel's limits and isolation
    reports.py        grades.csv, status.txt, summary.md and the score plot
    course.py         the course's nbgrader configuration and an assignment's questions
    demo.py, derive.py, example.py   the demo class, example submissions, a tiny example assignment
"""
