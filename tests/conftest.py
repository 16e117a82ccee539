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


def standard_check_tests(lesson: str, exercises: list, package: dict, *, garbage: tuple = ()):
    """The three tests every lesson's checks get, parametrized over ``exercises`` (``(name, check)`` pairs).

    The solution passes and the blank is "not done"; the package's own version passes; nonsense (and
    ``garbage``, answers of the lesson's own types) is "not done" or "wrong", never an exception. A test
    module takes them by name: ``test_a, test_b, test_c = standard_check_tests(...)``.
    """
    from tlcourse.checks import core

    answers = (None, 42, "text", lambda *a, **k: 1 / 0, *garbage)

    @pytest.mark.parametrize("name, run_check", exercises)
    def test_solution_passes_and_blank_is_not_done(name, run_check):
        assert_exercise_both_ways(lesson, name, run_check)

    @pytest.mark.parametrize("name, run_check", exercises)
    def test_package_versions_pass(name, run_check):
        assert run_check(package[name]).status == core.PASSED

    @pytest.mark.parametrize("name, run_check", exercises)
    def test_checks_never_raise_on_garbage(name, run_check):
        for answer in answers:
            assert run_check(answer).status in (core.NOT_DONE, core.WRONG)

    return (
        test_solution_passes_and_blank_is_not_done,
        test_package_versions_pass,
        test_checks_never_raise_on_garbage,
    )


#: The packaged encoder's tokenizer files: a random BERT saved with them loads as the hub would give it.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def random_bert(folder: Path, *, seed: int, masked_lm: bool = False, **config) -> Path:
    """Save a random BERT (``transformers.BertConfig(**config)``) with the packaged encoder's tokenizer.

    Written into ``folder`` as the hub lays a model out; ``seed`` seeds torch's global generator first.
    """
    import shutil

    import torch
    import transformers

    from tlcourse import packaged

    files = packaged.locate()
    for name in TOKENIZER_FILES:
        shutil.copyfile(files[name], folder / name)
    bert_config = transformers.BertConfig(vocab_size=30522, **config)
    torch.manual_seed(seed)
    model = transformers.BertForMaskedLM(bert_config) if masked_lm else transformers.BertModel(bert_config)
    model.save_pretrained(folder)
    return folder
