"""Shared test helpers: the repository's paths and running one exercise cell of a notebook."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from tlcourse.authoring import exercises

ROOT = Path(__file__).resolve().parent.parent


def exercise_function(folder: str, lesson: str, name: str):
    """Execute the cell of ``folder/lesson.ipynb`` that defines ``name`` (alone) and return ``name``.

    ``folder`` is ``"solutions"`` (the answer) or ``"lessons"`` (the blank learners get).
    """
    notebook = nbformat.read(ROOT / folder / f"{lesson}.ipynb", as_version=4)
    if folder == "lessons":
        # the blank cell is the solution cell with its block replaced; find it by the same definition
        solution = nbformat.read(ROOT / "solutions" / f"{lesson}.ipynb", as_version=4)
        source = exercises.solution_code(solution, name)
        index = [c.source for c in solution.cells].index(source)
        source = notebook.cells[index].source
        assert exercises.BEGIN not in source, "the lesson still contains solution code"
    else:
        source = exercises.solution_code(notebook, name)
    namespace: dict = {}
    exec(compile(source, f"{folder}/{lesson}.ipynb:{name}", "exec"), namespace)
    return namespace[name]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch) -> Path:
    """An empty asset cache for this test only."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("TLCOURSE_CACHE", str(folder))
    return folder


@pytest.fixture(scope="session")
def shared_cache() -> Path:
    """The cache the test run uses (setup.sh makes it fresh); assets built once per run."""
    from tlcourse import cache

    return cache.root()


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python: this one's, plus ``extra``."""
    env = dict(os.environ)
    env.update(extra)
    return env


def assert_exercise_both_ways(lesson: str, name: str, run_check) -> None:
    """The check passes the solution from ``solutions/`` and says "not done" to the blank in ``lessons/``.

    A "not done" result must fall back to the package's version (``result.use``), so the lesson runs on.
    """
    from tlcourse.checks import core

    solved = run_check(exercise_function("solutions", lesson, name))
    assert solved.status == core.PASSED, f"{name}: the solution was judged {solved.status}: {solved.message}"
    blank = run_check(exercise_function("lessons", lesson, name))
    assert blank.status == core.NOT_DONE, f"{name}: the blank was judged {blank.status}: {blank.message}"
    sentinel = object()
    assert blank.use(sentinel) is sentinel
