"""T5's span corruption: the paper's example, the mask's statistics, the round trip, and a reference."""

from __future__ import annotations

import numpy
import pytest

from tlcourse import span_corruption


def _reference(tokens, mask):
    """Hugging Face's run_t5_mlm_flax recipe: sentinel ids from the starts of runs, then filtered."""
    ids = numpy.arange(len(tokens))
    mask = numpy.asarray(mask, dtype=bool)

    def sentinel_ids(m):
        starts = m & ~numpy.concatenate([[False], m[:-1]])
        numbers = numpy.where(starts, numpy.cumsum(starts), 0)
        return numpy.where(numbers != 0, -numbers, numpy.where(m, -1000, 0))

    def build(m):
        out = []
        for i, s in zip(ids, sentinel_ids(m)):
            if s == 0:
                out.append(tokens[i])
            elif s != -1000:
                out.append(f"<extra_id_{-s - 1}>")
        return out

    inputs = build(mask)
    labels = build(~mask)  # the visible runs become the label's sentinels
    return inputs, labels


def test_the_papers_example():
    words = ["thank", "you", "for", "inviting", "me", "to", "your", "party", "last", "week", "."]
    inputs, targets = span_corruption.corrupt(words, [w in ("for", "inviting", "last") for w in words])
    assert " ".join(inputs) == "thank you <extra_id_0> me to your party <extra_id_1> week ."
    assert " ".join(targets) == "<extra_id_0> for inviting <extra_id_1> last <extra_id_2>"


def test_matches_the_reference_recipe_when_the_block_starts_visible():
    rng = numpy.random.default_rng(0)
    for length in (10, 37, 64, 128):
        tokens = [f"w{i}" for i in range(length)]
        mask = span_corruption.noise_mask(length, rng=rng)
        inputs, targets = span_corruption.corrupt(tokens, mask)
        ref_inputs, ref_targets = _reference(tokens, mask)
        assert inputs == ref_inputs
        # T5's masks end with a hidden span, so the reference's labels end there (it appends EOS); ours close
        # with one more sentinel, as the paper's figure does
        n_spans = sum(t.startswith("<extra_id_") for t in inputs)
        assert targets[:-1] == ref_targets and targets[-1] == f"<extra_id_{n_spans}>"


def test_noise_mask_statistics_follow_t5():
    rng = numpy.random.default_rng(1)
    for length in (20, 64, 512):
        mask = span_corruption.noise_mask(length, noise_density=0.15, mean_span=3.0, rng=rng)
        assert mask.sum() == round(length * 0.15)
        starts = mask & ~numpy.concatenate([[False], mask[:-1]])
        assert starts.sum() == max(round(round(length * 0.15) / 3), 1)
        assert not mask[0]


def test_round_trip_and_edges():
    rng = numpy.random.default_rng(2)
    for _ in range(300):
        length = int(rng.integers(2, 80))
        tokens = [f"t{i}" for i in range(length)]
        mask = rng.random(length) < rng.uniform(0.05, 0.9)
        assert span_corruption.restore(*span_corruption.corrupt(tokens, mask)) == tokens
    with pytest.raises(ValueError, match="same length"):
        span_corruption.corrupt(["a", "b"], [True])
    with pytest.raises(ValueError, match="at least 2"):
        span_corruption.noise_mask(1, rng=rng)


def test_visible_neighbour_share():
    assert span_corruption.visible_neighbour_share(numpy.array([0, 1, 0, 1, 1, 0], dtype=bool)) == 1 / 3
    assert (
        span_corruption.visible_neighbour_share(numpy.array([1, 0, 0], dtype=bool)) == 0.0
    )  # the edge is no neighbour
