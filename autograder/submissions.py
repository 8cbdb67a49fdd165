"""Import a class's submissions from the forms they arrive in, into one folder per student.

Accepted: an nbgrader submitted/ tree, a folder of per-student folders, or a zip exported from a learning
management system (LMS). The naming rule (also in the README):

  1. A folder is one student's: in an nbgrader tree `STUDENT/ASSIGNMENT/`, otherwise `STUDENT/` (at any depth
     below it the notebooks are found). The student id is the folder name with Moodle's
     "_assignsubmission_file_" ending removed; characters other than letters, digits, ".", "-" and "_" become
     "_" ("Ada Lovelace_4711_assignsubmission_file_" -> "Ada_Lovelace_4711").
  2. A notebook at the top level belongs to the student named before the first underscore of its file name,
     as Canvas names them: "lovelaceada_4711_93_gradient_descent.ipynb" -> student "lovelaceada".
  3. A file is the assignment's notebook NAME.ipynb if, without copy or resubmission markers ("-1", " (2)",
     "-Copy1", "Copy of "), its name is NAME.ipynb or ends with "_NAME.ipynb", in upper or lower case
     ("GRADIENT_DESCENT.ipynb" too). If the assignment has a single
     notebook, a student's only notebook is taken whatever its name. When several files match, the latest
     resubmission is graded (NAME-2 over NAME-1 over NAME: the longest name, then the last in name order).
  4. Other files in a student's folder (data, helper modules, nbgrader's timestamp.txt) are kept with the
     notebooks. Everything else is listed as unmatched, with the reason, in the report: nothing is dropped
     silently.
  5. A zip is read like a folder. If it holds a single folder (and no files), that folder is the class.
     Members with absolute or ".." paths, and links, are refused.
"""
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MOODLE_SUFFIX = re.compile(r"_assign(submission|ment)_[a-z]+_?$", re.IGNORECASE)
COPY_MARKERS = re.compile(r"(-Copy\d*|-\d+| ?\(\d+\))$", re.IGNORECASE)
MAX_ZIP_BYTES = 4 * 1024 ** 3
SYSTEM_FILES = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "Thumbs.db"}


@dataclass
class Imported:
    """A class's submissions, one folder per student, with the notebooks under the assignment's names.

    folders: {student: folder}; notes: {student: [remarks in words]}; missing: {student: [notebook names]}
    not handed in; unmatched: [(path in the input, reason)].
    """
    folders: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)
    unmatched: list = field(default_factory=list)


def student_id(name):
    """A safe student id from a folder or file-name prefix (rule 1)."""
    name = MOODLE_SUFFIX.sub("", name)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or None


def notebook_stem(filename):
    """The file name without .ipynb and without copy/resubmission markers (rule 3)."""
    stem = filename[:-len(".ipynb")] if filename.lower().endswith(".ipynb") else filename
    stem = re.sub(r"^copy of ", "", stem, flags=re.IGNORECASE)
    while COPY_MARKERS.search(stem):
        stem = COPY_MARKERS.sub("", stem)
    return stem


def which_notebook(filename, notebooks):
    """The assignment notebook a file name stands for (exact name or name plus markers), or None."""
    if not filename.lower().endswith(".ipynb"):
        return None
    stem = notebook_stem(filename).lower()
    for name in sorted(notebooks, key=len, reverse=True):
        if stem == name.lower() or stem.endswith(f"_{name.lower()}"):
            return name
    return None


def _resubmission_order(path):
    """Sort key putting later resubmissions last (rule 3): NAME, NAME-1, NAME-2, ..., NAME-10."""
    return len(path.name), str(path)


def _is_system(path):
    return any(part in SYSTEM_FILES or part.startswith("._") for part in path.parts)


def collect(source, assignment, notebooks, into):
    """Import the submissions in `source` (folder or zip) for `assignment` into `into`/<student>/.

    notebooks: the assignment's notebook names (without .ipynb). Returns an Imported.
    """
    source, into = Path(source), Path(into)
    into.mkdir(parents=True, exist_ok=True)
    imported = Imported()
    with tempfile.TemporaryDirectory() as tmp:
        if source.is_file() and zipfile.is_zipfile(source):
            root = _unzip(source, Path(tmp), imported)
        elif source.is_dir():
            root = source
        else:
            raise FileNotFoundError(f"{source} is neither a folder nor a zip file")
        if any((d / assignment).is_dir() for d in root.iterdir() if d.is_dir()):
            folders = {d: d / assignment for d in root.iterdir() if d.is_dir() and not _is_system(d)}
            for d, folder in folders.items():
                if not folder.is_dir():
                    imported.unmatched.append((str(d.relative_to(root)), f"no folder {assignment}/ inside"))
                    folders[d] = None
        else:
            folders = {d: d for d in root.iterdir() if d.is_dir() and not _is_system(d)}
        for d, folder in sorted(folders.items()):
            if folder is not None:
                _take_folder(folder, student_id(d.name), notebooks, into, imported, root)
        for path in sorted((p for p in root.iterdir() if p.is_file()), key=_resubmission_order):
            _take_file(path, notebooks, into, imported, root)
        for path in sorted(p for p in root.rglob("*") if _is_system(p.relative_to(root)) and p.is_file()):
            imported.unmatched.append((str(path.relative_to(root)), "system file, ignored"))
    for student, folder in imported.folders.items():
        absent = [name for name in notebooks if not (folder / f"{name}.ipynb").exists()]
        if absent:
            imported.missing[student] = absent
    return imported


def _unzip(path, target, imported):
    """Extract a zip safely into target; returns the folder to read (looking through one wrapping folder)."""
    with zipfile.ZipFile(path) as archive:
        total = 0
        for info in archive.infolist():
            name = Path(info.filename)
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if name.is_absolute() or ".." in name.parts or is_link:
                imported.unmatched.append((info.filename, "unsafe path or link in the zip, refused"))
                continue
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise ValueError(f"{path} unpacks to more than {MAX_ZIP_BYTES // 1024 ** 3} GB")
            archive.extract(info, target)
    entries = [p for p in target.iterdir() if not _is_system(Path(p.name))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return target


def _add(student, notebook, path, into, imported, root):
    """Copy path as into/student/notebook.ipynb; the last file taken for a notebook wins (rule 3)."""
    target = into / student / f"{notebook}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    imported.folders[student] = target.parent
    notes = imported.notes.setdefault(student, [])
    if target.exists():
        notes.append(f"several files for {notebook}.ipynb; graded {path.name}")
    elif path.name != f"{notebook}.ipynb":
        notes.append(f"graded {path.name} as {notebook}.ipynb")
    shutil.copyfile(path, target)


def _take_folder(folder, student, notebooks, into, imported, root):
    """Rule 1, 3, 4: one student's folder."""
    if student is None:
        imported.unmatched.append((str(folder.relative_to(root)), "no usable student name"))
        return
    files = sorted((p for p in folder.rglob("*") if p.is_file() and not _is_system(p.relative_to(folder))),
                   key=_resubmission_order)
    ipynbs = [p for p in files if p.suffix.lower() == ".ipynb"]
    matched = {p: which_notebook(p.name, notebooks) for p in ipynbs}
    if len(notebooks) == 1 and len(ipynbs) == 1 and matched[ipynbs[0]] is None:
        matched[ipynbs[0]] = notebooks[0]
    for path in ipynbs:
        if matched[path] is None:
            imported.unmatched.append((str(path.relative_to(root)), "notebook not part of the assignment"))
        else:
            _add(student, matched[path], path, into, imported, root)
    for path in files:
        if path.suffix.lower() != ".ipynb":
            target = into / student / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    if not any(matched.values()):
        imported.folders.setdefault(student, into / student)
        (into / student).mkdir(parents=True, exist_ok=True)


def _take_file(path, notebooks, into, imported, root):
    """Rule 2: a top-level file named STUDENT_..._NOTEBOOK.ipynb."""
    notebook = which_notebook(path.name, notebooks)
    prefix, underscore, _ = path.name.partition("_")
    if notebook is None:
        imported.unmatched.append((path.name, "not a notebook of this assignment"))
    elif not underscore or path.name == f"{notebook}.ipynb" or student_id(prefix) is None:
        imported.unmatched.append((path.name, "no student name before an underscore in the file name"))
    else:
        _add(student_id(prefix), notebook, path, into, imported, root)
