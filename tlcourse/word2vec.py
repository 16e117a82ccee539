"""Word2vec at scale with gensim, pretrained vectors through gensim's downloader, and their evaluation.

Lesson 01 builds skip-gram by hand (:mod:`tlcourse.skipgram`), then uses this module: the ``word2vec``
asset (gensim's ``Word2Vec`` trained on the bundled Wikipedia + Lee text), the ``pretrained_vectors``
asset (GloVe or the Google News vectors in ``small``/``full``), analogies with and without the query
words, analogy accuracy with its coverage, and WordSim-353 / SimLex-999 with out-of-vocabulary rates.
Near 400 lines (in ruff's layout) because training and evaluating word vectors are taught together; the
evaluation half (analogies, word-pair similarity, the seed measures) is the candidate to move out first.

>>> from tlcourse import assets, word2vec
>>> vectors = assets.load("word2vec", "tiny")                   # doctest: +SKIP
>>> word2vec.analogy(vectors, "man", "king", "woman")     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy

from tlcourse import assets, corpora


def tokenize(text: str, *, min_len: int = 2, max_len: int = 15) -> list[str]:
    """Lower-cased word tokens of ``min_len`` to ``max_len`` letters (gensim's ``simple_preprocess``).

    The course's one word tokenizer. Word2vec trains on gensim's defaults (2 to 15 letters); lesson 02's
    averaged sentence vectors keep every word (``min_len=1, max_len=30``), since a sentence's "a" or "I"
    costs nothing there: a word its vectors lack is skipped anyway.
    """
    from gensim.utils import simple_preprocess

    return simple_preprocess(text, min_len=min_len, max_len=max_len)


def corpus_sentences() -> list[list[str]]:
    """The bundled Wikipedia sentences and the 300 Lee background documents, tokenised (~440k tokens)."""
    wiki = assets.load("wiki", "tiny")
    lee = corpora.load_lee(assets.path("lee", "tiny"))
    return [tokenize(s) for s in wiki] + [tokenize(d) for d in lee]


# --- gensim's Word2Vec on the bundled text: the `word2vec` asset -------------------------------


@dataclasses.dataclass(frozen=True)
class GensimConfig:
    """Settings of the ``word2vec`` asset (gensim's names)."""

    vector_size: int = 100
    window: int = 5
    min_count: int = 2  # a 0.44M-token corpus: keep rarer words ("queen" occurs 18 times)
    sg: int = 1  # skip-gram, as built by hand in the lesson (CBOW is faster but weaker on little text)
    negative: int = 5
    # gensim's (and word2vec's C tool's) default, not tuned here. Subsampling was once turned off because that
    # put "queen" first for king - man + woman: a setting tuned on its own test. Both settings are measured
    # over seeds in benchmarks/word2vec_seeds.md.
    sample: float = 1e-3
    epochs: int = 20  # many passes over a small corpus
    workers: int = 1  # one thread: with a fixed seed gensim then gives the same vectors on every run
    seed: int = 0


ASSET_CONFIG = GensimConfig()


def train_gensim(sentences, config: GensimConfig = ASSET_CONFIG):
    """gensim ``Word2Vec`` trained on tokenised ``sentences`` with ``config``."""
    from gensim.models import Word2Vec

    return Word2Vec(sentences, **dataclasses.asdict(config))


def build_word2vec(folder: Path) -> None:
    """Train the ``word2vec`` asset and save its vectors (``vectors.kv``) and settings (``config.json``)."""
    model = train_gensim(corpus_sentences(), ASSET_CONFIG)
    model.wv.save(str(Path(folder) / "vectors.kv"))
    (Path(folder) / "config.json").write_text(
        json.dumps(dataclasses.asdict(ASSET_CONFIG), indent=1), encoding="utf-8"
    )


def _load_word2vec(folder: Path, profile: str):
    from gensim.models import KeyedVectors

    return KeyedVectors.load(str(Path(folder) / "vectors.kv"))


# --- pretrained vectors through gensim's downloader: the `pretrained_vectors` asset --------------


@dataclasses.dataclass(frozen=True)
class Pretrained:
    """A vector set of gensim's downloader and how many of its rows (most frequent words first) to read."""

    name: str
    limit: int | None
    binary: bool


PRETRAINED = {
    "small": Pretrained("glove-wiki-gigaword-100", 200_000, binary=False),  # 128 MB download, 400k words
    "full": Pretrained(
        "word2vec-google-news-300", 500_000, binary=True
    ),  # 1.7 GB download, 3M rows = 3.6 GB in memory
}


def download(name: str, folder: Path, *, profile: str) -> None:
    """Fetch ``name`` with gensim's downloader into ``folder`` (its ``BASE_DIR`` layout).

    If gensim's own data folder (``GENSIM_DATA_DIR``, default ``~/gensim-data``) already holds it, it is
    copied from there instead.
    """
    import gensim.downloader as api

    folder = Path(folder)
    existing = Path(api.BASE_DIR) / name
    if existing.is_dir() and (Path(api.BASE_DIR) / "information.json").is_file():
        shutil.copytree(existing, folder / name)
        shutil.copyfile(Path(api.BASE_DIR) / "information.json", folder / "information.json")
        return
    previous = api.BASE_DIR
    api.BASE_DIR = str(folder)
    try:
        api.load(name, return_path=True)
    except OSError as error:
        raise assets.AssetMissing(
            f"gensim's downloader could not fetch {name} ({error}). On a machine with network run "
            f"`{assets.prepare_command(profile)}`, or set TLCOURSE_PROFILE=tiny."
        ) from error
    finally:
        api.BASE_DIR = previous


def downloaded_path(folder: Path, name: str) -> Path:
    """The vector file of ``name`` in a downloader folder: ``folder/name/file_name`` per its
    ``information.json``."""
    information = json.loads((Path(folder) / "information.json").read_text(encoding="utf-8"))
    entry = information["models"].get(name) or information["corpora"].get(name)
    if entry is None:
        raise KeyError(f"{name!r} is not listed in {Path(folder) / 'information.json'}.")
    return Path(folder) / name / entry["file_name"]


def load_pretrained(folder: Path, spec: Pretrained):
    """Read the first ``spec.limit`` rows of a downloaded vector set as gensim ``KeyedVectors``."""
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(
        str(downloaded_path(folder, spec.name)), binary=spec.binary, limit=spec.limit
    )


def build_glove(folder: Path) -> None:
    """Download ``glove-wiki-gigaword-100`` (Pennington et al. 2014) with gensim's downloader."""
    download(PRETRAINED["small"].name, folder, profile="small")


def build_google_news(folder: Path) -> None:
    """Download ``word2vec-google-news-300`` (Mikolov et al. 2013) with gensim's downloader."""
    download(PRETRAINED["full"].name, folder, profile="full")


def build_tiny_stand_in(folder: Path) -> None:
    """Offline there are no pretrained vectors: write a note; the loader returns the ``word2vec`` asset."""
    (Path(folder) / "README.txt").write_text(
        "In the tiny profile no pretrained vectors can be downloaded: the word2vec asset stands in.\n",
        encoding="utf-8",
    )


def _load_pretrained_asset(folder: Path, profile: str):
    if profile == "tiny":
        return assets.load("word2vec", "tiny")
    return load_pretrained(folder, PRETRAINED[profile])


_BUNDLED = "the bundled Wikipedia + Lee text (gensim's test data; Wikipedia text CC BY-SA 4.0)"
_WORD2VEC = assets.Built(
    build_word2vec,
    "3",
    f"gensim Word2Vec (skip-gram, 20 epochs, subsampling 1e-3) trained on {_BUNDLED}",
    "CC BY-SA 4.0 (from the text)",
)

ASSETS = (
    assets.Asset(
        "word2vec",
        "word vectors trained with gensim on the bundled text (~440k tokens)",
        {"tiny": _WORD2VEC, "small": _WORD2VEC, "full": _WORD2VEC},
        _load_word2vec,
    ),
    assets.Asset(
        "pretrained_vectors",
        "pretrained word vectors from gensim's downloader (a row limit keeps memory down)",
        {
            "tiny": assets.Built(
                build_tiny_stand_in,
                "1",
                "none offline: the word2vec asset stands in",
                "CC BY-SA 4.0 (from the text)",
            ),
            "small": assets.Built(
                build_glove,
                "glove-100",
                "glove-wiki-gigaword-100 (GloVe, 6B tokens) via gensim's downloader, first 200k words",
                "PDDL 1.0",
            ),
            "full": assets.Built(
                build_google_news,
                "google-news-300",
                "word2vec-google-news-300 (about 100B tokens) via gensim's downloader, first 500k rows",
                "none stated (published with the Apache-2.0 word2vec code)",
            ),
        },
        _load_pretrained_asset,
    ),
)


# --- evaluation ------------------------------------------------------------------------------


def analogy(vectors, a: str, b: str, c: str, *, exclude: bool = True, topn: int = 5) -> list[str]:
    """ "``a`` is to ``b`` as ``c`` is to ?": the ``topn`` words nearest to b - a + c (unit vectors, cosine).

    With ``exclude`` the three query words cannot be answers (gensim's ``most_similar`` default).
    """
    normed = vectors.get_normed_vectors()
    target = normed[vectors.get_index(b)] - normed[vectors.get_index(a)] + normed[vectors.get_index(c)]
    scores = normed @ (target / numpy.linalg.norm(target))
    if exclude:
        scores[[vectors.get_index(w) for w in (a, b, c)]] = -numpy.inf
    return [vectors.index_to_key[i] for i in numpy.argsort(-scores)[:topn]]


#: Analogies between frequent words (lesson 01): steadier over seeds than king : queen on a small corpus.
FREQUENT_ANALOGIES = (
    ("he", "his", "she", "her"),
    ("he", "him", "she", "her"),
    ("man", "men", "woman", "women"),
    ("father", "mother", "son", "daughter"),
)


def answer_rank(vectors, a: str, b: str, c: str, d: str, *, exclude: bool = True) -> int:
    """Rank of ``d`` (1 = nearest) among all words for "``a`` is to ``b`` as ``c`` is to ?" (lesson 01)."""
    return analogy(vectors, a, b, c, exclude=exclude, topn=len(vectors)).index(d) + 1


def analogy_demo(vectors) -> dict[str, int]:
    """Lesson 01's analogy measures: queen's rank for king - man + woman with and without the query
    words, "king" first without them (1 or 0), and of :data:`FREQUENT_ANALOGIES` how many have the answer in
    the top 5 with the query words excluded and how many have ``b`` first with them included."""
    return {
        "queen_rank_excluded": answer_rank(vectors, "man", "king", "woman", "queen"),
        "queen_rank_included": answer_rank(vectors, "man", "king", "woman", "queen", exclude=False),
        "king_first_included": int(
            analogy(vectors, "man", "king", "woman", exclude=False, topn=1) == ["king"]
        ),
        "frequent_top5_excluded": sum(
            d in analogy(vectors, a, b, c, topn=5) for a, b, c, d in FREQUENT_ANALOGIES
        ),
        "frequent_b_first_included": sum(
            analogy(vectors, a, b, c, exclude=False, topn=1) == [b] for a, b, c, _d in FREQUENT_ANALOGIES
        ),
    }


@dataclasses.dataclass(frozen=True)
class AnalogyScore:
    """Accuracy on the analogy questions a vocabulary covers, and that coverage."""

    accuracy: float
    correct: int
    covered: int
    total: int

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else 0.0


def analogy_accuracy(
    vectors, questions: Path, *, restrict_vocab: int = 300_000, cells: int = 20_000_000
) -> AnalogyScore:
    """Accuracy on Mikolov's analogy questions as gensim's ``evaluate_word_analogies`` scores it, batched.

    A question counts only if its four words are among the first ``restrict_vocab`` words; the answer
    is the nearest word to b - a + c other than the query words, compared case-insensitively.
    Questions are scored in batches of at most ``cells`` similarities (80 MB).
    """
    keys = vectors.index_to_key[:restrict_vocab]
    upper = {}
    for i in reversed(range(len(keys))):
        upper[keys[i].upper()] = i
    normed = vectors.get_normed_vectors()[: len(keys)]
    total, rows = 0, []
    for line in Path(questions).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        total += 1
        ids = [upper.get(word) for word in line.upper().split()]
        if None not in ids:
            rows.append(ids)
    rows = numpy.array(rows, dtype=numpy.int64).reshape(-1, 4)
    correct, batch = 0, max(1, cells // max(1, len(keys)))
    for start in range(0, len(rows), batch):
        q = rows[start : start + batch]
        scores = (normed[q[:, 1]] - normed[q[:, 0]] + normed[q[:, 2]]) @ normed.T
        scores[numpy.arange(len(q))[:, None], q[:, :3]] = -numpy.inf
        best = numpy.argpartition(-scores, 5, axis=1)[:, :5]  # the 5 best, unordered (as gensim's topn=5)
        top = numpy.take_along_axis(
            best, numpy.argsort(-numpy.take_along_axis(scores, best, axis=1), axis=1), axis=1
        )
        for question, candidates in zip(q, top):
            ignore = {keys[i].upper() for i in question[:3]}
            predicted = next((keys[i].upper() for i in candidates if keys[i].upper() not in ignore), None)
            correct += predicted == keys[question[3]].upper()
    covered = len(rows)
    return AnalogyScore(correct / covered if covered else 0.0, correct, covered, total)


def word_pair_scores(vectors, pairs_file: Path) -> tuple[float, float]:
    """Spearman correlation with human scores and the out-of-vocabulary rate (%), via gensim."""
    _pearson, spearman, oov = vectors.evaluate_word_pairs(str(pairs_file))
    return float(spearman.statistic), float(oov)


def pair_cosines(vectors, pairs) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Cosines and human scores ``(m,)``, ``(m,)`` of the ``(word1, word2, score)`` pairs both of whose words
    ``vectors`` knows (the pairs :func:`word_pair_scores` scores; lesson 01's figure)."""
    kept = [(a, b, score) for a, b, score in pairs if a in vectors.key_to_index and b in vectors.key_to_index]
    cosines = numpy.array([vectors.similarity(a, b) for a, b, _ in kept], dtype=float)
    return cosines, numpy.array([score for _, _, score in kept], dtype=float)


def spearman_interval(cosines, human, *, seed: int, n_boot: int = 1000):
    """Spearman of ``cosines`` with ``human`` and its bootstrap interval over the word pairs (a
    :class:`tlcourse.stats.Estimate`; resampled with ``numpy.random.default_rng(seed)``)."""
    from scipy import stats as scipy_stats

    from tlcourse import stats

    cosines, human = numpy.asarray(cosines, dtype=float), numpy.asarray(human, dtype=float)
    rng = numpy.random.default_rng(seed)
    draws = rng.integers(0, len(cosines), size=(n_boot, len(cosines)))
    samples = [scipy_stats.spearmanr(cosines[d], human[d]).statistic for d in draws]
    point = scipy_stats.spearmanr(cosines, human).statistic
    return stats.percentile_interval(samples, point=float(point))


def evaluate(vectors, folder: Path) -> dict[str, float]:
    """WordSim-353 and SimLex-999 Spearman with OOV rates, analogy accuracy with coverage; ``folder`` is
    ``word_eval``."""
    folder = Path(folder)
    ws, ws_oov = word_pair_scores(vectors, folder / "wordsim353.tsv")
    sl, sl_oov = word_pair_scores(vectors, folder / "simlex999.txt")
    analogies = analogy_accuracy(vectors, folder / "questions-words.txt")
    return {
        "vocabulary": len(vectors),
        "wordsim353": ws,
        "wordsim353_oov%": ws_oov,
        "simlex999": sl,
        "simlex999_oov%": sl_oov,
        "analogy_accuracy": analogies.accuracy,
        "analogy_coverage": analogies.coverage,
    }


def lesson_measures(vectors, folder: Path) -> dict[str, float]:
    """What lesson 01 asserts about the ``word2vec`` asset: :func:`analogy_demo` and :func:`evaluate`
    (``benchmarks/word2vec_seeds.py`` measures it over seeds)."""
    return {**analogy_demo(vectors), **evaluate(vectors, folder)}


def word_map(vectors, groups: dict[str, list[str]], *, ax=None, seed: int = 0):
    """A 2-D PCA map of the chosen words, one colour per group; returns the matplotlib axes."""
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    words = [w for group in groups.values() for w in group if w in vectors.key_to_index]
    points = PCA(n_components=2, random_state=seed).fit_transform(
        numpy.stack([vectors.get_vector(w, norm=True) for w in words])
    )
    ax = ax or plt.subplots(figsize=(6.5, 5))[1]
    where = dict(zip(words, points))
    for colour, (label, group) in enumerate(groups.items()):
        kept = [w for w in group if w in where]
        xy = numpy.array([where[w] for w in kept]).reshape(-1, 2)
        ax.scatter(xy[:, 0], xy[:, 1], color=f"C{colour}", label=label)
        for word, (x, y) in zip(kept, xy):
            ax.annotate(word, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set(xticks=[], yticks=[], title="Word vectors projected to 2-D (PCA)")
    ax.legend(fontsize=8)
    return ax
