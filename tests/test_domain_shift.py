"""tlcourse.domain_shift: balanced subsamples, splits from the fixed folds, the matrix against a loop."""

from __future__ import annotations

import numpy
import pytest

from tlcourse import baseline, domain_shift, sentiment_domains


def _domain(words: tuple[str, str], n: int = 60, positive_share: float = 0.7, noise: str = "x"):
    """Rated rows the real converter makes a dataset of: ``words[1]`` in positive texts, else ``words[0]``."""
    rng = numpy.random.default_rng(len(words[0]) + n)
    rows = []
    for i in range(n):
        positive = i < positive_share * n
        filler = " ".join(rng.choice(["the", "a", "it", "was", noise, "and"], size=4))
        rows.append(
            {"id": str(i), "score": 2.0 if positive else -2.0, "text": f"{filler} {words[positive]} {i}"}
        )
    rows.append({"id": "neutral", "score": 0.1, "text": "neutral and dropped"})
    return sentiment_domains.to_dataset(rows)


@pytest.fixture(scope="module")
def domains():
    return {"films": _domain(("dull", "great")), "phones": _domain(("broken", "works"), noise="battery")}


def test_balanced_subsample_has_half_of_each_label_fresh_folds_and_is_seeded(domains):
    sample = domain_shift.balanced_subsample(domains["films"], 30, seed=3)
    labels = numpy.asarray(sample["label"])
    assert len(sample) == 30 and labels.sum() == 15
    assert numpy.asarray(sample["folds"]).shape == (30, 5)
    again = domain_shift.balanced_subsample(domains["films"], 30, seed=3)
    other = domain_shift.balanced_subsample(domains["films"], 30, seed=4)
    assert sample["text"] == again["text"] and sample["text"] != other["text"]
    with pytest.raises(ValueError, match="n <="):
        domain_shift.balanced_subsample(domains["films"], 50, seed=0)  # only 18 negatives
    with pytest.raises(ValueError, match="even"):
        domain_shift.balanced_subsample(domains["films"], 31, seed=0)


def test_split_is_thirty_percent_stratified_and_differs_between_repeats(domains):
    sample = domain_shift.balanced_subsample(domains["films"], 30, seed=0)
    labels = numpy.asarray(sample["label"])
    train, test = domain_shift.split(sample, 0)
    assert len(test) == 9 and len(train) == 21 and not set(train) & set(test)
    assert 3 <= labels[test].sum() <= 6  # 10 stratified folds of 3: one or two of each label a fold
    assert not numpy.array_equal(test, domain_shift.split(sample, 1)[1])
    with pytest.raises(ValueError, match="repeat must be"):
        domain_shift.split(sample, 5)


def test_cross_domain_matches_a_loop_written_out_with_scikit_learn(domains):
    matrix = domain_shift.cross_domain(
        domain_shift.text_model(baseline.tfidf_logreg, domains), domains, repeats=2
    )
    assert matrix.shape == (2, 2, 2)
    names = list(domains)
    for r in range(2):
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                train, _ = domain_shift.split(domains[a], r)
                _, test = domain_shift.split(domains[b], r)
                model = baseline.tfidf_logreg().fit(
                    [domains[a]["text"][k] for k in train], numpy.asarray(domains[a]["label"])[train]
                )
                predicted = model.predict([domains[b]["text"][k] for k in test])
                assert matrix[r, i, j] == pytest.approx(
                    numpy.mean(predicted == numpy.asarray(domains[b]["label"])[test])
                )
    within, across = domain_shift.in_and_across(matrix)
    assert (
        within.mean() > 0.9 and across.mean() < within.mean() - 0.2
    )  # the sentiment words do not carry over


def test_feature_model_reads_the_features_given(domains):
    features = {
        name: numpy.c_[numpy.asarray(data["label"]), numpy.ones(len(data))] for name, data in domains.items()
    }
    from sklearn import linear_model

    matrix = domain_shift.cross_domain(
        domain_shift.feature_model(linear_model.LogisticRegression, features, domains), domains, repeats=1
    )
    assert numpy.all(matrix == 1.0)  # the label is a feature in every domain


def test_in_and_across_take_the_diagonal_and_the_rest():
    matrix = numpy.arange(18, dtype=float).reshape(2, 3, 3)
    within, across = domain_shift.in_and_across(matrix)
    assert within.tolist() == [4.0, 13.0]
    assert across.tolist() == [pytest.approx((36 - 12) / 6), pytest.approx((36 + 81 - 12 - 27) / 6)]


def test_oov_rate_and_overlap_count_tokens_and_types_by_hand():
    assert domain_shift.oov_rate(["the film"], ["the the phone"]) == pytest.approx(1 / 3)
    assert domain_shift.oov_rate(["a b"], ["A, b!"]) == 0.0  # lower-cased, punctuation dropped
    assert domain_shift.overlap(["a b c"], ["b c d"]) == pytest.approx(2 / 4)
    table = domain_shift.pairwise(domain_shift.oov_rate, {"x": ["a b"], "y": ["a c c"]})
    assert table.tolist() == [[0.0, pytest.approx(2 / 3)], [pytest.approx(1 / 2), 0.0]]
    with pytest.raises(ValueError, match="no words"):
        domain_shift.oov_rate(["a"], ["!!"])


def test_domain_classifier_separates_domains_with_their_own_words(domains):
    accuracy = domain_shift.domain_classifier(domains["films"]["text"], domains["phones"]["text"], seed=0)
    assert accuracy.shape == (5,) and accuracy.mean() > 0.9
    same = domain_shift.domain_classifier(
        domains["films"]["text"][::2], domains["films"]["text"][1::2], seed=0
    )
    assert same.mean() < 0.75  # two halves of one domain are hard to tell apart


def test_lexicon_scores_sum_word_ratings():
    lexicon = {"good": 1.9, "bad": -2.5, "don't": -0.5}
    assert domain_shift.lexicon_scores(["Good, GOOD film", "bad", "don't know"], lexicon).tolist() == [
        pytest.approx(3.8),
        -2.5,
        -0.5,
    ]


def test_lexicon_accuracy_on_real_lexicon_words(domains):
    lexicon = {"great": 3.1, "works": 1.0, "dull": -1.7, "broken": -2.0}
    assert numpy.all(domain_shift.lexicon_accuracy(domains["films"], lexicon, repeats=3) == 1.0)
