"""Sentence and document vectors: averaged word vectors, SIF, doc2vec, and a mean-pooled encoder.

Lesson 02 builds these and scores them two ways: as frozen features for a classifier on the fixed
folds (:func:`cross_validate_features`), and against people's document-similarity judgements
(:func:`similarity_correlation`, :func:`bootstrap_correlations`). Shapes: ``n`` texts, ``T`` token
positions (padded), ``D`` the width of a representation.

>>> from tlcourse import assets, sentences
>>> tokenizer, model = assets.load("encoder", "tiny")                       # doctest: +SKIP
>>> sentences.encode(tokenizer, model, ["The film was great."]).shape  # doctest: +SKIP
(1, 384)
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence

import numpy
import torch

from tlcourse import assets, newsgroups, word2vec

#: Minimal pairs for "pretraining vs target task": (anchor, same topic / other polarity,
#: other topic / same polarity).
MINIMAL_PAIRS = (
    ("the film was great", "the film was awful", "the soup was great"),
    ("a wonderful movie", "a terrible movie", "a wonderful hotel"),
    ("i loved this film", "i hated this film", "i loved this restaurant"),
    ("the acting was brilliant", "the acting was dreadful", "the service was brilliant"),
    ("a moving and beautiful story", "a dull and ugly story", "a moving and beautiful garden"),
    ("the best comedy of the year", "the worst comedy of the year", "the best phone of the year"),
    ("the plot is clever and gripping", "the plot is stupid and boring", "the engine is clever and gripping"),
    ("an excellent performance", "an awful performance", "an excellent meal"),
)


def _load_newsgroups(folder, profile: str):
    return newsgroups.load(folder)


def _load_base_encoder(folder, profile: str):
    """The plain (not sentence-trained) checkpoint, or ``None`` in ``tiny``, which has none offline."""
    if not (folder / "config.json").exists():
        return None
    return assets._load_encoder(folder, profile)


def _no_plain_encoder(folder) -> None:
    (folder / "README.txt").write_text(
        "No plain pretrained checkpoint ships with any pip package, so the tiny profile has none.\n"
        "The small and full profiles download the checkpoint the sentence encoder was trained from.\n",
        encoding="utf-8",
    )


_NEWSGROUPS = assets.Built(
    newsgroups.build,
    "1",
    "200 posts of alt.atheism and sci.space (20 Newsgroups), from gensim's test data",
    "none stated",
)
_NONE = assets.Built(_no_plain_encoder, "1", "none in tiny: no plain checkpoint ships offline", "-")
#: Old checkpoints may ship only ``pytorch_model.bin``; whichever exists is fetched.
_HUB_FILES = ("*.json", "*.txt", "model.safetensors", "pytorch_model.bin", "README.md")

ASSETS = (
    assets.Asset(
        "newsgroups",
        "200 newsgroup posts (atheism vs space), headers stripped, with fixed 10x5 folds: a topic task",
        {"tiny": _NEWSGROUPS, "small": _NEWSGROUPS, "full": _NEWSGROUPS},
        _load_newsgroups,
    ),
    assets.Asset(
        "base_encoder",
        "the plain pretrained encoder the sentence encoder was trained from (small/full only)",
        {
            "tiny": _NONE,
            "small": assets.Hub(
                "nreimers/MiniLM-L6-H384-uncased",
                "model",
                None,
                "MiniLM-L6 before sentence training (all-MiniLM-L6-v2's starting point, per its model card)",
                "see its model card",
                _HUB_FILES,
            ),
            "full": assets.Hub(
                "microsoft/mpnet-base",
                "model",
                None,
                "MPNet-base before sentence training (the starting point of all-mpnet-base-v2, per its card)",
                "see its model card",
                _HUB_FILES,
            ),
        },
        _load_base_encoder,
    ),
)


# --- Word vectors, averaged and weighted ----------------------------------------------------------


def tokenize(text: str) -> list[str]:
    """Every word of ``text``, lower-cased: :func:`word2vec.tokenize` keeping words of 1 to 30 letters."""
    return word2vec.tokenize(text, min_len=1, max_len=30)


def word_counts(texts: Sequence[str]) -> collections.Counter:
    """How often each token occurs in ``texts`` (for SIF's word probabilities)."""
    counts: collections.Counter = collections.Counter()
    for text in texts:
        counts.update(tokenize(text))
    return counts


def average_vectors(
    texts: Sequence[str], vectors, *, weights: dict[str, float] | None = None
) -> numpy.ndarray:
    """Mean (or ``weights``-weighted mean) of the known words' vectors of each text: ``(n, D)``.

    Words missing from ``vectors`` are skipped; a text with none gets a zero row.
    """
    out = numpy.zeros((len(texts), vectors.vector_size), dtype=numpy.float32)
    for row, text in enumerate(texts):
        words = [w for w in tokenize(text) if w in vectors.key_to_index]
        if words:
            w = numpy.array(
                [1.0 if weights is None else weights.get(word, 1.0) for word in words], dtype=numpy.float32
            )
            out[row] = (w[:, None] * vectors[words]).sum(axis=0) / w.sum()
    return out


def sif_weights(counts: collections.Counter, *, a: float = 1e-3) -> dict[str, float]:
    """SIF's weight ``a / (a + p(w))`` of every counted word (Arora, Liang & Ma 2017): rare words count
    more."""
    total = sum(counts.values())
    return {word: a / (a + count / total) for word, count in counts.items()}


def remove_first_component(matrix: numpy.ndarray) -> numpy.ndarray:
    """``matrix`` ``(n, D)`` minus its projection on its first singular vector (SIF's common direction)."""
    from sklearn.decomposition import TruncatedSVD

    direction = TruncatedSVD(n_components=1, random_state=0).fit(matrix).components_[0]
    return matrix - numpy.outer(matrix @ direction, direction)


def sif_vectors(
    texts: Sequence[str], vectors, counts: collections.Counter, *, a: float = 1e-3
) -> numpy.ndarray:
    """SIF sentence vectors: the ``a/(a+p(w))``-weighted average, then the common direction removed: ``(n,
    D)``."""
    return remove_first_component(average_vectors(texts, vectors, weights=sif_weights(counts, a=a)))


def train_doc2vec(
    texts: Sequence[str], *, seed: int, vector_size: int = 50, epochs: int = 40, workers: int = 1
):
    """gensim's Doc2Vec (PV-DM) on ``texts``, as in gensim's Lee-corpus tutorial (min_count 2).

    One worker by default: with a fixed seed gensim then trains the same model on every run (300 Lee
    documents: about 4 s).
    """
    from gensim.models.doc2vec import Doc2Vec, TaggedDocument

    documents = [TaggedDocument(tokenize(t), [i]) for i, t in enumerate(texts)]
    return Doc2Vec(documents, vector_size=vector_size, min_count=2, epochs=epochs, seed=seed, workers=workers)


def doc2vec_vectors(model, texts: Sequence[str], *, epochs: int | None = None) -> numpy.ndarray:
    """Vectors inferred for ``texts`` by a trained Doc2Vec (a short optimisation per text): ``(n, D)``."""
    return numpy.stack([model.infer_vector(tokenize(t), epochs=epochs) for t in texts])


# --- The pretrained encoder, mean-pooled --------------------------------------------------------


def mean_pool(last_hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of each text's token vectors over real tokens only: ``(..., n, T, D)``, ``(n, T)`` -> ``(..., n,
    D)``.

    Padding positions carry vectors too; averaging them in makes a text's vector depend on the
    longest text in its batch. Leading axes broadcast: lesson 03 pools every layer at once,
    ``(L, n, T, D)`` -> ``(L, n, D)``. Lesson 02's second exercise.
    """
    mask = attention_mask.to(last_hidden.dtype).unsqueeze(-1)  # (n, T, 1), broadcast over leading axes
    return (last_hidden * mask).sum(dim=-2) / mask.sum(dim=-2).clamp(min=1e-9)


def encode(
    tokenizer,
    model,
    texts: Sequence[str],
    *,
    pool: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = mean_pool,
    batch_size: int = 32,
    max_length: int = 256,
    normalize: bool = False,
    device: str = "cpu",
) -> numpy.ndarray:
    """Sentence vectors ``(n, D)`` of ``texts``: last layer, pooled by ``pool``; unit length if ``normalize``.

    Texts are sorted by length so each batch pads little; ``max_length`` 256 is the length
    all-MiniLM-L6-v2 was trained with (longer texts are cut).
    """
    order = numpy.argsort([len(t) for t in texts])
    model = model.to(device)
    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = [texts[i] for i in order[start : start + batch_size]]
            encoded = tokenizer(
                batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            ).to(device)
            rows.append(pool(model(**encoded).last_hidden_state, encoded["attention_mask"]).float().cpu())
    out = torch.empty(len(texts), rows[0].shape[-1]) if rows else torch.empty(0, 0)
    if rows:
        out[torch.as_tensor(order)] = torch.cat(rows)
    if normalize:
        out = torch.nn.functional.normalize(out, dim=-1)
    return out.numpy()


# --- Frozen features for a classifier, on the fixed folds ----------------------------------------


def frozen_classifier(*, C: float = 1.0, seed: int = 0):
    """A fresh classifier for frozen features: rows scaled to unit length, then logistic regression (``C=1``).

    Unit length makes the cosine geometry the classifier's input; liblinear fits 180 x 384 features
    about 6x faster than lbfgs here, with the same fold accuracies. Measured on the 200 movie-review
    sentences, encoder features: 0.73 this way, 0.69 standardised instead (within the fold spread;
    nothing else was tuned).
    """
    from sklearn import linear_model, pipeline, preprocessing

    classifier = linear_model.LogisticRegression(C=C, solver="liblinear", random_state=seed)
    return pipeline.make_pipeline(preprocessing.Normalizer(), classifier)


def cross_validate_features(
    features: numpy.ndarray,
    dataset,
    *,
    make_model: Callable[[], object] = frozen_classifier,
    repeats: int | None = None,
) -> numpy.ndarray:
    """Accuracy of a fresh ``make_model()`` on precomputed ``features`` ``(n, D)`` per fixed fold: ``(repeats,
    folds)``.

    The same folds as :func:`tlcourse.baseline.cross_validate`, so the two are paired fold by fold.
    """
    from tlcourse import probing  # the same fold loop, which lesson 03 extends with training accuracy

    return probing.cross_validate_features(
        make_model, features, numpy.asarray(dataset["label"]), dataset, repeats=repeats
    ).test


# --- Agreement with people: Lee et al. (2005) document similarity ---------------------------------


def cosine_matrix(vectors: numpy.ndarray) -> numpy.ndarray:
    """Cosine similarity of every pair of rows: ``(n, D)`` -> ``(n, n)``."""
    vectors = numpy.asarray(vectors, dtype=float)
    unit = vectors / numpy.maximum(numpy.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return unit @ unit.T


def upper_triangle(matrix: numpy.ndarray) -> numpy.ndarray:
    """The entries above the diagonal, row by row: ``(n, n)`` -> ``(n (n - 1) / 2,)`` (each pair once)."""
    rows, cols = numpy.triu_indices(len(matrix), k=1)
    return numpy.asarray(matrix)[rows, cols]


def symmetric(upper: numpy.ndarray) -> numpy.ndarray:
    """A full symmetric matrix from one whose entries are filled only on and above the diagonal.

    The Lee ratings file (``corpora.load_lee_similarities``) holds each pair once, above the diagonal.
    """
    upper = numpy.triu(numpy.asarray(upper, dtype=float))
    return upper + numpy.triu(upper, k=1).T


def similarity_correlation(vectors: numpy.ndarray, human: numpy.ndarray) -> float:
    """Pearson correlation between the vectors' cosine similarities and people's, over each pair once."""
    return float(numpy.corrcoef(upper_triangle(cosine_matrix(vectors)), upper_triangle(human))[0, 1])


def bootstrap_correlations(
    similarities: dict[str, numpy.ndarray], human: numpy.ndarray, *, n_boot: int = 1000, seed: int = 0
) -> dict[str, numpy.ndarray]:
    """Pearson of each ``(n, n)`` similarity matrix with ``human`` on ``n_boot`` resamples of the *documents*.

    Each resample draws ``n`` documents with replacement and keeps the pairs of two different
    documents; every method sees the same resamples, so differences between methods are paired.
    Resampling documents, not pairs, respects that the 1,225 pairs share 50 documents.
    """
    rng = numpy.random.default_rng(seed)
    human = symmetric(human)
    similarities = {name: symmetric(matrix) for name, matrix in similarities.items()}
    n = len(human)
    out = {name: numpy.empty(n_boot) for name in similarities}
    rows, cols = numpy.triu_indices(n, k=1)
    for b in range(n_boot):
        docs = rng.integers(0, n, size=n)
        keep = docs[rows] != docs[cols]
        i, j = docs[rows][keep], docs[cols][keep]
        for name, matrix in similarities.items():
            out[name][b] = numpy.corrcoef(matrix[i, j], human[i, j])[0, 1]
    return out


# --- Minimal pairs and search ---------------------------------------------------------------------


def minimal_pair_margins(vectors: numpy.ndarray) -> numpy.ndarray:
    """For rows of (anchor, other polarity, other topic) triples ``(3k, D)``: cos(anchor, other polarity)
    minus cos(anchor, other topic), one per triple ``(k,)``. Positive: topic counts more than polarity."""
    sims = cosine_matrix(vectors)
    anchors = numpy.arange(0, len(vectors), 3)
    return sims[anchors, anchors + 1] - sims[anchors, anchors + 2]


def nearest(query: numpy.ndarray, vectors: numpy.ndarray, *, k: int = 5) -> numpy.ndarray:
    """Indices of the ``k`` rows of ``vectors`` ``(n, D)`` most cosine-similar to ``query`` ``(D,)``, best
    first."""
    unit = vectors / numpy.maximum(numpy.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    scores = unit @ (query / max(numpy.linalg.norm(query), 1e-12))
    return numpy.argsort(-scores, kind="stable")[:k]


# --- How much of each text the encoder reads ---------------------------------------------------


def truncation(tokenizer, texts: Sequence[str], *, max_length: int) -> tuple[float, float]:
    """Share of ``texts`` longer than ``max_length`` word pieces (special tokens included), and the mean
    share of each text's pieces that a cut at ``max_length`` drops (lesson 02)."""
    lengths = numpy.array(
        [len(ids) for ids in tokenizer(list(texts), truncation=False, verbose=False)["input_ids"]]
    )
    cut = numpy.maximum(lengths - max_length, 0) / lengths
    return float((lengths > max_length).mean()), float(cut.mean())
