"""T5's span corruption: the paper's example, the mask's statistics, the round trip, and a reference; the
released T5 of small/full from a hub-layout folder of a tiny random T5 with an offline-built tokenizer."""

from __future__ import annotations

import numpy
import pytest
from test_assets import _fake_snapshot, offline_hub  # noqa: F401  (a fixture)

from tlcourse import assets, span_corruption


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


# --- the released T5 of small/full, from folders laid out as the hub lays them out --------------------------

TEXT = (
    "Anarchism is a political philosophy that advocates self-governed societies based on voluntary "
    "institutions. These are often described as stateless societies, although several authors have defined "
    "them more specifically as institutions based on non-hierarchical free associations."
).split()


def _t5_tokenizer():
    """A T5 tokenizer built offline: a Unigram vocabulary of the text's words and characters, T5's three
    specials first and its 100 sentinels last (``<extra_id_0>`` the highest id), as T5's vocabulary is laid
    out."""
    import transformers

    words = sorted(set(TEXT))
    chars = sorted({c for w in words for c in w})
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(c, -10.0) for c in chars] + [("▁" + w, -3.0) for w in words]
    vocab += [(s, 0.0) for s in reversed(span_corruption.sentinels(100))]
    return transformers.T5Tokenizer(vocab=vocab, extra_ids=100)


@pytest.fixture(scope="module")
def t5_repo(tmp_path_factory):
    import torch
    import transformers

    folder = tmp_path_factory.mktemp("t5")
    tokenizer = _t5_tokenizer()
    config = transformers.T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=4,
        decoder_start_token_id=tokenizer.pad_token_id,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    transformers.T5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def t5(offline_hub, t5_repo):  # noqa: F811
    spec = assets.variant("t5", "small")
    _fake_snapshot(
        offline_hub, "model", spec.repo_id, "b" * 40, {n: t5_repo / n for n in spec.allow_patterns}
    )
    return assets.load("t5", "small")


def test_t5_loads_from_a_hub_layout_in_small_and_full(offline_hub, t5_repo):  # noqa: F811
    import transformers

    for profile in ("small", "full"):
        spec = assets.variant("t5", profile)
        files = {n: t5_repo / n for n in spec.allow_patterns}
        assert all(path.exists() for path in files.values()), "save_pretrained writes every allowed file"
        _fake_snapshot(offline_hub, "model", spec.repo_id, "c" * 40, files)
        tokenizer, model = assets.load("t5", profile)
        assert isinstance(model, transformers.T5ForConditionalGeneration) and not model.training
        ids = tokenizer.convert_tokens_to_ids(["<extra_id_0>", "<extra_id_99>"])
        assert ids == [len(tokenizer) - 1, len(tokenizer) - 100] and tokenizer.eos_token_id == 1
    assert assets.load("t5", "tiny") is None


def test_t5_sentinel_corruption_round_trip(t5):
    tokenizer, _ = t5
    blocks = span_corruption.t5_blocks(tokenizer, [" ".join(TEXT)] * 12, block=24, count=10)
    assert len(blocks) == 10 and all(len(b) == 24 for b in blocks)
    marks = tokenizer.convert_tokens_to_ids(span_corruption.sentinels(100))
    examples = span_corruption.t5_examples(blocks, tokenizer, rng=numpy.random.default_rng(0))
    for block, (inputs, targets) in zip(blocks, examples):
        assert inputs[-1] == targets[-1] == tokenizer.eos_token_id
        assert span_corruption.restore(inputs[:-1], targets[:-1], marks) == block
        assert targets[0] == marks[0] and inputs.count(marks[0]) == 1
    text = tokenizer.decode(examples[0][1])
    assert text.startswith("<extra_id_0>") and text.endswith("</s>")
    with pytest.raises(ValueError, match="fewer than"):
        span_corruption.t5_blocks(tokenizer, TEXT[:5], block=24, count=1)


def test_a_tokenizer_without_sentinels_is_refused():
    import transformers

    from tlcourse import packaged

    bert = transformers.AutoTokenizer.from_pretrained(str(packaged.locate()["tokenizer.json"].parent))
    with pytest.raises(ValueError, match="sentinels"):
        span_corruption.t5_examples([[1000, 1001, 1002, 1003]], bert, rng=numpy.random.default_rng(0))


def test_restoration_loss_matches_t5s_own_loss(t5):
    import torch

    tokenizer, model = t5
    blocks = span_corruption.t5_blocks(tokenizer, [" ".join(TEXT)] * 12, block=24, count=6)
    examples = span_corruption.t5_examples(blocks, tokenizer, rng=numpy.random.default_rng(1))
    result = span_corruption.restoration(model, tokenizer, examples, batch=4)
    assert (
        result["loss"].shape == result["exact"].shape == (6,)
        and ((0 <= result["exact"]) & (result["exact"] <= 1)).all()
    )
    marks = set(tokenizer.convert_tokens_to_ids(span_corruption.sentinels(100)))
    inputs, targets = examples[5]  # alone in its batch of 4: no padding
    labels = [t if t not in marks | {tokenizer.eos_token_id} else -100 for t in targets]
    decoder_input = model.prepare_decoder_input_ids_from_labels(labels=torch.tensor([targets]))
    with torch.no_grad():
        expected = model(
            input_ids=torch.tensor([inputs]), decoder_input_ids=decoder_input, labels=torch.tensor([labels])
        ).loss
    assert numpy.isclose(result["loss"][5], expected.item(), atol=1e-5)
    assert result["spans"] == sum(t in marks for _, ts in examples for t in ts[:-1]) - len(examples)
    loss_only = span_corruption.restoration(model, tokenizer, examples, batch=4, decode=False)
    assert loss_only["exact"] is None and numpy.allclose(loss_only["loss"], result["loss"])
    assert loss_only["spans"] == result["spans"]


def test_spans_are_read_up_to_the_end_and_the_control_swaps_inputs():
    s0, s1, s2, eos = 99, 98, 97, 1
    assert span_corruption.spans([s0, 5, 6, s1, 7, s2, eos, 9], [s0, s1, s2], eos) == {
        s0: [5, 6],
        s1: [7],
        s2: [],
    }
    assert span_corruption.spans([4, s1, 7], [s0, s1, s2], eos) == {s1: [7]}  # pieces before a sentinel: none
    examples = [([10, i], [20, i]) for i in range(4)]
    control = span_corruption.mismatched(examples)
    assert [t for _, t in control] == [t for _, t in examples]
    assert all(x != own for (x, _), (own, _) in zip(control, examples))
