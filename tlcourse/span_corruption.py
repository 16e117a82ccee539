"""T5's span corruption by hand: drop spans of words, mark each with a sentinel, ask for the spans back.

Lesson 10 builds it. A noise mask covers about ``noise_density`` of the words in spans of mean length
``mean_span``; the input keeps the visible words with one sentinel per dropped span, the target lists
each sentinel followed by the words it hides, closed by one more sentinel (Raffel et al. 2020, fig. 2:
"Thank you <X> me to your party <Y> week." -> "<X> for inviting <Y> last <Z>").

>>> from tlcourse import span_corruption
>>> words = "thank you for inviting me to your party last week .".split()
>>> mask = [w in ("for", "inviting", "last") for w in words]
>>> span_corruption.corrupt(words, mask)[1]
['<extra_id_0>', 'for', 'inviting', '<extra_id_1>', 'last', '<extra_id_2>']

In ``small``/``full`` the same code corrupts blocks of T5's own pieces with its own sentinels
(:func:`t5_examples`), and :func:`restoration` measures what the released T5 (asset ``t5``) gives back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy
import torch

from tlcourse import assets


def sentinels(n: int) -> list[str]:
    """T5's sentinel tokens ``<extra_id_0>``, ``<extra_id_1>``, ... (its vocabulary holds 100)."""
    return [f"<extra_id_{i}>" for i in range(n)]


def _segments(total: int, pieces: int, rng: numpy.random.Generator) -> numpy.ndarray:
    """``total`` split at random into ``pieces`` positive lengths (T5's ``_random_segmentation``)."""
    cuts = (
        numpy.sort(rng.choice(numpy.arange(1, total), size=pieces - 1, replace=False)) if pieces > 1 else []
    )
    return numpy.diff(numpy.concatenate([[0], cuts, [total]])).astype(int)


def noise_mask(
    length: int, *, noise_density: float = 0.15, mean_span: float = 3.0, rng: numpy.random.Generator
) -> numpy.ndarray:
    """``(length,)`` booleans, True where a word is dropped, as T5's ``random_spans_noise_mask``.

    ``round(length * noise_density)`` words are dropped in ``round(noise / mean_span)`` spans; visible and
    dropped runs alternate, starting with a visible one, and their lengths are random.
    """
    if length < 2:
        raise ValueError(f"A sequence to corrupt needs at least 2 words, got {length}.")
    n_noise = min(max(round(length * noise_density), 1), length - 1)
    n_spans = max(round(n_noise / mean_span), 1)
    n_spans = min(n_spans, n_noise, length - n_noise)
    noise, keep = _segments(n_noise, n_spans, rng), _segments(length - n_noise, n_spans, rng)
    runs = numpy.stack([keep, noise], axis=1).ravel()  # keep, noise, keep, noise, ...
    flags = numpy.tile([False, True], n_spans)
    return numpy.repeat(flags, runs)


def single_token_mask(
    length: int, *, probability: float = 0.15, rng: numpy.random.Generator
) -> numpy.ndarray:
    """``(length,)`` booleans, ``round(length * probability)`` positions picked singly (BERT's masking)."""
    mask = numpy.zeros(length, dtype=bool)
    mask[rng.choice(length, size=max(round(length * probability), 1), replace=False)] = True
    return mask


def corrupt(
    tokens: Sequence[str], mask: Sequence[bool], marks: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """``(inputs, targets)``: each run of masked tokens becomes one sentinel in the input; the target is
    every sentinel followed by the tokens it hides, then one closing sentinel."""
    if len(tokens) != len(mask):
        raise ValueError(f"tokens ({len(tokens)}) and mask ({len(mask)}) must have the same length.")
    marks = list(marks) if marks is not None else sentinels(len(tokens) + 1)
    inputs, targets, span = [], [], -1
    for i, (token, hidden) in enumerate(zip(tokens, mask)):
        if hidden:
            if i == 0 or not mask[i - 1]:
                span += 1
                inputs.append(marks[span])
                targets.append(marks[span])
            targets.append(token)
        else:
            inputs.append(token)
    targets.append(marks[span + 1])
    return inputs, targets


def restore(inputs: Sequence[str], targets: Sequence[str], marks: Sequence[str] | None = None) -> list[str]:
    """The original tokens, from an ``(inputs, targets)`` pair made by :func:`corrupt`."""
    marks = list(marks) if marks is not None else sentinels(len(inputs) + len(targets))
    index = {m: i for i, m in enumerate(marks)}
    spans: dict[str, list[str]] = {}
    current = None
    for token in targets:
        if token in index:
            current = token
            spans[current] = []
        elif current is None:
            raise ValueError("The target must start with a sentinel.")
        else:
            spans[current].append(token)
    out = []
    for token in inputs:
        out.extend(spans[token] if token in index else [token])
    return out


def visible_neighbour_share(mask: numpy.ndarray) -> float:
    """Share of masked positions whose left and right neighbours are both visible (a local shortcut)."""
    mask = numpy.asarray(mask, dtype=bool)
    padded = numpy.concatenate([[True], mask, [True]])  # the edges count as hidden: no neighbour there
    both_visible = ~padded[:-2] & ~padded[2:]
    return float(both_visible[mask].mean())


# --- the released T5 on its own objective (small/full) --------------------------------------------------


def t5_blocks(tokenizer, sentences: list[str], *, block: int, count: int) -> list[list[int]]:
    """The first ``count`` blocks of ``block`` T5 pieces from ``sentences`` joined into one stream.

    No separator between sentences: each starts with T5's word-start mark, as running text does.
    """
    stream = [i for ids in tokenizer(sentences, add_special_tokens=False)["input_ids"] for i in ids]
    blocks = [stream[i : i + block] for i in range(0, len(stream) - block + 1, block)][:count]
    if len(blocks) < count:
        raise ValueError(f"The text fills {len(blocks)} blocks of {block} pieces, fewer than {count}.")
    return blocks


def t5_examples(
    blocks: list[list[int]],
    tokenizer,
    *,
    noise_density: float = 0.15,
    mean_span: float = 3.0,
    rng: numpy.random.Generator,
) -> list[tuple[list[int], list[int]]]:
    """``(input_ids, target_ids)`` per block: :func:`corrupt` with T5's sentinel ids, each closed by
    ``</s>``."""
    marks = tokenizer.convert_tokens_to_ids(sentinels(100))
    if tokenizer.unk_token_id in marks:
        raise ValueError("This tokenizer lacks T5's sentinels <extra_id_0> ... <extra_id_99>.")
    eos = tokenizer.eos_token_id
    out = []
    for block in blocks:
        mask = noise_mask(len(block), noise_density=noise_density, mean_span=mean_span, rng=rng)
        inputs, targets = corrupt(block, mask.tolist(), marks)
        out.append((inputs + [eos], targets + [eos]))
    return out


def mismatched(examples: list[tuple[list[int], list[int]]]) -> list[tuple[list[int], list[int]]]:
    """The control: each target paired with the next block's input (the same words to predict, the wrong
    context), so a model that only guesses frequent words scores the same on both."""
    return [(examples[(i + 1) % len(examples)][0], target) for i, (_, target) in enumerate(examples)]


def spans(ids: Sequence[int], marks: Sequence[int], eos: int) -> dict[int, list[int]]:
    """``{sentinel: pieces}`` read from a target or a generated sequence, up to ``eos``."""
    found: dict[int, list[int]] = {}
    current = None
    for token in ids:
        if token == eos:
            break
        if token in marks:
            current = token
            found.setdefault(current, [])
        elif current is not None:
            found[current].append(token)
    return found


def _padded(rows: list[list[int]], fill: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [fill] * (width - len(r)) for r in rows])


def restoration(
    model,
    tokenizer,
    examples: list[tuple[list[int], list[int]]],
    *,
    decode: bool = True,
    batch: int = 32,
    device: str = "cpu",
) -> dict:
    """What a T5 gives back: per example the mean loss (nats) of the hidden pieces of its target (the
    sentinels and ``</s>`` not counted), and the hidden spans its greedy decoding restores exactly.

    Returns ``{"loss": (n,) array, "exact": (n,) share of spans or None, "spans": total spans}``; greedy
    decoding (most of the time) runs only with ``decode``; without it ``exact`` is ``None``.
    """
    marks = tokenizer.convert_tokens_to_ids(sentinels(100))
    pad, eos, ignore = tokenizer.pad_token_id, tokenizer.eos_token_id, -100
    model.to(device).eval()
    losses, exact, total = [], [], 0
    for start in range(0, len(examples), batch):
        chunk = examples[start : start + batch]
        inputs = _padded([x for x, _ in chunk], pad).to(device)
        labels = _padded([y for _, y in chunk], ignore).to(device)
        attention = (inputs != pad).long()
        with torch.no_grad():
            logits = model(input_ids=inputs, attention_mask=attention, labels=labels).logits.float()
            scored = (labels != ignore) & ~torch.isin(labels, torch.tensor([*marks, eos], device=device))
            nll = torch.nn.functional.cross_entropy(
                logits.transpose(1, 2), labels.clamp(min=0), reduction="none"
            )  # (b, L)
            losses += ((nll * scored).sum(1) / scored.sum(1).clamp(min=1)).tolist()
        # the closing sentinel hides nothing: it is not a span
        truths = [{m: p for m, p in spans(target, marks, eos).items() if p} for _, target in chunk]
        total += sum(len(truth) for truth in truths)
        if not decode:
            continue
        with torch.no_grad():
            generated = model.generate(
                input_ids=inputs,
                attention_mask=attention,
                max_new_tokens=labels.shape[1] + 4,
                do_sample=False,
                num_beams=1,
            ).tolist()
        for truth, output in zip(truths, generated):
            guess = spans(output[1:], marks, eos)  # output[0] is the decoder's start
            exact.append(numpy.mean([guess.get(m) == pieces for m, pieces in truth.items()]))
    return {"loss": numpy.array(losses), "exact": numpy.array(exact) if decode else None, "spans": total}


_TINY_NOTE = (
    "The tiny profile builds span corruption by hand only; the released T5 is used in small and full.\n"
)


def _load_t5(folder: Path, profile: str):
    """``(tokenizer, T5ForConditionalGeneration)`` in eval mode on the CPU; ``None`` in tiny."""
    if profile == "tiny":
        return None
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    return tokenizer, transformers.T5ForConditionalGeneration.from_pretrained(str(folder)).eval()


#: tokenizer.json holds T5's SentencePiece vocabulary and its 100 sentinels, so spiece.model (and the
#: sentencepiece package) is not needed; the weights are read from model.safetensors.
_T5_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "model.safetensors",
)
_RAFFEL = "Raffel et al. (2020), T5"

ASSETS = (
    assets.Asset(
        "t5",
        "a released T5 encoder-decoder, pretrained on span corruption (small/full only)",
        {
            "tiny": assets.Built(
                assets.placeholder(_TINY_NOTE), "1", "none in tiny: lesson 10 corrupts spans by hand", "-"
            ),
            "small": assets.Hub(
                "google-t5/t5-small", "model", None, f"T5-Small (60M), {_RAFFEL}", "Apache-2.0", _T5_FILES
            ),
            "full": assets.Hub(
                "google-t5/t5-base", "model", None, f"T5-Base (220M), {_RAFFEL}", "Apache-2.0", _T5_FILES
            ),
        },
        _load_t5,
    ),
)
