"""Hard parameter sharing: one shared trunk, a head per task, a batch of one task at a time.

Lesson 07 builds it. A step draws a task (with probabilities from :func:`sampling_probabilities`), draws a
batch of that task's examples, runs it through the shared trunk and that task's head, and takes a step on
that task's loss (times its weight, :func:`loss_weights`). The trunk is trained by every task; a head only
by its own. Inputs here are frozen sentence vectors ``(n, D)`` (lesson 02's encoder), so hundreds of runs
take seconds; the same loop fine-tunes a whole encoder when the trunk is one.

>>> sampling_probabilities({"big": 900, "small": 100}, temperature=2.0)
{'big': 0.75, 'small': 0.25}
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence

import numpy
import torch
import torch.nn.functional as F

from tlcourse import folds

#: A task's training data: features ``(n, D)`` float and labels ``(n,)`` long.
Task = tuple[torch.Tensor, torch.Tensor]


@dataclasses.dataclass(frozen=True)
class Config:
    """How a shared model is built and trained (lesson 07)."""

    hidden: int = 64  # a narrow trunk: what it keeps is what the tasks share
    steps: int = 300  # a fixed budget: steps spent on one task are not spent on another
    batch_size: int = 16
    lr: float = 3e-3  # AdamW's rate for a small net on unit-length features; not tuned per experiment
    weight_decay: float = 0.01  # AdamW's default


class SharedModel(torch.nn.Module):
    """A shared trunk (linear + ReLU, ``D -> hidden``) and a linear head per task (``hidden -> classes``)."""

    def __init__(self, input_dim: int, heads: Mapping[str, int], *, hidden: int = 64):
        super().__init__()
        self.trunk = torch.nn.Sequential(torch.nn.Linear(input_dim, hidden), torch.nn.ReLU())
        self.heads = torch.nn.ModuleDict({name: torch.nn.Linear(hidden, k) for name, k in heads.items()})

    def forward(self, x: torch.Tensor, task: str) -> torch.Tensor:
        """Logits of ``task``: ``(B, D)`` -> ``(B, classes of task)``."""
        return self.heads[task](self.trunk(x))


class EncoderModel(torch.nn.Module):
    """A whole pretrained encoder as the shared trunk: token ids ``(B, T)`` -> mean-pooled -> a task's head.

    Padding (``pad_id``) is masked out of attention and of the pooling (lesson 02's ``mean_pool``); each
    batch is cut to its longest text. The same :func:`train` loop fine-tunes it on several tasks at once.
    """

    def __init__(self, encoder: torch.nn.Module, heads: Mapping[str, int], *, pad_id: int):
        super().__init__()
        self.encoder, self.pad_id = encoder, pad_id
        width = encoder.config.hidden_size
        self.heads = torch.nn.ModuleDict({name: torch.nn.Linear(width, k) for name, k in heads.items()})

    def forward(self, ids: torch.Tensor, task: str) -> torch.Tensor:
        """Logits of ``task``: ``(B, T)`` token ids -> ``(B, classes of task)``."""
        from tlcourse import sentences

        mask = (ids != self.pad_id).long()
        longest = int(mask.sum(1).max())
        ids, mask = ids[:, :longest], mask[:, :longest]
        hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state  # (B, T, D)
        return self.heads[task](sentences.mean_pool(hidden, mask))


def token_ids(tokenizer, texts, *, max_length: int = 64) -> torch.Tensor:
    """``texts`` as token ids ``(n, max_length)``, padded and cut at ``max_length``: EncoderModel input."""
    return tokenizer(
        list(texts), padding="max_length", truncation=True, max_length=max_length, return_tensors="pt"
    )["input_ids"]


def make_model(input_dim: int, heads: Mapping[str, int], config: Config, *, seed: int) -> SharedModel:
    """A :class:`SharedModel` initialised from ``seed`` (torch's global generators left as they were)."""
    with folds.torch_seeded(seed):
        return SharedModel(input_dim, heads, hidden=config.hidden)


# --- which task a step trains ---------------------------------------------------------------------------


def sampling_probabilities(sizes: Mapping[str, int], *, temperature: float) -> dict[str, float]:
    """``p_i`` proportional to ``n_i ** (1 / T)``: T = 1 proportional to size, T = inf uniform.

    Temperature sampling as XLM-R (Conneau et al. 2020, alpha = 1/T = 0.3) and multilingual NMT
    (Arivazhagan et al. 2019, T = 5) use it. Lesson 07's second exercise.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0 (1 proportional, math.inf uniform), got {temperature}.")
    powered = {name: float(n) ** (1.0 / temperature) for name, n in sizes.items()}
    total = sum(powered.values())
    return {name: value / total for name, value in powered.items()}


def loss_weights(sizes: Mapping[str, int], *, temperature: float) -> dict[str, float]:
    """Weights ``w_i = q_i / p_i`` that make proportional sampling's expected loss that of temperature ``T``.

    ``p`` is proportional sampling, ``q`` temperature sampling: ``sum_i p_i w_i L_i = sum_i q_i L_i``, so
    the expected gradient matches, while the small task is still seen as rarely. Lesson 07's third exercise.
    """
    p = sampling_probabilities(sizes, temperature=1.0)
    q = sampling_probabilities(sizes, temperature=temperature)
    return {name: q[name] / p[name] for name in sizes}


# --- the loop --------------------------------------------------------------------------------------------


def train_step(
    model: SharedModel,
    optimizer: torch.optim.Optimizer,
    task: str,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    weight: float = 1.0,
) -> float:
    """One step on one task's batch: trunk, the task's head, ``weight`` x cross-entropy. Returns the loss.

    ``x`` ``(B, D)``, ``y`` ``(B,)``. Lesson 07's first exercise.
    """
    optimizer.zero_grad()
    loss = weight * F.cross_entropy(model(x, task), y)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def train(
    model: SharedModel,
    tasks: Mapping[str, Task],
    probabilities: Mapping[str, float],
    config: Config,
    *,
    seed: int,
    weights: Mapping[str, float] | None = None,
    step: Callable[..., float] = train_step,
    after_step: Callable[[int], None] | None = None,
    device: str = "cpu",
) -> list[tuple[str, float]]:
    """Train ``model`` for ``config.steps`` steps, each on a batch of one task drawn from ``probabilities``.

    Returns the history, ``[(task, loss), ...]``, one row a step. Tasks missing from ``probabilities``
    (or at 0) are never trained. ``step`` is the learner's :func:`train_step` in lesson 07;
    ``after_step(k)``, if given, is called after step ``k`` (1, 2, ...), e.g. to evaluate along the way.
    """
    names = [name for name in tasks if probabilities.get(name, 0) > 0]
    if not names:
        raise ValueError(f"no task to train: probabilities {dict(probabilities)} name none of {list(tasks)}.")
    generator = torch.Generator().manual_seed(seed)
    p = torch.tensor([float(probabilities[name]) for name in names])
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history = []
    with folds.torch_seeded(seed, device=device):  # dropout draws reproducibly; global state restored after
        for k in range(config.steps):
            task = names[int(torch.multinomial(p, 1, generator=generator))]  # 1. which task
            x, y = tasks[task]
            rows = torch.randint(len(y), (config.batch_size,), generator=generator)  # 2. a batch of it
            weight = 1.0 if weights is None else weights[task]
            loss = step(model, optimizer, task, x[rows].to(device), y[rows].to(device), weight=weight)  # 3.
            history.append((task, loss))
            if after_step is not None:
                after_step(k + 1)
    return history


def accuracy(
    model: SharedModel, task: str, x: torch.Tensor, y: torch.Tensor, *, device: str = "cpu"
) -> float:
    """Share of ``x`` ``(n, D)`` whose ``task`` prediction equals ``y`` ``(n,)``."""
    model.eval()
    with torch.inference_mode():
        predicted = torch.cat([model(part.to(device), task).argmax(-1).cpu() for part in x.split(256)])
    return float((predicted == y).float().mean())


def as_task(features: numpy.ndarray, labels, rows=None) -> Task:
    """``(features[rows], labels[rows])`` as float and long tensors (all rows when ``rows`` is None)."""
    rows = numpy.arange(len(features)) if rows is None else numpy.asarray(rows)
    x = torch.as_tensor(numpy.asarray(features)[rows], dtype=torch.float32)
    return x, torch.as_tensor(numpy.asarray(labels)[rows], dtype=torch.long)


def _fresh_model(train_tasks, test_tasks, config: Config, *, seed: int) -> SharedModel:
    classes = {}
    for name, (_, y) in train_tasks.items():
        held = test_tasks[name][1] if name in test_tasks else y
        classes[name] = int(max(y.max(), held.max())) + 1
    input_dim = next(iter(train_tasks.values()))[0].shape[1]
    return make_model(input_dim, classes, config, seed=seed)


def run(
    train_tasks: Mapping[str, Task],
    test_tasks: Mapping[str, Task],
    probabilities: Mapping[str, float],
    config: Config,
    *,
    seed: int,
    weights: Mapping[str, float] | None = None,
    step: Callable[..., float] = train_step,
    device: str = "cpu",
) -> dict[str, float]:
    """A fresh model (every task gets a head) trained on ``train_tasks``: ``{task: test accuracy}``.

    Tasks with probability 0 keep an untrained head; their accuracy is returned all the same.
    """
    model = _fresh_model(train_tasks, test_tasks, config, seed=seed)
    train(model, train_tasks, probabilities, config, seed=seed, weights=weights, step=step, device=device)
    return {name: accuracy(model, name, *test_tasks[name], device=device) for name in test_tasks}


def curve(
    train_tasks: Mapping[str, Task],
    test_tasks: Mapping[str, Task],
    probabilities: Mapping[str, float],
    config: Config,
    *,
    seed: int,
    at: Sequence[int],
    weights: Mapping[str, float] | None = None,
    step: Callable[..., float] = train_step,
    device: str = "cpu",
) -> dict[int, dict[str, float]]:
    """Like :func:`run`, with test accuracy taken after each step in ``at``: ``{k: {task: accuracy}}``.

    With a constant rate and no schedule, the model after ``k`` steps of one long run is the model a
    budget of ``k`` steps would give: one run draws the whole accuracy-against-budget curve.
    """
    model = _fresh_model(train_tasks, test_tasks, config, seed=seed)
    out: dict[int, dict[str, float]] = {}

    def evaluate(k: int) -> None:
        if k in at:
            out[k] = {name: accuracy(model, name, *test_tasks[name], device=device) for name in test_tasks}
            model.train()

    config = dataclasses.replace(config, steps=max(at))
    train(
        model,
        train_tasks,
        probabilities,
        config,
        seed=seed,
        weights=weights,
        step=step,
        after_step=evaluate,
        device=device,
    )
    return out


def per_task_history(history: list[tuple[str, float]]) -> dict[str, tuple[numpy.ndarray, numpy.ndarray]]:
    """``{task: (steps, losses)}``: the steps at which each task was trained and its loss there."""
    out: dict[str, tuple[list, list]] = {}
    for k, (task, loss) in enumerate(history):
        out.setdefault(task, ([], []))
        out[task][0].append(k)
        out[task][1].append(loss)
    return {task: (numpy.array(s), numpy.array(v)) for task, (s, v) in out.items()}


UNIFORM = math.inf  # the temperature of uniform sampling
