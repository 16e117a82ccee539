"""Domain shift, measured: the same task trained in one domain and tested in another.

Lesson 06 builds it on Hutto & Gilbert's (2014) four human-rated domains (:mod:`tlcourse.sentiment_domains`):
a balanced, fixed subsample of each domain; repeated train/test splits taken from the course's fixed folds
(:mod:`tlcourse.folds`: the test part of repeat ``r`` is folds 0-2 of that repeat, 30%); the
train-domain x test-domain accuracy matrix; why domains differ (vocabulary overlap, out-of-vocabulary
rates, a domain classifier); and the VADER lexicon's own scores as a rule-based reference.

>>> import numpy
>>> matrix = numpy.array([[[0.8, 0.6], [0.5, 0.9]]])      # (repeats, train domain, test domain)
>>> in_and_across(matrix)
(array([0.85]), array([0.55]))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy

from tlcourse import folds, sentences

#: Test folds of each repeat: 3 of the 10 fixed folds, so 70% train and 30% test, stratified.
TEST_FOLDS = (0, 1, 2)


def balanced_subsample(dataset, n: int, *, seed: int):
    """``n`` examples of ``dataset``, half of each label, drawn with ``seed``, with fresh fixed folds.

    The domains' positive shares differ (0.40 to 0.68), so accuracy on a balanced sample is comparable
    across them (chance is 0.5 everywhere). Returns a ``datasets.Dataset`` with its own 10x5 ``folds``.
    """
    labels = numpy.asarray(dataset["label"])
    if n % 2 or n < 20:
        raise ValueError(f"n must be even and at least 20 (half of each label), got {n}.")
    rng = numpy.random.default_rng(seed)
    chosen = []
    for label in (0, 1):
        pool = numpy.flatnonzero(labels == label)
        if len(pool) < n // 2:
            raise ValueError(f"only {len(pool)} examples of label {label}; ask for n <= {2 * len(pool)}.")
        chosen.append(rng.choice(pool, size=n // 2, replace=False))
    subset = dataset.select(numpy.sort(numpy.concatenate(chosen)).tolist())
    if "folds" in subset.column_names:
        subset = subset.remove_columns("folds")
    return folds.with_folds(subset)


def split(dataset, repeat: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``(train, test)`` indices of one repeat: test is :data:`TEST_FOLDS` of the fixed folds (30%)."""
    table = numpy.asarray(dataset["folds"])
    if not 0 <= repeat < table.shape[1]:
        raise ValueError(f"repeat must be between 0 and {table.shape[1] - 1}, got {repeat}.")
    test = numpy.isin(table[:, repeat], TEST_FOLDS)
    return numpy.flatnonzero(~test), numpy.flatnonzero(test)


def cross_domain(
    fit_predict: Callable[[str, numpy.ndarray, str, numpy.ndarray], numpy.ndarray],
    domains: Mapping[str, object],
    *,
    repeats: int = 5,
) -> numpy.ndarray:
    """Accuracy of a model trained on each domain's training part, on every domain's test part.

    ``fit_predict(train_domain, train_idx, test_domain, test_idx)`` returns predicted labels of the test
    rows. Returns ``(repeats, D, D)``: ``[r, i, j]`` trained on domain ``i``, tested on ``j``, repeat ``r``;
    the diagonal is in-domain. Lesson 06's first exercise writes the loop.
    """
    names = list(domains)
    scores = numpy.zeros((repeats, len(names), len(names)))
    for r in range(repeats):
        parts = {name: split(domains[name], r) for name in names}
        for i, source in enumerate(names):
            for j, target in enumerate(names):
                truth = numpy.asarray(domains[target]["label"])[parts[target][1]]
                predicted = fit_predict(source, parts[source][0], target, parts[target][1])
                scores[r, i, j] = float(numpy.mean(numpy.asarray(predicted) == truth))
    return scores


def in_and_across(matrix: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Per repeat, the mean of the diagonal (in-domain) and of the rest (across domains): two ``(R,)``."""
    matrix = numpy.asarray(matrix, dtype=float)
    d = matrix.shape[-1]
    diagonal = numpy.eye(d, dtype=bool)
    return matrix[:, diagonal].mean(axis=1), matrix[:, ~diagonal].mean(axis=1)


def text_model(make_model: Callable[[], object], domains: Mapping[str, object]):
    """A ``fit_predict`` for :func:`cross_domain` that fits ``make_model()`` (e.g. TF-IDF + LR) on texts."""
    texts = {name: numpy.asarray(data["text"], dtype=object) for name, data in domains.items()}
    labels = {name: numpy.asarray(data["label"]) for name, data in domains.items()}

    def fit_predict(source: str, train: numpy.ndarray, target: str, test: numpy.ndarray) -> numpy.ndarray:
        model = make_model().fit(list(texts[source][train]), labels[source][train])
        return model.predict(list(texts[target][test]))

    return fit_predict


def feature_model(
    make_model: Callable[[], object], features: Mapping[str, numpy.ndarray], domains: Mapping[str, object]
):
    """A ``fit_predict`` for :func:`cross_domain` on precomputed features ``{domain: (n, D)}``."""
    labels = {name: numpy.asarray(data["label"]) for name, data in domains.items()}

    def fit_predict(source: str, train: numpy.ndarray, target: str, test: numpy.ndarray) -> numpy.ndarray:
        model = make_model().fit(features[source][train], labels[source][train])
        return model.predict(features[target][test])

    return fit_predict


# --- why domains differ ----------------------------------------------------------------------------


def vocabulary(texts: Sequence[str]) -> set[str]:
    """The set of lower-cased words in ``texts`` (lesson 02's tokenizer)."""
    return {word for text in texts for word in sentences.tokenize(text)}


def oov_rate(source_texts: Sequence[str], target_texts: Sequence[str]) -> float:
    """Share of the target's word occurrences (tokens, not types) never seen in the source.

    Lesson 06's second exercise. What a bag-of-words model trained on the source cannot read in the target.
    """
    known = vocabulary(source_texts)
    tokens = [word for text in target_texts for word in sentences.tokenize(text)]
    if not tokens:
        raise ValueError("the target texts contain no words.")
    return sum(word not in known for word in tokens) / len(tokens)


def overlap(a_texts: Sequence[str], b_texts: Sequence[str]) -> float:
    """Jaccard overlap of two vocabularies: shared word types over all word types."""
    a, b = vocabulary(a_texts), vocabulary(b_texts)
    return len(a & b) / len(a | b)


def pairwise(
    measure: Callable[[Sequence[str], Sequence[str]], float], texts: Mapping[str, Sequence[str]]
) -> numpy.ndarray:
    """``measure(texts[i], texts[j])`` for every ordered pair of domains: ``(D, D)``."""
    names = list(texts)
    return numpy.array([[measure(texts[a], texts[b]) for b in names] for a in names])


def domain_classifier(
    a_texts: Sequence[str], b_texts: Sequence[str], *, seed: int = 0, splits: int = 5
) -> numpy.ndarray:
    """Held-out accuracy of TF-IDF + LR telling domain ``a`` from ``b`` (equal counts): ``(splits,)``.

    Stratified ``splits``-fold cross-validation, shuffled with ``seed``. Near 1.0 means the domains are
    easy to tell apart, which says nothing yet about how much the sentiment task suffers.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from tlcourse import baseline

    n = min(len(a_texts), len(b_texts))
    texts = list(a_texts[:n]) + list(b_texts[:n])
    labels = numpy.array([0] * n + [1] * n)
    folding = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
    return cross_val_score(baseline.tfidf_logreg(seed=seed), texts, labels, cv=folding)


# --- a rule-based reference ----------------------------------------------------------------------------


def lexicon_scores(texts: Sequence[str], lexicon: Mapping[str, float]) -> numpy.ndarray:
    """Sum of the lexicon's ratings of each text's lower-cased words: ``(n,)``.

    The VADER lexicon's words alone, without VADER's rules (negation, "but", boosters, capitals, "!") and
    without its emoticons: a floor for what the full rule-based model does.
    """
    import re

    pattern = re.compile(r"[a-z']+")
    return numpy.array(
        [sum(lexicon.get(token, 0.0) for token in pattern.findall(text.lower())) for text in texts]
    )


def lexicon_accuracy(dataset, lexicon: Mapping[str, float], *, repeats: int = 5) -> numpy.ndarray:
    """Accuracy of "positive when the lexicon sum is > 0" on each repeat's test part: ``(repeats,)``."""
    predicted = (lexicon_scores(dataset["text"], lexicon) > 0).astype(int)
    labels = numpy.asarray(dataset["label"])
    return numpy.array(
        [
            numpy.mean(predicted[test] == labels[test])
            for _, test in (split(dataset, r) for r in range(repeats))
        ]
    )
