"""Snippets for the page of hits: Whoosh's highlighter, fed a cheaper token stream.

``Highlighter.highlight_hit`` re-analyzes the stored text of every hit through the field's
analyzer chain (one generator per filter, the stemmer on every word). Here the text is
tokenized once with the chain's own pattern and each token's (text, stopped) comes from the
compiled chain's cache (``termcache``); marking, merging, fragmenting, scoring and formatting
are Whoosh's own, so the snippet is the same as before, only cheaper (``tests`` compare them).
"""
from __future__ import annotations

from whoosh.highlight import Highlighter, top_fragments


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


def _tokens(chain, text: str, words: frozenset):
    token_text = chain.token_text
    pos = -1
    for i, match in enumerate(chain.expression.finditer(text)):
        term, stopped = token_text(match.group(0))
        if not stopped:
            pos = (i if pos < 0 else pos + 1) if chain.renumber else i
        yield _Token(term, match.start(), match.end(), term in words, pos, stopped)


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
    tokens = Highlighter._merge_matched_tokens(_tokens(chain, text, words))
    fragments = highlighter.fragmenter.fragment_tokens(text, tokens)
    fragments = top_fragments(fragments, top, highlighter.scorer, highlighter.order, minscore=minscore)
    return highlighter.formatter.format(fragments)
