"""Grading a whole class with nbgrader: see autograder/README or python -m autograder --help."""
