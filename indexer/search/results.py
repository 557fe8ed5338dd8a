"""The parts of a search body: a hit as a result (its stored fields, snippet and the links to
its other language versions), a facet's listing with labels in the UI language, and the copy
of a body that the answer cache keeps."""
from __future__ import annotations

import time
from functools import lru_cache

from indexer.codec.readers import stored_fields as read_stored_fields
from indexer.search import marks, snippets, translations
from indexer.settings import FACETS
from indexer.text import taxonomy


def page(searcher, versions, highlighter, schema, chains: dict, query, hits: list, typed=None,
         labels=(), ui: str = "en") -> list[dict]:
    """Return the page's hits (Whoosh ``Hit`` or ``translations.Translation``) as ``/api/search`` results.

    :param versions: the index's ``versions.VersionData`` (translation groups and links).
    :param highlighter, schema, chains, typed: what ``snippets.snippet`` takes.
    :param labels: the facet values the query names (``labels.Named``), for ``matched``
        (their names in the interface's language ui)."""
    if not hits:
        return []
    column, links = versions.group_column(searcher), versions.links(searcher)
    memo: dict = {}  # the query's words per field, found once for the page (``marks.words_of``)
    return [result(searcher, column, links, highlighter, schema, chains, query, hit, typed, labels, ui, memo)
            for hit in hits]


def result(searcher, column, links, highlighter, schema, chains: dict, query, hit, typed=None, labels=(),
           ui: str = "en", memo: dict | None = None) -> dict:
    """Return one hit as a result; column and links: the index version's translation groups
    (``versions.GroupColumn``) and ``versions.Links``."""
    version = isinstance(hit, translations.Translation)
    f = stored_fields(searcher, hit.docnum)
    return shown(f, highlighter, schema, chains, query, hit, typed, labels, ui, memo, version=version,
                 score=hit.score, links=translation_links(column, links, hit.docnum))


def shown(f: dict, highlighter, schema, chains: dict, query, hit, typed=None, labels=(), ui: str = "en",
          memo: dict | None = None, version: bool = False, score: float | None = 0.0,
          links: list | None = None) -> dict:
    """Return a document's stored fields f as a result: its snippet and marked title, why it
    matched, its score and the links to its other versions (any store: hit is None when the
    store has no Whoosh hit, and the snippet marks the query's own terms)."""
    snippet = snippets.snippet(highlighter, schema, chains, hit, f, query, version=version, typed=typed, memo=memo)
    title = marks.title_html(schema, chains, f, query, typed, memo)
    carried = {"theme": f.get("themes", []), "country": f.get("countries", [])}
    named = [{"text": facet_label(n.facet, n.value, ui), "via": "label", "facet": n.facet, "value": n.value}
             for n in labels if n.value in carried.get(n.facet, ())]
    # its key words ("Palabras clave") holding a word of the query
    named += [{"text": k, "via": "keyword"} for k in f.get("keywords", ())
              if "<mark" in marks.title_html(schema, chains, {"title": k, "lang": f["lang"]}, query, typed, memo)]
    return {
        "id": f["id"], "url": f["url"], "title": f["title"], "lang": f["lang"], "type": f["type"],
        "title_html": title, "matched": marks.matched(title, snippet, named),
        "country": f.get("countries", []), "themes": f.get("themes", []),
        "keywords": f.get("keywords", []), "date": f.get("date"), "snippet": snippet,
        "score": round(float(score or 0.0), 4),
        "translations": links or [],
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
            "facets": {f: facet_listing(f, {}, filters.get(f, []), ui) for f in FACETS},
            "corrected": None, "suggestion": None, "nearby": []}


def facet_listing(name: str, counts: dict[str, int], chosen: list[str], ui: str,
                  order: dict[str, int] | None = None) -> list[dict]:
    """Return a facet's values with their counts and labels; a chosen value stays listed,
    with 0 when nothing is left.

    :param order: each value's count in the search without filters: values are listed by
        it (most first, then by label), so that they keep their places as filters are
        ticked; by default by their own counts.
    """
    for v in chosen:
        counts.setdefault(v, 0)
    order = counts if order is None else order
    items = [{"value": v, "label": facet_label(name, v, ui), "count": c}
             for v, c in counts.items() if c or v in chosen]
    items.sort(key=lambda it: (-order.get(it["value"], 0), it["label"]))
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
                           matched=[dict(m) for m in r["matched"]],
                           translations=[dict(t) for t in r["translations"]]) for r in body["results"]]
    out["facets"] = {f: [dict(item) for item in items] for f, items in body["facets"].items()}
    out["corrected"] = dict(body["corrected"]) if body.get("corrected") else None
    out["nearby"] = list(body.get("nearby", ()))
    return out
