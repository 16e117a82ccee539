"""Cloze count models: each component a distribution, EM against a grid search, both sides."""

from __future__ import annotations

import itertools

import numpy

from tlcourse import cloze


def _docs(seed=0, n=40, vocab=6):
    rng = numpy.random.default_rng(seed)
    return [rng.integers(0, vocab, size=50) for _ in range(n)], vocab


def test_every_component_is_a_distribution_over_the_middle_word():
    docs, vocab = _docs()
    counts = cloze.count(docs, vocab_size=vocab)
    for v, u in itertools.product(range(vocab), repeat=2):
        table = numpy.concatenate([cloze.components(counts, numpy.array([v, w, u])) for w in range(vocab)])
        assert numpy.allclose(table.sum(axis=0), 1.0), (v, u)


def test_unseen_context_backs_off_to_the_unigram():
    counts = cloze.count([numpy.array([0, 1, 2, 0, 1, 2])], vocab_size=5)
    row = cloze.components(counts, numpy.array([4, 1, 3]))[0]
    assert numpy.allclose(row, row[0])


def test_em_weights_match_a_grid_search_of_the_likelihood():
    rng = numpy.random.default_rng(1)
    table = numpy.stack([rng.uniform(0.01, 1, 500), rng.uniform(0.01, 1, 500) ** 3], axis=1)
    em = cloze.fit_weights(table, iterations=500)
    grid = numpy.linspace(0.001, 0.999, 999)
    best = grid[numpy.argmax([numpy.log(table @ [g, 1 - g]).sum() for g in grid])]
    assert abs(em[0] - best) < 2e-3 and numpy.isclose(em.sum(), 1.0)


def test_both_sides_win_where_only_the_pair_of_neighbours_decides():
    # the middle word is (left + right) mod 4: neither neighbour alone says anything about it
    rng = numpy.random.default_rng(2)

    def doc():
        out = []
        for _ in range(60):
            a, b = rng.integers(0, 4, size=2)
            out += [a, 4 + (a + b) % 4, b, 8]
        return numpy.array(out)

    results = cloze.evaluate(
        cloze.count([doc() for _ in range(30)], vocab_size=9),
        [doc() for _ in range(3)],
        [doc() for _ in range(3)],
    )
    assert results["both sides"]["bits"] < results["left only"]["bits"] - 0.5
    assert set(results["left only"]["weights"]) == {"unigram", "left"}
    assert results["left only"]["blanks"] == results["both sides"]["blanks"] == 3 * 238
