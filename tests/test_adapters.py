"""tlcourse.adapters against references that are not itself: ``peft``'s LoRA on the same weights, its
merge and its save/reload; parameter counts by hand; frozen weights left bit-for-bit alone by training;
the small profile's encoder from a hub-layout folder. Models are tiny random BERTs."""

from __future__ import annotations

import numpy
import pytest
import torch
from conftest import random_bert
from test_assets import _fake_snapshot, offline_hub  # noqa: F401  (a fixture)

from tlcourse import adapters, assets, corpora, finetuning, folds, packaged

WIDTH, LAYERS, FFN = 32, 2, 64


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return random_bert(
        tmp_path_factory.mktemp("tiny_bert"),
        seed=3,
        hidden_size=WIDTH,
        num_hidden_layers=LAYERS,
        num_attention_heads=2,
        intermediate_size=FFN,
        max_position_embeddings=128,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )


@pytest.fixture(scope="module")
def batch(tiny_bert):
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tiny_bert))
    return dict(
        tokenizer(
            ["the film was great", "an awful, dull film with nothing in it"],
            padding=True,
            return_tensors="pt",
        )
    )


def _encoder(folder):
    import transformers

    return transformers.AutoModel.from_pretrained(str(folder)).eval()


def _perturb(model, seed=1):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, adapters.LoRALinear):
                module.B.copy_(torch.randn(module.B.shape, generator=generator) * 0.1)


def test_lora_starts_as_the_base_model_and_counts_by_hand(tiny_bert, batch):
    base, model = _encoder(tiny_bert), adapters.add_lora(_encoder(tiny_bert), r=4, alpha=8, seed=0)
    with torch.no_grad():
        assert torch.equal(base(**batch).last_hidden_state, model(**batch).last_hidden_state)
    trainable, total = adapters.trainable_share(model)
    assert trainable == LAYERS * 2 * 4 * (WIDTH + WIDTH)  # query and value: A (r, in) and B (out, r)
    assert total == sum(p.numel() for p in base.parameters()) + trainable
    assert adapters.saved_bytes(adapters.trainable_state(model)) > 4 * trainable


def test_lora_layer_is_base_plus_scaled_update():
    generator = torch.Generator().manual_seed(0)
    layer = adapters.LoRALinear(torch.nn.Linear(5, 3), r=2, alpha=6, generator=generator)
    with torch.no_grad():
        layer.B.normal_(generator=generator)
    x = torch.randn(4, 5, generator=generator)
    assert layer.scale == 3
    assert torch.allclose(layer(x), layer.base(x) + 3 * x @ layer.A.T @ layer.B.T, atol=1e-6)
    assert torch.allclose(layer.merged()(x), layer(x), atol=1e-5)
    with pytest.raises(ValueError, match="rank"):
        adapters.LoRALinear(torch.nn.Linear(5, 3), r=0)


def test_hand_lora_equals_peft_on_the_same_weights_and_merges_and_reloads(tiny_bert, batch, tmp_path):
    import peft

    ours = adapters.add_lora(_encoder(tiny_bert), r=4, alpha=8, seed=0)
    _perturb(ours)
    config = peft.LoraConfig(
        r=4, lora_alpha=8, target_modules=list(adapters.LORA_TARGETS["bert"]), lora_dropout=0.0
    )
    theirs = peft.get_peft_model(_encoder(tiny_bert), config).eval()
    result = theirs.load_state_dict(adapters.peft_names(adapters.trainable_state(ours)), strict=False)
    assert not result.unexpected_keys and not [k for k in result.missing_keys if "lora_" in k]
    assert adapters.trainable_share(theirs)[0] == adapters.trainable_share(ours)[0]
    with torch.no_grad():
        out_ours, out_theirs = ours(**batch).last_hidden_state, theirs(**batch).last_hidden_state
    assert torch.allclose(out_ours, out_theirs, atol=1e-6)
    theirs.save_pretrained(tmp_path / "adapter")
    reloaded = peft.PeftModel.from_pretrained(_encoder(tiny_bert), tmp_path / "adapter").eval()
    with torch.no_grad():
        assert torch.equal(reloaded(**batch).last_hidden_state, out_theirs)
        merged_theirs = theirs.merge_and_unload()(**batch).last_hidden_state
    adapters.merge_lora(ours)
    assert not any(isinstance(m, adapters.LoRALinear) for m in ours.modules())
    with torch.no_grad():
        merged_ours = ours(**batch).last_hidden_state
    assert torch.allclose(merged_ours, out_ours, atol=1e-5) and torch.allclose(
        merged_ours, merged_theirs, atol=1e-5
    )


def test_bottlenecks_sit_after_attention_and_feed_forward_and_count_by_hand(tiny_bert, batch):
    model = adapters.add_bottlenecks(_encoder(tiny_bert), size=4, seed=0)
    wrapped = [name for name, m in model.named_modules() if isinstance(m, adapters.Bottleneck)]
    assert wrapped == [
        f"encoder.layer.{i}.{part}"
        for i in range(LAYERS)
        for part in ("attention.output.dense", "output.dense")
    ]
    per_adapter = WIDTH * 4 + 4 + 4 * WIDTH + WIDTH
    layer_norms = (2 * LAYERS + 1) * 2 * WIDTH
    assert adapters.trainable_share(model)[0] == 2 * LAYERS * per_adapter + layer_norms
    with torch.no_grad():
        start = model(**batch).last_hidden_state
        plain = _encoder(tiny_bert)(**batch).last_hidden_state
    assert 0 < float((start - plain).abs().max()) < 0.05  # near the identity at the start, not exactly it


def test_training_changes_only_what_requires_gradients(tiny_bert):
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tiny_bert))
    texts, labels = corpora.read_polarity()
    model = finetuning.build_classifier(tiny_bert, pretrained=True, seed=0)
    adapters.add_lora(model.encoder, r=2, alpha=4, seed=0)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    record = adapters.train(
        model,
        tokenizer,
        texts[:24],
        labels[:24],
        finetuning.FineTuneConfig(epochs=2, batch=8, lr=1e-2),
        seed=0,
    )
    assert len(record["loss"]) == 6 and record["epochs"] == 2 and record["seconds"] > 0
    for name, p in model.named_parameters():
        changed = not torch.equal(before[name], p)
        assert changed == p.requires_grad, f"{name}: changed={changed}, requires_grad={p.requires_grad}"


def test_scored_runs_on_lesson_05s_splits_and_draws_and_is_seeded(tiny_bert):
    import transformers

    from tlcourse import label_efficiency

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tiny_bert))
    rows = assets.load("movie_reviews", "tiny").select(range(0, 200, 4))
    data = folds.with_folds(rows.remove_columns("folds"))  # 50 sentences, fresh fixed folds

    def make(seed):
        model = finetuning.build_classifier(tiny_bert, pretrained=True, seed=seed)
        adapters.add_lora(model.encoder, r=2, seed=seed)
        return model

    seconds = []
    score = adapters.scored(
        make, tokenizer, data, finetuning.FineTuneConfig(epochs=1), seed=0, seconds=seconds
    )
    curve = label_efficiency.curve(score, data, sizes=(10,), repeats=2)
    again = label_efficiency.curve(
        adapters.scored(make, tokenizer, data, finetuning.FineTuneConfig(epochs=1), seed=0),
        data,
        sizes=(10,),
        repeats=2,
    )
    assert list(curve) == [10] and curve[10].shape == (2,)
    assert numpy.all((curve[10] >= 0) & (curve[10] <= 1))
    assert len(seconds) == 2 and min(seconds) > 0
    numpy.testing.assert_array_equal(curve[10], again[10])  # the same seeds, the same accuracies


def test_unknown_family_and_missing_targets_say_what_to_do(tiny_bert):
    model = _encoder(tiny_bert)
    with pytest.raises(ValueError, match="targets="):
        adapters.add_lora(model, targets=("nothing_called_this",), seed=0)
    model.config.model_type = "gpt2"
    with pytest.raises(ValueError, match="model_type 'gpt2'"):
        adapters.add_lora(model, seed=0)


def test_small_profile_encoder_from_a_hub_layout_takes_adapters(offline_hub):  # noqa: F811
    local = packaged.locate()
    _fake_snapshot(
        offline_hub, "model", packaged.HUB_ID, packaged.HUB_REVISION, {n: local[n] for n in packaged.FILES}
    )
    folder = assets.path("encoder", "small")
    assert packaged.HUB_REVISION in str(folder)  # the pinned revision is what is read
    model = adapters.add_lora(_encoder(folder), seed=0)
    trainable, total = adapters.trainable_share(model)
    assert trainable == 6 * 2 * 8 * (384 + 384) and trainable / total < 0.01
    # the lesson reads this encoder and lesson 05's movie snippets (from the package index, in every profile)
    assert assets.LESSONS["09_hubs_and_adapters"] == ("encoder", "sentiment_domains")


@pytest.mark.parametrize("family", ["mpnet", "distilbert"])
def test_other_families_get_lora_and_bottlenecks_where_the_papers_put_them(family):
    import transformers

    if family == "mpnet":  # full's encoder (all-mpnet-base-v2)
        config = transformers.MPNetConfig(
            vocab_size=100, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32
        )
        make, expected = transformers.MPNetModel, ["attention.attn.o", "output.dense"]
    else:  # lesson 05's small classifier
        config = transformers.DistilBertConfig(vocab_size=100, dim=16, n_layers=2, n_heads=2, hidden_dim=32)
        make, expected = transformers.DistilBertModel, ["attention.out_lin", "ffn.lin2"]
    lora = adapters.add_lora(make(config), r=2, seed=0)
    assert adapters.trainable_share(lora)[0] == 2 * 2 * 2 * (16 + 16)
    bottlenecked = adapters.add_bottlenecks(make(config), size=4, seed=0)
    names = [n for n, m in bottlenecked.named_modules() if isinstance(m, adapters.Bottleneck)]
    assert [n.split(".", 3)[-1] for n in names] == expected * 2
    ids = torch.tensor([[3, 4, 5]])
    assert bottlenecked(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state.shape == (
        1,
        3,
        16,
    )
