"""JupyterLab's Validate button, question by question: a Jupyter server extension.

nbgrader's lab extension POSTs the notebook's path to /assignments/validate and draws the JSON it gets back
(nbgrader's src/common/validate.ts): {"success": true, "value": {}} as "Success! Your notebook passes all the
tests."; a "failed" list as "The following cell failed:" with each entry's source (text) and error (HTML);
{"success": false, "value": text} as "There was an error running the validate command:" and the text.
nbgrader's handler of that route (nbgrader.server_extensions.validate_assignment) builds nbgrader's Validator,
and no setting chooses another. This extension serves the same two routes with nbgrader's handler, changed
only in the Validator it builds: the course's (autograder.validate.CourseValidator), whose result is one
"failed" entry, the list of questions and the caveat about hidden tests, or nothing when every question passes.

jupyter/jupyter_server_config.py switches nbgrader's validate extension off and this one on; nbgrader's other
extensions (formgrader, the Assignment List) stay as they are.
"""
import traceback
from pathlib import Path

from jupyter_server.utils import url_path_join
from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError
from nbgrader.server_extensions.validate_assignment.handlers import NbGraderVersionHandler, ValidateAssignmentHandler
from tornado import web

from autograder.validate import CourseValidator


class CourseValidateHandler(ValidateAssignmentHandler):
    """POST /assignments/validate?path=NOTEBOOK: nbgrader's handler, with the course's Validator."""

    def validate_notebook(self, path):
        root = Path(self.root_dir).resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root):  # as nbgrader's handler: only notebooks under the server's root
            raise web.HTTPError(403, "Access denied: path outside allowed directory")
        try:
            results = CourseValidator(config=self.load_config()).validate(str(target))
        except (SchemaTooOldError, SchemaTooNewError):
            return super().validate_notebook(path)  # nbgrader's own advice on the notebook's metadata version
        except Exception as error:  # the log has the traceback; the student gets one line
            self.log.error(traceback.format_exc())
            return {"success": False, "value": f"{type(error).__name__}: {error}"}
        return {"success": True, "value": results}


def _jupyter_server_extension_points():
    return [{"module": "autograder.validate_server"}]


def _load_jupyter_server_extension(serverapp):
    webapp = serverapp.web_app
    webapp.settings["root_dir"] = serverapp.root_dir  # what nbgrader's handler reads, as nbgrader sets it
    base_url = webapp.settings["base_url"]
    webapp.add_handlers(".*$", [(url_path_join(base_url, "/assignments/validate"), CourseValidateHandler),
                                (url_path_join(base_url, "/nbgrader_version"), NbGraderVersionHandler)])
    serverapp.log.info("Validate button: the course's Validator, question by question (autograder.validate_server)")
