"""The taxonomy of facet values: thematic areas (``data/taxonomy.json``), document types, and
language and country names from Babel (CLDR), both to read labels and to display them.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from babel import Locale

from indexer.model import DOC_TYPES
from indexer.settings import UI_LANGS
from indexer.text.analyzers import fold

#: UI languages; labels fall back to English.
#: Locales whose territory names are read to recognise a country label.
_NAME_LOCALES = ("en", "es", "fr", "pt", "it", "de")
#: CLDR territory codes that are not ISO 3166-1 countries.
_NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


@lru_cache(maxsize=1)
def taxonomy() -> dict:
    """Return the taxonomy data file."""
    return json.loads(resources.files("indexer").joinpath("data/taxonomy.json").read_text("utf-8"))


def slug(text: str) -> str:
    """Return the ASCII slug of a label ("Inclusión Social" → "inclusion-social")."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


@lru_cache(maxsize=1)
def _theme_variants() -> dict[str, str]:
    variants = {}
    for theme_id, names in taxonomy()["themes"].items():
        variants[fold(theme_id.replace("-", " "))] = theme_id
        for lang_names in names.values():
            for name in lang_names:
                variants[_label_key(name)] = theme_id
    return variants


def _label_key(label: str) -> str:
    return " ".join(re.findall(r"\w+", fold(label)))


def theme_id(label: str) -> tuple[str, bool]:
    """Return (canonical id, known) for a theme label in any language."""
    known = _theme_variants().get(_label_key(label))
    return (known, True) if known else (slug(label), False)


def theme_label(theme: str, ui: str = "en") -> str:
    """Return a theme's display label in the UI language."""
    names = taxonomy()["themes"].get(theme)
    if not names:
        return theme.replace("-", " ").capitalize()
    return (names.get(ui) or names["en"])[0]


def type_label(doc_type: str, ui: str = "en") -> str:
    """Return a document type's display label in the UI language."""
    names = taxonomy()["types"].get(doc_type, {})
    return names.get(ui) or names.get("en") or doc_type


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names = {}
    for loc in _NAME_LOCALES:
        for code, name in Locale.parse(loc).territories.items():
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES:
                names.setdefault(_label_key(name), code.lower())
    return names


def country_code(name: str) -> str | None:
    """Return the ISO 3166-1 alpha-2 code (lower case) for a country name in any language."""
    key = _label_key(name)
    if re.fullmatch(r"[a-z]{2}", key) and is_country(key):
        return key
    return _country_names().get(key)


def find_country(text: str, max_words: int = 4) -> str | None:
    """Return the first country named in text (word n-grams), or None."""
    words = re.findall(r"\w+", fold(text))
    names = _country_names()
    for i in range(len(words)):
        for n in range(max_words, 0, -1):
            code = names.get(" ".join(words[i:i + n]))
            if code and len(words[i:i + n]) == n:
                return code
    return None


@lru_cache(maxsize=1)
def theme_ids() -> frozenset[str]:
    """Return the taxonomy's theme ids (read once: ``taxonomy`` parses its file each call)."""
    return frozenset(taxonomy()["themes"])


@lru_cache(maxsize=4096)
def is_country(code: str) -> bool:
    """Tell whether code is an ISO 3166-1 alpha-2 code Babel knows (lower case)."""
    upper = code.upper()
    return len(code) == 2 and upper not in _NOT_COUNTRIES and upper in Locale.parse("en").territories


def country_label(code: str, ui: str = "en") -> str:
    """Return a country's name in the UI language."""
    return Locale.parse(_ui(ui)).territories.get(code.upper(), code.upper())


@lru_cache(maxsize=4096)
def is_language(code: str) -> bool:
    """Tell whether code is a language code Babel knows, or ``und``."""
    return code == "und" or (code.isalpha() and code in Locale.parse("en").languages)


def language_label(code: str, ui: str = "en") -> str:
    """Return a language's name in the UI language, capitalised for a list of choices."""
    if code == "und":
        return {"es": "Indeterminado", "fr": "Indéterminée"}.get(ui, "Undetermined")
    name = Locale.parse(_ui(ui)).languages.get(code, code)
    return name[:1].upper() + name[1:]


def is_type(doc_type: str) -> bool:
    return doc_type in DOC_TYPES


def _ui(ui: str) -> str:
    return ui if ui in UI_LANGS else "en"
