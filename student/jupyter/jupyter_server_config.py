"""Jupyter server settings of the student package, read by `python3 tasks.py lab` (JUPYTER_CONFIG_PATH=jupyter).

- nbgrader: students get the Validate button and nothing else. The instructors' panels (Formgrader, Create
  Assignment, Course List) are switched off, and so is the Assignment List, which fetches assignments from an
  nbgrader exchange that a student's computer does not have ("Error fetching courses!"): assignments come in
  this package and go back through the course's learning-management system. Their server extensions are
  switched off here, their parts of the lab (and the Nbgrader menu, which holds only them) in
  labconfig/page_config.json.
- The Validate button is the one of the instructors' lab: the course's handler (autograder/validate_server.py),
  question by question, instead of nbgrader's (a test keeps these settings in step with the course's).
- "Save and Export Notebook As" runs nbconvert inside the server: it loads the course's nbconvert settings
  (jupyter_nbconvert_config.py, the PDF template) like the command line.
"""
import os

c = get_config()  # noqa: F821 (Jupyter provides get_config)

c.ServerApp.jpserver_extensions.update({
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False,
    "autograder.validate_server": True,
})

load_subconfig(os.path.join(os.path.dirname(os.path.abspath(__file__)), "jupyter_nbconvert_config.py"))  # noqa: F821

# --- Progress bars in exported PDFs ---
# A PDF exported from the menu shows a progress bar as it ended only if JupyterLab saved the widgets' state
# in the notebook: "Save Widget State Automatically" is on by default here (lab/settings/overrides.json).
c.LabApp.app_settings_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab", "settings")
