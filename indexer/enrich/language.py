"""Language identification, restricted to the languages m4d-search stems.

Lingua (lingua-language-detector) is used: it is accurate on short texts (titles, one-line
abstracts) where n-gram detectors such as langid.py guess, it can be restricted to a set of
languages, and its models ship inside the wheel (no download at run time).
"""
from __future__ import annotations

from functools import lru_cache

from indexer.text.analyzers import STEMMED

#: Below this confidence the text's language is ``und``.
MIN_CONFIDENCE = 0.5
#: Only this many characters are read: enough to decide, cheap on huge pages.
SAMPLE_CHARS = 2000


@lru_cache(maxsize=1)
def _detector():
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in STEMMED]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def detect(text: str) -> str:
    """Return the ISO 639-1 code of text's language among en/es/fr, or ``und``."""
    sample = text[:SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < 3:
        return "und"
    values = _detector().compute_language_confidence_values(sample)
    if not values or values[0].value < MIN_CONFIDENCE:
        return "und"
    return values[0].language.iso_code_639_1.name.lower()
