"""The autograder's part for students: validate.py (the course's own, unchanged, with the autograder modules it
imports) runs a notebook's visible tests the way grading does and says which pass. `python3 tasks.py validate
NOTEBOOK` runs it (see __main__.py); nothing of grading a class is here."""
