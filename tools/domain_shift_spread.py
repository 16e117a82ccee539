"""The spread over seeds 0-4 of lesson 06's asserted effects, from which its thresholds were chosen.

    python tools/domain_shift_spread.py matrix 0 1 2 3 4   # TF-IDF gap, frozen minus TF-IDF across domains
    python tools/domain_shift_spread.py dapt 0 1 2 3 4     # masked-loss change: held-out tweets, Wikipedia

Runs the lesson's own steps in the tiny profile with each seed (the subsample, the splits, the held-out
tweets, the masks and the training batches) and prints one JSON line a seed.
"""

from __future__ import annotations

import json
import sys

import numpy

from tlcourse import assets, baseline, domain_adaptation, domain_shift, lm, sentences, tokenization
from tlcourse import sentiment_domains as sd

PER_DOMAIN, DAPT_STEPS = 300, 60  # the lesson's tiny parameters


def matrix(seed: int, full: dict, tokenizer, encoder) -> dict:
    domains = {d: domain_shift.balanced_subsample(full[d], PER_DOMAIN, seed=seed) for d in sd.DOMAINS}
    tfidf = domain_shift.cross_domain(domain_shift.text_model(baseline.tfidf_logreg, domains), domains)
    features = {d: sentences.encode(tokenizer, encoder, domains[d]["text"]) for d in domains}
    on_features = domain_shift.feature_model(sentences.frozen_classifier, features, domains)
    frozen = domain_shift.cross_domain(on_features, domains)
    t_in, t_across = domain_shift.in_and_across(tfidf)
    f_in, f_across = domain_shift.in_and_across(frozen)
    return dict(
        seed=seed,
        tfidf_in=t_in.mean(),
        tfidf_across=t_across.mean(),
        tfidf_gap=(t_in - t_across).mean(),
        frozen_in=f_in.mean(),
        frozen_across=f_across.mean(),
        frozen_minus_tfidf_across=(f_across - t_across).mean(),
    )


def dapt(seed: int, tweets: list[str], wiki_valid: list[str]) -> dict:
    tokenizer, model = assets.load("wiki_bert", "tiny")
    train, held = domain_adaptation.held_out_texts(tweets, share=0.2, seed=seed)
    train_blocks, held_blocks = (domain_adaptation.text_blocks(tokenizer, t) for t in (train, held))
    wiki_blocks = domain_adaptation.text_blocks(tokenizer, wiki_valid)[: len(held_blocks)]
    scoring = dict(
        mask_id=tokenizer.mask_token_id, special_ids=tuple(sorted(tokenizer.all_special_ids)), seed=seed
    )
    before = [domain_adaptation.block_losses(model, b, **scoring) for b in (held_blocks, wiki_blocks)]
    config = lm.TrainConfig(steps=DAPT_STEPS, batch=32, lr=3e-4, eval_every=DAPT_STEPS, mask_probability=0.4)
    domain_adaptation.continue_pretraining(model, tokenizer, train_blocks, config, seed=seed)
    after = [domain_adaptation.block_losses(model, b, **scoring) for b in (held_blocks, wiki_blocks)]
    return dict(
        seed=seed,
        steps=DAPT_STEPS,
        tweets_change=float(numpy.nanmean(after[0]) - numpy.nanmean(before[0])),
        wiki_change=float(numpy.nanmean(after[1]) - numpy.nanmean(before[1])),
    )


def main() -> int:
    part, seeds = sys.argv[1], [int(s) for s in sys.argv[2:]]
    if part == "matrix":
        full = {d: sd.load(d, profile="tiny") for d in sd.DOMAINS}
        tokenizer, encoder = assets.load("encoder", "tiny")
        rows = (matrix(seed, full, tokenizer, encoder) for seed in seeds)
    elif part == "dapt":
        tweets = sd.load("tweets", profile="tiny")["text"]
        _, wiki_valid = tokenization.split_wiki(assets.load("wiki", "tiny"))
        rows = (dapt(seed, tweets, wiki_valid) for seed in seeds)
    else:
        raise SystemExit("usage: python tools/domain_shift_spread.py matrix|dapt SEED ...")
    for row in rows:
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
