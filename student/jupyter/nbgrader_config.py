"""nbgrader settings for your notebooks: what the Validate button and `python3 tasks.py validate` use.

They are the course's own (its nbgrader_config.py; a test keeps the two in step), without anything of grading.
"""
c = get_config()  # noqa: F821 (nbgrader provides get_config)

# What the Validate button and `python3 tasks.py validate` say about the hidden tests.
c.Validator.failed_warning = (
    "Validate runs only the visible tests. Hidden tests run when your notebook is graded, so passing every "
    "visible test does not guarantee full marks.\n"
)

# A cell that runs longer than this fails with a timeout, as it would when your notebook is graded.
c.ExecutePreprocessor.timeout = 120
c.ExecutePreprocessor.kernel_name = "python3"
