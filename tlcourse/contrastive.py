"""Contrastive sentence training: two views of a text pulled together, the batch's other texts pushed apart.

Lesson 10's "semantic information in the objective". A masked model learns to fill in pieces; nothing in
that objective says which *sentences* are alike, and lesson 02 showed its mean-pooled vectors are a poor
judge of people's similarity ratings. A contrastive objective (InfoNCE, van den Oord et al. 2018) names the
similar pairs outright: each text in a batch has one positive partner, and every other text in the batch is
a negative. What the positive pair is decides what "similar" comes to mean:

* **SimCSE** (Gao et al. 2021, unsupervised): the same sentence twice, the two views differing only by
  dropout; :func:`dropout_views`.
* **same article** (in the spirit of DeCLUTR, Giorgi et al. 2021): two different sentences of one Wikipedia
  article, so the positive shares a topic, not a wording; :func:`same_article`.

:func:`train` runs either (or, as the control with the same steps on the same text, lesson 04's masked-LM
objective) on a copy of a ``BertForMaskedLM``; :func:`document_vectors` pools whole documents for Lee 2005.

>>> import torch
>>> a = torch.eye(3)
>>> round(float(info_nce(a, a, temperature=0.05)), 6)   # each row's partner is far the most similar
0.0
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence

import numpy
import torch

from tlcourse import corpora, folds, lm, sentences

#: ``(rng, batch_size) -> (texts, partners)``: a batch of positive pairs, row i of one with row i of the
#: other.
Draw = Callable[[numpy.random.Generator, int], tuple[list[str], list[str]]]


#: Each kind of pair's learning rate, chosen on 16 held-out articles by the objective's own loss after 100
#: steps, never on the Lee ratings: ``benchmarks/contrastive_seeds.md`` (seed 0; 3e-5 to 1e-3 tried).
RATES = {"same article": 1e-4, "SimCSE (dropout)": 1e-3}


@dataclasses.dataclass(frozen=True)
class Config:
    """A short contrastive run on lesson 04's 4-layer masked model (SimCSE's settings where they transfer)."""

    steps: int = 100  # about 27 s of one CPU core: three runs fit lesson 10's tiny budget
    batch_size: int = 32  # SimCSE used 64; 32 halves the time, and 31 negatives a step remain
    lr: float = (
        1e-4  # chosen on held-out articles' pair retrieval, never on Lee: benchmarks/contrastive_seeds.md
    )
    temperature: float = 0.05  # SimCSE's
    dropout: float = 0.1  # SimCSE's (BERT's); lesson 04's model was pretrained without dropout
    max_length: int = 32  # SimCSE's: sentences, not documents


def info_nce(a: torch.Tensor, b: torch.Tensor, *, temperature: float) -> torch.Tensor:
    """InfoNCE over a batch of pairs: ``(B, D)``, ``(B, D)`` -> a scalar loss. Lesson 10's fifth exercise.

    Row i of ``a`` should be most similar (cosine) to row i of ``b`` among all rows of ``b``: the
    cross-entropy of the ``(B, B)`` cosine matrix divided by ``temperature``, the diagonal as the targets.
    """
    a = torch.nn.functional.normalize(a, dim=-1)
    b = torch.nn.functional.normalize(b, dim=-1)
    logits = a @ b.T / temperature  # (B, B)
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(a), device=a.device))


def wiki_articles(*, dev: int = 16, seed: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    """The bundled Wikipedia's articles of 4 sentences or more as sentence lists: ``(train, dev)`` by article.

    ``dev`` articles, drawn with ``seed``, are held out: the learning rate is chosen on them
    (:func:`held_out_loss`), so no choice looks at the Lee ratings the lesson reports.
    """
    found = [corpora.split_sentences(text) for _, text in corpora.wiki_articles()]
    found = [article for article in found if len(article) >= 4]
    order = numpy.random.default_rng(seed).permutation(len(found))
    return [found[i] for i in order[dev:]], [found[i] for i in order[:dev]]


def dropout_views(texts: Sequence[str]) -> Draw:
    """SimCSE's pairs: each drawn sentence with itself; only dropout makes the two views differ."""

    def draw(rng: numpy.random.Generator, batch_size: int) -> tuple[list[str], list[str]]:
        chosen = [texts[i] for i in rng.choice(len(texts), size=batch_size, replace=False)]
        return chosen, list(chosen)

    return draw


def same_article(articles: Sequence[Sequence[str]]) -> Draw:
    """Pairs of two different sentences of one article, from ``batch_size`` different articles a batch."""
    usable = [list(a) for a in articles if len(a) >= 2]
    if not usable:
        raise ValueError("same_article needs articles of at least two sentences each.")

    def draw(rng: numpy.random.Generator, batch_size: int) -> tuple[list[str], list[str]]:
        if batch_size > len(usable):
            raise ValueError(f"a batch of {batch_size} needs as many articles; there are {len(usable)}.")
        left, right = [], []
        for k in rng.choice(len(usable), size=batch_size, replace=False):
            i, j = rng.choice(len(usable[k]), size=2, replace=False)
            left.append(usable[k][i])
            right.append(usable[k][j])
        return left, right

    return draw


def with_dropout(model: torch.nn.Module, p: float) -> torch.nn.Module:
    """A copy of ``model`` with every dropout layer's probability set to ``p`` (the original is untouched)."""
    model = copy.deepcopy(model)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = p
    return model


def _pooled(encoder, tokenizer, texts: list[str], max_length: int, device: str) -> torch.Tensor:
    batch = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    batch = batch.to(device)
    return sentences.mean_pool(encoder(**batch).last_hidden_state, batch["attention_mask"])  # (B, D)


def train(
    masked_model,
    tokenizer,
    draw: Draw,
    config: Config = Config(),
    *,
    objective: str = "contrastive",
    loss: Callable[..., torch.Tensor] = info_nce,
    seed: int,
    device: str = "cpu",
):
    """Train a copy of ``masked_model`` (a ``BertForMaskedLM``) on ``draw``'s pairs: ``(model, losses)``.

    ``objective="contrastive"``: both sides of each pair through the encoder (dropout on), mean-pooled, then
    ``loss`` (InfoNCE). ``objective="masked"``: the control, lesson 04's masked-LM loss on the same sentences
    (both sides of the pairs), the same steps and rate. The original model is left as it was.
    """
    if objective not in ("contrastive", "masked"):
        raise ValueError(f"objective is 'contrastive' or 'masked', not {objective!r}.")
    with folds.torch_seeded(seed):
        model = with_dropout(masked_model, config.dropout).to(device)
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
        rng = numpy.random.default_rng(seed)
        generator = torch.Generator().manual_seed(seed)
        special = (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id)
        losses = []
        for _ in range(config.steps):
            left, right = draw(rng, config.batch_size)
            if objective == "contrastive":
                a = _pooled(model.bert, tokenizer, left, config.max_length, device)
                b = _pooled(model.bert, tokenizer, right, config.max_length, device)
                value = loss(a, b, temperature=config.temperature)
            else:
                batch = tokenizer(
                    left + right,
                    padding=True,
                    truncation=True,
                    max_length=config.max_length,
                    return_tensors="pt",
                )
                ids, labels = lm.mask_tokens(
                    batch["input_ids"],
                    mask_id=tokenizer.mask_token_id,
                    vocab_size=len(tokenizer),
                    special_ids=special,
                    generator=generator,
                )
                value = model(
                    input_ids=ids.to(device),
                    attention_mask=batch["attention_mask"].to(device),
                    labels=labels.to(device),
                ).loss
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            losses.append(float(value.detach()))
    model.eval()
    return model, losses


def document_vectors(
    tokenizer, encoder, documents: Sequence[str], *, window: int = 64, device: str = "cpu"
) -> numpy.ndarray:
    """Mean-pooled vectors of whole documents ``(n, D)``: each cut into ``window``-piece chunks (the model's
    longest input, [CLS] and [SEP] included), every chunk mean-pooled, the chunks averaged."""
    rows = []
    encoder = encoder.to(device).eval()
    with torch.inference_mode():
        for document in documents:
            ids = tokenizer(document, add_special_tokens=False)["input_ids"]
            chunks = [ids[i : i + window - 2] for i in range(0, max(len(ids), 1), window - 2)]
            batch = tokenizer.pad(
                {"input_ids": [[tokenizer.cls_token_id, *c, tokenizer.sep_token_id] for c in chunks]},
                return_tensors="pt",
            ).to(device)
            pooled = sentences.mean_pool(encoder(**batch).last_hidden_state, batch["attention_mask"])
            rows.append(pooled.mean(dim=0).float().cpu().numpy())
    return numpy.stack(rows)


def held_out_loss(
    model, tokenizer, draw: Draw, config: Config = Config(), *, batches: int = 8, seed: int = 0
) -> float:
    """The contrastive loss on ``batches`` batches of ``draw``'s pairs from held-out text, dropout on
    (SimCSE's views need it), without training: what a learning rate is chosen on, never the Lee ratings."""
    rng = numpy.random.default_rng(seed)
    was_training = model.training
    model.train()
    values = []
    with folds.torch_seeded(seed), torch.no_grad():
        for _ in range(batches):
            left, right = draw(rng, config.batch_size)
            a = _pooled(model.bert, tokenizer, left, config.max_length, "cpu")
            b = _pooled(model.bert, tokenizer, right, config.max_length, "cpu")
            values.append(float(info_nce(a, b, temperature=config.temperature)))
    model.train(was_training)
    return float(numpy.mean(values))
