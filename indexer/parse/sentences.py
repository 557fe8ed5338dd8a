"""Sentences: the first sentence of a text, for the title of a document that has none of its
own (a plain-text page, a listing item without a heading)."""
from __future__ import annotations

import re

#: A sentence's end: its final mark and any closing quotes or brackets, before the space and
#: the capital, digit or opening mark of the next sentence.
_SENTENCE_END = re.compile(r"[.!?][\"”’'»)\]]*(?=\s+[\"“‘«¿¡(]?[A-ZÀ-Ý0-9])")
#: Abbreviations whose dot ends no sentence: initials (J. Smith, U.S.), titles (Ms., Dr., Sra.,
#: Mme), and month and other short forms ("Nov. 12", "No. 5", "p. 3", "e.g.", "approx.").
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:(?:[A-Z]\.)*[A-Z]|Mr|Ms|Mrs|Messrs|Dr|Drs|Sr|Sra|Srta|Sres|Dra|Dña|Lic|Ing|Arq|St|Mt|Mme|Mmes|"
    r"Mlle|Mlles|Me|Pr|Prof|Gen|Gov|Sen|Rep|Hon|Rev|Jr|No|Nr|Nos|Núm|Vol|Art|Fig|Ed|Eds|Ch|Sec|pp?|"
    r"vs|cf|ca|approx|e\.g|i\.e|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Inc|Ltd|Co|Corp)\.$")
#: Characters of a title cut from a long first sentence (``first_sentence``).
TITLE_LIMIT = 90


def first_sentence(text: str, limit: int = TITLE_LIMIT) -> str:
    """Return the first sentence of text, verbatim but for a final full stop, cut at a word
    boundary with "…" when it is longer than limit characters. A sentence ends at a full stop,
    question or exclamation mark (and the quotes closing there) followed by a capital, a
    digit or an opening mark, unless the dot ends an abbreviation ("Ms. Riallant")."""
    text = text.strip()
    sentence = text
    for m in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text[:m.start() + 1]):
            sentence = text[:m.end()]
            break
    sentence = sentence.rstrip(".…").rstrip()
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence
