"""Checks for lesson 00's exercises: naming a transfer setting, the baseline, the label subsample.

Each check tests behaviour on cases of its own (some the lesson never shows), prints a verdict and
returns a :class:`~tlcourse.checks.core.Result`; ``result.use(fallback)`` picks what the lesson goes on with.
"""

from __future__ import annotations

import itertools

import numpy

from tlcourse import baseline, taxonomy
from tlcourse.checks import core

_TRAIN = [
    "a moving , beautifully acted film",
    "dull , tedious and far too long",
    "the best comedy of the year",
    "a waste of a fine cast",
    "warm , funny and wise",
    "the plot is a mess and the jokes fall flat",
    "an enthralling , gorgeous ride",
    "lifeless and badly written",
    "one of the most exciting films of the decade",
    "i wanted my money back",
    "the film is great",
    "the film is awful",
]
_TRAIN_LABELS = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
_TEST = [
    "a gorgeous , moving comedy",
    "a tedious mess",
    "the cast is great",
    "flat and lifeless jokes",
    "the film",
]


def kind_of_transfer(answer) -> core.Result:
    """Exercise 1: ``answer(same_task=..., same_language=..., learned_together=...)`` names the setting."""

    def test(function):
        for same_task, same_language, together in itertools.product((True, False), repeat=3):
            expected = taxonomy.kind_of_transfer(
                same_task=same_task, same_language=same_language, learned_together=together
            )
            got = function(same_task=same_task, same_language=same_language, learned_together=together)
            if got not in taxonomy.KINDS:
                raise core.Wrong(f"return one of {taxonomy.KINDS}, not {got!r}.")
            if got != expected:
                family = "transductive" if same_task else "inductive"
                raise core.Wrong(
                    f"same_task={same_task}, same_language={same_language}, learned_together={together} "
                    f"gave {got!r}. With {'the same' if same_task else 'a new'} task the setting is "
                    f"{family}; "
                    "then ask what changes (domain or language) or how tasks are learned (together or in "
                    "turn)."
                )

    return core.run(
        "Exercise 1 (name the setting)", answer, test, success="all 8 combinations named correctly."
    )


def _reference_probabilities() -> numpy.ndarray:
    return baseline.tfidf_logreg().fit(_TRAIN, _TRAIN_LABELS).predict_proba(_TEST)


def make_baseline(answer) -> core.Result:
    """Exercise 2: ``answer()`` returns a fresh word 1-gram TF-IDF + logistic regression (C=1) model."""

    def test(factory):
        model = factory()
        if not (hasattr(model, "fit") and hasattr(model, "predict_proba")):
            raise core.Wrong(
                "return a scikit-learn model with fit and predict_proba, e.g. a Pipeline of a vectoriser and "
                "a classifier."
            )
        if factory() is model:
            raise core.Wrong("return a new, unfitted model on every call: each fold must start from scratch.")
        model.fit(_TRAIN, _TRAIN_LABELS)
        probabilities = numpy.asarray(model.predict_proba(_TEST))
        reference = _reference_probabilities()
        if probabilities.shape != reference.shape or not numpy.allclose(probabilities, reference, atol=1e-4):
            raise core.Wrong(_diagnose(probabilities, reference))

    return core.run(
        "Exercise 2 (the baseline)", answer, test, success="it behaves exactly like the course's baseline."
    )


def _diagnose(probabilities: numpy.ndarray, reference: numpy.ndarray) -> str:
    """Name the likeliest slip by rebuilding the baseline with one setting changed."""
    from sklearn import feature_extraction, linear_model, pipeline

    def variant(vectoriser, C=1.0):
        model = pipeline.make_pipeline(vectoriser, linear_model.LogisticRegression(C=C, max_iter=1000))
        return model.fit(_TRAIN, _TRAIN_LABELS).predict_proba(_TEST)

    text = feature_extraction.text
    suspects = [
        (
            lambda: variant(text.TfidfVectorizer(ngram_range=(1, 2))),
            "you use word pairs too: the baseline uses single words, ngram_range=(1, 1).",
        ),
        (
            lambda: variant(text.CountVectorizer()),
            "you count words: the baseline weights them with TF-IDF (TfidfVectorizer).",
        ),
        (
            lambda: variant(text.TfidfVectorizer(), C=10.0),
            "the regularisation differs: the baseline uses LogisticRegression(C=1).",
        ),
        (
            lambda: variant(text.TfidfVectorizer(), C=100.0),
            "the regularisation differs: the baseline uses LogisticRegression(C=1).",
        ),
        (
            lambda: variant(text.TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))),
            "you use character n-grams: the baseline uses words.",
        ),
    ]
    for make, hint in suspects:
        try:
            candidate = make()
        except ValueError:
            continue
        if candidate.shape == probabilities.shape and numpy.allclose(candidate, probabilities, atol=1e-4):
            return hint
    return (
        "its predictions differ from word 1-gram TF-IDF + LogisticRegression(C=1): check the vectoriser and "
        "the classifier's settings."
    )


def subsample(answer) -> core.Result:
    """Exercise 3: ``answer(labels, n, seed=...)`` picks ``n`` distinct positions, classes in proportion."""

    def test(function):
        labels = numpy.array([0] * 60 + [1] * 60)  # sorted by label, like the bundled file
        for n in (2, 10, 31, 120):
            for seed in range(8):
                chosen = numpy.asarray(function(labels, n, seed=seed))
                if chosen.shape != (n,):
                    raise core.Wrong(
                        f"for n={n} return {n} positions (an array of shape ({n},)), got shape "
                        f"{chosen.shape}."
                    )
                if (
                    not numpy.issubdtype(chosen.dtype, numpy.integer)
                    or chosen.min() < 0
                    or chosen.max() >= len(labels)
                ):
                    raise core.Wrong("return integer positions between 0 and len(labels) - 1.")
                if len(set(chosen.tolist())) != n:
                    raise core.Wrong("some positions repeat: draw without replacement (replace=False).")
                positives = int(labels[chosen].sum())
                if abs(positives - n / 2) >= 1:
                    raise core.Wrong(
                        f"for n={n} (seed {seed}) the sample has {positives} positives where the data has "
                        f"50%: sample "
                        "each class in proportion. (Taking the first n positions gives only negatives: the "
                        "file is "
                        "sorted by label.)"
                    )
        unbalanced = numpy.array([0] * 90 + [1] * 30)
        for seed in range(8):
            positives = int(unbalanced[numpy.asarray(function(unbalanced, 20, seed=seed))].sum())
            if positives != 5:
                raise core.Wrong(
                    f"with 25% positives in the data, 20 draws should hold 5 positives; yours hold "
                    f"{positives}."
                )
        first, again = numpy.sort(function(labels, 10, seed=1)), numpy.sort(function(labels, 10, seed=1))
        if not numpy.array_equal(first, again):
            raise core.Wrong(
                "the same seed must give the same sample: make a generator from the seed "
                "(numpy.random.default_rng(seed))."
            )
        draws = {tuple(numpy.sort(function(labels, 10, seed=s)).tolist()) for s in range(5)}
        if len(draws) < 3:
            raise core.Wrong(
                "different seeds should give different samples: draw at random with the seed, do not take "
                "fixed positions."
            )

    return core.run(
        "Exercise 3 (a stratified subsample)",
        answer,
        test,
        success="n distinct positions, classes in proportion, reproducible.",
    )
