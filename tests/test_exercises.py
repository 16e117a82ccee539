"""build-lessons: blanks, hints, the opening cells, and --check catching drift."""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from tlcourse.authoring import exercises

SOLVED = '''def answer(x):
    """Double x."""
    # BEGIN SOLUTION
    # HINT: multiply.
    y = x * 2
    return y
    # END SOLUTION
'''


def test_blank_keeps_hints_and_raises():
    blank = exercises.blank_source(SOLVED)
    assert "x * 2" not in blank and "# HINT: multiply." in blank
    namespace: dict = {}
    exec(blank, namespace)
    with pytest.raises(NotImplementedError):
        namespace["answer"](1)


def test_blank_lines_replace_top_level_blocks():
    source = "# BEGIN SOLUTION\n# BLANK: n_labels = None\nn_labels = 20\n# END SOLUTION\nprint(n_labels)"
    assert exercises.blank_source(source) == "n_labels = None\nprint(n_labels)"


def test_top_level_block_without_blank_is_refused():
    with pytest.raises(exercises.ExerciseFormatError, match="BLANK"):
        exercises.blank_source("# BEGIN SOLUTION\nx = 1\n# END SOLUTION")


@pytest.mark.parametrize(
    "source", ["# BEGIN SOLUTION\nx", "# END SOLUTION", "  # BEGIN SOLUTION\n  # BEGIN SOLUTION\n"]
)
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(exercises.ExerciseFormatError):
        exercises.find_blocks(source)


def _copy_repo(tmp_path):
    for folder in ("solutions", "lessons"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_repository_is_in_sync():
    assert exercises.build_all(ROOT, check=True) == []


def test_check_detects_edited_lesson_and_build_repairs_it(tmp_path):
    root = _copy_repo(tmp_path)
    lesson = root / "lessons" / "00_map_of_transfer.ipynb"
    notebook = nbformat.read(lesson, as_version=4)
    notebook.cells[5].source += "\n# an edit made by hand"
    nbformat.write(notebook, lesson)
    problems = exercises.build_all(root, check=True)
    assert problems == [
        "lessons/00_map_of_transfer.ipynb differs from what solutions/00_map_of_transfer.ipynb generates"
    ]
    exercises.build_all(root)
    assert exercises.build_all(root, check=True) == []


def test_check_detects_outputs_and_wrong_opening_cells(tmp_path):
    root = _copy_repo(tmp_path)
    source = root / "solutions" / "00_map_of_transfer.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[1].source = "print('a different first cell')"
    notebook.cells[3].outputs = [nbformat.v4.new_output("stream", text="left over")]
    nbformat.write(notebook, source)
    assert any("not normalised" in p for p in exercises.build_all(root, check=True))
    exercises.build_all(root)
    fixed = nbformat.read(source, as_version=4)
    assert fixed.cells[1].source == exercises.colab_cell_source()
    assert all(not c.get("outputs") for c in fixed.cells if c.cell_type == "code")


def test_every_notebook_opens_with_the_same_three_cells():
    for folder in ("solutions", "lessons"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            code = [c for c in notebook.cells if c.cell_type == "code"]
            assert code[0].source == exercises.colab_cell_source(), path
            assert code[1].source == exercises.setup_cell_source(path.stem), path
            assert "parameters" in code[2].metadata.get("tags", []), path
            assert notebook.metadata["kernelspec"]["name"] == "python3"
            assert all(not c.outputs and c.execution_count is None for c in code), (
                f"{path}: outputs committed"
            )


def test_cli_check_fails_on_drift(tmp_path):
    root = _copy_repo(tmp_path)
    (root / "lessons" / "00_map_of_transfer.ipynb").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "tlcourse", "build-lessons", "--check", "--root", str(root)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "build-lessons" in result.stdout


def test_lessons_and_learner_modules_never_import_the_authoring_tools():
    """Maintainer code lives in ``tlcourse.authoring``: only the command line reaches it, never a lesson."""
    package = sorted((ROOT / "tlcourse").rglob("*.py"))
    learner = [p for p in package if "authoring" not in p.parts and p.name != "__main__.py"]
    notebooks = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "lessons").glob("*.ipynb"))
    for path in learner + notebooks:
        assert "authoring" not in path.read_text(encoding="utf-8"), path.relative_to(ROOT)
