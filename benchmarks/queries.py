"""Seeded query sets drawn from a corpus's own words, for the query benchmark.

A query is ``{"q": str, "lang": code, "words": [...], "phrase": bool, "filters": {facet: [value]}}``:
1–3 words of one language (picked by frequency among the words of that language's
documents, so common words come up more often, as in real query logs), or a two-word phrase
cut from a document; half of them carry one or two facet filters (language, theme, country).
"""
from __future__ import annotations

import random
import re
from collections import Counter

#: Short function words are not what people type; frequent content words are.
MIN_WORD = 4
_WORD = re.compile(r"[^\W\d_]+")


def vocabulary(rows: list[dict]) -> dict[str, tuple[list[str], list[int]]]:
    """Return per language the words of its documents (≥ MIN_WORD letters) and their counts,
    leaving out the 40 most frequent (function words)."""
    counts: dict[str, Counter] = {}
    for r in rows:
        words = _WORD.findall(f"{r['title']} {r['body']}".lower())
        counts.setdefault(r["lang"], Counter()).update(w for w in words if len(w) >= MIN_WORD)
    vocab = {}
    for lang, c in counts.items():
        common = c.most_common()[40:]
        vocab[lang] = ([w for w, _ in common], [n for _, n in common])
    return vocab


def make_queries(rows: list[dict], n: int, seed: int = 1) -> list[dict]:
    """Return n seeded queries (see the module docstring); repeats are possible."""
    rng = random.Random(seed)
    vocab = vocabulary(rows)
    langs = sorted(lang for lang in vocab if lang in ("en", "es", "fr"))
    themes = sorted({t for r in rows for t in r["themes"]})
    countries = sorted({c for r in rows for c in r["country"]})
    by_lang = {lang: [r for r in rows if r["lang"] == lang] for lang in langs}
    out = []
    for _ in range(n):
        lang = rng.choice(langs)
        words, weights = vocab[lang]
        phrase = rng.random() < 0.2
        if phrase:
            doc = rng.choice(by_lang[lang])
            tokens = _WORD.findall(doc["body"].lower())
            pairs = [(a, b) for a, b in zip(tokens, tokens[1:], strict=False)
                     if len(a) >= MIN_WORD and len(b) >= MIN_WORD]
            picked = list(rng.choice(pairs)) if pairs else rng.choices(words, weights, k=2)
            q = f'"{" ".join(picked)}"'
        else:
            picked = rng.choices(words, weights, k=rng.choice([1, 1, 2, 2, 3]))
            picked = list(dict.fromkeys(picked))
            q = " ".join(picked)
        filters: dict[str, list[str]] = {}
        if rng.random() < 0.5:
            for facet in rng.sample(["lang", "theme", "country"], rng.choice([1, 1, 2])):
                filters[facet] = [{"lang": lang, "theme": rng.choice(themes),
                                   "country": rng.choice(countries)}[facet]]
        out.append({"q": q, "lang": lang, "words": picked, "phrase": phrase, "filters": filters})
    return out


def zipf_stream(distinct: list[dict], length: int, s: float = 1.0, seed: int = 2) -> list[dict]:
    """Return ``length`` queries drawn from ``distinct`` with Zipf(s) popularity by rank:
    a few queries come back often, most come once or never (no cache holds them all)."""
    rng = random.Random(seed)
    weights = [1.0 / (rank ** s) for rank in range(1, len(distinct) + 1)]
    order = list(distinct)
    rng.shuffle(order)
    return rng.choices(order, weights, k=length)
