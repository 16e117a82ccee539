"""tlcourse.contextual and tlcourse.probing against trusted references, and lesson 03's exercise checks."""

from __future__ import annotations

import re

import numpy
import pytest
import torch
from conftest import assert_exercise_both_ways
from sklearn import linear_model, model_selection

from tlcourse import assets, contextual, folds, probing, sentences
from tlcourse.checks import contextual_vectors as check
from tlcourse.checks import core

LESSON = "03_contextual_vectors"
SENTENCES = [
    "An unwatchable, overlong mess.",
    "The bank was closed.",
    "A thoroughly Shakespearean tragedy of errors!",
]


@pytest.fixture(scope="module")
def encoder():
    tokenizer, model = assets.load("encoder", "tiny")
    return tokenizer, model


def _alone(tokenizer, model, text):
    """One sentence run by itself (no padding), every layer: (L, T, D), and its word ids."""
    single = tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        output = model(**single, output_hidden_states=True)
    return torch.stack(output.hidden_states)[:, 0], single.word_ids(0)


# --- the package's functions against transformers' output_hidden_states -------------------------


def test_hidden_states_shape_and_batching(encoder):
    tokenizer, model = encoder
    states, encoding = contextual.hidden_states(tokenizer, model, SENTENCES, batch_size=2)
    layers = model.config.num_hidden_layers + 1
    assert states.shape == (layers, len(SENTENCES), encoding["input_ids"].shape[1], model.config.hidden_size)
    one_batch, _ = contextual.hidden_states(tokenizer, model, SENTENCES, batch_size=8)
    assert torch.allclose(states, one_batch, atol=1e-4)


def test_pool_words_matches_output_hidden_states_word_by_word(encoder):
    tokenizer, model = encoder
    states, encoding = contextual.hidden_states(tokenizer, model, SENTENCES)
    for row, text in enumerate(SENTENCES):
        alone, word_ids = _alone(tokenizer, model, text)
        pooled = contextual.pool_words(states[:, row], encoding.word_ids(row))
        n_words = max(w for w in word_ids if w is not None) + 1
        assert pooled.shape == (states.shape[0], n_words, states.shape[-1])
        for word in range(n_words):
            positions = [i for i, w in enumerate(word_ids) if w == word]
            assert torch.allclose(pooled[:, word], alone[:, positions].mean(dim=1), atol=1e-4), (text, word)


def test_mean_pool_matches_each_sentence_run_alone(encoder):
    tokenizer, model = encoder
    states, encoding = contextual.hidden_states(tokenizer, model, SENTENCES)
    pooled = sentences.mean_pool(states, encoding["attention_mask"])  # lesson 02's, over every layer at once
    for row, text in enumerate(SENTENCES):
        alone, _ = _alone(tokenizer, model, text)
        assert torch.allclose(pooled[:, row], alone.mean(dim=1), atol=1e-4)


def test_occurrence_vectors_find_a_split_word(encoder):
    tokenizer, model = encoder
    states, encoding = contextual.hidden_states(tokenizer, model, SENTENCES)
    assert contextual.find_word(encoding, 0, SENTENCES[0], "unwatchable") == 1
    vectors = contextual.occurrence_vectors(states, encoding, SENTENCES, "unwatchable", [0])
    alone, word_ids = _alone(tokenizer, model, SENTENCES[0])
    positions = [i for i, w in enumerate(word_ids) if w == 1]
    assert len(positions) == 3  # un ##watch ##able
    assert torch.allclose(vectors[:, 0], alone[:, positions].mean(dim=1), atol=1e-4)
    with pytest.raises(ValueError, match="not a word"):
        contextual.find_word(encoding, 1, SENTENCES[1], "river")


def test_pool_words_rejects_a_batch():
    with pytest.raises(ValueError, match="one sentence"):
        contextual.pool_words(torch.zeros(2, 5, 3), [None, 0, 1, None])


# --- similarity, baseline, the sentence set ------------------------------------------------------


def test_sense_similarities_against_a_pair_loop():
    generator = torch.Generator().manual_seed(0)
    vectors = torch.randn(3, 6, 4, generator=generator)
    senses = [0, 0, 1, 1, 1, 0]
    same, other = contextual.sense_similarities(vectors, senses)
    cos = torch.nn.functional.cosine_similarity
    for layer in range(3):
        pairs_same = [
            cos(vectors[layer, i], vectors[layer, j], dim=0)
            for i in range(6)
            for j in range(6)
            if i != j and senses[i] == senses[j]
        ]
        pairs_other = [
            cos(vectors[layer, i], vectors[layer, j], dim=0)
            for i in range(6)
            for j in range(6)
            if senses[i] != senses[j]
        ]
        assert torch.isclose(same[layer], torch.stack(pairs_same).mean(), atol=1e-6)
        assert torch.isclose(other[layer], torch.stack(pairs_other).mean(), atol=1e-6)


def test_random_pair_baseline_skips_same_sentence_pairs_and_is_seeded():
    # two sentences; inside each, words are identical; across, orthogonal: the baseline must be 0
    vectors = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])[None]
    sentence = torch.tensor([0, 0, 1, 1])
    value = contextual.random_pair_baseline(
        vectors, sentence, n_pairs=500, generator=torch.Generator().manual_seed(0)
    )
    assert value.shape == (1,) and abs(float(value)) < 1e-6
    many = torch.randn(2, 50, 8, generator=torch.Generator().manual_seed(1))
    ids = torch.arange(50)
    a = contextual.random_pair_baseline(many, ids, generator=torch.Generator().manual_seed(3))
    b = contextual.random_pair_baseline(many, ids, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_ambiguous_words_file():
    words = contextual.ambiguous_words()
    assert len(words) >= 10
    for word, by_sense in words.items():
        assert len(by_sense) == 2, word
        for examples in by_sense.values():
            assert len(examples) >= 3
            for sentence in examples:
                assert len(re.findall(rf"\b{word}\b", sentence.lower())) == 1, (word, sentence)


def test_sense_vectors_shapes(encoder):
    tokenizer, model = encoder
    words = dict(list(contextual.ambiguous_words().items())[:2])
    found = contextual.sense_vectors(tokenizer, model, words)
    layers = model.config.num_hidden_layers + 1
    for word, by_sense in words.items():
        n = sum(len(s) for s in by_sense.values())
        assert found.vectors[word].shape == (layers, n, model.config.hidden_size)
        assert sorted(set(found.senses[word])) == [0, 1]
    assert found.every.shape[1] == found.sentence.shape[0]
    same, other = contextual.sense_gaps(found.vectors, found.senses)
    assert same.shape == other.shape == (2, layers)
    assert abs(float((same - other)[:, 0].mean())) < 0.03  # the embedding layer hardly separates senses


def test_control_word_vectors_match_output_hidden_states(encoder):
    tokenizer, model = encoder
    words = dict(list(contextual.ambiguous_words().items())[:1])
    ((word, by_sense),) = words.items()
    found = contextual.sense_vectors(tokenizer, model, words)
    texts = [text for sentences in by_sense.values() for text in sentences]
    counts = [len(re.findall(r"\bthe\b", text.lower())) for text in texts]
    assert found.control[word].shape[1] == sum(counts) == len(found.control_sentences[word])
    assert sorted(set(found.control_senses[word])) == [0, 1]
    # the first control occurrence, against the sentence run alone through output_hidden_states
    row = next(i for i, count in enumerate(counts) if count)
    alone, word_ids = _alone(tokenizer, model, texts[row])
    single = tokenizer(texts[row])
    first = contextual.find_words(single, 0, texts[row], "the")[0]
    positions = [i for i, w in enumerate(word_ids) if w == first]
    assert torch.allclose(found.control[word][:, 0], alone[:, positions].mean(dim=1), atol=1e-4)
    with pytest.raises(ValueError, match="control"):
        contextual.sense_vectors(tokenizer, model, words, control="zebra")


def test_find_words_finds_every_occurrence(encoder):
    tokenizer, _ = encoder
    text = "The cat sat on the mat by the door."
    encoding = tokenizer([text])
    assert contextual.find_words(encoding, 0, text, "the") == [0, 4, 7]
    assert contextual.find_words(encoding, 0, text, "dog") == []


def test_sense_similarities_leaves_out_pairs_within_a_sentence():
    # occurrences 0 and 1 share a sentence and are identical; 2 is orthogonal to them, same sense
    vectors = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])[None]
    senses = [0, 0, 0, 1]
    same, _ = contextual.sense_similarities(vectors, senses)
    apart, other = contextual.sense_similarities(vectors, senses, sentences=[0, 0, 1, 2])
    assert torch.isclose(same, torch.tensor([1 / 3])) and torch.isclose(apart, torch.tensor([0.0]))
    assert torch.isclose(other, torch.tensor([1 / 3]))


def test_random_encoder_is_the_same_architecture_seeded_without_touching_the_global_generator():
    import transformers

    config = transformers.AutoConfig.from_pretrained(assets.path("encoder", "tiny"))
    pretrained = transformers.AutoModel.from_pretrained(assets.path("encoder", "tiny")).state_dict()
    state = torch.random.get_rng_state()
    first = contextual.random_encoder(config, seed=0)
    assert torch.equal(torch.random.get_rng_state(), state)
    again = contextual.random_encoder(config, seed=0).state_dict()
    other = contextual.random_encoder(config, seed=1).state_dict()
    weights = first.state_dict()
    assert not first.training
    assert {k: v.shape for k, v in weights.items()} == {k: v.shape for k, v in pretrained.items()}
    name = "embeddings.word_embeddings.weight"
    assert torch.equal(weights[name], again[name]) and not torch.equal(weights[name], other[name])
    assert not torch.allclose(weights[name], pretrained[name])


# --- probing ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviews():
    return assets.load("movie_reviews", "tiny")


def test_cross_validate_features_matches_scikit_learn(reviews):
    rng = numpy.random.default_rng(0)
    labels = numpy.asarray(reviews["label"])
    features = rng.normal(size=(len(labels), 5)) + labels[:, None] * 0.8
    scores = probing.cross_validate_features(probing.linear_probe, features, labels, reviews, repeats=2)
    assert scores.test.shape == scores.train.shape == (2, folds.N_SPLITS)
    for repeat in range(2):
        test_fold = numpy.asarray(reviews["folds"])[:, repeat]
        reference = model_selection.cross_val_score(
            linear_model.LogisticRegression(solver="liblinear"),
            features,
            labels,
            cv=model_selection.PredefinedSplit(test_fold),
        )
        assert numpy.allclose(scores.test[repeat], reference)


def test_probe_layers(reviews):
    labels = numpy.asarray(reviews["label"])
    features = numpy.stack(
        [
            numpy.c_[labels, numpy.zeros(len(labels))],
            numpy.random.default_rng(0).normal(size=(len(labels), 2)),
        ]
    )
    real = probing.probe_layers(probing.linear_probe, features, labels, reviews, repeats=1)
    assert real[0].test.mean() == 1.0 and real[1].test.mean() < 0.75
    with pytest.raises(ValueError, match="one row per example"):
        probing.cross_validate_features(probing.linear_probe, features[0][:10], labels[:10], reviews)


# --- the exercises -----------------------------------------------------------------------------

EXERCISES = [
    ("pool_words", check.pool_words),
    ("sense_similarities", check.sense_similarities),
]


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_solution_passes_and_blank_is_not_done(name, run_check):
    assert_exercise_both_ways(LESSON, name, run_check)


@pytest.mark.parametrize("name, run_check", EXERCISES)
def test_package_versions_pass(name, run_check):
    assert run_check(getattr(contextual, name)).status == core.PASSED


def _first_piece(states, word_ids):
    firsts = [word_ids.index(w) for w in sorted({w for w in word_ids if w is not None})]
    return states[:, firsts]


def _sum_pieces(states, word_ids):
    words = sorted({w for w in word_ids if w is not None})
    return torch.stack(
        [states[:, [i for i, x in enumerate(word_ids) if x == w]].sum(dim=1) for w in words], dim=1
    )


def _with_specials(states, word_ids):  # None positions pooled as one extra "word"
    keys = sorted({-1 if w is None else w for w in word_ids})
    return torch.stack(
        [
            states[:, [i for i, x in enumerate(word_ids) if (-1 if x is None else x) == k]].mean(dim=1)
            for k in keys
        ],
        dim=1,
    )


@pytest.mark.parametrize(
    "wrong, hint",
    [(_first_piece, "first piece"), (_sum_pieces, "mean"), (_with_specials, "None")],
    ids=["first-piece", "sum", "specials-kept"],
)
def test_pool_words_wrong_answers(wrong, hint):
    result = check.pool_words(wrong)
    assert result.status == core.WRONG
    assert hint in result.message


def _with_self(vectors, senses):
    senses = torch.as_tensor(senses)
    unit = torch.nn.functional.normalize(vectors, dim=-1)
    cosines = unit @ unit.transpose(1, 2)
    same = senses[:, None] == senses[None, :]
    return cosines[:, same].mean(dim=1), cosines[:, ~same].mean(dim=1)


def _dot_products(vectors, senses):
    senses = torch.as_tensor(senses)
    dots = vectors @ vectors.transpose(1, 2)
    same = (senses[:, None] == senses[None, :]) & ~torch.eye(len(senses), dtype=torch.bool)
    return dots[:, same].mean(dim=1), dots[:, senses[:, None] != senses[None, :]].mean(dim=1)


@pytest.mark.parametrize(
    "wrong, hint", [(_with_self, "itself"), (_dot_products, "normalise")], ids=["self-pairs", "dot-products"]
)
def test_sense_similarities_wrong_answers(wrong, hint):
    result = check.sense_similarities(wrong)
    assert result.status == core.WRONG
    assert hint in result.message


def test_checks_never_raise_on_garbage():
    for run_check in (check.pool_words, check.sense_similarities):
        for answer in (None, 42, lambda *a: 1 / 0, lambda *a: "text"):
            assert run_check(answer).status in (core.NOT_DONE, core.WRONG)
