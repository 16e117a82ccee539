"""What a checkpoint is, read from its folder: its files, the safetensors header, the model card's fields.

Lesson 09 opens a checkpoint folder as ``from_pretrained`` sees it. A checkpoint is a config
(``config.json``: the architecture's shape), weights (``model.safetensors``: named arrays behind a JSON
header, no code), a tokenizer (``tokenizer.json``, ``vocab.txt``) and a model card (``README.md``: YAML
fields such as the licence and training data, then prose). The course's torch.hub entry points
(:func:`hub_folder`) are a local ``hubconf.py`` shipped with the package.
"""

from __future__ import annotations

import importlib.resources
import json
import struct
from pathlib import Path


def hub_folder() -> Path:
    """The folder of the package's ``hubconf.py``, for ``torch.hub.load(folder, ..., source="local")``."""
    return Path(str(importlib.resources.files("tlcourse") / "data" / "hub"))


def files(folder: Path) -> list[tuple[str, int]]:
    """``(name, bytes)`` of every file in a checkpoint folder, largest first."""
    found = [(p.name, p.stat().st_size) for p in Path(folder).iterdir() if p.is_file()]
    if not found:
        raise FileNotFoundError(f"{folder} holds no files: point at a folder from_pretrained can read.")
    return sorted(found, key=lambda item: -item[1])


def safetensors_header(path: Path) -> dict:
    """The JSON header of a ``.safetensors`` file: ``{name: {"dtype", "shape", "data_offsets"}}``.

    The format is 8 bytes (little-endian header length), the JSON header, then raw bytes: loading it
    reads numbers and never runs code.
    """
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    header.pop("__metadata__", None)
    return header


def card(folder: Path) -> dict[str, object]:
    """The model card's fields that say what a model may be used for: licence, data, task, library, language.

    Read with ``huggingface_hub.ModelCard`` from ``folder/README.md``; a field the card lacks is ``None``.
    """
    import huggingface_hub

    path = Path(folder) / "README.md"
    if not path.exists():
        raise FileNotFoundError(f"{folder} has no README.md: this checkpoint came without a model card.")
    data = huggingface_hub.ModelCard.load(path).data.to_dict()
    return {
        "license": data.get("license"),
        "datasets": data.get("datasets"),
        "pipeline_tag (intended use)": data.get("pipeline_tag"),
        "library_name": data.get("library_name"),
        "language": data.get("language"),
    }
