"""The map of transfer: the reference classifier and the figure's "coming" marks, read from the files."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from tlcourse import taxonomy  # noqa: E402


def _leaf_texts(ax) -> dict[str, str]:
    return {t.get_text().split("\n")[0].lower(): t.get_text() for t in ax.texts if "lesson" in t.get_text()}


def _lessons(tmp_path, numbers):
    for n in numbers:
        (tmp_path / f"{n}_topic.ipynb").write_text("{}")
    (tmp_path / "notes.ipynb").write_text("{}")  # not a lesson: no number
    return tmp_path


def test_lesson_numbers_expand_ranges():
    assert taxonomy.lesson_numbers("01-05") == ("01", "02", "03", "04", "05")
    assert taxonomy.lesson_numbers("07") == ("07",)


def test_unpublished_lesson_is_marked_coming_until_its_notebook_exists(tmp_path):
    folder = _lessons(tmp_path, ["00", "01", "02", "03", "04", "05", "06", "08"])
    assert taxonomy.published_lessons(folder) == {"00", "01", "02", "03", "04", "05", "06", "08"}
    texts = _leaf_texts(taxonomy.draw(folder=folder))
    assert [kind for kind, text in texts.items() if "coming" in text] == [taxonomy.MULTITASK]
    plt.close("all")
    (folder / "07_multi_task_learning.ipynb").write_text("{}")
    assert not any("coming" in text for text in _leaf_texts(taxonomy.draw(folder=folder)).values())
    plt.close("all")


def test_a_range_is_coming_while_any_lesson_of_it_is_missing(tmp_path):
    folder = _lessons(tmp_path, ["01", "02", "04", "05", "06", "07", "08"])
    texts = _leaf_texts(taxonomy.draw(folder=folder))
    assert [kind for kind, text in texts.items() if "coming" in text] == [taxonomy.SEQUENTIAL]
    plt.close("all")


def test_without_a_solutions_folder_nothing_is_marked(tmp_path):
    assert taxonomy.published_lessons(tmp_path / "absent") is None
    texts = _leaf_texts(taxonomy.draw(folder=tmp_path / "absent"))
    assert len(texts) == len(taxonomy.SETTINGS) and not any("coming" in t for t in texts.values())
    plt.close("all")


def test_default_folder_is_the_checkouts_solutions():
    published = taxonomy.published_lessons()
    assert published == {p.name[:2] for p in taxonomy.SOLUTIONS.glob("[0-9][0-9]_*.ipynb")}
    assert "00" in published


@pytest.mark.parametrize("same_task", [True, False])
def test_kind_of_transfer_follows_the_families(same_task):
    kinds = {
        taxonomy.kind_of_transfer(same_task=same_task, same_language=lang, learned_together=together)
        for lang in (True, False)
        for together in (True, False)
    }
    expected = (
        {taxonomy.DOMAIN, taxonomy.LANGUAGE} if same_task else {taxonomy.MULTITASK, taxonomy.SEQUENTIAL}
    )
    assert kinds == expected
