"""tlcourse.relatedness: directions at an angle, labels along them, and the controlled run."""

from __future__ import annotations

import numpy
import pytest

from tlcourse import multitask, relatedness


@pytest.mark.parametrize("theta", [0.0, 45.0, 90.0, 135.0, 180.0])
def test_directions_are_unit_and_at_the_angle(theta):
    u, v = relatedness.directions(16, theta, seed=3)
    assert numpy.linalg.norm(u) == pytest.approx(1) and numpy.linalg.norm(v) == pytest.approx(1)
    assert numpy.degrees(numpy.arccos(numpy.clip(u @ v, -1, 1))) == pytest.approx(theta, abs=1e-6)
    assert numpy.array_equal(u, relatedness.directions(16, 10.0, seed=3)[0]), "u must not depend on theta"


def test_labels_along_are_balanced_and_swap_at_180_degrees():
    x = relatedness.standardise(numpy.random.default_rng(0).standard_normal((101, 8)) * 5 + 2)
    assert numpy.allclose(x.mean(0), 0) and numpy.allclose(x.std(0), 1)
    u, v = relatedness.directions(8, 180.0, seed=0)
    a, b = relatedness.labels_along(x, u), relatedness.labels_along(x, v)
    assert a.sum() == 50  # above the median of 101 values
    assert numpy.mean(a != b) > 0.98  # only the median row itself is 0 in both


def test_controlled_shapes_agreement_and_help_on_the_same_task():
    x = numpy.random.default_rng(1).standard_normal((500, 20))
    config = multitask.Config(hidden=16, steps=150)
    out = relatedness.sweep(x, angles=(0.0, 90.0), seeds=range(2), n_main=20, n_test=200, config=config)
    assert {k: v.shape for k, v in out.items()} == dict.fromkeys(("alone", "shared", "agreement"), (2, 2))
    assert numpy.allclose(out["agreement"][0], 1.0) and abs(out["agreement"][1].mean() - 0.5) < 0.1
    assert numpy.array_equal(out["alone"][0], out["alone"][1]), (
        "the main task alone is the same at every angle"
    )
    assert (out["shared"][0] - out["alone"][0]).mean() > 0  # the same task with 280 more labels helps
