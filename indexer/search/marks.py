"""Why a hit matched, shown on it: the words typed marked ``<mark>``, the query's other
words (glossary translations, another language's word) marked ``<mark class="alt">``, in
titles and snippets, and the list of what matched (``matched``) that a result carries."""
from __future__ import annotations

import html
import re

from whoosh import query as wq

_MARKED = re.compile(r"<mark>(.*?)</mark>", re.S)
#: The class of a mark that is not a word typed: a glossary translation, another language's word.
ALT = "alt"


def classed(snippet: str, schema, chains: dict, lang: str | None, typed, memo: dict | None = None) -> str:
    """Return a snippet (escaped HTML) with each ``<mark>`` whose word was not typed (nor a
    correction or completion of a word typed) made ``<mark class="alt">``; memo: as
    ``words_of`` takes it."""
    is_typed = _typed_check(schema, chains, lang, typed, memo)
    return _MARKED.sub(lambda m: _classed(m, is_typed), snippet)


def _typed_check(schema, chains: dict, lang: str | None, typed, memo: dict | None = None):
    """Return a function telling whether a word of a text in lang is one of the words typed
    (or their corrections or completions), as the field of that language and the
    language-neutral one analyze it."""
    checks = []
    for field in (f"content_{lang}", "content_any"):
        chain = chains.get(field)
        words = words_of(typed, schema, field, memo)
        if chain is not None and words:
            checks.append((chain, words))

    def check(word: str) -> bool:
        for chain, words in checks:
            if any(chain.term(t) in words for t in chain.expression.findall(word)):
                return True
        return False
    return check


def _classed(m: re.Match, is_typed) -> str:
    """Return a ``<mark>`` of a snippet as it is when its word was typed, else marked ``alt``."""
    return m.group() if is_typed(html.unescape(m.group(1))) else f'<mark class="{ALT}">{m.group(1)}</mark>'


def matched(title: str, snippet: str, labels: list[dict]) -> list[dict]:
    """Return why a hit matched, from its highlighted title and snippet and the labels it
    carries that the query names: ``{"text", "via"}`` with via "typed" (a word typed, or
    its correction or completion), "translation" (a glossary translation or another
    language's word), "label" (a thematic area or country the query names: with its
    ``facet`` and ``value``) or "keyword" (a key word of the document holding a query word)."""
    out, seen = [], set()
    for m in re.finditer(r'<mark( class="alt")?>(.*?)</mark>', title + "\n" + snippet, re.S):
        text = html.unescape(m.group(2))
        key = text.casefold()
        if key not in seen:
            seen.add(key)
            out.append({"text": text, "via": "translation" if m.group(1) else "typed"})
    return out + [dict(label) for label in labels]


def title_html(schema, chains: dict, fields: dict, query, typed=None, memo: dict | None = None) -> str:
    """Return a result's title as safe HTML: the words typed (``query.Plan.typed``) in
    ``<mark>``, the query's other words (glossary translations) in ``<mark class="alt">``;
    each word of the title analyzed as its language's field analyzes it; memo: as
    ``words_of`` takes it."""
    title = fields.get("title") or ""
    if query is None or not title:
        return html.escape(title, quote=False)
    marked: dict[tuple[int, int], bool] = {}  # span → a word typed
    for kind, q in ((True, typed), (False, query)):
        if q is None:
            continue
        for field in (f"content_{fields.get('lang')}", "content_any"):
            chain = chains.get(field)
            words = words_of(q, schema, field, memo)
            if chain is None or not words:
                continue
            for token in chain.expression.finditer(title):
                if chain.term(token.group()) in words:
                    marked.setdefault(token.span(), kind)
    out, at = [], 0
    for (start, end), kind in sorted(marked.items()):
        if start < at:
            continue
        opening = "<mark>" if kind or typed is None else f'<mark class="{ALT}">'
        out += [html.escape(title[at:start], quote=False), opening, html.escape(title[start:end], quote=False),
                "</mark>"]
        at = end
    out.append(html.escape(title[at:], quote=False))
    return "".join(out).replace("</mark><mark>", "")


def words_of(query, schema, fieldname: str, memo: dict | None = None) -> frozenset | None:
    """Return ``field_words`` of a query in a field of the schema (None: no such field).

    :param memo: a dict kept by the caller while the queries it is asked about live (a page
        of results: a long query's words are found once, not per hit and field).
    """
    if fieldname not in schema:
        return None
    if memo is None:
        return field_words(query, schema[fieldname], fieldname)
    key = (id(query), fieldname)
    if key not in memo:
        memo[key] = field_words(query, schema[fieldname], fieldname)
    return memo[key]


def field_words(query, field, fieldname: str) -> frozenset | None:
    """Return the words of query's terms and phrases in fieldname, as
    ``Results.query_terms(expand=True)`` gives them but without asking the index which of them
    it holds (a look-up each, a fifth of a short query's time): the text highlighted is the
    one the hit's field was indexed from, so its words are all in the index, and a query word
    that is not cannot be found in it either. None when a part of the query in fieldname
    stands for words only the index knows (a prefix, a wildcard, a range)."""
    words = set()
    for q in query.leaves():
        if q.field() != fieldname:
            continue
        kind = type(q)
        if kind is wq.Term:
            texts = (q.text,)
        elif kind is wq.Phrase:
            texts = q.words
        else:
            return None
        for text in texts:
            try:
                words.add(field.from_bytes(field.to_bytes(text)))
            except ValueError:
                continue
    return frozenset(words)
