"""WordPiece tokenisation trained on the bundled Wikipedia, and text turned into training blocks.

Lesson 04 trains the tokenizer with the ``tokenizers`` library (seconds) and wraps it for
``transformers``. In transformers 5 a trained vocabulary is loaded with ``from_pretrained(folder)``:
``BertTokenizerFast(vocab_file=...)`` silently gives a 5-token vocabulary.

>>> from tlcourse import tokenization
>>> tokenizer = tokenization.load(folder)            # doctest: +SKIP
>>> blocks = tokenization.pack(ids, block=64, sep_id=tokenizer.sep_token_id)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@dataclasses.dataclass(frozen=True)
class TokenizerConfig:
    """How the course's WordPiece vocabulary is trained."""

    vocab_size: int = 4096  # small: the output layer of a 128-wide model stays cheap on a CPU
    min_frequency: int = 2  # a piece seen once is noise in 400k words
    lowercase: bool = True  # halves the vocabulary a small corpus must fill


def split_wiki(sentences: list[str], *, valid_fraction: float = 0.05) -> tuple[list[str], list[str]]:
    """``(train, valid)``: the last ``valid_fraction`` of the sentences (whole articles, never seen) held
    out."""
    cut = int(round(len(sentences) * (1 - valid_fraction)))
    return sentences[:cut], sentences[cut:]


def train(sentences: list[str], config: TokenizerConfig = TokenizerConfig()):
    """A ``transformers`` fast tokenizer with a WordPiece vocabulary learned from ``sentences``."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    core = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    core.normalizer = normalizers.BertNormalizer(lowercase=config.lowercase)
    core.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    core.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=config.vocab_size, min_frequency=config.min_frequency, special_tokens=list(SPECIAL_TOKENS)
    )
    core.train_from_iterator(sentences, trainer)
    cls, sep = core.token_to_id("[CLS]"), core.token_to_id("[SEP]")
    from tokenizers import processors

    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return transformers.BertTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )


def build(folder: Path) -> None:
    """Asset builder: train on the training part of the bundled Wikipedia and save into ``folder``."""
    from tlcourse import assets

    train_sentences, _ = split_wiki(assets.load("wiki", "tiny"))
    train(train_sentences).save_pretrained(str(folder))


def load(folder: Path | str):
    """The saved tokenizer (``from_pretrained``: the one loader that keeps the whole vocabulary)."""
    import transformers

    return transformers.AutoTokenizer.from_pretrained(str(folder))


def encode(tokenizer, sentences: list[str]) -> list[list[int]]:
    """Token ids of each sentence, without special tokens."""
    return tokenizer(sentences, add_special_tokens=False)["input_ids"]


def pack(ids: list[list[int]], *, block: int, sep_id: int) -> torch.Tensor:
    """Sentences joined by ``sep_id`` into one stream and cut into rows: shape ``(n_blocks, block)``.

    No padding is wasted; the tail that does not fill a block is dropped (``run_clm``'s ``group_texts``).
    """
    stream = [token for sentence in ids for token in (*sentence, sep_id)]
    n_blocks = len(stream) // block
    if n_blocks == 0:
        raise ValueError(
            f"{len(stream)} tokens do not fill one block of {block}: pass more text or a smaller block."
        )
    return torch.tensor(stream[: n_blocks * block], dtype=torch.long).view(n_blocks, block)
