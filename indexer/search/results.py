"""The parts of a search body: a hit as a result (its stored fields, snippet and the links to
its other language versions), a facet's listing with labels in the UI language, and the copy
of a body that the answer cache keeps."""
from __future__ import annotations

import time
from functools import lru_cache

from indexer.codec.readers import stored_fields as read_stored_fields
from indexer.search import snippets, translations
from indexer.settings import FACETS
from indexer.text import taxonomy


def page(searcher, versions, highlighter, schema, chains: dict, query, hits: list, typed=None) -> list[dict]:
    """Return the page's hits (Whoosh ``Hit`` or ``translations.Translation``) as ``/api/search`` results.

    :param versions: the index's ``versions.VersionData`` (translation groups and links).
    :param highlighter, schema, chains, typed: what ``snippets.snippet`` takes."""
    if not hits:
        return []
    column, links = versions.group_column(searcher), versions.links(searcher)
    return [result(searcher, column, links, highlighter, schema, chains, query, hit, typed) for hit in hits]


def result(searcher, column, links, highlighter, schema, chains: dict, query, hit, typed=None) -> dict:
    """Return one hit as a result; column and links: the index version's translation groups
    (``versions.GroupColumn``) and ``versions.Links``."""
    version = isinstance(hit, translations.Translation)
    f = stored_fields(searcher, hit.docnum)
    snippet = snippets.snippet(highlighter, schema, chains, hit, f, query, version=version, typed=typed)
    return {
        "id": f["id"], "url": f["url"], "title": f["title"], "lang": f["lang"], "type": f["type"],
        "title_html": snippets.title_html(schema, chains, f, query, typed),
        "country": f.get("countries", []), "themes": f.get("themes", []),
        "keywords": f.get("keywords", []), "snippet": snippet,
        "score": round(float(hit.score or 0.0), 4),
        "translations": translation_links(column, links, hit.docnum),
    }


def translation_links(column, links, docnum: int) -> list[dict]:
    """Return the other versions of a document's work, by language."""
    group = int(column.of[docnum])
    if group < 0:
        return []
    found = [links[d] for d in column.members[group] if d != docnum]
    found.sort(key=lambda t: t["lang"])
    return found


def stored_fields(searcher, docnum: int) -> dict:
    """Return a document's stored fields from its segment's column. Whoosh's reader copies
    them into a new dict without the fields no longer in the schema (a third of the time
    here); every field read here is in the schema."""
    return read_stored_fields(searcher.reader(), docnum)


def empty_body(q: str, filters: dict[str, list[str]], page: int, per_page: int, ui: str, started: float) -> dict:
    """Return the ``/api/search`` body of a search in an empty index (started: when the
    search began, ``time.perf_counter``)."""
    return {"query": q, "total": 0, "page": page, "per_page": per_page, "pages": 1,
            "took_ms": round((time.perf_counter() - started) * 1000, 2), "results": [],
            "facets": {f: facet_listing(f, {}, filters.get(f, []), ui) for f in FACETS}, "suggestion": None}


def facet_listing(name: str, counts: dict[str, int], chosen: list[str], ui: str) -> list[dict]:
    """Return a facet's values with their counts and labels, most documents first; a chosen
    value stays listed, with 0 when nothing is left."""
    for v in chosen:
        counts.setdefault(v, 0)
    items = [{"value": v, "label": facet_label(name, v, ui), "count": c}
             for v, c in counts.items() if c or v in chosen]
    items.sort(key=lambda it: (-it["count"], it["label"]))
    return items


@lru_cache(maxsize=4096)
def facet_label(facet: str, value: str, ui: str = "en") -> str:
    """Return the display label of a facet value in the UI language (kept: Babel's look-ups
    cost more than the rest of a facet's listing)."""
    if facet == "lang":
        return taxonomy.language_label(value, ui)
    if facet == "country":
        return taxonomy.country_label(value, ui)
    if facet == "theme":
        return taxonomy.theme_label(value, ui)
    return taxonomy.type_label(value, ui)


def copy_body(body: dict) -> dict:
    """Copy a search body deeply enough that callers may change it without touching a cached one."""
    out = dict(body)
    out["results"] = [dict(r, country=list(r["country"]), themes=list(r["themes"]), keywords=list(r["keywords"]),
                           translations=[dict(t) for t in r["translations"]]) for r in body["results"]]
    out["facets"] = {f: [dict(item) for item in items] for f, items in body["facets"].items()}
    return out
