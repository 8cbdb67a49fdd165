"""Jupyter server settings of the course, read by `python3 tasks.py lab` (JUPYTER_CONFIG_PATH=jupyter).

JupyterLab's "Save and Export Notebook As" runs nbconvert inside the server, with the server's settings:
load the same nbconvert settings as the command line. nbgrader's panels (Assignment List, Formgrader) read
their settings from nbgrader_config.py files instead: the course's own, and the one beside this file, which
gives the Assignment List an exchange of the course's own.
"""
import os

c = get_config()  # noqa: F821 (Jupyter provides get_config)

load_subconfig(os.path.join(os.path.dirname(os.path.abspath(__file__)), "jupyter_nbconvert_config.py"))  # noqa: F821

# --- The Validate button (autograder/validate_server.py) ---
# nbgrader's Validate button lists every failing cell with its traceback; the course's handler of the same
# request answers question by question (passed, failed with the hint, not answered) with the caveat about
# hidden tests. So nbgrader's validate server extension is switched off and the course's one on; .update()
# leaves the other extensions' settings as they are.
c.ServerApp.jpserver_extensions.update({
    "nbgrader.server_extensions.validate_assignment": False,
    "autograder.validate_server": True,
})

# --- Progress bars in exported PDFs ---
# A PDF exported from the menu shows a progress bar as it ended only if JupyterLab saved the widgets' state
# in the notebook: "Save Widget State Automatically" is on by default here (lab/settings/overrides.json).
c.LabApp.app_settings_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab", "settings")
