"""tlcourse.multitask: sampling probabilities, loss weights, one step against autograd, the loop."""

from __future__ import annotations

import copy
import math

import numpy
import pytest
import torch
import torch.nn.functional as F

from tlcourse import multitask

SIZES = {"a": 800, "b": 150, "c": 50}


def test_temperature_one_is_proportional_and_infinity_uniform():
    p = multitask.sampling_probabilities(SIZES, temperature=1.0)
    assert p == pytest.approx({"a": 0.8, "b": 0.15, "c": 0.05})
    u = multitask.sampling_probabilities(SIZES, temperature=math.inf)
    assert u == pytest.approx(dict.fromkeys(SIZES, 1 / 3))


def test_temperature_flattens_monotonically():
    small = [multitask.sampling_probabilities(SIZES, temperature=t)["c"] for t in (1, 2, 5, 100)]
    assert small == sorted(small) and small[-1] < 1 / 3
    for t in (0.5, 2, 5):
        assert sum(multitask.sampling_probabilities(SIZES, temperature=t).values()) == pytest.approx(1)
    # against the formula written out by hand: p_i = n_i^(1/T) / sum_j n_j^(1/T)
    n = numpy.array(list(SIZES.values()), dtype=float)
    expected = n**0.2 / (n**0.2).sum()
    got = list(multitask.sampling_probabilities(SIZES, temperature=5).values())
    assert numpy.allclose(got, expected)


def test_temperature_must_be_positive():
    with pytest.raises(ValueError, match="temperature"):
        multitask.sampling_probabilities(SIZES, temperature=0)


def test_loss_weights_give_temperature_sampling_expected_loss():
    losses = {"a": 0.3, "b": 1.2, "c": 2.0}
    p = multitask.sampling_probabilities(SIZES, temperature=1)
    q = multitask.sampling_probabilities(SIZES, temperature=5)
    w = multitask.loss_weights(SIZES, temperature=5)
    assert sum(p[t] * w[t] * losses[t] for t in SIZES) == pytest.approx(sum(q[t] * losses[t] for t in SIZES))
    assert multitask.loss_weights(SIZES, temperature=1) == pytest.approx(dict.fromkeys(SIZES, 1.0))
    assert w["c"] > 1 > w["a"]


def _model():
    return multitask.make_model(5, {"x": 2, "y": 3}, multitask.Config(hidden=4), seed=0)


def test_model_shapes_and_seeded_init():
    model = _model()
    assert model(torch.zeros(7, 5), "x").shape == (7, 2)
    assert model(torch.zeros(7, 5), "y").shape == (7, 3)
    assert torch.equal(_model().trunk[0].weight, model.trunk[0].weight)
    before = torch.random.get_rng_state()
    _model()
    assert torch.equal(before, torch.random.get_rng_state()), "make_model must not move the global generator"


def test_train_step_against_autograd_by_hand():
    model = _model()
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 5, generator=generator), torch.randint(3, (6,), generator=generator)
    reference = copy.deepcopy(model)
    loss = multitask.train_step(model, torch.optim.SGD(model.parameters(), lr=0.5), "y", x, y, weight=0.3)
    # by hand: the loss through trunk and head "y", its gradient, one plain SGD step
    params = list(reference.trunk.parameters()) + list(reference.heads["y"].parameters())
    logits = reference.heads["y"](torch.relu(reference.trunk[0](x)))
    expected = 0.3 * F.cross_entropy(logits, y)
    grads = torch.autograd.grad(expected, params)
    assert loss == pytest.approx(expected.item())
    for (name, p), before, g in zip(
        [*model.trunk.named_parameters(), *model.heads["y"].named_parameters()], params, grads
    ):
        assert torch.allclose(p, before - 0.5 * g, atol=1e-6), name
    assert torch.equal(model.heads["x"].weight, reference.heads["x"].weight)


def _toy_tasks(n=200, seed=0):
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype("float32")
    return {
        "x": multitask.as_task(x, (x[:, 0] > 0).astype(int)),
        "y": multitask.as_task(x, (x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)),
    }


def test_train_samples_tasks_with_the_given_probabilities_and_is_seeded():
    tasks = _toy_tasks()
    config = multitask.Config(hidden=8, steps=2000, batch_size=4)
    history = multitask.train(_model_for(tasks, config), tasks, {"x": 0.8, "y": 0.2}, config, seed=1)
    share = numpy.mean([task == "x" for task, _ in history])
    assert len(history) == 2000 and 0.77 < share < 0.83  # binomial sd 0.009
    again = multitask.train(_model_for(tasks, config), tasks, {"x": 0.8, "y": 0.2}, config, seed=1)
    assert [t for t, _ in again] == [t for t, _ in history]


def _model_for(tasks, config):
    return multitask.make_model(5, {"x": 2, "y": 3}, config, seed=0)


def test_a_task_at_probability_zero_is_never_trained():
    tasks = _toy_tasks()
    config = multitask.Config(hidden=8, steps=50)
    model = _model_for(tasks, config)
    head = model.heads["y"].weight.detach().clone()
    history = multitask.train(model, tasks, {"x": 1.0, "y": 0.0}, config, seed=0)
    assert {t for t, _ in history} == {"x"} and torch.equal(head, model.heads["y"].weight)
    with pytest.raises(ValueError, match="no task"):
        multitask.train(model, tasks, {"z": 1.0}, config, seed=0)


def test_run_learns_both_toy_tasks_and_curve_matches_run():
    tasks, held = _toy_tasks(), _toy_tasks(seed=1)
    config = multitask.Config(hidden=16, steps=300)
    p = {"x": 0.5, "y": 0.5}
    scores = multitask.run(tasks, held, p, config, seed=0)
    assert scores["x"] > 0.9 and scores["y"] > 0.7  # chance 0.5 and about 0.45
    curve = multitask.curve(tasks, held, p, config, seed=0, at=(10, 300))
    assert set(curve) == {10, 300} and curve[300] == pytest.approx(scores)


def test_per_task_history():
    out = multitask.per_task_history([("a", 1.0), ("b", 2.0), ("a", 0.5)])
    assert out["a"][0].tolist() == [0, 2] and out["a"][1].tolist() == [1.0, 0.5]
    assert out["b"][0].tolist() == [1]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    import transformers
    from conftest import random_bert

    folder = random_bert(
        tmp_path_factory.mktemp("bert"),
        seed=0,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    return transformers.AutoTokenizer.from_pretrained(folder), transformers.AutoModel.from_pretrained(folder)


def test_encoder_model_ignores_padding_and_trains_with_the_same_loop(tiny_bert):
    tokenizer, encoder = tiny_bert
    texts = ["a good film", "a bad film that went on and on", "good", "bad"]
    ids = multitask.token_ids(tokenizer, texts, max_length=16)
    assert ids.shape == (4, 16)
    model = multitask.EncoderModel(encoder, {"s": 2, "t": 3}, pad_id=tokenizer.pad_token_id).eval()
    with torch.no_grad():
        alone = model(ids[:1], "s")
        padded = model(ids, "s")[:1]  # the batch is cut to its longest text, not to the first's
        # the reference: the library's own hidden states, pooled over the real tokens by hand
        real = int((ids[0] != tokenizer.pad_token_id).sum())
        hidden = encoder(input_ids=ids[:1, :real]).last_hidden_state.mean(1)
    assert torch.allclose(alone, padded, atol=1e-5)
    assert torch.allclose(alone, model.heads["s"](hidden), atol=1e-5)
    tasks = {"s": (ids, torch.tensor([1, 0, 1, 0])), "t": (ids, torch.tensor([0, 1, 2, 0]))}
    config = multitask.Config(steps=4, batch_size=2, lr=1e-3)
    before = encoder.embeddings.word_embeddings.weight.detach().clone()
    history = multitask.train(model, tasks, {"s": 0.5, "t": 0.5}, config, seed=0)
    assert len(history) == 4 and not torch.equal(before, encoder.embeddings.word_embeddings.weight)
