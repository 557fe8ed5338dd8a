"""Snippets for the page of hits: Whoosh's highlighter, fed a cheaper token stream.

``Highlighter.highlight_hit`` re-analyzes the stored text of every hit through the field's
analyzer chain (one generator per filter, the stemmer on every word). Here the text is
tokenized once with the chain's own pattern and each token's (text, stopped) comes from the
compiled chain's cache (``termcache``); marking, merging, fragmenting, scoring and formatting
are Whoosh's own, so the snippet is the same as before, only cheaper (``tests`` compare them).
"""
from __future__ import annotations

import html

from whoosh import highlight as whoosh_highlight
from whoosh.highlight import ContextFragmenter, Highlighter, top_fragments

#: Characters of a text shown when no query word is found in it.
PLAIN_CHARS = 240


class MarkFormatter(whoosh_highlight.Formatter):
    """Escape the text and wrap matches in a bare ``<mark>``."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=False)

    def format_token(self, text, token, replace=False):
        return "<mark>" + html.escape(whoosh_highlight.get_text(text, token, replace), quote=False) + "</mark>"


def highlighter() -> Highlighter:
    """Return the highlighter of result snippets: two fragments of about 300 characters."""
    return Highlighter(fragmenter=ContextFragmenter(maxchars=300, surround=80), formatter=MarkFormatter())


def snippet(highlighter: Highlighter, schema, chains: dict, hit, fields: dict, query, version: bool = False) -> str:
    """Return a result's snippet (escaped HTML): its query words highlighted in its language's
    field, else in the language-neutral one, else the start of its text.

    :param version: the hit is a translation version brought by another language's match
        (``groups.Version``): its own words are highlighted from the query's terms.
    """
    text = fields.get("text") or ""
    if query is not None and version:
        field = f"content_{fields['lang']}"
        if field in schema:
            words = {t.decode("utf-8") if isinstance(t, bytes) else t
                     for f, t in query.iter_all_terms() if f == field}
            found = whoosh_highlight.highlight(text, words, schema[field].analyzer,
                                               highlighter.fragmenter, highlighter.formatter, top=2)
            if found:
                return found
    elif query is not None:
        for field in (f"content_{fields['lang']}", "content_any"):
            if field in schema:
                found = highlight(highlighter, hit, field, text, chains.get(field), top=2)
                if found:
                    return found
    cut = text[:PLAIN_CHARS]
    if len(text) > PLAIN_CHARS:
        cut = cut.rsplit(" ", 1)[0] + " …"
    return html.escape(cut, quote=False)


class _Token:
    """The token attributes Whoosh's fragmenters, scorers and formatters read."""

    __slots__ = ("text", "startchar", "endchar", "matched", "boost", "pos", "stopped")

    def __init__(self, text, startchar, endchar, matched, pos, stopped):
        self.text, self.startchar, self.endchar = text, startchar, endchar
        self.matched, self.pos, self.stopped, self.boost = matched, pos, stopped, 1.0

    def copy(self):
        return _Token(self.text, self.startchar, self.endchar, self.matched, self.pos, self.stopped)


def query_words(hit, fieldname: str) -> frozenset:
    """Return the query's terms in fieldname, as highlight_hit computes them (memoized per results)."""
    results = hit.results
    memo = results.__dict__.setdefault("_m4d_words", {})
    words = memo.get(fieldname)
    if words is None:
        field = results.searcher.schema[fieldname]
        words = memo[fieldname] = frozenset(
            field.from_bytes(t[1]) for t in results.query_terms(expand=True, fieldname=fieldname))
    return words


def _tokens(chain, text: str, words: frozenset, fragmenter) -> list[_Token]:
    """Return the tokens of text as the chain leaves them, marked when they are query words.

    With a ContextFragmenter only the tokens that can reach a fragment are kept: those from
    ``surround + 2`` tokens before a match (every token that can still be in the fragmenter's
    look-behind) to ``2 * surround + 2`` tokens after it (a fragment closes within that many
    tokens, each at least one character long). The fragmenter then builds the same fragments
    from far fewer tokens; the tests compare them with Whoosh's.
    """
    token_text, known = chain.token_text, chain.texts
    words_in = chain.expression.findall(text)
    marked = [known.get(t) or token_text(t) for t in words_in]
    hits = [i for i, (term, _) in enumerate(marked) if term in words]
    if not hits:
        return []
    ranges = [(0, len(words_in))]
    surround = getattr(fragmenter, "surround", None)
    if type(fragmenter) is ContextFragmenter and surround is not None:
        before, after = surround + 2, 2 * surround + 2
        ranges = []
        for i in hits:
            lo, hi = max(0, i - before), min(len(words_in), i + after + 1)
            if ranges and lo <= ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
            else:
                ranges.append((lo, hi))
    tokens = []
    spans = chain.expression.finditer(text)
    at = 0  # index of the next match object spans will give
    for lo, hi in ranges:
        for _ in range(lo - at):
            next(spans)
        for i in range(lo, hi):
            start, end = next(spans).span()
            term, stopped = marked[i]
            tokens.append(_Token(term, start, end, term in words, i, stopped))
        at = hi
    return tokens


def highlight(highlighter: Highlighter, hit, fieldname: str, text: str, chain, top: int = 2,
              minscore: int = 1) -> str:
    """Return the highlighted fragments of text for hit, as ``highlighter.highlight_hit`` would.

    :param chain: the field's ``termcache.CompiledChain``; None falls back to Whoosh's path.
    """
    if chain is None or highlighter.can_load_chars(hit.results, fieldname):
        return highlighter.highlight_hit(hit, fieldname, text=text, top=top, minscore=minscore)
    words = query_words(hit, fieldname)
    if not words:
        return ""
    tokens = _tokens(chain, text, words, highlighter.fragmenter)
    if not tokens:
        return ""
    tokens = Highlighter._merge_matched_tokens(tokens)
    fragments = highlighter.fragmenter.fragment_tokens(text, tokens)
    fragments = top_fragments(fragments, top, highlighter.scorer, highlighter.order, minscore=minscore)
    return highlighter.formatter.format(fragments)
