"""The Whoosh schema: per-language text fields, one language-neutral field, facet fields."""
from __future__ import annotations

import json

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from indexer.settings import FACETS
from indexer.text.analyzers import STEMMED, language_analyzer, neutral_analyzer

#: Each facet (``settings.FACETS``) and the keyword field it is stored in (its own name).
FACET_FIELDS = {facet: facet for facet in FACETS}
#: Relative weight of a title match against a body match.
TITLE_BOOST = 2.0


#: The ``link`` column's layout: this mark, then the fields joined by the separator, UTF-8
#: (split in 0.3 µs; JSON, the first layout, took 2.6). Control characters in a title are
#: spaces there (a URL has none).
LINK_MARK, LINK_SEPARATOR = b"\x1e", "\x1f"
_CONTROL = dict.fromkeys(range(32), " ")


def link_bytes(doc_id: str, lang: str, url: str, title: str) -> bytes:
    """Return a document's ``link`` column value."""
    fields = [str(f or "").translate(_CONTROL) for f in (doc_id, lang, url, title)]
    return LINK_MARK + LINK_SEPARATOR.join(fields).encode("utf-8")


def link_fields(raw: bytes) -> list:
    """Return (id, language, URL, title) from a ``link`` column value (either layout)."""
    if raw[:1] == LINK_MARK:
        return raw[1:].decode("utf-8").split(LINK_SEPARATOR)
    return json.loads(raw)


def document_body(text: str, keywords) -> str:
    """Return what a document's body fields index: its text, then its key words."""
    return "\n".join([text or "", ", ".join(keywords or ())]).strip()


def text_fields() -> list[str]:
    """Return every field a free-text query searches."""
    names = []
    for lang in STEMMED:
        names += [f"title_{lang}", f"content_{lang}"]
    return names + ["title_any", "content_any"]


def build_schema() -> Schema:
    """Return a new schema (fresh analyzers each time: they hold stemmer caches)."""
    fields = {
        "id": ID(stored=True, unique=True),
        "url": STORED(),
        "source": ID(stored=True),
        "title": STORED(),
        "text": STORED(),
        "keywords": STORED(),
        "themes": STORED(),
        "countries": STORED(),
        "lang": ID(stored=True),
        "type": ID(stored=True),
        "theme": KEYWORD(commas=True, scorable=False),
        "country": KEYWORD(commas=True, lowercase=True, scorable=False),
        "group": ID(stored=True),
        # "YYYY-MM-DD" (absent when undated): stored for the result, indexed so that the read
        # side builds its day numbers for sorting from the postings (``search.versions``).
        "date": ID(stored=True),
        # What a link to the document shows (its id, language, URL and title: ``link_bytes``),
        # read per document without unpickling its stored fields: the translations of a result.
        "link": COLUMN(VarBytesColumn()),
        "title_any": TEXT(analyzer=neutral_analyzer(), field_boost=TITLE_BOOST),
        "content_any": TEXT(analyzer=neutral_analyzer(), spelling=True),
    }
    for lang in STEMMED:
        fields[f"title_{lang}"] = TEXT(analyzer=language_analyzer(lang), field_boost=TITLE_BOOST)
        # spelling: Whoosh also keeps the words as written (spell_content_xx), for accents.
        fields[f"content_{lang}"] = TEXT(analyzer=language_analyzer(lang), spelling=True)
    return Schema(**fields)
