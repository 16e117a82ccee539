"""Replaced-token detection: replacements only where masked, all positions scored, loss vs sklearn."""

from __future__ import annotations

import numpy
import torch
import transformers

from tlcourse import electra

SPECIAL = (0, 1, 2, 3, 4)


def _generator_model(seed=0):
    config = transformers.BertConfig(
        vocab_size=40,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
    )
    torch.manual_seed(seed)
    return transformers.BertForMaskedLM(config).eval()


def _blocks(n=64):
    blocks = torch.randint(5, 40, (n, 16), generator=torch.Generator().manual_seed(1))
    blocks[:, 0], blocks[:, -1] = 2, 3
    return blocks


def test_replacements_fall_only_on_masked_ordinary_pieces():
    blocks = _blocks()
    corrupted, replaced, masked = electra.replace_tokens(
        blocks,
        _generator_model(),
        mask_id=4,
        special_ids=SPECIAL,
        probability=0.3,
        generator=torch.Generator().manual_seed(0),
    )
    assert not (replaced & ~masked).any() and not masked[:, 0].any() and not masked[:, -1].any()
    assert torch.equal(corrupted[~masked], blocks[~masked])
    assert not torch.isin(corrupted, torch.tensor(SPECIAL))[:, 1:-1].any()
    assert 0.2 < masked[:, 1:-1].float().mean() < 0.4 and replaced.sum() > 0.8 * masked.sum()


def test_detection_loss_matches_sklearn():
    from sklearn.metrics import log_loss

    logits = torch.randn(4, 6, generator=torch.Generator().manual_seed(2))
    replaced = torch.rand(4, 6, generator=torch.Generator().manual_seed(3)) < 0.3
    scored = torch.ones(4, 6, dtype=torch.bool)
    scored[:, 0] = False
    expected = log_loss(replaced[scored].numpy(), torch.sigmoid(logits[scored]).numpy(), labels=[False, True])
    assert numpy.isclose(electra.detection_loss(logits, replaced, scored).item(), expected, atol=1e-6)


def test_training_scores_every_position_and_leaves_the_generator_alone():
    generator_model = _generator_model()
    before = [p.clone() for p in generator_model.parameters()]
    discriminator = electra.Discriminator(generator_model.bert)
    history = electra.train(
        discriminator,
        generator_model,
        _blocks(),
        electra.Config(steps=5, batch=8, lr=1e-3),
        mask_id=4,
        special_ids=SPECIAL,
        seed=0,
    )
    assert all(torch.equal(a, b) for a, b in zip(before, generator_model.parameters()))
    shares = electra.signal_shares(history)
    assert numpy.isclose(shares["signal_share"], 14 / 16) and shares["masked_share"] < 0.3
    result = electra.evaluate(
        discriminator, generator_model, _blocks(), mask_id=4, special_ids=SPECIAL, seed=1
    )
    assert 0 <= result["auc"] <= 1 and result["positions"] == 64 * 14 and 0.7 < result["all_original"] < 1
