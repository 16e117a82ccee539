"""What a pretraining objective changes: a plain encoder against its sentence-trained version.

Lesson 02 (``small``/``full``) asks whether sentence training (all-MiniLM-L6-v2 from plain MiniLM,
all-mpnet-base-v2 from MPNet) is what makes an encoder's features serve topic, polarity or people's
similarity judgements: the two models differ only in that objective. :func:`compare_encoders` measures
both; :func:`objective_verdicts` says which expected effects hold. ``tiny`` has no plain checkpoint
offline, so there the lesson shows controls instead (:mod:`tlcourse.sentences`).

>>> from tlcourse import objectives
>>> rows = objectives.compare_encoders({"a": plain, "b": trained}, reviews, posts, docs)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy

from tlcourse import sentences


def sense_gap(tokenizer, model, *, device: str = "cpu") -> float:
    """A token task: last-layer same-sense minus other-sense cosine of lesson 03's ambiguous words,
    averaged. The raw gap: lesson 03 shows that a control word in the same sentences gets a gap as large
    from the middle layers on, so this compares two encoders, it does not measure word sense alone."""
    from tlcourse import contextual

    found = contextual.sense_vectors(tokenizer, model, contextual.ambiguous_words(), device=device)
    same, other = contextual.sense_gaps(found.vectors, found.senses)
    return float((same[:, -1] - other[:, -1]).mean())


def compare_encoders(
    encoders: dict,
    reviews,
    posts,
    lee_docs: Sequence[str],
    *,
    max_length: int = 128,
    device: str = "cpu",
) -> dict:
    """For each ``name: (tokenizer, model)``, frozen and mean-pooled: fold accuracies ``(repeats, folds)`` on
    polarity (``reviews``) and topic (``posts``), the Lee documents' cosines ``(n, n)``, how many
    :data:`sentences.MINIMAL_PAIRS` put the opposite opinion nearer than the other topic, and the token-task
    sense gap.

    Lesson 02 (``small``/``full``) compares a plain encoder with its sentence-trained version: the one pair
    of models that differs only in the pretraining objective. :func:`objective_verdicts` reads the result.
    """
    pair_texts = [text for triple in sentences.MINIMAL_PAIRS for text in triple]
    rows = {}
    for name, (tokenizer, model) in encoders.items():

        def embed(texts, tokenizer=tokenizer, model=model):
            return sentences.encode(
                tokenizer, model, texts, max_length=max_length, normalize=True, device=device
            )

        rows[name] = {
            "polarity": sentences.cross_validate_features(embed(reviews["text"]), reviews),
            "topic": sentences.cross_validate_features(embed(posts["text"]), posts),
            "Lee cosines": sentences.cosine_matrix(embed(lee_docs)),
            "minimal pairs, topic first": int((sentences.minimal_pair_margins(embed(pair_texts)) > 0).sum()),
            "sense gap (token task)": sense_gap(tokenizer, model, device=device),
        }
    return rows


def objective_verdicts(
    rows: dict, plain: str, trained: str, human: numpy.ndarray, *, n_train: int, n_test: int, seed: int
) -> list[tuple[str, object, bool]]:
    """What sentence training (``trained`` minus ``plain`` in :func:`compare_encoders`'s ``rows``) did, as
    ``(expected effect, measured difference, holds)``: differences are paired over folds or over Lee
    resamples (``seed``), and an effect holds only when its interval excludes what would deny it."""
    from tlcourse import stats

    a, b = rows[trained], rows[plain]
    topic = stats.paired_difference(a["topic"], b["topic"], n_train=n_train, n_test=n_test)
    polarity = stats.paired_difference(a["polarity"], b["polarity"], n_train=n_train, n_test=n_test)
    boot = sentences.bootstrap_correlations({"a": a["Lee cosines"], "b": b["Lee cosines"]}, human, seed=seed)
    pearson = {
        k: numpy.corrcoef(sentences.upper_triangle(r["Lee cosines"]), sentences.upper_triangle(human))[0, 1]
        for k, r in (("a", a), ("b", b))
    }
    point = float(pearson["a"] - pearson["b"])
    lee = stats.percentile_interval(boot["a"] - boot["b"], point=point)
    pairs = a["minimal pairs, topic first"] - b["minimal pairs, topic first"]
    return [
        ("sentence training raises agreement with people (Lee Pearson)", lee, lee.low > 0),
        ("it raises topic accuracy (frozen)", topic, topic.low > 0),
        (
            "it raises topic accuracy more than polarity accuracy",
            (topic, polarity),
            topic.low > polarity.high,
        ),
        (
            f"it puts topic before opinion in more of the {len(sentences.MINIMAL_PAIRS)} minimal pairs",
            pairs,
            pairs > 0,
        ),
    ]
