"""Contextual word vectors: every layer's hidden states, subwords pooled into words, sense similarity.

Lesson 03 builds these. A static word vector (lesson 01) gives "bank" one vector; an encoder gives each
*occurrence* of "bank" its own vector at every layer. Shapes use ``L`` for layers (the embedding
output counts as layer 0, so a 6-layer model has ``L = 7``), ``n`` for sentences, ``T`` for token
positions (padded), ``D`` for the width.

Two controls keep the lesson's claims honest: :data:`CONTROL_WORD`, a word of one sense in the same
sentences as the ambiguous words (its same- minus other-sense gap is what the sentence's topic alone
gives every token), and :func:`random_encoder`, the same architecture with random weights, for probes.

>>> from tlcourse import assets, contextual
>>> tokenizer, model = assets.load("encoder", "tiny")                    # doctest: +SKIP
>>> states, encoding = contextual.hidden_states(tokenizer, model, ["The bank was closed."])  # doctest: +SKIP
>>> states.shape                                                    # doctest: +SKIP
torch.Size([7, 1, 7, 384])
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import torch

#: The ambiguous words and their sentences, written for the lesson (CC BY 4.0).
AMBIGUOUS_FILE = Path(__file__).with_name("data") / "ambiguous_words.json"

#: The control token, fixed before any gap was measured: the article has one sense wherever it stands,
#: and it occurs in at least two sentences of every sense in the file (159 times in 96 sentences).
CONTROL_WORD = "the"


def ambiguous_words(path: Path | str | None = None) -> dict[str, dict[str, list[str]]]:
    """``{word: {sense: [sentences]}}``: each sentence holds ``word`` exactly once (lesson 03)."""
    data = json.loads(Path(path or AMBIGUOUS_FILE).read_text(encoding="utf-8"))
    return data["words"]


def pieces(tokenizer, word: str) -> list[str]:
    """The WordPiece pieces of one word, continuation pieces marked ``##`` (lesson 03, section 1)."""
    return tokenizer.tokenize(word)


def hidden_states(
    tokenizer,
    model,
    texts: Sequence[str],
    *,
    batch_size: int = 32,
    max_length: int = 128,
    device: str = "cpu",
):
    """Every layer's hidden states of ``texts``: ``(L, n, T, D)`` on the CPU, and the padded encoding.

    One forward pass per batch with ``output_hidden_states=True``; layer 0 is the embedding output
    (word piece + position + segment embeddings, layer-normalised). All texts are padded to one
    length ``T``, so ``encoding["attention_mask"]`` (shape ``(n, T)``) says which positions are real.
    """
    encoding = tokenizer(
        list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    model = model.to(device)
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = {key: value[start : start + batch_size].to(device) for key, value in encoding.items()}
            output = model(**batch, output_hidden_states=True)
            chunks.append(torch.stack(output.hidden_states).float().cpu())
    return torch.cat(chunks, dim=1), encoding


def pool_words(states: torch.Tensor, word_ids: Sequence[int | None]) -> torch.Tensor:
    """Mean of each word's piece vectors: ``(L, T, D)`` and ``T`` word ids -> ``(L, words, D)``.

    ``word_ids`` is the fast tokenizer's ``encoding.word_ids(i)``: the word each position belongs to,
    ``None`` for ``[CLS]``, ``[SEP]`` and padding (left out). Lesson 03's first exercise.
    """
    if states.shape[-2] != len(word_ids):
        raise ValueError(
            f"states has {states.shape[-2]} positions but word_ids has {len(word_ids)}: pass one sentence's "
            f"row."
        )
    ids = torch.tensor([-1 if w is None else w for w in word_ids])
    real = ids >= 0
    n_words = int(ids.max()) + 1 if real.any() else 0
    # a (words, T) averaging matrix: row w has 1/len(w) on the positions of word w
    member = (ids[real][None, :] == torch.arange(n_words)[:, None]).to(states.dtype)
    weights = member / member.sum(dim=1, keepdim=True)
    return weights @ states[..., real, :]


def find_words(encoding, index: int, text: str, word: str) -> list[int]:
    """The word ids of every ``word`` (case-insensitive) in sentence ``index``, whose text is ``text``."""
    found = []
    for word_id in sorted({w for w in encoding.word_ids(index) if w is not None}):
        span = encoding.word_to_chars(index, word_id)
        if text[span.start : span.end].lower() == word.lower():
            found.append(word_id)
    return found


def find_word(encoding, index: int, text: str, word: str) -> int:
    """The word id of the first ``word`` (case-insensitive) in sentence ``index`` (whose text is ``text``)."""
    found = find_words(encoding, index, text, word)
    if not found:
        raise ValueError(f"{word!r} is not a word of sentence {index}: {text!r}.")
    return found[0]


def occurrence_vectors(
    states: torch.Tensor, encoding, texts: Sequence[str], word: str, rows: Sequence[int]
) -> torch.Tensor:
    """The vector of ``word`` in each sentence of ``rows`` at every layer: ``(L, len(rows), D)``.

    ``states`` and ``encoding`` come from :func:`hidden_states` of ``texts``; a word split into
    pieces is pooled by :func:`pool_words`.
    """
    vectors = []
    for row in rows:
        word_id = find_word(encoding, row, texts[row], word)
        vectors.append(pool_words(states[:, row], encoding.word_ids(row))[:, word_id])
    return torch.stack(vectors, dim=1)


def all_word_vectors(states: torch.Tensor, encoding) -> tuple[torch.Tensor, torch.Tensor]:
    """Every word of every sentence, pooled: ``(L, words, D)`` and each word's sentence, ``(words,)``."""
    vectors, sentence = [], []
    for row in range(states.shape[1]):
        pooled = pool_words(states[:, row], encoding.word_ids(row))
        vectors.append(pooled)
        sentence.extend([row] * pooled.shape[1])
    return torch.cat(vectors, dim=1), torch.tensor(sentence)


def cosine_matrix(vectors: torch.Tensor) -> torch.Tensor:
    """Cosine of every pair: ``(L, n, D)`` -> ``(L, n, n)``."""
    unit = torch.nn.functional.normalize(vectors, dim=-1)
    return unit @ unit.transpose(-1, -2)


def sense_similarities(
    vectors: torch.Tensor, senses: Sequence[int], *, sentences: Sequence[int] | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cosine between occurrences of the same sense and of different senses, per layer.

    ``vectors`` ``(L, n, D)`` are one word's ``n`` occurrences, ``senses`` their ``n`` sense labels.
    Returns ``(same, other)``, each ``(L,)``. A vector's similarity to itself (always 1) is not a
    pair of occurrences and is left out; so are two occurrences in one sentence when ``sentences``
    (each occurrence's sentence) is given, as for the control word. Lesson 03's second exercise.
    """
    senses = torch.as_tensor(senses)
    sentences = torch.arange(len(senses)) if sentences is None else torch.as_tensor(sentences)
    cosines = cosine_matrix(vectors)
    same_sense = senses[:, None] == senses[None, :]
    apart = sentences[:, None] != sentences[None, :]
    return cosines[:, same_sense & apart].mean(dim=1), cosines[:, ~same_sense].mean(dim=1)


def random_pair_baseline(
    vectors: torch.Tensor, sentence: torch.Tensor, *, n_pairs: int = 5000, generator: torch.Generator
) -> torch.Tensor:
    """Mean cosine of random pairs of word occurrences from different sentences, per layer: ``(L,)``.

    ``vectors`` ``(L, words, D)`` and ``sentence`` ``(words,)`` come from :func:`all_word_vectors`.
    Two unrelated words are far from orthogonal in most layers (the space is *anisotropic*): this
    is the level a similarity must be read against.
    """
    first = torch.randint(0, vectors.shape[1], (n_pairs,), generator=generator)
    second = torch.randint(0, vectors.shape[1], (n_pairs,), generator=generator)
    keep = sentence[first] != sentence[second]
    unit = torch.nn.functional.normalize(vectors, dim=-1)
    return (unit[:, first[keep]] * unit[:, second[keep]]).sum(dim=-1).mean(dim=1)


@dataclasses.dataclass(frozen=True)
class SenseVectors:
    """The occurrences lesson 03 compares, at every layer (``L``), from one forward pass.

    ``vectors[word]`` ``(L, n, D)``: each occurrence of an ambiguous word, ``senses[word]`` its sense
    index. ``control[word]`` ``(L, m, D)``: each :data:`CONTROL_WORD` in that word's sentences, with
    its sense in ``control_senses[word]`` and its sentence in ``control_sentences[word]``. ``every``
    ``(L, words, D)`` and ``sentence`` ``(words,)``: every word of every sentence, for
    :func:`random_pair_baseline`.
    """

    vectors: dict[str, torch.Tensor]
    senses: dict[str, list[int]]
    control: dict[str, torch.Tensor]
    control_senses: dict[str, list[int]]
    control_sentences: dict[str, list[int]]
    every: torch.Tensor
    sentence: torch.Tensor


def sense_vectors(
    tokenizer,
    model,
    words: dict[str, dict[str, list[str]]],
    *,
    control: str = CONTROL_WORD,
    device: str = "cpu",
) -> SenseVectors:
    """Every occurrence of every ambiguous word and of the ``control`` word in their sentences.

    One forward pass over all the sentences; sense indices follow the order of ``words[word]``.
    Lesson 03, section 3.
    """
    texts, owner, sense_of = [], [], []
    for word, by_sense in words.items():
        for sense_index, sentences in enumerate(by_sense.values()):
            texts.extend(sentences)
            owner.extend([word] * len(sentences))
            sense_of.extend([sense_index] * len(sentences))
    states, encoding = hidden_states(tokenizer, model, texts, device=device)
    vectors, senses, controls, control_senses, control_sentences = {}, {}, {}, {}, {}
    for word in words:
        rows = [i for i, w in enumerate(owner) if w == word]
        vectors[word] = occurrence_vectors(states, encoding, texts, word, rows)
        senses[word] = [sense_of[i] for i in rows]
        found = [(row, word_id) for row in rows for word_id in find_words(encoding, row, texts[row], control)]
        if not found:
            raise ValueError(f"no sentence of {word!r} holds the control {control!r}: pass another control=.")
        controls[word] = torch.stack(
            [pool_words(states[:, row], encoding.word_ids(row))[:, word_id] for row, word_id in found], dim=1
        )
        control_senses[word] = [sense_of[row] for row, _ in found]
        control_sentences[word] = [row for row, _ in found]
    every, sentence = all_word_vectors(states, encoding)
    return SenseVectors(vectors, senses, controls, control_senses, control_sentences, every, sentence)


def sense_gaps(
    vectors: dict[str, torch.Tensor],
    senses: dict[str, list[int]],
    similarities=None,
    *,
    sentences: dict[str, list[int]] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Same- and other-sense mean cosines of every word: two ``(words, L)`` tensors, rows in ``vectors``'
    order.

    ``similarities`` defaults to :func:`sense_similarities` (the lesson passes the learner's own);
    ``sentences`` (each occurrence's sentence, per word) leaves pairs within one sentence out.
    """
    similarities = similarities or sense_similarities
    if sentences is None:
        pairs = [similarities(vectors[word], senses[word]) for word in vectors]
    else:
        pairs = [similarities(vectors[word], senses[word], sentences=sentences[word]) for word in vectors]
    return torch.stack([torch.as_tensor(s) for s, _ in pairs]), torch.stack(
        [torch.as_tensor(o) for _, o in pairs]
    )


def random_encoder(config, *, seed: int):
    """The architecture of ``config`` with freshly initialised weights, in eval mode (lesson 03, section 4).

    A probe's control for sentence tasks (Zhang & Bowman, 2018): what a classifier reads from features
    of an encoder that learned nothing. Its initialisation draws from torch's global generator, so it
    runs inside ``torch.random.fork_rng`` seeded with ``seed``: the same seed gives the same weights,
    and the caller's generator state is left as it was.
    """
    import transformers

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = transformers.AutoModel.from_config(config)
    return model.eval()
