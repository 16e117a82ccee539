"""tlcourse.label_efficiency against references that are not itself: scikit-learn fitted by hand on the
same indices, stats' own corrected intervals, and curves built so the answer is known. The data are rows in
the layout of VADER's rated snippets, through the real ``sentiment_domains.to_dataset``; the trained model
is a tiny random BERT written with ``save_pretrained``."""

from __future__ import annotations

import numpy
import pytest
from conftest import random_bert

from tlcourse import baseline, domain_shift, finetuning, folds, label_efficiency, sentiment_domains, stats

GOOD = ["a wonderful, moving film", "great acting and a fine script", "funny and warm", "a delight"]
BAD = ["a dull, tedious mess", "bad acting and a weak script", "boring and cold", "a disaster"]


@pytest.fixture(scope="module")
def data():
    rows = [
        {"id": f"{i}", "score": 2.0 if i % 2 == 0 else -2.0, "text": f"{(GOOD, BAD)[i % 2][i // 2 % 4]}, {i}"}
        for i in range(60)
    ]
    rows.append({"id": "n", "score": 0.2, "text": "a film"})  # inside the neutral band: dropped
    return domain_shift.balanced_subsample(sentiment_domains.to_dataset(rows), 60, seed=0)


def test_draw_is_stratified_repeatable_and_inside_the_training_part(data):
    labels = numpy.asarray(data["label"])
    train, test = domain_shift.split(data, 1)
    drawn = label_efficiency.draw(train, labels, 10, repeat=1)
    assert len(drawn) == len(set(drawn)) == 10 and set(drawn) <= set(train) and not set(drawn) & set(test)
    assert labels[drawn].sum() == 5
    assert numpy.array_equal(drawn, label_efficiency.draw(train, labels, 10, repeat=1))
    assert not numpy.array_equal(drawn, label_efficiency.draw(train, labels, 10, repeat=2))
    assert numpy.array_equal(label_efficiency.draw(train, labels, None, repeat=1), train)
    assert numpy.array_equal(label_efficiency.draw(train, labels, 10_000, repeat=1), train)


def test_curve_scores_each_size_on_each_repeats_fixed_split(data):
    seen = []

    def score(train, test, repeat):
        seen.append((len(train), repeat, tuple(test)))
        return len(train) / 100 + repeat

    curve = label_efficiency.curve(score, data, sizes=(10, 20, None, 5000), repeats=3)
    n_train, n_test = label_efficiency.split_sizes(data)
    assert list(curve) == [10, 20, n_train] and (n_train, n_test) == (42, 18)
    assert numpy.allclose(curve[20], [0.2, 1.2, 2.2])
    for _n, repeat, test in seen:  # every model meets the same test part in a repeat
        assert test == tuple(domain_shift.split(data, repeat)[1])


def test_text_model_matches_scikit_learn_fitted_by_hand(data):
    texts, labels = numpy.asarray(data["text"], dtype=object), numpy.asarray(data["label"])
    train, test = domain_shift.split(data, 0)
    model = baseline.tfidf_logreg().fit(list(texts[train]), labels[train])
    expected = numpy.mean(model.predict(list(texts[test])) == labels[test])
    assert label_efficiency.on_texts(baseline.tfidf_logreg, data)(train, test, 0) == pytest.approx(expected)
    features = numpy.stack([labels + 0.1 * numpy.arange(len(labels)) % 1, numpy.ones(len(labels))], 1)
    assert label_efficiency.on_features(features, data)(train, test, 0) == 1.0  # a feature that is the label


def test_intervals_are_stats_corrected_ones_paired_on_common_repeats(data):
    a, b = numpy.array([0.7, 0.8, 0.75, 0.72, 0.78]), numpy.array([0.6, 0.65, 0.7])
    n_train, n_test = label_efficiency.split_sizes(data)
    assert label_efficiency.interval(a, data) == stats.cv_interval(a, n_train=n_train, n_test=n_test)
    expected = stats.paired_difference(a[:3], b, n_train=n_train, n_test=n_test)
    assert label_efficiency.paired(a, b, data) == expected
    assert label_efficiency.paired(a, b, data).high > stats.t_interval(a[:3] - b).high  # wider than plain


def test_savings_take_the_best_opponent_at_each_size_and_need_an_interval_above_zero(data):
    jitter = numpy.array([0.0, 0.01, -0.01, 0.005, -0.005])
    pretrained = {10: 0.80 + jitter, 20: 0.82 + jitter}
    weak = {10: 0.55 + jitter, 20: 0.60 - jitter, 40: 0.70 + jitter}
    strong = {20: 0.65 + jitter[::-1], 40: 0.90 - jitter}
    opponents = {"weak": weak, "strong": strong}
    assert label_efficiency.best_at(opponents, 20)[0] == "strong"
    assert label_efficiency.best_at(opponents, 10)[0] == "weak"
    with pytest.raises(ValueError, match="no opponent"):
        label_efficiency.best_at(opponents, 30)
    rows = label_efficiency.savings(pretrained, opponents, data)
    assert {(row["n"], row["m"]) for row in rows} == {(10, 10), (10, 20), (10, 40), (20, 20), (20, 40)}
    best = label_efficiency.largest_saving(rows, 10)
    assert (best["m"], best["k"], best["opponent"]) == (20, 2.0, "strong")  # 40 labels: the strong one wins
    assert label_efficiency.largest_saving([r for r in rows if r["m"] == 40], 10) is None


def test_seed_and_split_hold_one_source_fixed():
    calls = []

    def score(seed, repeat):
        calls.append((seed, repeat))
        return seed + 10 * repeat

    spread = label_efficiency.seed_and_split(score, seeds=3, splits=2)
    assert list(spread["seeds"]) == [0, 1, 2] and list(spread["splits"]) == [0, 10]
    assert sorted(calls) == [(0, 0), (0, 1), (1, 0), (2, 0)]  # the shared run once


def test_trained_model_scores_with_derived_seeds_and_keeps_records(tmp_path, data):
    import transformers

    folder = random_bert(
        tmp_path, seed=3, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    config = finetuning.FineTuneConfig(epochs=1, batch=8, lr=1e-3)
    records = {}
    score = label_efficiency.trained(
        folder, tokenizer, data, config, pretrained=True, seed=5, records=records
    )
    train, test = domain_shift.split(data, 1)
    accuracy = score(train, test, 1)
    assert list(records) == [(len(train), 1)] and len(records[len(train), 1]["loss"]) == 6
    texts, labels = numpy.asarray(data["text"], dtype=object), numpy.asarray(data["label"])
    model = finetuning.build_classifier(folder, pretrained=True, seed=folds.derived_seed(5, 1, 0))
    finetuning.train(
        model,
        tokenizer,
        list(texts[train]),
        labels[train],
        config,
        seed=folds.derived_seed(5, 1),
        progress=False,
    )
    again = numpy.mean(finetuning.predict(model, tokenizer, list(texts[test])) == labels[test])
    assert accuracy == pytest.approx(again)
