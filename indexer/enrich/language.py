"""Language identification: a document's language read from its text, its declared language a hint.

Lingua (lingua-language-detector) is used: it is accurate on short texts (titles, one-line
abstracts) where n-gram detectors such as langid.py guess, it can be restricted to a set of
languages, and its models ship inside the wheel (no download at run time).

A detector is built for a small set of languages only (en, es, fr and the declared one):
one over all of Lingua's 75 languages costs hundreds of MB and is several times slower.
"""
from __future__ import annotations

import re
from functools import lru_cache

from indexer.text.analyzers import STEMMED, has_cjk

#: Below this confidence the text's language is ``und`` (a document that declares none).
MIN_CONFIDENCE = 0.5
#: Characters read in all: the text's beginning, middle and end (a page may open with an
#: English menu or close with a footer), enough to decide, cheap on huge pages.
SAMPLE_CHARS = 900
#: A sample with fewer letters keeps its declared language: too short to overrule a page.
MIN_LETTERS = 200
#: Detection overrules the declared language only at this confidence or above.
RELABEL_CONFIDENCE = 0.8
#: ... and with the declared language's own confidence at most this (of the same detector).
DECLARED_MAX = 0.1


#: A page declared in a language other than en/es/fr whose words are at least this share in a
#: script other than Latin keeps its language: a Japanese or Persian page quoting English
#: code, names and references is still a Japanese or Persian page (its sample may not be).
OWN_SCRIPT_SHARE = 0.2
#: Characters of a text whose words are counted by script.
SCRIPT_CHARS = 20_000
_LETTERS = re.compile(r"[A-Za-z\u00c0-\u024f]+|[^\W\d_A-Za-z\u00c0-\u024f]+")  # a run of one script


def own_script_share(text: str) -> float:
    """Return the share of text's words written in a script other than Latin, a run of CJK
    characters counting one word per two characters (as its bigrams are indexed)."""
    latin = other = 0.0
    for word in _LETTERS.findall(text[:SCRIPT_CHARS]):
        if word[0] <= "\u024f":
            latin += 1
        elif has_cjk(word):
            other += max(1.0, len(word) / 2)
        else:
            other += 1
    return other / (latin + other) if latin + other else 0.0


def primary(tag: str) -> str:
    """Return the primary subtag of a language tag ("zh-Hant" → "zh")."""
    return tag.split("-", 1)[0].lower()


@lru_cache(maxsize=64)
def _detector(codes: frozenset[str]):
    """Return a Lingua detector over codes (ISO 639-1 codes Lingua knows), cached per set."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, code.upper()) for code in sorted(codes)]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).build()


@lru_cache(maxsize=512)
def lingua_knows(code: str) -> bool:
    """Tell whether Lingua has a model for an ISO 639-1 code."""
    from lingua import IsoCode639_1

    return len(code) == 2 and code.isalpha() and hasattr(IsoCode639_1, code.upper())


def sample(text: str, size: int = SAMPLE_CHARS) -> str:
    """Return at most size characters of text: all of it, or its beginning, middle and end,
    each cut at a space so that no word is read in half."""
    if len(text) <= size:
        return text
    part = size // 3
    middle = (len(text) - part) // 2
    pieces = []
    for start in (0, middle, len(text) - part):
        piece = text[start:start + part]
        if start and not text[start - 1].isspace():  # a word cut at the start
            piece = piece.split(None, 1)[1] if len(piece.split(None, 1)) == 2 else piece
        if start + part < len(text) and not text[start + part].isspace():  # ... at the end
            piece = piece.rsplit(None, 1)[0] if len(piece.rsplit(None, 1)) == 2 else piece
        pieces.append(piece)
    return "\n".join(pieces)


def _confidences(text: str, codes: frozenset[str]) -> dict[str, float]:
    values = _detector(codes).compute_language_confidence_values(text)
    return {v.language.iso_code_639_1.name.lower(): v.value for v in values}


def detect(text: str) -> str:
    """Return the ISO 639-1 code of text's language among en/es/fr, or ``und``."""
    text = sample(text)
    if sum(c.isalpha() for c in text) < 3:
        return "und"
    values = _confidences(text, frozenset(STEMMED))
    if not values:
        return "und"
    code, value = max(values.items(), key=lambda item: item[1])
    return code if value >= MIN_CONFIDENCE else "und"


def by_content(text: str, declared: str) -> str:
    """Return a document's language: the declared tag, unless its text is plainly in another one.

    Without a declared language (``und``), the text's language among en/es/fr (``detect``).
    A page declared in another language whose words are at least ``OWN_SCRIPT_SHARE`` in a
    non-Latin script keeps it. Otherwise the sample of text is read by a detector over en, es, fr and the declared
    language (when Lingua knows it); the declared tag stays unless the sample has at least
    ``MIN_LETTERS`` letters, one language reaches ``RELABEL_CONFIDENCE`` and the declared one
    stays under ``DECLARED_MAX``: then the detected ISO 639-1 code is returned.
    """
    if declared == "und":
        return detect(text)
    own = primary(declared)
    if own not in STEMMED and own_script_share(text) >= OWN_SCRIPT_SHARE:
        return declared
    text = sample(text)
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return declared
    codes = frozenset(STEMMED) | ({own} if lingua_knows(own) else set())
    values = _confidences(text, codes)
    if not values:
        return declared
    code, value = max(values.items(), key=lambda item: item[1])
    if code == own or value < RELABEL_CONFIDENCE or values.get(own, 0.0) > DECLARED_MAX:
        return declared
    return code
