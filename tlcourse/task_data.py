"""Labelled text sets as tasks: language identification from translated UI strings, and a table of tasks.

Lesson 07 learns several tasks at once: sentiment (:mod:`tlcourse.domain_data`), topic (the bundled
newsgroup posts) and language identification, built here from JupyterLab's UI strings
(:mod:`tlcourse.ui_strings`): the English sources and their human translations, one label a language.

>>> print(table({"a": ["x", "y"]}, {"a": [0, 1]}))
task    texts  classes  largest class  mean words
a           2        2           0.50         1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy


def language_id(
    pairs: Mapping[str, Sequence[tuple[str, str]]], *, per_language: int, seed: int
) -> dict[str, list]:
    """``per_language`` strings in English and in each language of ``pairs``: ``{"text", "label", "names"}``.

    ``pairs`` is ``{language: [(english, translation), ...]}`` (:func:`tlcourse.ui_strings.load`). Label
    0 is English (the distinct sources of the first language's pairs), then the languages in order. Each
    language's distinct strings are drawn without replacement with ``seed``.
    """
    languages = list(pairs)
    if not languages:
        raise ValueError("pairs is empty: pass {language: [(english, translation), ...]}.")
    pools = {"en": sorted({english for english, _ in pairs[languages[0]]})}
    pools.update({language: sorted({text for _, text in pairs[language]}) for language in languages})
    rng = numpy.random.default_rng(seed)
    text, label = [], []
    for k, (name, pool) in enumerate(pools.items()):
        if len(pool) < per_language:
            raise ValueError(f"{name} has {len(pool)} distinct strings; ask for per_language <= {len(pool)}.")
        text += [pool[i] for i in rng.choice(len(pool), size=per_language, replace=False)]
        label += [k] * per_language
    return {"text": text, "label": label, "names": list(pools)}


def table(texts: Mapping[str, Sequence[str]], labels: Mapping[str, Sequence[int]]) -> str:
    """A fixed-width table of tasks: texts, classes, the largest class's share, mean words a text."""
    width = max(4, *(len(name) for name in texts)) + 2
    lines = [f"{'task':<{width}}{'texts':>7}{'classes':>9}{'largest class':>15}{'mean words':>12}"]
    for name, batch in texts.items():
        counts = numpy.bincount(numpy.asarray(labels[name]))
        words = numpy.mean([len(t.split()) for t in batch])
        share = counts.max() / counts.sum()
        lines.append(f"{name:<{width}}{len(batch):>7}{len(counts):>9}{share:>15.2f}{words:>12.1f}")
    return "\n".join(lines)
