"""tlcourse.checkpoints: the shipped hubconf through torch.hub with source="local", the safetensors header
against safetensors' own reader, the model card's fields through huggingface_hub."""

from __future__ import annotations

import pytest
import torch
from conftest import random_bert

from tlcourse import checkpoints


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return random_bert(
        tmp_path_factory.mktemp("tiny_bert"),
        seed=0,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )


def test_hubconf_loads_locally_and_gives_unit_sentence_vectors(tiny_bert):
    encode = torch.hub.load(str(checkpoints.hub_folder()), "sentence_encoder", str(tiny_bert), source="local")
    vectors = encode(["a short one", "a much longer sentence than the other one"])
    assert vectors.shape == (2, 16)
    assert torch.allclose(vectors.norm(dim=-1), torch.ones(2), atol=1e-5)
    model = torch.hub.load(str(checkpoints.hub_folder()), "encoder", str(tiny_bert), source="local")
    assert model.config.hidden_size == 16


def test_files_and_safetensors_header(tiny_bert):
    from safetensors import safe_open

    names = [name for name, _ in checkpoints.files(tiny_bert)]
    assert names[0] == "model.safetensors" and "config.json" in names
    header = checkpoints.safetensors_header(tiny_bert / "model.safetensors")
    with safe_open(str(tiny_bert / "model.safetensors"), framework="pt") as handle:
        assert set(header) == set(handle.keys())
        for name in handle.keys():
            assert header[name]["shape"] == list(handle.get_slice(name).get_shape())


def test_card_fields(tmp_path):
    (tmp_path / "README.md").write_text(
        "---\nlicense: apache-2.0\ndatasets:\n- snli\n- ms_marco\n"
        "pipeline_tag: sentence-similarity\n---\n\n# A model\n",
        encoding="utf-8",
    )
    fields = checkpoints.card(tmp_path)
    assert fields["license"] == "apache-2.0" and fields["datasets"] == ["snli", "ms_marco"]
    assert fields["pipeline_tag (intended use)"] == "sentence-similarity" and fields["language"] is None
    with pytest.raises(FileNotFoundError, match="model card"):
        checkpoints.card(tmp_path / "missing")


def test_packaged_card_names_its_licence(shared_cache):
    from tlcourse import assets

    assert checkpoints.card(assets.path("encoder", "tiny"))["license"] == "apache-2.0"


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="from_pretrained"):
        checkpoints.files(tmp_path)
