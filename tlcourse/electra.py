"""ELECTRA's replaced-token detection: a generator fills masks, a discriminator labels every token.

Lesson 10's "learn from every token". Masked language modelling learns from the ~15% of positions it
hides; ELECTRA (Clark et al. 2020) lets a small generator fill those positions with plausible pieces
and trains a discriminator to say, at *every* position, whether the piece is the original or a
replacement. Here the generator is lesson 04's masked model (frozen) and the discriminator starts
from a copy of its encoder with a one-number head per position.

>>> from tlcourse import electra
>>> discriminator = electra.Discriminator(masked_model.bert)             # doctest: +SKIP
>>> history = electra.train(discriminator, masked_model, blocks, electra.Config(), seed=0)  # doctest: +SKIP

In ``small``/``full`` the lesson also scores the released discriminator (``electra_discriminator``) on
replacements drawn by the released generator (``electra_generator``): assets declared here.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy
import torch

from tlcourse import assets


@dataclasses.dataclass(frozen=True)
class Config:
    """A short replaced-token-detection run on packed blocks of word pieces."""

    steps: int = 80  # about 45 s on 2 busy CPU cores with lesson 04's 4-layer model
    batch: int = 16
    lr: float = 3e-4  # 80 steps: AUC 0.515 -> 0.597 at 3e-4, 120 steps at 1e-4 only reached 0.586
    mask_probability: float = 0.15  # ELECTRA's and BERT's share of positions the generator fills


class Discriminator(torch.nn.Module):
    """An encoder with one logit per position: "this piece was replaced". ``(B, T) -> (B, T)``."""

    def __init__(self, encoder: torch.nn.Module):
        super().__init__()
        self.encoder = copy.deepcopy(encoder)  # the generator keeps its own weights
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids).last_hidden_state  # (B, T, H)
        return self.head(hidden).squeeze(-1)  # (B, T)


@torch.no_grad()
def replace_tokens(
    blocks: torch.Tensor,
    generator_model,
    *,
    mask_id: int,
    special_ids: tuple[int, ...],
    probability: float,
    generator: torch.Generator,
    rows: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(corrupted, replaced, masked)``, each ``(B, T)``: the generator samples each masked piece.

    A sample equal to the original counts as original (ELECTRA's rule), so ``replaced`` is a subset of
    ``masked``; special pieces are never masked. ``rows`` runs the generator on that many blocks at a time
    (its ``(B, T, V)`` logits are 1.5 GB for 200 blocks of 64 in a 30,522-piece vocabulary); the draws are
    the same either way.
    """
    maskable = ~torch.isin(blocks, torch.tensor(special_ids, device=blocks.device))
    masked = (torch.rand(blocks.shape, generator=generator) < probability).to(blocks.device) & maskable
    hidden = blocks.masked_fill(masked, mask_id)
    step = rows or len(blocks)
    probabilities = torch.cat(
        [
            _sampling_probabilities(
                generator_model(input_ids=hidden[i : i + step]).logits, masked[i : i + step], special_ids
            )
            for i in range(0, len(blocks), step)
        ]
    )  # (m, V), on the CPU, where `generator` lives
    samples = torch.multinomial(probabilities, 1, generator=generator).squeeze(-1)
    corrupted = blocks.clone()
    corrupted[masked] = samples.to(blocks.device)
    return corrupted, corrupted != blocks, masked


def _sampling_probabilities(
    logits: torch.Tensor, masked: torch.Tensor, special_ids: tuple[int, ...]
) -> torch.Tensor:
    """``(m, V)`` probabilities at the masked positions of ``(B, T, V)`` logits, never a special piece."""
    logits = logits[masked]
    logits[:, list(special_ids)] = float("-inf")
    return torch.softmax(logits.float(), dim=-1).cpu()


def detection_loss(logits: torch.Tensor, replaced: torch.Tensor, scored: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of ``logits`` ``(B, T)`` against ``replaced``, over the ``scored`` positions."""
    return torch.nn.functional.binary_cross_entropy_with_logits(logits[scored], replaced[scored].float())


def evaluate(
    discriminator: Discriminator,
    generator_model,
    blocks: torch.Tensor,
    *,
    mask_id: int,
    special_ids: tuple[int, ...],
    probability: float = 0.15,
    seed: int,
    rows: int | None = None,
) -> dict:
    """AUC of the replaced-or-not scores, accuracy, and the base rate of answering "original" everywhere.

    ``rows``: blocks per forward pass of the generator and the discriminator (``None``: all at once).
    """
    from sklearn.metrics import roc_auc_score

    generator = torch.Generator().manual_seed(seed)
    corrupted, replaced, _ = replace_tokens(
        blocks,
        generator_model,
        mask_id=mask_id,
        special_ids=special_ids,
        probability=probability,
        generator=generator,
        rows=rows,
    )
    scored = ~torch.isin(blocks, torch.tensor(special_ids))
    discriminator.eval()
    step = rows or len(blocks)
    with torch.no_grad():
        logits = torch.cat([discriminator(corrupted[i : i + step]) for i in range(0, len(blocks), step)])
        logits = logits[scored].numpy()
    labels = replaced[scored].numpy()
    return {
        "auc": float(roc_auc_score(labels, logits)),
        "accuracy": float(((logits > 0) == labels).mean()),
        "all_original": float(1 - labels.mean()),
        "positions": int(labels.size),
    }


def train(
    discriminator: Discriminator,
    generator_model,
    blocks: torch.Tensor,
    config: Config,
    *,
    mask_id: int,
    special_ids: tuple[int, ...],
    seed: int,
    device: str = "cpu",
) -> list[dict]:
    """Train the discriminator on replaced tokens; per step its loss and the shares of positions."""
    generator = torch.Generator().manual_seed(seed)
    discriminator.to(device).train()
    generator_model.to(device).eval()
    optimizer = torch.optim.AdamW(discriminator.parameters(), lr=config.lr)
    history = []
    for step in range(config.steps):
        rows = torch.randint(0, len(blocks), (config.batch,), generator=generator)
        batch = blocks[rows].to(device)
        corrupted, replaced, masked = replace_tokens(
            batch,
            generator_model,
            mask_id=mask_id,
            special_ids=special_ids,
            probability=config.mask_probability,
            generator=generator,
        )
        scored = ~torch.isin(batch, torch.tensor(special_ids, device=device))
        loss = detection_loss(discriminator(corrupted), replaced, scored)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(
            {
                "step": step + 1,
                "loss": loss.item(),
                "signal_share": scored.float().mean().item(),
                "masked_share": masked.float().mean().item(),
                "replaced_share": replaced.float().mean().item(),
            }
        )
    discriminator.eval()
    return history


def signal_shares(history: list[dict]) -> dict[str, float]:
    """Mean share of positions with a learning signal per step: all scored, masked, replaced."""
    return {
        key: float(numpy.mean([h[key] for h in history]))
        for key in ("signal_share", "masked_share", "replaced_share")
    }


class Released(torch.nn.Module):
    """A released ``ElectraForPreTraining`` as a :class:`Discriminator`: ``(B, T) -> (B, T)`` logits.

    Its logit is positive for "replaced" (the label 1 of its pretraining loss), as ours is.
    """

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids).logits


_TINY_NOTE = (
    "The tiny profile trains its own discriminator from lesson 04's masked model; the released ELECTRA\n"
    "models are used only in the small and full profiles.\n"
)


def _loader(model_class: str):
    def load(folder: Path, profile: str):
        """``(tokenizer, model)`` in eval mode on the CPU; ``None`` in tiny."""
        if profile == "tiny":
            return None
        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
        return tokenizer, getattr(transformers, model_class).from_pretrained(str(folder)).eval()

    return load


_TINY = assets.Built(
    assets.placeholder(_TINY_NOTE), "1", "none in tiny: lesson 10 trains its own discriminator", "-"
)
#: The three repositories hold ``pytorch_model.bin`` on their main branch and no ``model.safetensors`` (it
#: sits only in unmerged pull-request branches), so the PyTorch pickle is what is read (``weights_only``).
_ELECTRA_FILES = ("config.json", "vocab.txt", "tokenizer.json", "tokenizer_config.json", "pytorch_model.bin")
_CLARK = "Clark, Luong, Le & Manning (2020), ELECTRA"


def _electra(repo_id: str, what: str) -> assets.Hub:
    return assets.Hub(repo_id, "model", None, f"{what}, released with {_CLARK}", "Apache-2.0", _ELECTRA_FILES)


ASSETS = (
    assets.Asset(
        "electra_discriminator",
        "a released ELECTRA discriminator: one replaced-or-original logit per piece (small/full only)",
        {
            "tiny": _TINY,
            "small": _electra("google/electra-small-discriminator", "ELECTRA-Small's discriminator (14M)"),
            "full": _electra("google/electra-base-discriminator", "ELECTRA-Base's discriminator (110M)"),
        },
        _loader("ElectraForPreTraining"),
    ),
    assets.Asset(
        "electra_generator",
        "the released small ELECTRA generator, a masked LM that draws the replacements (small/full only)",
        {
            "tiny": _TINY,
            "small": _electra("google/electra-small-generator", "ELECTRA's small generator"),
            "full": _electra("google/electra-small-generator", "ELECTRA's small generator"),
        },
        _loader("ElectraForMaskedLM"),
    ),
)
