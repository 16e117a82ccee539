"""tlcourse.domain_adaptation: per-block masked losses against lm.evaluate, continued pretraining, labels."""

from __future__ import annotations

import numpy
import pytest
import torch
from sklearn import linear_model

from tlcourse import domain_adaptation, lm, pretraining, tokenization


@pytest.fixture(scope="module")
def tokenizer():
    return tokenization.load(pretraining.SHIPPED)  # lesson 04's shipped WordPiece tokenizer


def test_block_losses_weighted_by_their_masks_equal_lm_evaluate():
    model = lm.build(
        lm.ModelConfig(kind="masked", layers=1, width=32, heads=2, context=16), vocab_size=50, seed=0
    )
    blocks = torch.randint(5, 50, (20, 16), generator=torch.Generator().manual_seed(1))
    per_block = domain_adaptation.block_losses(
        model, blocks, mask_id=4, special_ids=(0, 1, 2, 3, 4), seed=7, batch=6
    )
    assert per_block.shape == (20,)
    # the same draw of masks as lm.evaluate with the same seed: recount how many positions each block scored
    _, labels = lm.mask_tokens(
        blocks,
        mask_id=4,
        vocab_size=50,
        special_ids=(0, 1, 2, 3, 4),
        generator=torch.Generator().manual_seed(7),
    )
    counts = (labels != lm.IGNORE).sum(1).numpy()
    reference = lm.evaluate(model, blocks, mask_id=4, special_ids=(0, 1, 2, 3, 4), seed=7)["loss"]
    kept = counts > 0
    assert numpy.isnan(per_block[~kept]).all()
    assert numpy.sum(per_block[kept] * counts[kept]) / counts.sum() == pytest.approx(reference, rel=1e-5)


def test_text_blocks_and_held_out_texts(tokenizer):
    texts = [f"sentence number {i} about a film" for i in range(50)]
    blocks = domain_adaptation.text_blocks(tokenizer, texts, block=16)
    assert blocks.shape[1] == 16 and (blocks == tokenizer.sep_token_id).any()
    train, held = domain_adaptation.held_out_texts(texts, share=0.2, seed=0)
    assert len(held) == 10 and len(train) == 40 and not set(train) & set(held)
    assert held == domain_adaptation.held_out_texts(texts, share=0.2, seed=0)[1]
    with pytest.raises(ValueError, match="share"):
        domain_adaptation.held_out_texts(texts, share=1.5, seed=0)


def test_continued_pretraining_lowers_the_loss_on_the_new_text(tokenizer):
    model = lm.build(pretraining.MASKED_MODEL, vocab_size=tokenizer.vocab_size, seed=0)
    blocks = domain_adaptation.text_blocks(
        tokenizer, ["lol omg this phone is sooo good #happy :)"] * 200, block=32
    )
    scored = dict(mask_id=tokenizer.mask_token_id, special_ids=pretraining.special_ids(tokenizer), seed=3)
    before = numpy.nanmean(domain_adaptation.block_losses(model, blocks, **scored))
    history = domain_adaptation.continue_pretraining(
        model,
        tokenizer,
        blocks,
        lm.TrainConfig(steps=30, batch=8, lr=3e-3, eval_every=30, mask_probability=0.4),
        seed=0,
    )
    after = numpy.nanmean(domain_adaptation.block_losses(model, blocks, **scored))
    assert len(history) == 1 and after < before - 1.0


def test_pseudo_label_keeps_confident_rows_and_their_labels():
    probabilities = numpy.array([[0.9, 0.1], [0.55, 0.45], [0.2, 0.8], [0.3, 0.7]])
    rows, labels = domain_adaptation.pseudo_label(probabilities, threshold=0.7)
    assert rows.tolist() == [0, 2, 3] and labels.tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="classes"):
        domain_adaptation.pseudo_label(numpy.array([0.9, 0.1]), threshold=0.5)


def _shifted(n: int, shift: float, seed: int):
    rng = numpy.random.default_rng(seed)
    y = numpy.arange(n) % 2
    x = rng.normal(size=(n, 2)) + numpy.c_[2.0 * y - 1.0, numpy.zeros(n)] + numpy.array([0.0, shift])
    return x, y


def test_few_labels_curve_shapes_and_target_labels_help_under_a_shift():
    source_x, source_y = _shifted(200, 0.0, 0)
    target_x, target_y = _shifted(200, 0.0, 1)
    target_x[:, 0] = -target_x[
        :, 0
    ]  # the target flips the sentiment direction: the source model is wrong there
    test_x, test_y = target_x[100:], target_y[100:]
    curves = domain_adaptation.few_labels(
        linear_model.LogisticRegression,
        source_x,
        source_y,
        target_x[:100],
        target_y[:100],
        test_x,
        test_y,
        sizes=(0, 10, 50),
        seed=0,
    )
    assert set(curves["source + target"]) == {0, 10, 50} and set(curves["target only"]) == {10, 50}
    assert curves["source + target"][0] < 0.3 and curves["target only"][50] > 0.8


def test_self_train_takes_pseudo_labels_and_reports_how_many():
    source_x, source_y = _shifted(200, 0.0, 0)
    unlabelled, _ = _shifted(300, 0.5, 2)
    model, taken = domain_adaptation.self_train(
        linear_model.LogisticRegression, source_x, source_y, unlabelled, threshold=0.9, rounds=2
    )
    assert len(taken) == 2 and 0 < taken[0] <= 300 and hasattr(model, "predict_proba")
    none = domain_adaptation.self_train(
        linear_model.LogisticRegression, source_x, source_y, unlabelled, threshold=1.01
    )[1]
    assert none == [0]
