"""Checks for lesson 06's exercises: the cross-domain loop, out-of-vocabulary rates, pseudo-labels.

Each check tests behaviour on cases of its own (two made-up domains whose models disagree, a few
texts counted by hand, made-up probabilities), prints a verdict and returns a
:class:`~tlcourse.checks.core.Result`; ``result.use(fallback)`` picks what the lesson goes on with.
"""

from __future__ import annotations

import numpy

from tlcourse import domain_shift, sentiment_domains
from tlcourse.checks import core


def _domains() -> dict:
    """Two made-up domains of 40 rated snippets each (the real converter), with their fixed folds."""
    domains = {}
    for name, (good, bad) in {"films": ("gripping", "dull"), "phones": ("sturdy", "flimsy")}.items():
        rows = [
            {"id": str(i), "score": 2.0 if i % 2 else -2.0, "text": f"{name} {good if i % 2 else bad} {i}"}
            for i in range(40)
        ]
        domains[name] = sentiment_domains.to_dataset(rows)
    return domains


def _fit_predict(domains):
    """A made-up model: right on its own domain's training rows only, and unlike in the two directions.

    In-domain it answers "positive" on rows it has not seen (0.5 on balanced test rows) and the truth on
    rows it was trained on; films -> phones is always right, phones -> films always wrong.
    """
    labels = {name: numpy.asarray(data["label"]) for name, data in domains.items()}

    def fit_predict(source, train, target, test):
        truth = labels[target][numpy.asarray(test)]
        if source != target:
            return truth if source == "films" else 1 - truth
        seen = set(numpy.asarray(train).tolist())
        return numpy.array([t if row in seen else 1 for row, t in zip(numpy.asarray(test).tolist(), truth)])

    return fit_predict


def cross_domain(answer, *, show: bool = True) -> core.Result:
    """Exercise 1: ``cross_domain(fit_predict, domains, *, repeats)`` -> ``(repeats, D, D)`` accuracies."""

    def test(cross_domain):
        domains = _domains()
        fit_predict = _fit_predict(domains)
        got = numpy.asarray(cross_domain(fit_predict, domains, repeats=2), dtype=float)
        core.expect(
            got.shape == (2, 2, 2),
            f"expected shape (repeats, train domains, test domains) = (2, 2, 2), "
            f"got {got.shape}: one square matrix per repeat.",
        )
        expected = domain_shift.cross_domain(fit_predict, domains, repeats=2)
        diagonal = numpy.eye(2, dtype=bool)
        core.expect(
            not numpy.allclose(got[:, diagonal], 1.0),
            "in-domain accuracy is perfect: test on each domain's test part (split(...)[1]), "
            "never on the rows the model was trained on.",
        )
        core.expect(
            not numpy.allclose(got, expected.transpose(0, 2, 1)),
            "rows and columns are swapped: [r, i, j] is trained on domain i and tested on domain j.",
        )
        core.expect(
            numpy.allclose(got, expected),
            "for each repeat r, train on split(domains[source], r)[0] and score the predictions on "
            "split(domains[target], r)[1] against that domain's labels.",
        )

    return core.run(
        "Exercise 1 (the cross-domain loop)",
        answer,
        test,
        success="every train-domain x test-domain cell matches.",
        show=show,
    )


def oov_rate(answer, *, show: bool = True) -> core.Result:
    """Exercise 2: ``oov_rate(source_texts, target_texts)`` -> share of target tokens unseen in the source."""

    def test(oov_rate):
        source = ["The film was great", "a dull film"]
        target = ["The phone, the phone, the PHONE!", "great battery great"]  # 9 words, 4 unseen
        got = float(oov_rate(source, target))
        close = lambda value: abs(got - value) < 1e-9  # noqa: E731
        core.expect(
            not close(2 / 4),
            "count word occurrences (tokens), not distinct words: 'phone' three times counts three times.",
        )
        core.expect(
            not close(5 / 7), "mind the direction: the share of the *target's* words the *source* never saw."
        )
        core.expect(
            not close(6 / 9), "lower-case both sides (sentences.tokenize does): 'The' and 'the' are one word."
        )
        core.expect(close(4 / 9), f"expected 4 of the target's 9 words unseen (0.444), got {got:.3f}.")
        core.expect(
            float(oov_rate(["a b"], ["a b a"])) == 0.0, "a target made only of source words has rate 0."
        )

    return core.run(
        "Exercise 2 (out-of-vocabulary rate)",
        answer,
        test,
        success="the share of target tokens the source never saw.",
        show=show,
    )


def pseudo_label(answer, *, show: bool = True) -> core.Result:
    """Exercise 3: ``pseudo_label(probabilities, *, threshold)`` -> ``(indices, labels)``, confident rows."""

    def test(pseudo_label):
        probabilities = numpy.array([[0.95, 0.05], [0.5, 0.5], [0.1, 0.9], [0.3, 0.7], [0.85, 0.15]])
        rows, labels = pseudo_label(probabilities, threshold=0.8)
        rows, labels = numpy.asarray(rows).tolist(), numpy.asarray(labels).tolist()
        core.expect(
            rows != [2],
            "confident negatives count too: keep rows whose *largest* probability "
            "reaches the threshold, whichever class it is.",
        )
        core.expect(
            len(rows) != 5, "keep only the rows the model is confident about (max probability >= threshold)."
        )
        core.expect(rows == [0, 2, 4], f"expected rows [0, 2, 4] at threshold 0.8, got {rows}.")
        core.expect(
            labels == [0, 1, 0],
            "the label of a kept row is the class with the largest probability "
            f"(argmax), expected [0, 1, 0], got {labels}.",
        )

    return core.run(
        "Exercise 3 (pseudo-labels)",
        answer,
        test,
        success="confident rows and their predicted labels.",
        show=show,
    )
