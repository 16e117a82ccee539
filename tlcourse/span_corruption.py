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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy


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
