"""Read the trilingual label line of a case study: País / Pays / Country, Área temática /
Thématique / Thematic area, Palabras clave / Mots-clés / Key words.

Labels are matched accent- and case-insensitively, with or without the French space
before the colon. The line becomes fields; what follows the keywords is the abstract.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_LABELS = {
    "country": r"pa[i]s|pays|country|countries|pa[i]ses",
    "theme": r"area tematica|areas tematicas|domaine thematique|domaines thematiques|thematique|"
             r"thematic areas?|theme|tema|themes",
    "keywords": r"palabras? claves?|mots[- ]?cles?|key ?words?",
}
_LABEL_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items()) + r")\s*:", re.I)
#: Openings of an abstract that follows the keywords with no separator ("… empoderamiento Este
#: estudio de caso …").
_ABSTRACT_START = re.compile(
    r"\b(?:this|the present|este|esta|el presente|la presente|cette|ce|le present|la presente)"
    r" (?:case study|study|paper|estudio|documento|etude|document|publication)\b")


@dataclass
class Labels:
    """Raw label values as the page wrote them, and the text after the label line."""

    country: list[str] = field(default_factory=list)
    theme: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    rest: str = ""


def fold_aligned(text: str) -> str:
    """Lower-case and strip accents character by character, keeping every index in place."""
    out = []
    for ch in text:
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        low = base.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


def parse(text: str) -> Labels | None:
    """Return the labels when text starts with a label line, else None.

    A label line starts with a known label and has at least two of country, theme and
    keywords (so a sentence such as "Theme: …" alone stays body text).
    """
    head = fold_aligned(text[:200])  # cheap test first: passages may be 500,000 characters long
    first = _LABEL_RE.search(head)
    if first is None or head[:first.start()].strip():
        return None
    folded = fold_aligned(text)
    matches = list(_LABEL_RE.finditer(folded))
    if not matches or folded[:matches[0].start()].strip():
        return None
    if len({m.lastgroup for m in matches}) < 2:
        return None
    labels = Labels()
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end():end].strip()
        if m.lastgroup == "keywords":
            value, rest = split_abstract(value)
            labels.rest = rest
            labels.keywords += [k for k in (_tidy(p) for p in value.split(",")) if k]
        elif m.lastgroup == "country":
            labels.country += [c for c in (_tidy(p) for p in re.split(r"[,;/]", value)) if c]
        else:
            labels.theme += [t for t in (_tidy(p) for p in re.split(r"[;/]", value)) if t]
    return labels


def split_abstract(value: str) -> tuple[str, str]:
    """Split "kw1, kw2 This case study …" into keywords and abstract."""
    m = _ABSTRACT_START.search(fold_aligned(value))
    if m:
        return value[:m.start()], value[m.start():].strip()
    last_comma = value.rfind(",")
    tail_start = last_comma + 1 if last_comma >= 0 else 0
    words = list(re.finditer(r"\S+", value[tail_start:]))
    # The last keyword holds at least one word; a capitalised word after it that opens a
    # sentence of six or more words starts the abstract.
    for w in words[1:]:
        if w.group()[0].isupper() and len(value[tail_start + w.start():].split()) >= 6:
            cut = tail_start + w.start()
            return value[:cut], value[cut:].strip()
    return value, ""


def _tidy(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip(" .;:·-")
