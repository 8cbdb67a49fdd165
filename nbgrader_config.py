"""nbgrader's configuration for the course; the course root is this folder.

source/<assignment>/     what instructors write (solutions between ### BEGIN/END SOLUTION, hidden tests)
release/<assignment>/    student versions:  python tasks.py release  (nbgrader generate_assignment)
solutions/<assignment>/  solution notebooks: python tasks.py release  (nbgrader generate_solution)
The gradebook (gradebook.db) and submissions live outside git; autograder/ grades a class in a work
folder of its own.
"""
import os

from autograder.formgrader import typeset_math_offline

c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "dl-course"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.solution_directory = "solutions"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")

# Written answers carry their mark scheme inside the answer cell. In the release ClearSolutions replaces the
# whole cell with "YOUR ANSWER HERE", so nothing leaks; without this generate_solution refuses the cell.
c.ClearMarkScheme.enforce_metadata = False

# The caveat below the list of questions that JupyterLab's Validate button and `tasks.py validate` show
# (autograder/validate.py; plain `nbgrader validate` prints it above the failing cells).
c.Validator.failed_warning = (
    "Validate runs only the visible tests. Hidden tests run when your notebook is graded, so passing every "
    "visible test does not guarantee full marks.\n"
)

# A cell that runs longer than this fails with a timeout instead of hanging the grader.
c.ExecutePreprocessor.timeout = 120
c.ExecutePreprocessor.kernel_name = "python3"

# Formgrader typesets math with the MathJax the Jupyter server serves, not one from the internet.
typeset_math_offline(c)
