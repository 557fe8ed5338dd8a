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


def theme_names() -> dict[str, str]:
    """Return each theme label of any language (its words folded, space-separated) → theme id."""
    return _theme_variants()


@lru_cache(maxsize=1)
def ui_country_names() -> dict[str, str]:
    """Return each country name in the UI languages (words folded, space-separated) → code;
    fewer than ``country_code`` reads (Italian "cina", Portuguese "gana" are words here)."""
    names = {}
    for loc in UI_LANGS:
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
    """Tell whether code is a language tag whose language Babel knows ("es", "zh-Hant",
    "pt-BR": language, then an optional script and region, as ``parse.extract`` writes them),
    or ``und``."""
    if code == "und":
        return True
    match = _LANG_TAG.fullmatch(code)
    if match is None:
        return False
    lang, script, region = match.groups()
    names = Locale.parse("en")
    return (lang in names.languages and (script is None or script in names.scripts)
            and (region is None or region in names.territories))


#: A language tag as the index keeps it: language, optional script (Title case), optional region.
_LANG_TAG = re.compile(r"([a-z]{2,3})(?:-([A-Z][a-z]{3}))?(?:-([A-Z]{2}|[0-9]{3}))?")
#: Languages whose facet value is the primary subtag alone, whatever the region ("en-US" → "en").
PRIMARY_ONLY = frozenset({"en", "es", "fr"})


def language_tag(value: str | None) -> str | None:
    """Return a language tag as the index keeps it (the ``lang`` facet value), or None when
    value is not one.

    en, es and fr keep their primary subtag alone ("es-EC" → "es": DESIGN.md's facet
    values); another language keeps its script and region, in BCP 47's casing
    ("zh_hant_tw" → "zh-Hant-TW", "pt-br" → "pt-BR"); variants and extensions are dropped.
    """
    if not value:
        return None
    parts = value.strip().replace("_", "-").split("-")
    sub = parts[0].lower()
    if not re.fullmatch(r"[a-z]{2,3}", sub):
        return None
    if sub in PRIMARY_ONLY:
        return sub
    tag, rest = [sub], parts[1:]
    if rest and re.fullmatch(r"[A-Za-z]{4}", rest[0]):
        tag.append(rest.pop(0).title())
    if rest and re.fullmatch(r"[A-Za-z]{2}|[0-9]{3}", rest[0]):
        tag.append(rest.pop(0).upper())
    return "-".join(tag)


@lru_cache(maxsize=4096)
def language_label(code: str, ui: str = "en") -> str:
    """Return a language's name in the UI language, capitalised for a list of choices.

    A tag with a script or region: CLDR's own name when it has one ("zh-Hant" → "Traditional
    Chinese", "pt-BR" → "Brazilian Portuguese"), else the language's name with the script's
    and region's ("zh-Hant-TW" → "Chinese (Traditional, Taiwan)").
    """
    if code == "und":
        return {"es": "Indeterminado", "fr": "Indéterminée"}.get(ui, "Undetermined")
    locale = Locale.parse(_ui(ui))
    name = locale.languages.get(code.replace("-", "_"))
    if name is None:
        match = _LANG_TAG.fullmatch(code)
        if match is None:
            name = code
        else:
            lang, script, region = match.groups()
            name = locale.languages.get(lang, lang)
            details = [n for n in (script and locale.scripts.get(script, script),
                                   region and locale.territories.get(region, region)) if n]
            if details:
                name = f"{name} ({', '.join(details)})"
    return name[:1].upper() + name[1:]


def is_type(doc_type: str) -> bool:
    return doc_type in DOC_TYPES


def _ui(ui: str) -> str:
    return ui if ui in UI_LANGS else "en"
