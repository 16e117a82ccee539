"""tlcourse.sentences against trusted references: per-item loops, scikit-learn, scipy, the encoder run
unpadded."""

from __future__ import annotations

import collections

import numpy
import pytest
import torch
from scipy import stats as scipy_stats
from sklearn import linear_model, model_selection, neighbors

from tlcourse import assets, objectives, sentences, stats


@pytest.fixture(scope="module")
def encoder():
    return assets.load("encoder", "tiny")


def _keyed_vectors(words, dim=4, seed=0):
    from gensim.models import KeyedVectors

    vectors = KeyedVectors(dim)
    vectors.add_vectors(
        list(words), numpy.random.default_rng(seed).normal(size=(len(words), dim)).astype(numpy.float32)
    )
    return vectors


def test_mean_pool_matches_a_per_row_loop():
    states = torch.randn(3, 6, 5)
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1] * 6, [1, 0, 0, 0, 0, 0]])
    expected = torch.stack([states[i, : int(mask[i].sum())].mean(dim=0) for i in range(3)])
    assert torch.allclose(sentences.mean_pool(states, mask), expected, atol=1e-6)


def test_encode_in_a_padded_batch_equals_each_text_alone(encoder):
    tokenizer, model = encoder
    texts = [
        "the film was great",
        "a long , slow and in the end pointless film about nothing at all",
        "awful",
    ]
    batched = sentences.encode(tokenizer, model, texts, batch_size=3)
    for row, text in enumerate(texts):  # reference: transformers on one unpadded text, averaged by hand
        encoded = tokenizer([text], return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**encoded).last_hidden_state[0]
        assert numpy.allclose(batched[row], hidden.mean(dim=0).numpy(), atol=1e-5)
    unit = sentences.encode(tokenizer, model, texts, normalize=True)
    assert numpy.allclose(numpy.linalg.norm(unit, axis=1), 1.0, atol=1e-5)


def test_average_vectors_skips_unknown_words_and_weights():
    vectors = _keyed_vectors(["good", "film", "bad"])
    got = sentences.average_vectors(["good film zzz", "zzz", "bad"], vectors)
    assert numpy.allclose(got[0], (vectors["good"] + vectors["film"]) / 2, atol=1e-6)
    assert numpy.allclose(got[1], 0) and numpy.allclose(got[2], vectors["bad"])
    weighted = sentences.average_vectors(["good film"], vectors, weights={"good": 3.0, "film": 1.0})
    assert numpy.allclose(weighted[0], (3 * vectors["good"] + vectors["film"]) / 4, atol=1e-6)


def test_sif_weights_and_common_component():
    counts = collections.Counter({"the": 90, "film": 10})
    weights = sentences.sif_weights(counts, a=0.01)
    assert weights["the"] == pytest.approx(0.01 / (0.01 + 0.9)) and weights["film"] == pytest.approx(
        0.01 / 0.11
    )
    matrix = numpy.random.default_rng(0).normal(size=(20, 6)) + 3.0
    cleaned = sentences.remove_first_component(matrix)
    first = numpy.linalg.svd(matrix, full_matrices=False)[2][0]  # reference: numpy's SVD
    assert numpy.allclose(cleaned @ first, 0, atol=1e-8)


def test_cross_validate_features_matches_scikit_learn(shared_cache):
    reviews = assets.load("movie_reviews", "tiny")
    features = numpy.random.default_rng(0).normal(size=(len(reviews), 5))
    features[:, 0] += numpy.asarray(reviews["label"]) * 1.5
    ours = sentences.cross_validate_features(features, reviews, repeats=2)
    folds = numpy.asarray(reviews["folds"])
    for repeat in range(2):
        split = model_selection.PredefinedSplit(folds[:, repeat])
        unit = features / numpy.linalg.norm(features, axis=1, keepdims=True)
        reference = model_selection.cross_val_score(
            linear_model.LogisticRegression(solver="liblinear", random_state=0),
            unit,
            reviews["label"],
            cv=split,
        )
        assert numpy.allclose(ours[repeat], reference)
    with pytest.raises(ValueError, match="one row per example"):
        sentences.cross_validate_features(features[:10], reviews)


def test_similarity_correlation_against_scipy_and_a_loop():
    rng = numpy.random.default_rng(1)
    vectors = rng.normal(size=(9, 4))
    human = numpy.triu(rng.uniform(size=(9, 9)), k=1) + numpy.eye(9)
    cosines, ratings = [], []
    for i in range(9):
        for j in range(i + 1, 9):
            cosines.append(
                vectors[i] @ vectors[j] / numpy.linalg.norm(vectors[i]) / numpy.linalg.norm(vectors[j])
            )
            ratings.append(human[i, j])
    assert sentences.similarity_correlation(vectors, human) == pytest.approx(
        scipy_stats.pearsonr(cosines, ratings)[0]
    )
    assert len(sentences.upper_triangle(human)) == 36
    full = sentences.symmetric(human)
    assert numpy.allclose(full, full.T) and numpy.allclose(numpy.triu(full), human)


def test_bootstrap_resamples_documents_and_is_paired():
    rng = numpy.random.default_rng(2)
    human = numpy.triu(rng.uniform(size=(15, 15)), k=1) + numpy.eye(15)
    noisy = sentences.symmetric(human) + rng.normal(scale=0.3, size=(15, 15))
    boot = sentences.bootstrap_correlations(
        {"exact": human * 2 + 1, "noisy": noisy}, human, n_boot=50, seed=0
    )
    assert numpy.allclose(
        boot["exact"], 1.0
    )  # a linear function of the ratings agrees perfectly on every resample
    assert boot["noisy"].shape == (50,) and numpy.all(boot["noisy"] < 1)
    again = sentences.bootstrap_correlations({"noisy": noisy}, human, n_boot=50, seed=0)
    assert numpy.array_equal(again["noisy"], boot["noisy"])
    interval = stats.percentile_interval(boot["noisy"], point=0.5)
    assert interval.low <= numpy.median(boot["noisy"]) <= interval.high and interval.mean == 0.5
    assert numpy.allclose([interval.low, interval.high], numpy.quantile(boot["noisy"], [0.025, 0.975]))


def test_nearest_matches_scikit_learn():
    rng = numpy.random.default_rng(3)
    vectors = rng.normal(size=(40, 6)) * rng.uniform(0.1, 10, size=(40, 1))
    query = rng.normal(size=6)
    reference = (
        neighbors.NearestNeighbors(n_neighbors=5, metric="cosine").fit(vectors).kneighbors(query[None])[1][0]
    )
    assert numpy.array_equal(sentences.nearest(query, vectors, k=5), reference)


def test_minimal_pair_margins():
    vectors = numpy.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.9, 0.1]])
    margins = sentences.minimal_pair_margins(vectors)
    assert margins.shape == (2,) and margins[0] > 0 > margins[1]


def test_doc2vec_trains_on_small_text_and_counts():
    texts = ["the fire spread through the bush near sydney"] * 20 + [
        "police arrested the man in the city"
    ] * 20
    assert sentences.word_counts(texts)["fire"] == 20
    model = sentences.train_doc2vec(texts, seed=0, epochs=2, workers=1)
    assert sentences.doc2vec_vectors(model, texts[:3]).shape == (3, 50)


def test_lesson_assets_are_registered(shared_cache):
    assets.get("newsgroups")
    assert "02_sentence_vectors" in assets.LESSONS
    assert assets.load("base_encoder", "tiny") is None  # no plain checkpoint offline
    for profile in ("small", "full"):
        assert isinstance(assets.variant("base_encoder", profile), assets.Hub)


def test_compare_encoders_and_verdicts(encoder, shared_cache):
    pytest.importorskip("tlcourse.contextual")
    from tlcourse import folds

    def small(dataset, rows):
        return folds.with_folds(dataset.select(rows).remove_columns("folds"), n_splits=2, n_repeats=1)

    reviews = small(assets.load("movie_reviews", "tiny"), range(90, 130))
    posts = small(assets.load("newsgroups", "tiny"), range(80, 120))
    docs = ["a fire near sydney", "the fire spread", "police in the city", "a man was arrested",
            "rain at last", "the cricket score", "bushfires burn on", "a court hears the case", "shares fell",
            "the dollar rose", "a new prime minister", "the storm passed"]  # fmt: skip
    # 12 documents: a resample of 8 could hold only 2 distinct ones, whose single pair has no correlation.
    human = numpy.triu(numpy.random.default_rng(0).uniform(size=(12, 12)), k=1) + numpy.eye(12)
    rows = objectives.compare_encoders({"plain": encoder, "trained": encoder}, reviews, posts, docs)
    row = rows["trained"]
    assert row["polarity"].shape == row["topic"].shape == (1, 2) and row["Lee cosines"].shape == (12, 12)
    assert (
        0 <= row["minimal pairs, topic first"] <= len(sentences.MINIMAL_PAIRS)
        and row["sense gap (token task)"] > 0
    )
    # The same model twice: sentence training "did" nothing, so no effect may be said to hold.
    verdicts = objectives.objective_verdicts(rows, "plain", "trained", human, n_train=20, n_test=20, seed=0)
    assert len(verdicts) == 4 and not any(holds for _claim, _measured, holds in verdicts)
    # A trained encoder that is better on every count: every effect holds.
    better = {
        "topic": row["topic"] + 0.3,
        "polarity": row["polarity"] + numpy.array([[0.01, -0.01]]),
        "Lee cosines": sentences.symmetric(human),
        "minimal pairs, topic first": row["minimal pairs, topic first"] + 1,
    }
    verdicts = objectives.objective_verdicts(
        {"plain": row, "trained": better}, "plain", "trained", human, n_train=20, n_test=20, seed=0
    )
    assert all(holds for _claim, _measured, holds in verdicts)


def test_truncation_counts_word_pieces(encoder):
    tokenizer, _model = encoder
    texts = ["short text", "a much longer text with many more words in it than the limit allows here"]
    lengths = [len(tokenizer.tokenize(t)) + 2 for t in texts]  # reference: pieces plus [CLS] and [SEP]
    share, cut = sentences.truncation(tokenizer, texts, max_length=8)
    assert share == 0.5 and cut == pytest.approx((lengths[1] - 8) / lengths[1] / 2)
    assert sentences.truncation(tokenizer, texts, max_length=512) == (0.0, 0.0)
