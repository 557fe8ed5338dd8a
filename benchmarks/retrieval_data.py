"""Retrieval test collections for the relevance benchmark, and the query variants.

Each collection is SQuAD-shaped JSON: one paragraph is one document (id ``title#index``),
one question is one query whose single relevant document is its paragraph.
"""
from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

#: Collection name → (language, path inside the data folder).
COLLECTIONS = {
    "en": ("en", "xquad/xquad.en.json"),
    "es": ("es", "xquad/xquad.es.json"),
    "fr": ("fr", "piaf/piaf-v1.0.json"),
}
#: Cross-language runs: query collection → document collection (XQuAD is parallel).
CROSS = {"es": "en", "en": "es"}


@dataclass
class Paragraph:
    id: str
    title: str
    text: str
    lang: str


@dataclass
class Collection:
    lang: str
    docs: list[Paragraph]
    queries: dict[str, str]  # question id → question
    qrels: dict[str, str]  # question id → relevant paragraph id


def _clean_title(title: str) -> str:
    """Return a Wikipedia title as a person reads it ("Super_Bowl_50" → "Super Bowl 50")."""
    return re.sub(r"<[^>]+>", "", title).replace("_", " ").strip()


def load(data_dir: str | Path, name: str, limit: int | None = None) -> Collection:
    """Load one collection; ``limit`` keeps the first N questions (all paragraphs stay)."""
    lang, rel = COLLECTIONS[name]
    path = Path(data_dir) / rel
    if not path.is_file():
        raise SystemExit(f"error: {path} not found (is --data the retrieval folder?)")
    data = json.loads(path.read_text("utf-8"))["data"]
    docs, queries, qrels = [], {}, {}
    for article in data:
        title = _clean_title(article["title"])
        for i, para in enumerate(article["paragraphs"]):
            doc_id = f"{article['title']}#{i}"
            docs.append(Paragraph(doc_id, title, para["context"].replace("\ufeff", "").strip(), lang))
            for qa in para["qas"]:
                if qa["id"] in queries or not qa["question"].strip():
                    continue
                queries[qa["id"]] = qa["question"].strip()
                qrels[qa["id"]] = doc_id
    if limit:
        keep = list(queries)[:limit]
        queries = {q: queries[q] for q in keep}
        qrels = {q: qrels[q] for q in keep}
    return Collection(lang, docs, queries, qrels)


def strip_accents(text: str) -> str:
    """Remove diacritics, keep case: what a person types on a keyboard without accents."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def add_typo(text: str, seed: str) -> str:
    """Make one random edit (insert, delete, substitute, transpose) in the longest word of
    5+ letters; the text is returned unchanged when it has no such word."""
    words = [(m.start(), m.group()) for m in re.finditer(r"[^\W\d_]+", text)]
    words = [(start, w) for start, w in words if len(w) >= 5]
    if not words:
        return text
    start, word = max(words, key=lambda sw: len(sw[1]))  # the first of the longest
    rng = random.Random(seed)
    kind = rng.choice(("insert", "delete", "substitute", "transpose"))
    i = rng.randrange(len(word))
    if kind == "insert":
        new = word[:i] + rng.choice(_LETTERS) + word[i:]
    elif kind == "delete":
        new = word[:i] + word[i + 1:]
    elif kind == "substitute":
        letter = rng.choice([c for c in _LETTERS if c != word[i].lower()])
        new = word[:i] + letter + word[i + 1:]
    else:
        i = min(i, len(word) - 2)
        new = word[:i] + word[i + 1] + word[i] + word[i + 2:] if word[i] != word[i + 1] else \
            word[:i] + rng.choice(_LETTERS) + word[i + 1:]
    return text[:start] + new + text[start + len(word):]


def variant_queries(queries: dict[str, str], variant: str, seed: int = 42) -> dict[str, str]:
    """Return the questions of one variant (``plain`` and ``cross`` use them as they are)."""
    if variant == "no-accents":
        return {q: strip_accents(t) for q, t in queries.items()}
    if variant == "typo":
        return {q: add_typo(t, f"{seed}:{q}") for q, t in queries.items()}
    return dict(queries)
