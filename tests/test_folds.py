"""tlcourse.folds: the seed rule, torch seeded without side effects, the fold loop against one written out."""

from __future__ import annotations

import numpy
import pytest
import torch

from tlcourse import assets, baseline, folds


def test_derived_seed_is_the_rule_the_lessons_were_run_with():
    assert folds.derived_seed(0, 3, 7) == 3007 == folds.split_seed(3, 7)  # 1000 * repeat + fold
    assert folds.derived_seed(5, 2, 9) == 5 + 2009 and folds.derived_seed(4, 1) == 5
    assert folds.derived_seed(0, 4, 1) == 4001
    seeds = {folds.derived_seed(0, r, f) for r in range(5) for f in range(10)}
    assert len(seeds) == 50  # no two splits share a seed
    with pytest.raises(ValueError, match="below 1000 after the first"):
        folds.derived_seed(0, 1, 1000)


def test_torch_seeded_gives_manual_seeds_numbers_and_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected_after = torch.rand(3)
    torch.manual_seed(123)
    with folds.torch_seeded(7):
        inside = torch.rand(4)
    assert torch.equal(torch.rand(3), expected_after)  # as if the block had not run
    torch.manual_seed(7)
    assert torch.equal(inside, torch.rand(4))  # what torch.manual_seed(7) gives


def test_the_fold_loop_matches_a_hand_written_one():
    reviews = assets.load("movie_reviews", "tiny")
    texts, labels = numpy.asarray(reviews["text"], dtype=object), numpy.asarray(reviews["label"])
    by_hand = numpy.zeros((2, folds.N_SPLITS))
    table = numpy.asarray(reviews["folds"])
    for repeat in range(2):
        for fold in range(folds.N_SPLITS):
            test = numpy.flatnonzero(table[:, repeat] == fold)
            train = numpy.flatnonzero(table[:, repeat] != fold)
            train = train[folds.stratified_subsample(labels[train], 20, seed=1000 * repeat + fold)]
            model = baseline.tfidf_logreg().fit(list(texts[train]), labels[train])
            by_hand[repeat, fold] = numpy.mean(model.predict(list(texts[test])) == labels[test])
    ours = baseline.cross_validate(baseline.tfidf_logreg, reviews, size=20, repeats=2)
    numpy.testing.assert_array_equal(ours, by_hand)
    assert folds.training_size(reviews) == 180
    curve = folds.learning_curve(lambda train, test: len(train), reviews, sizes=(20, 500, None), repeats=1)
    assert sorted(curve) == [20, 180] and (curve[20] == 20).all() and (curve[180] == 180).all()
