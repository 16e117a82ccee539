"""The map of transfer learning in NLP (Ruder 2019) as data and as a figure; lesson 00 draws it.

Transductive transfer keeps the task and has labels only in the source: the domain changes (domain
adaptation) or the language does (cross-lingual learning). Inductive transfer changes the task and
has labels in the target: tasks are learned at once (multi-task learning) or one after the other
(sequential transfer learning).

Lessons not yet published (no notebook in the repository's ``solutions/``) are marked "coming" in the
figure; :func:`published_lessons` reads that from the files, so a mark disappears when its notebook lands.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

#: The checkout's lesson sources, beside the package (absent when the package is installed without them).
SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"

DOMAIN = "domain adaptation"
LANGUAGE = "cross-lingual learning"
MULTITASK = "multi-task learning"
SEQUENTIAL = "sequential transfer learning"
KINDS = (DOMAIN, LANGUAGE, MULTITASK, SEQUENTIAL)


@dataclasses.dataclass(frozen=True)
class Setting:
    """One leaf of the map, with the course's running example and the lessons that teach it."""

    kind: str
    family: str  # "transductive" or "inductive"
    what_changes: str
    example: str
    lessons: str


SETTINGS = (
    Setting(DOMAIN, "transductive", "the domain", "sentiment:\nmovie reviews -> tweets", "06"),
    Setting(LANGUAGE, "transductive", "the language", "sentiment:\nEnglish -> French reviews", "08"),
    Setting(
        MULTITASK, "inductive", "the task, learned at once", "sentiment\n+ language identification", "07"
    ),
    Setting(
        SEQUENTIAL,
        "inductive",
        "the task, one after the other",
        "pretrain on raw text\n-> fine-tune for sentiment",
        "01-05",
    ),
)


def lesson_numbers(lessons: str) -> tuple[str, ...]:
    """A setting's lessons as two-digit numbers: ``"01-05"`` -> ``("01", "02", "03", "04", "05")``."""
    first, _, last = lessons.partition("-")
    return tuple(f"{n:02d}" for n in range(int(first), int(last or first) + 1))


def published_lessons(folder: Path | None = None) -> frozenset[str] | None:
    """Two-digit numbers of the lessons with a notebook ``NN_topic.ipynb`` in ``folder`` (``solutions/``).

    ``None`` when the folder does not exist (the package installed without its repository, as on Colab):
    then nothing can be said about what is published, and :func:`draw` marks nothing.
    """
    folder = SOLUTIONS if folder is None else Path(folder)
    if not folder.is_dir():
        return None
    return frozenset(m.group(1) for p in folder.glob("*.ipynb") if (m := re.match(r"(\d\d)_", p.name)))


def coming(setting: Setting, published: frozenset[str] | None) -> bool:
    """Whether some lesson of ``setting`` has no notebook yet (never, when ``published`` is unknown)."""
    return published is not None and not set(lesson_numbers(setting.lessons)) <= published


def kind_of_transfer(*, same_task: bool, same_language: bool, learned_together: bool) -> str:
    """The reference answer to lesson 00's first exercise: which of :data:`KINDS` a setting is.

    Same task (labels only in the source) is transductive: a change of language makes it
    cross-lingual learning, otherwise domain adaptation. A new task is inductive: multi-task
    learning when tasks are learned together, sequential transfer when one follows the other.
    """
    if same_task:
        return DOMAIN if same_language else LANGUAGE
    return MULTITASK if learned_together else SEQUENTIAL


def draw(ax=None, *, published: frozenset[str] | None = None, folder: Path | None = None):
    """Draw the map as a tree with the running examples; returns the matplotlib ``Axes``.

    A leaf whose lessons are not all in ``published`` (by default :func:`published_lessons` of ``folder``)
    is drawn dashed and marked "coming".
    """
    import matplotlib.pyplot as plt

    if published is None:
        published = published_lessons(folder)

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 5.2))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    box = dict(boxstyle="round,pad=0.4", linewidth=1.2)
    colours = {"transductive": "#d9ead3", "inductive": "#cfe2f3"}

    def node(x, y, text, colour, size=10, weight="normal", linestyle="-"):
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=size,
            weight=weight,
            bbox={**box, "facecolor": colour, "linestyle": linestyle},
        )

    def edge(x0, y0, x1, y1):
        ax.annotate(
            "", xy=(x1, y1 + 0.06), xytext=(x0, y0 - 0.06), arrowprops=dict(arrowstyle="-|>", color="0.35")
        )

    node(0.5, 0.9, "Transfer learning in NLP", "#eeeeee", 12, "bold")
    families = {
        "transductive": (0.25, "Transductive\nsame task; labels only in the source"),
        "inductive": (0.75, "Inductive\nnew task; labels in the target"),
    }
    for family, (x, label) in families.items():
        edge(0.5, 0.9, x, 0.65)
        node(x, 0.65, label, colours[family], 10.5, "bold")
    leaves = [(0.11, SETTINGS[0]), (0.37, SETTINGS[1]), (0.63, SETTINGS[2]), (0.89, SETTINGS[3])]
    for x, setting in leaves:
        parent = families[setting.family][0]
        edge(parent, 0.65, x, 0.33)
        plural = "s" if "-" in setting.lessons else ""
        later = coming(setting, published)
        text = (
            f"{setting.kind.capitalize()}\n({setting.what_changes})\n\n"
            f"e.g. {setting.example}\nlesson{plural} {setting.lessons}{' (coming)' * later}"
        )
        node(
            x,
            0.26,
            text,
            "white" if later else colours[setting.family],
            8.5,
            linestyle="--" if later else "-",
        )
    ax.set_title("The map of transfer learning this course follows (after Ruder, 2019)", fontsize=12)
    return ax
