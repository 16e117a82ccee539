"""Lesson 10's asserted thresholds: both-sided cloze and the document cache over 5 article splits.

The count models have no seed; what varies is which articles are held out. Split ``k`` rotates the
article list by ``18 * k`` before taking the last 10 for test and the 10 before them for dev. The
thresholds written in ``solutions/10_beyond_next_word.ipynb`` come from this output.

    python tools/article_splits.py
"""

from __future__ import annotations


def main() -> None:
    from tlcourse import cache_lm, cloze, documents, stats

    docs = documents.wiki_documents()
    for k in range(5):
        split = documents.split(docs[k * 18 :] + docs[: k * 18])
        results = cloze.evaluate(cloze.count(split.train, vocab_size=split.vocab_size), split.dev, split.test)
        both = stats.paired_difference(results["both sides"]["per_doc"], results["left only"]["per_doc"])
        right = stats.paired_difference(results["right only"]["per_doc"], results["left only"]["per_doc"])
        bigram = cache_lm.fit_bigram(split.train, vocab_size=split.vocab_size, dev=split.dev)
        weight, _ = cache_lm.tune_weight(cache_lm.score(bigram, split.dev))
        test = cache_lm.score(bigram, split.test)
        before, after = cache_lm.perplexity(test, weight=0.0), cache_lm.perplexity(test, weight=weight)
        control = cache_lm.perplexity(cache_lm.score(bigram, split.test, control=True), weight=weight)
        change = stats.t_interval(cache_lm.per_document(test, weight=weight))
        print(
            f"split {k}: both - left {both}; right - left {right.mean:+.3f}; cache weight {weight}: "
            f"{before:.0f} -> {after:.0f} ({after / before - 1:+.0%}), control {control:.0f}; per article "
            f"{change}"
        )


if __name__ == "__main__":
    main()
