"""Tests of tlcourse.word2vec (gensim, the downloader layout, evaluation) and of lesson 01's exercise
checks."""

import gzip
import json
from pathlib import Path

import numpy
import pytest
from conftest import assert_exercise_both_ways

from tlcourse import assets, skipgram, word2vec
from tlcourse.checks import word_vectors as check

LESSON = "01_word_vectors"


def _toy_vectors(n=40, dim=6, seed=0, words=None):
    from gensim.models import KeyedVectors

    rng = numpy.random.default_rng(seed)
    words = words or [f"w{i}" for i in range(n)]
    kv = KeyedVectors(dim)
    kv.add_vectors(
        words,
        (rng.normal(size=(len(words), dim)) * rng.uniform(0.3, 3, size=(len(words), 1))).astype(
            numpy.float32
        ),
    )
    return kv


# --- evaluation against gensim -------------------------------------------------------------------


def test_analogy_matches_gensim_most_similar():
    kv = _toy_vectors()
    for a, b, c in [("w1", "w2", "w3"), ("w7", "w0", "w11"), ("w5", "w9", "w30")]:
        expected = [w for w, _ in kv.most_similar(positive=[b, c], negative=[a], topn=5)]
        assert word2vec.analogy(kv, a, b, c, topn=5) == expected
    included = word2vec.analogy(kv, "w1", "w2", "w3", exclude=False, topn=40)
    assert {"w1", "w2", "w3"} & set(included)


def test_analogy_accuracy_matches_gensim(tmp_path):
    words = [f"w{i}" for i in range(30)] + ["Paris", "paris"]
    kv = _toy_vectors(words=words, seed=3)
    rng = numpy.random.default_rng(1)
    lines = [": section-one"]
    for _ in range(40):
        lines.append(" ".join(f"w{i}" for i in rng.choice(30, size=4, replace=False)))
    lines += ["w1 w2 w3 missing", ": section-two", "w4 w5 paris w6", "W7 w8 w9 w10"]
    for _ in range(30):
        q = rng.choice(30, size=4, replace=False)
        best = kv.most_similar(positive=[f"w{q[1]}", f"w{q[2]}"], negative=[f"w{q[0]}"], topn=1)[0][0]
        lines.append(f"w{q[0]} w{q[1]} w{q[2]} {best if rng.random() < 0.5 else f'w{q[3]}'}")
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ours = word2vec.analogy_accuracy(kv, path)
    score, sections = kv.evaluate_word_analogies(str(path))
    total = sections[-1]
    assert ours.correct == len(total["correct"])
    assert ours.covered == len(total["correct"]) + len(total["incorrect"])
    assert ours.accuracy == pytest.approx(score)
    assert ours.correct >= 10
    assert ours.total == 73 and ours.coverage == pytest.approx(72 / 73)


def test_word_pair_scores_and_evaluate(tmp_path):
    kv = _toy_vectors()
    (tmp_path / "wordsim353.tsv").write_text(
        "# a header\nw1\tw2\t5.0\nw3\tw4\t1.0\nw5\tw6\t3.0\nw7\tnope\t2.0\n", encoding="utf-8"
    )
    (tmp_path / "simlex999.txt").write_text(
        "# a header\nw1\tw3\t2.0\nw2\tw4\t9.0\nw8\tw9\t4.0\n", encoding="utf-8"
    )
    (tmp_path / "questions-words.txt").write_text(": s\nw1 w2 w3 w4\nw5 w6 w7 zz\n", encoding="utf-8")
    spearman, oov = word2vec.word_pair_scores(kv, tmp_path / "wordsim353.tsv")
    assert oov == pytest.approx(25.0)
    from scipy.stats import spearmanr

    sims = [kv.similarity(a, b) for a, b in [("w1", "w2"), ("w3", "w4"), ("w5", "w6")]]
    assert spearman == pytest.approx(spearmanr(sims, [5.0, 1.0, 3.0]).statistic)
    row = word2vec.evaluate(kv, tmp_path)
    assert row["wordsim353_oov%"] == pytest.approx(25.0) and row["analogy_coverage"] == pytest.approx(0.5)


def test_pair_cosines_and_spearman_interval_match_gensim(tmp_path):
    kv = _toy_vectors()
    rng = numpy.random.default_rng(4)
    pairs = [
        (f"w{a}", f"w{b}", float(s))
        for a, b, s in zip(rng.integers(0, 40, 60), rng.integers(0, 40, 60), rng.uniform(0, 10, 60))
        if a != b
    ]
    pairs.append(("w1", "unknown", 3.0))
    (tmp_path / "pairs.tsv").write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in pairs), encoding="utf-8")
    cosines, human = word2vec.pair_cosines(kv, pairs)
    assert len(cosines) == len(human) == len(pairs) - 1
    reference, _oov = word2vec.word_pair_scores(kv, tmp_path / "pairs.tsv")  # gensim's evaluate_word_pairs
    interval = word2vec.spearman_interval(cosines, human, seed=0, n_boot=200)
    assert interval.mean == pytest.approx(reference, abs=1e-6)
    assert interval.low < interval.mean < interval.high and interval.n == 200
    assert word2vec.spearman_interval(cosines, human, seed=0, n_boot=200) == interval  # the seed fixes it


def test_answer_rank_and_analogy_demo():
    words = ["man", "king", "woman", "queen", "he", "his", "she", "her", "him", "men", "women", "father"]
    kv = _toy_vectors(words=words + ["mother", "son", "daughter"] + [f"w{i}" for i in range(30)], seed=2)
    full = word2vec.analogy(kv, "man", "king", "woman", topn=len(kv))
    assert word2vec.answer_rank(kv, "man", "king", "woman", full[3]) == 4
    assert word2vec.answer_rank(kv, "man", "king", "woman", "queen", exclude=False) >= 1
    demo = word2vec.analogy_demo(kv)
    assert demo["queen_rank_excluded"] == full.index("queen") + 1
    assert (
        demo["queen_rank_included"] >= demo["queen_rank_excluded"]
    )  # three more candidates can only push it down
    assert 0 <= demo["frequent_top5_excluded"] <= len(word2vec.FREQUENT_ANALOGIES)


def test_asset_subsamples_as_gensim_does_by_default():
    """The asset's settings are chosen on principle, not by its test: subsampling is gensim's default."""
    import inspect

    from gensim.models import Word2Vec

    assert word2vec.ASSET_CONFIG.sample == inspect.signature(Word2Vec).parameters["sample"].default


def test_gensim_asset_training_is_deterministic_with_one_worker():
    rng = numpy.random.default_rng(0)
    sentences = [[f"t{i}" for i in rng.integers(0, 30, size=10)] for _ in range(200)]
    config = word2vec.GensimConfig(vector_size=8, min_count=1, epochs=2, workers=1, seed=5)
    first, second = word2vec.train_gensim(sentences, config), word2vec.train_gensim(sentences, config)
    numpy.testing.assert_array_equal(first.wv.vectors, second.wv.vectors)


def test_assets_are_declared_for_every_profile():
    assert assets.get("word2vec").variants["tiny"].builder is word2vec.build_word2vec
    assert assets.LESSONS[LESSON] and all(name in assets.registry() for name in assets.LESSONS[LESSON])
    for profile in ("tiny", "small", "full"):
        assert {row["asset"] for row in assets.describe(profile)} >= {"word2vec", "pretrained_vectors"}


# --- pretrained vectors through gensim's downloader, on a local file in its format ------------


def _lay_out_downloader(base: Path, name: str, vectors) -> Path:
    """Write ``base`` as gensim's downloader leaves it: information.json and name/name.gz."""
    base.mkdir(parents=True, exist_ok=True)
    info = {
        "corpora": {},
        "models": {name: {"file_name": f"{name}.gz", "parts": 1, "num_records": len(vectors)}},
    }
    (base / "information.json").write_text(json.dumps(info), encoding="utf-8")
    (base / name).mkdir()
    text = [f"{len(vectors)} {vectors.vector_size}"]
    text += [f"{w} " + " ".join(f"{x:.6f}" for x in vectors[w]) for w in vectors.index_to_key]
    with gzip.open(base / name / f"{name}.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(text) + "\n")
    (base / name / "__init__.py").write_text(
        "def load_data():\n    raise RuntimeError('not used')\n", encoding="utf-8"
    )
    return base / name / f"{name}.gz"


def test_load_pretrained_reads_the_downloader_layout_with_a_row_limit(tmp_path, monkeypatch):
    import gensim.downloader as api

    spec = word2vec.PRETRAINED["small"]
    kv = _toy_vectors(n=12)
    written = _lay_out_downloader(tmp_path / "gensim-data", spec.name, kv)
    # gensim's own downloader, with the network cut, finds the same file from its cached list
    monkeypatch.setattr(api, "BASE_DIR", str(tmp_path / "gensim-data"))

    def no_network(*args, **kwargs):
        raise OSError("network cut in this test")

    monkeypatch.setattr(api, "urlopen", no_network)
    assert (
        Path(api.load(spec.name, return_path=True))
        == written
        == word2vec.downloaded_path(tmp_path / "gensim-data", spec.name)
    )
    # the course's build step copies gensim's existing download instead of fetching it again
    folder = tmp_path / "asset"
    folder.mkdir()
    word2vec.build_glove(folder)
    loaded = word2vec.load_pretrained(folder, word2vec.Pretrained(spec.name, limit=5, binary=False))
    assert loaded.index_to_key == kv.index_to_key[:5]
    numpy.testing.assert_allclose(loaded["w3"], kv["w3"], atol=1e-5)


def test_download_without_network_says_what_to_do(tmp_path, monkeypatch):
    import gensim.downloader as api

    monkeypatch.setattr(api, "BASE_DIR", str(tmp_path / "empty-gensim-data"))

    def no_network(*args, **kwargs):
        raise OSError("network cut in this test")

    monkeypatch.setattr(api, "urlopen", no_network)
    monkeypatch.setattr(api.urllib, "urlretrieve", no_network)
    with pytest.raises((assets.AssetMissing, ValueError)):
        word2vec.download("glove-wiki-gigaword-100", tmp_path / "target", profile="small")


# --- the exercises: solution passes, blank is not done, wrong answers are rejected with a hint -------


CHECKS = {
    "context_pairs": check.context_pairs,
    "keep_probabilities": check.keep_probabilities,
    "noise_distribution": check.noise_distribution,
    "analogy": check.analogy,
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_solution_passes_and_blank_is_not_done(name):
    assert_exercise_both_ways(LESSON, name, CHECKS[name])


def test_package_versions_pass_their_checks():
    assert check.context_pairs(skipgram.context_pairs).passed
    assert check.keep_probabilities(skipgram.keep_probabilities).passed
    assert check.noise_distribution(skipgram.noise_distribution).passed
    assert check.analogy(word2vec.analogy).passed


def _wrong(result, hint):
    assert result.status == "wrong", result
    assert hint in result.message, result.message


def test_wrong_context_pairs_are_rejected():
    def fixed_window(ids, window, rng):
        return [
            (ids[i], ids[j])
            for i in range(len(ids))
            for j in range(max(0, i - window), min(len(ids), i + window + 1))
            if j != i
        ]

    def off_by_one(ids, window, rng):
        spans = rng.integers(1, window, size=len(ids)) if window > 1 else numpy.ones(len(ids), int)
        return [
            (ids[i], ids[j])
            for i, b in enumerate(spans)
            for j in range(max(0, i - b), min(len(ids), i + b + 1))
            if j != i
        ]

    def with_centre(ids, window, rng):
        spans = rng.integers(1, window + 1, size=len(ids))
        return [
            (ids[i], ids[j])
            for i, b in enumerate(spans)
            for j in range(max(0, i - b), min(len(ids), i + b + 1))
        ]

    def right_side_short(ids, window, rng):
        spans = rng.integers(1, window + 1, size=len(ids))
        return [
            (ids[i], ids[j])
            for i, b in enumerate(spans)
            for j in range(max(0, i - b), min(len(ids), i + b))
            if j != i
        ]

    _wrong(check.context_pairs(fixed_window), "never shrinks")
    _wrong(check.context_pairs(off_by_one), "rng.integers(1, window + 1)")
    _wrong(check.context_pairs(with_centre), "paired with itself")
    _wrong(check.context_pairs(right_side_short), "both sides")


def test_wrong_keep_probabilities_are_rejected():
    def discard(counts, *, threshold):
        f = numpy.asarray(counts) / numpy.sum(counts)
        return 1 - numpy.minimum(1, numpy.sqrt(threshold / f))

    def raw_counts(counts, *, threshold):
        return numpy.minimum(1, numpy.sqrt(threshold / numpy.asarray(counts, dtype=float)))

    def unclipped(counts, *, threshold):
        return numpy.sqrt(threshold / (numpy.asarray(counts) / numpy.sum(counts)))

    _wrong(check.keep_probabilities(discard), "probability of discarding")
    _wrong(check.keep_probabilities(raw_counts), "frequency")
    _wrong(check.keep_probabilities(unclipped), "exceed 1")


def test_wrong_noise_distributions_are_rejected():
    def unigram(counts, *, power=0.75):
        return numpy.asarray(counts) / numpy.sum(counts)

    def unnormalised(counts, *, power=0.75):
        return numpy.asarray(counts, dtype=float) ** power

    def fixed_power(counts, *, power=0.75):
        w = numpy.asarray(counts, dtype=float) ** 0.75
        return w / w.sum()

    _wrong(check.noise_distribution(unigram), "raise the counts to the power")
    _wrong(check.noise_distribution(unnormalised), "normalise")
    _wrong(check.noise_distribution(fixed_power), "power argument")


def test_wrong_analogies_are_rejected():
    def no_exclusion(vectors, a, b, c, *, exclude=True, topn=5):
        return word2vec.analogy(vectors, a, b, c, exclude=False, topn=topn)

    def raw_vectors(vectors, a, b, c, *, exclude=True, topn=5):
        target = vectors[b] - vectors[a] + vectors[c]
        scores = vectors.get_normed_vectors() @ target
        order = [vectors.index_to_key[i] for i in numpy.argsort(-scores)]
        return [w for w in order if not exclude or w not in (a, b, c)][:topn]

    def flipped(vectors, a, b, c, *, exclude=True, topn=5):
        return word2vec.analogy(vectors, b, a, c, exclude=exclude, topn=topn)

    def excludes_only_b_and_c(vectors, a, b, c, *, exclude=True, topn=5):
        ranked = word2vec.analogy(vectors, a, b, c, exclude=False, topn=len(vectors))
        return [w for w in ranked if not exclude or w not in (b, c)][:topn]

    _wrong(check.analogy(no_exclusion), "none of the three query words")
    _wrong(check.analogy(excludes_only_b_and_c), "none of the three query words")
    _wrong(check.analogy(raw_vectors), "unit length")
    _wrong(check.analogy(flipped), "b - a + c")
