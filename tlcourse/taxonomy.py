"""The map of transfer learning in NLP (Ruder 2019) as data and as a figure; lesson 00 draws it.

Transductive transfer keeps the task and has labels only in the source: the domain changes (domain
adaptation) or the language does (cross-lingual learning). Inductive transfer changes the task and
has labels in the target: tasks are learned at once (multi-task learning) or one after the other
(sequential transfer learning).
"""

from __future__ import annotations

import dataclasses

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


def kind_of_transfer(*, same_task: bool, same_language: bool, learned_together: bool) -> str:
    """The reference answer to lesson 00's first exercise: which of :data:`KINDS` a setting is.

    Same task (labels only in the source) is transductive: a change of language makes it
    cross-lingual learning, otherwise domain adaptation. A new task is inductive: multi-task
    learning when tasks are learned together, sequential transfer when one follows the other.
    """
    if same_task:
        return DOMAIN if same_language else LANGUAGE
    return MULTITASK if learned_together else SEQUENTIAL


def draw(ax=None):
    """Draw the map as a tree with the running examples; returns the matplotlib ``Axes``."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 5.2))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    box = dict(boxstyle="round,pad=0.4", linewidth=1.2)
    colours = {"transductive": "#d9ead3", "inductive": "#cfe2f3"}

    def node(x, y, text, colour, size=10, weight="normal"):
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=size,
            weight=weight,
            bbox={**box, "facecolor": colour},
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
        text = (
            f"{setting.kind.capitalize()}\n({setting.what_changes})\n\n"
            f"e.g. {setting.example}\nlesson{plural} {setting.lessons}"
        )
        node(x, 0.26, text, colours[setting.family], 8.5)
    ax.set_title("The map of transfer learning this course follows (after Ruder, 2019)", fontsize=12)
    return ax
