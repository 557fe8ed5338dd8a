"""Snippets for the page of hits: the fragments Whoosh's highlighter would pick, found cheaply.

``Highlighter.highlight_hit`` re-analyzes the whole stored text of every hit (one generator
per filter, the stemmer on every word), marks the tokens that are query terms and runs
``ContextFragmenter`` over all of them. For texts tokenized by ``analyze.TOKEN_PATTERN``:

1. The text is turned, at C speed, into one byte per character: ``w`` where a token has the
   character, a space elsewhere (``_marks``). Tokens are the runs of ``w``.
2. The matched tokens are found without analyzing every token (``_Candidates``): the text,
   folded as the chain folds (case, accents) into Latin-1 bytes, is searched for a prefix of
   each query term (the term minus the letters a stemmer may change) at token starts, and
   each candidate is checked by the chain itself (``termcache``): a candidate is only a
   candidate. A chain whose folding is not known here has every token checked.
3. ``ContextFragmenter.fragment_tokens`` is replayed from match to match (``_fragments``):
   its state between two matches depends only on how many token characters lie between
   them, which the marks count at C speed.
4. Scoring, ordering and formatting are Whoosh's own (``top_fragments``, the formatter).

The result is the same string as Whoosh's (``tests/test_snippets.py`` and
``tests/test_search_cache.py`` compare them on many texts and queries); other tokenizers or
fragmenters take Whoosh's own path.
"""
from __future__ import annotations

import html
import re
import weakref

from whoosh import highlight as whoosh_highlight
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StopFilter, SubstitutionFilter
from whoosh.highlight import ContextFragmenter, Fragment, Highlighter, top_fragments

from .analyze import STEMMED, TOKEN_PATTERN, SnowballFilter

#: Characters of a text shown when no query word is found in it.
PLAIN_CHARS = 240
#: Letters a Snowball stem (en, es, fr) may differ from its word before its end, accents
#: aside: French "-icité" → "-iqu" and "-emment" → "-ent" change two ("publicité" →
#: "publiqu"); every other rule of the three stemmers changes at most the last letter.
STEM_SLACK = 2


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
        (``groups.Version``): its own words are highlighted from the query's terms, as
        Whoosh's ``highlight`` function would.
    """
    text = fields.get("text") or ""
    if query is not None and version:
        field = f"content_{fields['lang']}"
        if field in schema:
            words = frozenset(t.decode("utf-8") if isinstance(t, bytes) else t
                              for f, t in query.iter_all_terms() if f == field)
            found = highlight_words(highlighter, text, words, chains.get(field), schema[field].analyzer)
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


def highlight(highlighter: Highlighter, hit, fieldname: str, text: str, chain, top: int = 2,
              minscore: int = 1) -> str:
    """Return the highlighted fragments of text for hit, as ``highlighter.highlight_hit`` would.

    :param chain: the field's ``termcache.CompiledChain``; None falls back to Whoosh's path.
    """
    if (chain is None or chain.pattern != TOKEN_PATTERN or type(highlighter.fragmenter) is not ContextFragmenter
            or highlighter.can_load_chars(hit.results, fieldname)):
        return highlighter.highlight_hit(hit, fieldname, text=text, top=top, minscore=minscore)
    words = query_words(hit, fieldname)
    if not words:
        return ""
    memo = hit.results.__dict__.setdefault("_m4d_candidates", {})
    if fieldname not in memo:
        memo[fieldname] = _Candidates.build(chain, hit.results.searcher.schema[fieldname].analyzer, words)
    return _highlight(highlighter, text, chain, words, memo[fieldname], top, minscore)


def highlight_words(highlighter: Highlighter, text: str, words: frozenset, chain, analyzer, top: int = 2) -> str:
    """Return the highlighted fragments of text for words, as Whoosh's ``highlight`` function
    would with the highlighter's parts (its fragmenter, formatter, scorer and order)."""
    candidates = None
    if chain is not None and chain.pattern == TOKEN_PATTERN and type(highlighter.fragmenter) is ContextFragmenter:
        candidates = _Candidates.build(chain, analyzer, words)
    if candidates is None:  # also when the chain may analyze differently in "query" mode
        return whoosh_highlight.highlight(text, words, analyzer, highlighter.fragmenter, highlighter.formatter,
                                          top=top, scorer=highlighter.scorer, order=highlighter.order)
    return _highlight(highlighter, text, chain, words, candidates, top, 1)


def _highlight(highlighter: Highlighter, text: str, chain, words: frozenset, candidates, top: int,
               minscore: int) -> str:
    raw = text.encode("latin-1", "replace")
    marks, beyond = _marks(text, raw)
    if candidates is None:  # a chain whose folding is not known here: check every token
        starts = [m.start() for m in re.finditer(rb"w+", marks)]
    else:
        starts = candidates.starts(raw, marks, beyond)
    found = _checked(chain, text, words, starts)
    if not found:
        return ""
    fragments = _fragments(text, marks, found, highlighter.fragmenter)
    fragments = top_fragments(fragments, top, highlighter.scorer, highlighter.order, minscore=minscore)
    return highlighter.formatter.format(fragments)


# Token characters

#: Latin-1 byte → b"w" for a word character, b"." for a dot, b" " otherwise.
_CLASSES = bytes(ord("w") if re.match(r"\w", chr(b)) else ord(".") if b == ord(".") else ord(" ")
                 for b in range(256))
#: A word character (the marks of a character beyond Latin-1 are set by checking it).
_WORD = re.compile(r"\w")
#: A dot between two word characters, in marks not yet final: a token holds it.
_INNER_DOT = re.compile(rb"\.(?<=w\.)(?=w)")
W = ord("w")


def _marks(text: str, raw: bytes) -> tuple[bytes, list[int]]:
    """Return one byte per character of text, b"w" if a token (``TOKEN_PATTERN``: words,
    dots between word characters) has it and b" " if not, with the offsets of the word
    characters beyond Latin-1. ``raw`` is ``text.encode("latin-1", "replace")``, where
    each character beyond Latin-1 is a "?"."""
    marks = raw.translate(_CLASSES)
    beyond = []
    i = raw.find(b"?")
    while i >= 0:
        if _WORD.match(text, i):
            beyond.append(i)
        i = raw.find(b"?", i + 1)
    if beyond:
        patched = bytearray(marks)
        for i in beyond:
            patched[i] = W
        marks = bytes(patched)
    return _INNER_DOT.sub(b"w", marks).replace(b".", b" "), beyond


# Finding the matched tokens

#: Per chain: its fold of each Latin-1 character as a ``bytes.translate`` table, and its stem
#: slack (None: a chain not known here).
_FOLDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _latin1_folds(chain, analyzer) -> tuple[bytes, int] | None:
    """Return what the chain makes of each Latin-1 character (lower-case, then its character
    map: one Latin-1 character each) as a translation table, and how many final letters its
    stemmer may change (``STEM_SLACK``); None if the chain has a part not known here.

    Known chains are those of ``analyze``: the tokenizer of ``TOKEN_PATTERN``, lower-case,
    a cut to a maximal length (keeps a prefix), stopwords (a stopped token is not stemmed),
    Snowball, and at most one character map, after stemming. None of them depends on
    Whoosh's analysis mode.
    """
    if chain in _FOLDS:
        return _FOLDS[chain]
    items = list(getattr(analyzer, "items", [analyzer]))
    plan = None
    if (len(items) > 1 and type(items[0]) is RegexTokenizer and not items[0].gaps
            and items[0].expression.pattern == TOKEN_PATTERN and type(items[1]) is LowercaseFilter):
        charmap, slack, known = None, 0, True
        for f in items[2:]:
            kind = type(f)
            if kind is SnowballFilter and charmap is None:
                slack = STEM_SLACK if f.lang in STEMMED else 0
            elif isinstance(f, CharsetFilter) and kind.__call__ is CharsetFilter.__call__ and charmap is None:
                charmap = f.charmap
            elif kind is SubstitutionFilter:
                known = known and f.replacement == r"\1" and re.fullmatch(
                    r"\(\?s\)\^\(\.\{\d+\}\)\.\+", f.pattern.pattern) is not None
            else:
                known = known and kind is StopFilter
        folds = [chr(c).lower().translate(charmap or {}) for c in range(256)]
        if known and all(len(f) == 1 and ord(f) < 256 for f in folds):
            plan = ("".join(folds).encode("latin-1"), slack)
    _FOLDS[chain] = plan
    return plan


class _Candidates:
    """Where the tokens of a text that may be query words start.

    A token whose term is the query term ``w`` folds (lower-case, then the chain's character
    map) to a text starting with ``w`` minus its last ``slack`` letters. The text is folded
    the same way character by character as Latin-1 bytes (a character beyond Latin-1 is
    "?" there, so offsets stay the text's) and searched for those prefixes at token starts.
    A token with a word character beyond Latin-1 may fold to anything (even to several
    letters), so it is always a candidate.
    """

    def __init__(self, table: bytes, prefixes: list[bytes]):
        self.table, self.prefixes = table, prefixes

    @classmethod
    def build(cls, chain, analyzer, words: frozenset) -> _Candidates | None:
        """Return the candidates of words in texts analyzed by chain, or None when the chain
        is not one whose folding is known (see ``_latin1_folds``)."""
        plan = _latin1_folds(chain, analyzer)
        if plan is None:
            return None
        table, slack = plan
        prefixes: list[bytes] = []
        for w in sorted({w[:max(1, len(w) - slack)] for w in words if w}):
            try:
                prefix = w.encode("latin-1")
            except UnicodeEncodeError:
                continue  # folded from beyond Latin-1 only: its tokens are candidates anyway
            if not any(prefix.startswith(p) for p in prefixes):  # sorted: shorter ones first
                prefixes.append(prefix)
        return cls(table, prefixes)

    def starts(self, raw: bytes, marks: bytes, beyond: list[int]) -> list[int]:
        """Return the start of every candidate token, in order (``raw`` and ``beyond`` as
        in ``_marks``)."""
        folded = raw.translate(self.table)
        found = {marks.rfind(b" ", 0, i) + 1 for i in beyond}
        for prefix in self.prefixes:
            i = folded.find(prefix)
            while i >= 0:
                if marks[i] == W and (i == 0 or marks[i - 1] != W):
                    found.add(i)
                i = folded.find(prefix, i + 1)
        return sorted(found)


class _Token:
    """The token attributes Whoosh's fragments, scorers and formatters read."""

    __slots__ = ("text", "startchar", "endchar", "matched", "boost", "pos", "stopped")

    def __init__(self, text, startchar, endchar):
        self.text, self.startchar, self.endchar = text, startchar, endchar
        self.matched, self.boost, self.pos, self.stopped = True, 1.0, None, False


def _checked(chain, text: str, words: frozenset, starts: list[int]) -> list[_Token]:
    """Return the tokens starting at ``starts`` whose term is a query word."""
    match, texts, token_text = chain.expression.match, chain.texts, chain.token_text
    found = []
    for i in starts:
        m = match(text, i)
        raw = m.group()
        term = (texts.get(raw) or token_text(raw))[0]
        if term in words:
            found.append(_Token(term, i, m.end()))
    return found


# Fragments

def _fragments(text: str, marks: bytes, found: list[_Token], fragmenter: ContextFragmenter) -> list[Fragment]:
    """Return the fragments ``fragmenter.fragment_tokens`` makes of text, given its marks and
    its matched tokens (in order).

    Replayed rules: outside a fragment the fragmenter keeps the tokens starting within
    ``surround`` characters of the last token's end (forgotten when a fragment closes); a
    match opens a fragment at the first of them (or at itself, then with ``surround`` more
    to go). Each match resets a countdown of ``surround`` token characters; the fragment
    closes on the token where it runs out, or on the token that would pass ``maxchars``
    token characters (a match there is dropped). A countdown closed at exactly 0 takes the
    next token into an empty fragment (score 0). A token ending past ``charlimit`` ends
    everything; a fragment still open then (or at the text's end) ends with that token.
    """
    surround, maxchars, charlimit = fragmenter.surround, fragmenter.maxchars, fragmenter.charlimit
    size = len(text)
    stop, stop_end = size, None  # tokens from stop on end past charlimit; stop_end: the first's end
    if charlimit and size > charlimit:
        q = marks.find(b"w", charlimit)
        if q >= 0:
            stop, stop_end = marks.rfind(b" ", 0, q) + 1, _token_end(marks, q)
    found = [t for t in found if t.startchar < stop]
    fragments: list[Fragment] = []
    floor, k = 0, 0  # tokens from floor on came after the last fragment closed; k: next match
    while k < len(found):
        t = found[k]
        if t.startchar < floor:
            k += 1
            continue
        first = _context_start(marks, t.startchar, floor, surround)
        start, tks, currentlen, zero = None, [], 0, False
        while True:  # t: a match inside the fragment
            k += 1
            length = t.endchar - t.startchar
            if currentlen + length > maxchars:
                end = t.endchar
                break
            countdown = surround
            if start is None:
                start = first
                if first is None:
                    start, countdown = t.startchar, 2 * surround
            tks.append(t)
            currentlen += length
            countdown -= length
            if countdown <= 0:
                end, zero = t.endchar, countdown == 0
                break
            # The tokens after t, up to the next match: does the fragment close among them?
            limit = found[k].startchar if k < len(found) else stop
            need = min(countdown, maxchars - currentlen + 1)
            q = _nth_token_char(marks, t.endchar, need, limit)
            if q is not None:
                end = _token_end(marks, q)
                between = marks.count(b"w", t.endchar, end)
                zero = currentlen + between <= maxchars and countdown == between
                break
            if k == len(found):  # the text, or charlimit, ends inside the fragment
                end = stop_end if stop_end is not None else marks.rfind(b"w") + 1
                fragments.append(Fragment(text, tks, start, min(size, end)))
                return fragments
            between = marks.count(b"w", t.endchar, limit)
            currentlen += between
            t = found[k]
        fragments.append(Fragment(text, tks, start if start is not None else 0, min(size, end)))
        floor = end
        if zero:
            after = marks.find(b"w", floor)
            if after >= stop:
                return fragments
            if after >= 0 and not (k < len(found) and found[k].startchar == after):
                floor = _token_end(marks, after)
                fragments.append(Fragment(text, [], 0, min(size, floor)))
    return fragments


def _token_end(marks: bytes, at: int) -> int:
    """Return the end of the token holding the character at ``at``."""
    end = marks.find(b" ", at)
    return end if end >= 0 else len(marks)


def _nth_token_char(marks: bytes, at: int, n: int, limit: int) -> int | None:
    """Return the offset of the n-th token character from ``at`` on, before ``limit``; None
    when there are fewer."""
    while True:
        at = marks.find(b"w", at, limit)
        if at < 0:
            return None
        window = min(n, limit - at)
        count = marks.count(b"w", at, at + window)
        if count == n:  # then the window is n token characters
            return at + n - 1
        n -= count
        at += window


def _context_start(marks: bytes, at: int, floor: int, surround: int) -> int | None:
    """Return where ContextFragmenter starts a fragment opened by the match at ``at``: the
    first token after floor starting at most ``surround`` characters before the end of the
    token before the match; None when there is none."""
    last = marks.rfind(b"w", floor, at)
    if last < 0:
        return None
    low = max(last + 1 - surround, floor)
    if low and marks[low - 1] == W:  # inside a token: the next one
        low = _token_end(marks, low)
    first = marks.find(b"w", low, at)
    return first if first >= 0 else None
