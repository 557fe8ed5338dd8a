"""Analyzer chains compiled into cached ``token -> term`` functions (index and highlight time).

Whoosh runs one mutable token through a chain of generators for every word of every field.
A chain made only of parts whose behaviour is known here (``RegexTokenizer`` without gaps,
``LowercaseFilter``, ``SubstitutionFilter``, at most one ``StopFilter``,
``analyze.SnowballFilter``, ``CharsetFilter`` and its subclasses) does per raw token exactly
what its steps do, so its result can be computed once per distinct token and memoized: word
frequencies are Zipfian, so nearly every
token is a dict hit (this is also the stem cache). A chain with any other part compiles to
None, and callers use Whoosh's own path: a changed analyzer is never applied wrongly, only
slower. ``tests/test_write.py`` and ``tests/test_search_cache.py`` hold both paths equal.
"""
from __future__ import annotations

import re

from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    SubstitutionFilter,
)

from indexer.text.analyzers import SnowballFilter, make_stem_function

#: Memoized tokens per chain (``term`` and ``token_text`` each) unless the caller says
#: otherwise: when full, the older half goes (in the order tokens were first seen; hot loops
#: read the memos as plain dicts, so a hit does not reorder them). Bounds memory on huge crawls.
CACHE_SIZE = 400_000
#: A SubstitutionFilter pattern that keeps a token's first n characters (``analyze``'s cut of
#: overlong tokens), with ``\1`` as its replacement.
_CUT = re.compile(r"\(\?s\)\^\(\.\{(\d+)\}\)\.\+")


class CompiledChain:
    """One analyzer chain as cached per-token functions."""

    def __init__(self, expression, steps: list[tuple[str, object]], renumber: bool,
                 memo_size: int = CACHE_SIZE):
        self.expression = expression
        self.memo_size = max(1, memo_size)
        self.pattern = expression.pattern
        self.renumber = renumber  # StopFilter(renumber=True): positions skip stopped tokens
        self._steps = steps
        self._terms: dict[str, str | None] = {}
        self._texts: dict[str, tuple[str, bool]] = {}

    def _run(self, token: str, stopped_path: bool):
        stopped = False
        for kind, arg in self._steps:
            if kind == "stop":
                stoplist, minsize, maxsize = arg
                if len(token) < minsize or (maxsize is not None and len(token) > maxsize) or token in stoplist:
                    if not stopped_path:
                        return None, True
                    stopped = True
            elif kind == "stem":
                if not stopped:  # SnowballFilter leaves stopped tokens alone
                    token = arg(token)
            else:
                token = arg(token)
        return token, stopped

    def term(self, token: str) -> str | None:
        """Return the indexed term of a raw token, or None when the chain stops it."""
        cache = self._terms
        try:
            return cache[token]
        except KeyError:
            if len(cache) >= self.memo_size:
                _drop_older_half(cache)
            term = cache[token] = self._run(token, False)[0]
            return term

    @property
    def terms(self) -> dict:
        """The memo of ``term`` (for hot loops that look tokens up themselves)."""
        return self._terms

    @property
    def texts(self) -> dict:
        """The memo of ``token_text``."""
        return self._texts

    def token_text(self, token: str) -> tuple[str, bool]:
        """Return (text, stopped) as the chain leaves a raw token with ``removestops=False``."""
        cache = self._texts
        try:
            return cache[token]
        except KeyError:
            if len(cache) >= self.memo_size:
                _drop_older_half(cache)
            result = cache[token] = self._run(token, True)
            return result


def _drop_older_half(cache: dict) -> None:
    """Remove the older half of a memo's entries (a dict keeps insertion order)."""
    tokens = list(cache)  # one step (no iteration another thread's insert could break)
    for token in tokens[:(len(tokens) + 1) // 2]:
        cache.pop(token, None)  # (another thread may have)


def cut_length(substitution) -> int | None:
    """Return n when a SubstitutionFilter keeps a token's first n characters ("(?s)^(.{n}).+"
    → "\\1": ``analyze``'s cut of overlong tokens), else None."""
    if substitution.replacement != r"\1":
        return None
    cut = _CUT.fullmatch(substitution.pattern.pattern)
    return int(cut.group(1)) if cut is not None else None


def compile_chain(analyzer, no_morph: bool = False, memo_size: int = CACHE_SIZE) -> CompiledChain | None:
    """Return the chain as a CompiledChain, or None if it has a part not known here.

    :param no_morph: leave out the morphological steps (stemming, folding), as Whoosh does
        for a field's spelling words (``analyzer(value, no_morph=True)``); memo_size: tokens
        each of its memos keeps.
    """
    items = analyzer.items if isinstance(analyzer, CompositeAnalyzer) else [analyzer]
    tokenizer, filters = items[0], items[1:]
    if type(tokenizer) is not RegexTokenizer or tokenizer.gaps:
        return None
    steps: list[tuple[str, object]] = []
    renumber, stops = False, 0
    for f in filters:
        kind = type(f)
        if no_morph and getattr(f, "is_morph", False):
            continue
        if kind is LowercaseFilter:
            steps.append(("map", str.lower))
        elif kind is StopFilter:
            stops += 1
            renumber = f.renumber
            steps.append(("stop", (f.stops, f.min, f.max)))
        elif kind is SnowballFilter:
            # the filter's own memoized stemmer, unless memos are to stay smaller than its memo
            stem = f.stemmer() if memo_size >= f.cachesize else make_stem_function(f.lang, memo_size)
            steps.append(("stem", stem))
        elif isinstance(f, CharsetFilter) and kind.__call__ is CharsetFilter.__call__:
            charmap = f.charmap
            steps.append(("map", lambda text, charmap=charmap: text.translate(charmap)))
        elif kind is SubstitutionFilter:
            size = cut_length(f)
            if size is not None:  # the first n characters: a slice, 20× faster than the regex
                steps.append(("map", lambda text, n=size: text[:n]))
            else:
                pattern, replacement = f.pattern, f.replacement
                steps.append(("map", lambda text, p=pattern, r=replacement: p.sub(r, text)))
        else:
            return None
    if stops > 1:
        return None
    return CompiledChain(tokenizer.expression, steps, renumber, memo_size)
