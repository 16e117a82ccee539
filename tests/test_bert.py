"""tlcourse.bert against transformers' own hidden states (a random BERT with padding, and the packaged MiniLM)
and its attention against torch's ``scaled_dot_product_attention``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import random_bert

from tlcourse import bert

TEXTS = ["the film was great", "a dull, lifeless and overlong film that nobody asked for", "soup"]


def _random_bert(folder: Path, *, masked_lm: bool = False) -> Path:
    return random_bert(
        folder,
        seed=7,
        masked_lm=masked_lm,
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=128,
    )


def _compare(folder: Path) -> list[float]:
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    model = transformers.AutoModel.from_pretrained(str(folder)).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    assert int((batch["attention_mask"] == 0).sum()) > 10  # padding is really there
    with torch.no_grad():
        library = model(**batch, output_hidden_states=True).hidden_states
    mine = bert.encode(
        bert.read_weights(folder), bert.read_shape(folder), batch["input_ids"], batch["attention_mask"]
    )
    assert len(mine) == len(library)
    return bert.largest_difference(mine, library, batch["attention_mask"])


def test_every_layer_equals_transformers_on_a_random_bert(tmp_path):
    assert max(_compare(_random_bert(tmp_path))) < 1e-5


def test_prefixed_checkpoint_is_read_too(tmp_path):
    folder = _random_bert(tmp_path, masked_lm=True)  # names start with "bert."; the masked-LM head is ignored
    assert max(_compare(folder)) < 1e-5


def test_every_layer_equals_transformers_on_the_packaged_minilm(shared_cache):
    from tlcourse import assets

    gaps = _compare(assets.path("encoder", "tiny"))
    assert len(gaps) == 7 and max(gaps) < 1e-5


def test_attention_matches_torch_sdpa():
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(3, 2, 6, 5, generator=generator) for _ in range(3))
    mask = torch.tensor([[1] * 6, [1, 1, 1, 1, 0, 0], [1, 0, 0, 0, 0, 0]])
    reference = torch.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=mask.bool()[:, None, None, :]
    )
    assert torch.allclose(bert.attention(q, k, v, mask), reference, atol=1e-6)


def test_a_model_that_is_not_bert_is_refused_with_a_way_out(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mpnet"}))
    with pytest.raises(ValueError, match="assets.path\\('encoder', 'tiny'\\)"):
        bert.read_shape(tmp_path)
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        bert.read_weights(tmp_path)
