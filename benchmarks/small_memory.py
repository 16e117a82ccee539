"""Estimate each lesson's peak memory in the `small` profile (Binder's cap is 2 GB) without the hub.

    .venv/bin/python -m benchmarks.small_memory            # every lesson
    .venv/bin/python -m benchmarks.small_memory --only 03

The hub cannot be reached from the machines that build this course, so each hub asset of the `small`
profile is replaced by a stand-in of the same architecture and size: a randomly initialised model from
the same configuration, or synthetic data with the same number of rows and similar text lengths, laid out
in a local cache exactly as the hub would give it. The lesson itself then runs unchanged in the `small`
profile, offline, and its kernel's peak resident memory is recorded. These are ESTIMATES: the code path
and the sizes are real, the weights and texts are not. Writes benchmarks/small_memory.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks import notebooks as bench  # the notebook runner and memory sampler

ROOT = bench.ROOT
TABLE = ROOT / "benchmarks" / "small_memory.md"
CAP_MB = 2048


def _copy_minilm_tokenizer(folder: Path) -> None:
    """The packaged MiniLM's tokenizer files: the bert-base-uncased WordPiece vocabulary."""
    from tlcourse import packaged

    files = packaged.locate()
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copyfile(files[name], folder / name)


def _random_minilm(folder: Path) -> None:
    """all-MiniLM-L6-v2's architecture with random weights, plus its real tokenizer files and model card."""
    import transformers

    from tlcourse import packaged

    files = packaged.locate()
    config = transformers.AutoConfig.from_pretrained(str(files["config.json"].parent))
    transformers.AutoModel.from_config(config).save_pretrained(str(folder))
    _copy_minilm_tokenizer(folder)
    shutil.copyfile(files["README.md"], folder / "README.md")  # the model card, as the hub's snapshot has it


def _synthetic_rotten_tomatoes(folder: Path) -> None:
    """8,530 / 1,066 / 1,066 sentences drawn from the bundled 200, the sizes of the real splits."""
    import datasets

    from tlcourse import corpora

    texts, labels = corpora.read_polarity()
    rng = random.Random(0)
    for split, size in (("train", 8530), ("validation", 1066), ("test", 1066)):
        rows = [rng.randrange(len(texts)) for _ in range(size)]
        datasets.Dataset.from_dict(
            {"text": [texts[i] for i in rows], "label": [labels[i] for i in rows]}
        ).to_parquet(str(folder / f"{split}.parquet"))


def _random_distilbert(folder: Path) -> None:
    """distilbert-base-uncased's architecture (the library's default DistilBERT config) with random weights,
    and the bert-base-uncased WordPiece vocabulary it uses (the same one the packaged MiniLM ships)."""
    import transformers

    transformers.DistilBertModel(transformers.DistilBertConfig()).save_pretrained(str(folder))
    _copy_minilm_tokenizer(folder)


def _random_bert_base(folder: Path) -> None:
    """bert-base-uncased's architecture (the library's default BERT config) with random weights and its
    vocabulary
    (the `full` profile's classifier base; used by stand_in_run.py)."""
    import transformers

    transformers.BertModel(transformers.BertConfig()).save_pretrained(str(folder))
    _copy_minilm_tokenizer(folder)


def _synthetic_sst2(folder: Path) -> None:
    """67,349 / 872 / 1,821 sentences drawn from the bundled 200, in SST-2's hub layout and columns."""
    import datasets

    from tlcourse import corpora

    texts, labels = corpora.read_polarity()
    rng = random.Random(0)
    (folder / "data").mkdir()
    for split, size in (("train", 67349), ("validation", 872), ("test", 1821)):
        rows = [rng.randrange(len(texts)) for _ in range(size)]
        datasets.Dataset.from_dict(
            {
                "idx": list(range(size)),
                "sentence": [texts[i] for i in rows],
                "label": [labels[i] for i in rows],
            }
        ).to_parquet(str(folder / "data" / f"{split}-00000-of-00001.parquet"))


def _random_vectors(rows: int, dimensions: int, binary: bool = False) -> Callable[[Path], None]:
    """A gensim-downloader vector file of ``rows`` random vectors (word2vec text format, gzipped), with the
    bundled corpus's words first so that the lesson's evaluations find some of their words."""

    def write(path: Path) -> None:
        import gzip

        import numpy

        from tlcourse import assets

        words = list(assets.load("word2vec", "tiny").index_to_key)
        words += [f"word{i}" for i in range(rows - len(words))]
        vectors = numpy.random.default_rng(0).standard_normal((rows, dimensions)).astype(numpy.float32)
        if binary:  # word2vec's C binary format, as GoogleNews-vectors-negative300.bin.gz is
            from gensim.models import KeyedVectors

            table = KeyedVectors(dimensions, count=rows)
            table.add_vectors(words, vectors)
            table.save_word2vec_format(str(path), binary=True)
            return
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as handle:
            handle.write(f"{rows} {dimensions}\n")
            for word, vector in zip(words, vectors):
                handle.write(word + " " + " ".join(f"{x:.4f}" for x in vector) + "\n")

    return write


def _synthetic_tweet_eval(folder: Path) -> None:
    """tweet_eval's sentiment training set: 45,615 tweets of about 20 words, labels 0/1/2."""
    import datasets

    rng = random.Random(0)
    words = [f"w{i}" for i in range(5000)]
    (folder / "sentiment").mkdir()
    texts = [" ".join(rng.choices(words, k=rng.randint(8, 30))) for _ in range(45_615)]
    datasets.Dataset.from_dict({"text": texts, "label": [i % 3 for i in range(len(texts))]}).to_parquet(
        str(folder / "sentiment" / "train-00000-of-00001.parquet")
    )


def _synthetic_amazon_polarity(folder: Path) -> None:
    """amazon_polarity's test split: 400,000 reviews (a title and about 75 words), labels 0/1."""
    import datasets

    rng = random.Random(0)
    words = [f"w{i}" for i in range(5000)]
    (folder / "amazon_polarity").mkdir()
    n = 400_000
    bodies = [" ".join(rng.choices(words, k=rng.randint(20, 130))) for _ in range(n)]
    rows = {"label": [i % 2 for i in range(n)], "title": ["a title"] * n, "content": bodies}
    target = folder / "amazon_polarity" / "test-00000-of-00001.parquet"
    datasets.Dataset.from_dict(rows).to_parquet(str(target))


def _random_electra(model_class: str) -> Callable[[Path], None]:
    """ELECTRA-Small's architecture (the library's default ELECTRA config: 12 layers, 256 wide, 128-wide
    embeddings; the released small generator has the same shape) with random weights, saved as the hub's main
    branch holds it (``pytorch_model.bin``), and the bert-base-uncased vocabulary ELECTRA uses."""

    def write(folder: Path) -> None:
        import json

        import torch
        import transformers

        config = transformers.ElectraConfig()
        config.save_pretrained(str(folder))
        torch.save(getattr(transformers, model_class)(config).state_dict(), folder / "pytorch_model.bin")
        _copy_minilm_tokenizer(folder)
        (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}))

    return write


def _random_t5_small(folder: Path) -> None:
    """t5-small's architecture (the library's default T5 config) with random weights, and a T5 tokenizer
    built here: a Unigram vocabulary of the bundled Wikipedia's 20,000 most frequent words and their
    characters, then T5's 100 sentinels (the real one has 32,000 SentencePiece pieces)."""
    import collections
    import math

    import transformers

    from tlcourse import assets

    words = collections.Counter(w for line in assets.load("wiki", "tiny") for w in line.split())
    total = sum(words.values())
    chars = sorted({c for w in words for c in w})
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    vocab += [(c, -20.0) for c in chars]
    vocab += [("\u2581" + w, math.log(n / total)) for w, n in words.most_common(20_000)]
    vocab += [(f"<extra_id_{i}>", 0.0) for i in range(99, -1, -1)]
    transformers.T5Tokenizer(vocab=vocab, extra_ids=100).save_pretrained(str(folder))
    config = transformers.T5Config(decoder_start_token_id=0)  # as t5-small's config.json says
    transformers.T5ForConditionalGeneration(config).save_pretrained(str(folder))


def _synthetic_glue(folder: Path) -> None:
    """nyu-mll/glue's rte, mrpc, stsb and mnli at their real sizes (mnli: 392,702 training pairs), in the
    hub's layout and columns; sentences of about the real lengths, words from the bundled movie sentences."""
    import datasets

    from tlcourse import corpora

    if (folder / "mnli").exists():  # one repository behind four assets: written once
        return
    words = " ".join(corpora.read_polarity()[0]).split()
    rng = random.Random(0)
    text = lambda n: " ".join(rng.choices(words, k=max(3, int(rng.gauss(n, n / 3)))))  # noqa: E731
    shapes = {  # config: ((train, validation), words in the first and second text, columns, classes)
        "rte": ((2490, 277), (43, 9), ("sentence1", "sentence2"), 2),
        "mrpc": ((3668, 408), (22, 22), ("sentence1", "sentence2"), 2),
        "stsb": ((5749, 1500), (10, 10), ("sentence1", "sentence2"), 0),
        "mnli": ((392_702, 9815), (20, 10), ("premise", "hypothesis"), 3),
    }
    for config, (sizes, lengths, columns, classes) in shapes.items():
        (folder / config).mkdir()
        validation = "validation_matched" if config == "mnli" else "validation"
        for split, n in zip(("train", validation), sizes):
            labels = [rng.uniform(0, 5) for _ in range(n)] if not classes else [i % classes for i in range(n)]
            rows = {
                columns[0]: [text(lengths[0]) for _ in range(n)],
                columns[1]: [text(lengths[1]) for _ in range(n)],
            }
            rows |= {"label": labels, "idx": list(range(n))}
            datasets.Dataset.from_dict(rows).to_parquet(
                str(folder / config / f"{split}-00000-of-00001.parquet")
            )


def _multilingual_tokenizer(folder: Path) -> None:
    """A sentencepiece-style tokenizer (Unigram) with XLM-R's special tokens, trained offline on synthetic
    text: the real one (250,002 pieces) is on the hub; the model's embedding table keeps the real size."""
    import tokenizers
    import transformers
    from tokenizers import decoders, models, pre_tokenizers, trainers

    rng = random.Random(0)
    text = [" ".join(rng.choices(_SCRIPTS, k=20)) for _ in range(2000)]
    tokenizer = tokenizers.Tokenizer(models.Unigram())
    tokenizer.pre_tokenizer, tokenizer.decoder = pre_tokenizers.Metaspace(), decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tokenizer.train_from_iterator(
        text, trainers.UnigramTrainer(vocab_size=2000, special_tokens=specials, unk_token="<unk>")
    )
    transformers.XLMRobertaTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
    ).save_pretrained(folder)


#: Words in the scripts of XLM-T's eight languages, for synthetic tweets and the stand-in tokenizer.
_SCRIPTS = [f"w{i}" for i in range(300)] + [f"كلمة{i}" for i in range(100)] + [f"शब्द{i}" for i in range(100)]


def _random_multilingual_minilm(folder: Path) -> None:
    """paraphrase-multilingual-MiniLM-L12-v2's architecture (BERT, 12 layers, width 384, XLM-R's 250,037-row
    vocabulary) with random weights and the stand-in tokenizer."""
    import transformers

    config = transformers.BertConfig(
        vocab_size=250037,
        hidden_size=384,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=1536,
    )
    transformers.BertModel(config).save_pretrained(str(folder))
    _multilingual_tokenizer(folder)


def _random_xlm_roberta_base(folder: Path) -> None:
    """xlm-roberta-base's architecture (the library's XLM-R config at base size, 250,002 rows) with random
    weights and the stand-in tokenizer (the `full` profile; used by stand_in_run.py)."""
    import transformers

    config = transformers.XLMRobertaConfig(
        vocab_size=250002, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1
    )
    transformers.XLMRobertaModel(config).save_pretrained(str(folder))
    _multilingual_tokenizer(folder)


def _synthetic_tweet_sentiment_multilingual(folder: Path) -> None:
    """1,838 / 323 / 869 tweets of 8 to 30 words in each of the 8 languages, labels 0/1/2, in the layout of
    the hub's refs/convert/parquet branch (``<language>/<split>/0000.parquet``)."""
    import datasets

    from tlcourse import multilingual

    rng = random.Random(0)
    for language in multilingual.LANGUAGES:
        for split, size in (("train", 1838), ("validation", 323), ("test", 869)):
            (folder / language / split).mkdir(parents=True)
            texts = [" ".join(rng.choices(_SCRIPTS, k=rng.randint(8, 30))) for _ in range(size)]
            rows = {"text": texts, "label": [i % 3 for i in range(size)]}
            datasets.Dataset.from_dict(rows).to_parquet(str(folder / language / split / "0000.parquet"))


#: Stand-ins by hub id; an asset without one is reported as not estimated.
STAND_INS: dict[str, Callable[[Path], None]] = {
    "sentence-transformers/all-MiniLM-L6-v2": _random_minilm,
    # the same BERT architecture and size (all-MiniLM-L6-v2 was trained from it), so the same stand-in
    "nreimers/MiniLM-L6-H384-uncased": _random_minilm,
    "cornell-movie-review-data/rotten_tomatoes": _synthetic_rotten_tomatoes,
    "distilbert/distilbert-base-uncased": _random_distilbert,
    "stanfordnlp/sst2": _synthetic_sst2,
    "google-bert/bert-base-uncased": _random_bert_base,
    "cardiffnlp/tweet_eval": _synthetic_tweet_eval,
    "fancyzhx/amazon_polarity": _synthetic_amazon_polarity,
    "google/electra-small-discriminator": _random_electra("ElectraForPreTraining"),
    "google/electra-small-generator": _random_electra("ElectraForMaskedLM"),
    "google-t5/t5-small": _random_t5_small,
    "nyu-mll/glue": _synthetic_glue,
    "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2": _random_multilingual_minilm,
    "FacebookAI/xlm-roberta-base": _random_xlm_roberta_base,
    "cardiffnlp/tweet_sentiment_multilingual": _synthetic_tweet_sentiment_multilingual,
}
#: Stand-ins by gensim-downloader name: only the rows the lesson reads (its ``limit``) are written.
DOWNLOADER_STAND_INS: dict[str, Callable[[Path], None]] = {
    "glove-wiki-gigaword-100": _random_vectors(200_000, 100),
    # the `full` profile (stand_in_run.py): the 500,000 rows the lesson reads of the 3,000,000
    "word2vec-google-news-300": _random_vectors(500_000, 300, binary=True),
}


def lay_out_downloader(base: Path, name: str) -> None:
    """Write the stand-in of a gensim-downloader set into ``base`` as ``GENSIM_DATA_DIR`` would hold it."""
    import json

    (base / name).mkdir(parents=True, exist_ok=True)
    file_name = f"{name}.gz"
    DOWNLOADER_STAND_INS[name](base / name / file_name)
    (base / "information.json").write_text(
        json.dumps({"models": {name: {"file_name": file_name}}, "corpora": {}})
    )


def lay_out(hub: Path, spec) -> None:
    """Write the stand-in of a hub asset into ``hub`` in huggingface_hub's cache layout."""
    kind = {"model": "models", "dataset": "datasets"}[spec.repo_type]
    repo = hub / f"{kind}--{spec.repo_id.replace('/', '--')}"
    pinned = spec.revision and len(spec.revision) == 40  # a commit; otherwise none or a branch name
    revision = spec.revision if pinned else "f" * 40
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True, exist_ok=True)
    ref = repo / "refs" / (spec.revision if spec.revision and not pinned else "main")
    ref.parent.mkdir(parents=True, exist_ok=True)  # refs/refs/convert/parquet for the converter's branch
    ref.write_text(revision)
    STAND_INS[spec.repo_id](snapshot)


def binder_environment(start: Path = ROOT / "binder" / "start") -> dict[str, str]:
    """The defaults ``binder/start`` exports (``export NAME="${NAME:-value}"``), so the estimate runs as
    Binder does."""
    import re

    found = {}
    for line in start.read_text(encoding="utf-8").splitlines():
        match = re.match(r'export (\w+)="\$\{\1:-([^}]*)\}"', line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def _previous_rows() -> dict[str, tuple[str, str]]:
    """Rows of the committed table, by notebook name: ``(peak MB or "", notes)``."""
    from tlcourse.authoring import catalogue

    return {
        cells[0]: (cells[1], cells[2])
        for cells in catalogue.table_rows(TABLE)
        if len(cells) == 3 and cells[0].endswith(".ipynb")
    }


def _largest_steps(cell_peaks: list, notebook: Path, count: int = 2) -> str:
    """The cells that raised the peak most, as ``cell N (+M MB: first words)``."""
    import nbformat

    cells = nbformat.read(notebook, as_version=4).cells
    rises, before = [], 0.0
    for index, peak in cell_peaks:
        rises.append((peak - before, index))
        before = peak
    out = []
    for rise, index in sorted(rises, reverse=True)[:count]:
        words = " ".join(cells[index].source.split()[:4]).replace("|", "/")
        out.append(f"cell {index} +{rise:.0f} MB ({words} ...)")
    return ", ".join(out)


def missing_stand_ins(lesson: str, profile: str) -> list[str]:
    """The hub ids and downloader names ``lesson`` needs in ``profile`` that have no stand-in here."""
    hub, downloads = _needs(lesson, profile)
    return [spec.repo_id for spec in hub if spec.repo_id not in STAND_INS] + [
        name for name in downloads if name not in DOWNLOADER_STAND_INS
    ]


def _needs(lesson: str, profile: str) -> tuple[list, list[str]]:
    """The hub assets and gensim-downloader sets ``lesson`` reads in ``profile``."""
    from tlcourse import assets

    names = assets.LESSONS.get(lesson, ())
    hub = [spec for spec in (assets.variant(name, profile) for name in names) if isinstance(spec, assets.Hub)]
    downloads = []
    if "pretrained_vectors" in names:
        from tlcourse import word2vec

        downloads.append(word2vec.PRETRAINED[profile].name)
    return hub, downloads


def stand_in_environment(lesson: str, profile: str, scratch: Path) -> dict[str, str]:
    """Lay out ``lesson``'s stand-ins for ``profile`` under ``scratch``; the variables that point a lesson at
    them,
    offline (with ``binder/start``'s defaults in ``small``)."""
    hub, downloads = _needs(lesson, profile)
    for (
        name
    ) in downloads:  # the lesson's download step copies from gensim's data folder when it holds the set
        lay_out_downloader(scratch / "gensim-data", name)
    for spec in hub:
        lay_out(scratch / "cache" / "hub", spec)
    return (binder_environment() if profile == "small" else {}) | {
        "TLCOURSE_PROFILE": profile,
        "TLCOURSE_CACHE": str(scratch / "cache"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "CI": "true",
        "GENSIM_DATA_DIR": str(scratch / "gensim-data"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    rows, stamp = (
        [],
        f"commit {bench.commit()}, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
    )
    for path in sorted((ROOT / "lessons").glob(f"{args.only}*.ipynb")):
        missing = missing_stand_ins(path.stem, "small")
        if missing:
            rows.append((path.name, None, f"not estimated: no stand-in for {', '.join(missing)}"))
            continue
        scratch = Path(tempfile.mkdtemp(prefix="tlcourse-small-"))
        try:
            os.environ.update(stand_in_environment(path.stem, "small", scratch))
            cell_peaks: list = []
            seconds, megabytes, status = bench.run_notebook(path, cell_peaks=cell_peaks)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        verdict = "under the cap" if megabytes < CAP_MB else f"OVER the {CAP_MB} MB cap"
        rows.append(
            (
                path.name,
                megabytes,
                f"{status}; {seconds:.0f} s on this CPU; {verdict}; "
                f"largest rises: {_largest_steps(cell_peaks, path)}; {stamp}",
            )
        )
        print(f"{path.name:<45} {megabytes:7.0f} MB  {status}  {verdict}", flush=True)

    table = _previous_rows()  # lessons not run this time keep their committed rows
    for name, megabytes, note in rows:
        table[name] = ("" if megabytes is None else f"{megabytes:.0f}", note)
    lines = [
        "# Estimated peak memory in the `small` profile (Binder caps a session at 2 GB)",
        "",
        "ESTIMATES: hub models replaced by randomly initialised ones of the same architecture, hub data by "
        "synthetic",
        "rows of the same count; the lesson code runs unchanged, with the environment `binder/start` sets.",
        "`.venv/bin/python -m benchmarks.small_memory [--only NN]` reruns some lessons and keeps the other "
        "rows.",
        "",
        f"- machine: {bench.machine()}; each row ends with the commit and the time it was measured at",
        "",
        "| lesson | estimated peak MB | notes |",
        "|---|---:|---|",
    ]
    for name, (megabytes, note) in sorted(table.items()):
        lines.append(f"| {name} | {megabytes} | {note} |")
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
