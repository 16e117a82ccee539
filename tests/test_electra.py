"""Replaced-token detection: replacements only where masked, all positions scored, loss vs sklearn; the
released discriminator and generator of small/full loaded from hub-layout folders of tiny random ELECTRAs."""

from __future__ import annotations

import numpy
import pytest
import torch
import transformers
from test_assets import _fake_snapshot, offline_hub  # noqa: F401  (a fixture)

from tlcourse import assets, electra

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


# --- the released models of small/full, from folders laid out as the hub lays them out ---------------------

ELECTRA_CONFIG = dict(
    vocab_size=30522,  # ELECTRA's vocabulary is bert-base-uncased's, which the packaged encoder ships
    embedding_size=16,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=128,
)


def _electra_repo(folder, model_class: str, seed: int):
    """A random ELECTRA in the hub's layout: config, tokenizer files and ``pytorch_model.bin`` (the hub's
    main branch has no safetensors)."""
    import json
    import shutil

    from tlcourse import packaged

    files = packaged.locate()
    for name in ("tokenizer.json", "vocab.txt"):
        shutil.copyfile(files[name], folder / name)
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"do_lower_case": True, "model_max_length": 512})
    )
    config = transformers.ElectraConfig(**ELECTRA_CONFIG)
    torch.manual_seed(seed)
    model = getattr(transformers, model_class)(config)
    config.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    return folder


@pytest.fixture(scope="module")
def electra_repos(tmp_path_factory):
    return {
        "electra_discriminator": _electra_repo(tmp_path_factory.mktemp("disc"), "ElectraForPreTraining", 0),
        "electra_generator": _electra_repo(tmp_path_factory.mktemp("gen"), "ElectraForMaskedLM", 1),
    }


def _install(hub, electra_repos, profile):
    for name, folder in electra_repos.items():
        spec = assets.variant(name, profile)
        files = {n: folder / n for n in spec.allow_patterns if (folder / n).exists()}
        assert set(files) == set(spec.allow_patterns), "the stand-in holds every allowed file"
        if not assets.is_cached(name, profile):  # small and full share the generator's repository
            _fake_snapshot(hub, "model", spec.repo_id, "a" * 40, files)


@pytest.mark.parametrize("profile", ["small", "full"])
def test_released_electra_loads_from_a_hub_layout(offline_hub, electra_repos, profile):  # noqa: F811
    _install(offline_hub, electra_repos, profile)
    tokenizer, discriminator = assets.load("electra_discriminator", profile)
    _, generator_model = assets.load("electra_generator", profile)
    assert isinstance(discriminator, transformers.ElectraForPreTraining) and not discriminator.training
    assert isinstance(generator_model, transformers.ElectraForMaskedLM)
    assert (
        tokenizer.tokenize("Transfer learning") == ["transfer", "learning"] and tokenizer.mask_token_id == 103
    )
    assert assets.load("electra_discriminator", "tiny") is None  # tiny builds only a note saying so


def test_the_released_discriminator_scores_a_released_generators_replacements(
    offline_hub,  # noqa: F811
    electra_repos,
):
    from tlcourse import pretraining, tokenization

    _install(offline_hub, electra_repos, "small")
    tokenizer, discriminator = assets.load("electra_discriminator", "small")
    _, generator_model = assets.load("electra_generator", "small")
    sentences = ["the film was great and the soup was cold .", "a political philosophy of free association ."]
    blocks = tokenization.pack(
        tokenization.encode(tokenizer, sentences * 20), block=16, sep_id=tokenizer.sep_token_id
    )
    detect = dict(mask_id=tokenizer.mask_token_id, special_ids=pretraining.special_ids(tokenizer), seed=0)
    whole = electra.evaluate(electra.Released(discriminator), generator_model, blocks, **detect)
    chunked = electra.evaluate(electra.Released(discriminator), generator_model, blocks, **detect, rows=3)
    assert whole == pytest.approx(chunked)  # the same draws, whatever the chunk size
    assert whole["positions"] == blocks.numel() - int((blocks == tokenizer.sep_token_id).sum())
    assert 0.7 < whole["all_original"] < 1 and 0 <= whole["auc"] <= 1


def test_released_logits_follow_electras_own_label():
    """Positive means "replaced": our loss on the wrapper equals ElectraForPreTraining's loss with labels."""
    model = transformers.ElectraForPreTraining(transformers.ElectraConfig(**ELECTRA_CONFIG)).eval()
    ids = torch.randint(1000, 2000, (3, 12), generator=torch.Generator().manual_seed(0))
    replaced = torch.rand(3, 12, generator=torch.Generator().manual_seed(1)) < 0.3
    with torch.no_grad():
        expected = model(input_ids=ids, labels=replaced.long()).loss
        ours = electra.detection_loss(electra.Released(model)(ids), replaced, torch.ones_like(replaced))
    assert torch.isclose(ours, expected, atol=1e-6)
