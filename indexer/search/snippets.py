"""Snippets for the page of hits: the fragments Whoosh's highlighter would pick, found cheaply.

``Highlighter.highlight_hit`` re-analyzes the whole stored text of every hit (one generator
per filter, the stemmer on every word), marks the tokens that are query terms and runs
``ContextFragmenter`` over all of them. For texts tokenized by ``analyze.TOKEN_PATTERN``:

1. The text is turned, at C speed, into one byte per character: ``w`` where a token has the
   character, a space elsewhere (``fragments.marks``). Tokens are the runs of ``w``.
2. The matched tokens are found without analyzing every token (``_Candidates``): the text,
   folded as the chain folds (case, accents) into Latin-1 bytes, is searched for a prefix of
   each query term (the term minus the letters a stemmer may change) at token starts, and
   each candidate is checked by the chain itself (``text.chains``): a candidate is only a
   candidate. A chain whose folding is not known here has every token checked.
3. ``ContextFragmenter.fragment_tokens`` is replayed from match to match
   (``fragments.fragments``), and the best fragments picked as ``top_fragments`` would
   (``fragments.top``); the highlighter's formatter writes them.

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
from whoosh.highlight import ContextFragmenter, Highlighter

from indexer.search import fragments, marks
from indexer.search.fragments import W
from indexer.search.marks import field_words
from indexer.text.analyzers import STEMMED, TOKEN_PATTERN, CJKBigramPattern, SnowballFilter, has_cjk
from indexer.text.chains import cut_length

#: Characters of a text shown when no query word is found in it.
PLAIN_CHARS = 240
#: Per language, how many final letters of a Snowball stem may differ from its word's,
#: accents folded (a token is a candidate for a term when it begins with the term minus
#: these). French "-icité" → "-iqu" and "-emment" → "-ent" change two ("publicité" →
#: "publiqu"), as do English's exceptions ("dying" → "die"); Spanish rules change at most
#: one ("adherencia" → "adherent"): measured on Snowball's whole Spanish vocabulary.
STEM_SLACK = {"en": 2, "es": 1, "fr": 2}


class MarkFormatter(whoosh_highlight.Formatter):
    """Escape the text and wrap matches in a bare ``<mark>``."""

    between = " … "

    def _text(self, text):
        return html.escape(text, quote=False)

    def format_token(self, text, token, replace=False):
        return "<mark>" + html.escape(whoosh_highlight.get_text(text, token, replace), quote=False) + "</mark>"

    def format_fragment(self, fragment, replace=False):
        """``Formatter.format_fragment`` with its per-token method calls inlined (same output)."""
        escape, text, index, out = html.escape, fragment.text, fragment.startchar, []
        for t in sorted(fragment.matches, key=_token_order):
            start = t.startchar
            if start is None or start < index:
                continue
            if start > index:
                out.append(escape(text[index:start], False))
            out.append("<mark>" + escape(t.text if replace else text[start:t.endchar], False) + "</mark>")
            index = t.endchar
        out.append(escape(text[index:fragment.endchar], False))
        return "".join(out)


def _token_order(token):
    """Formatter.format_fragment's order: by position, the longest first."""
    return token.startchar, -(token.endchar - token.startchar)


def highlighter() -> Highlighter:
    """Return the highlighter of result snippets: two fragments of about 300 characters."""
    return Highlighter(fragmenter=ContextFragmenter(maxchars=300, surround=80), formatter=MarkFormatter())


def snippet(highlighter: Highlighter, schema, chains: dict, hit, fields: dict, query, version: bool = False,
            typed=None, memo: dict | None = None) -> str:
    """Return a result's snippet (``_snippet``), a CJK word's bigrams marked as one word (words
    of other scripts are never adjacent: a separator stands between two tokens)."""
    found = _snippet(highlighter, schema, chains, hit, fields, query, version, typed, memo).replace("</mark><mark>", "")
    if typed is not None and "<mark>" in found:
        found = marks.classed(found, schema, chains, fields.get("lang"), typed, memo)
    return _ELLIPSIS.sub("…", found)


#: Runs of dots and ellipses ("impact....", a source's "..." before the snippet's " …"): one "…".
_ELLIPSIS = re.compile(r"(?:\.{3,}|…)(?:\s*(?:\.+|…))*")


def _snippet(highlighter: Highlighter, schema, chains: dict, hit, fields: dict, query, version: bool = False,
             typed=None, memo: dict | None = None) -> str:
    """Return a result's snippet (escaped HTML): its query words highlighted in its language's
    field, else in the language-neutral one, else the start of its text.

    :param version: the hit is a translation version brought by another language's match
        (``translations.Translation``): its own words are highlighted from the query's terms, as
        Whoosh's ``highlight`` function would.
    :param typed: the query's words as typed, without their glossary translations
        (``query.Plan.typed``): the passages holding them come first, and translations are
        shown only where the text has none of them ("trafficking", not "human").
    """
    text = fields.get("text") or ""
    if query is not None and typed is not None and not version:
        found = _typed_snippet(highlighter, schema, chains, text, fields["lang"], typed, memo)
        if found:
            return found
    if query is not None and (version or hit is None):
        # a translation version, or a store without Whoosh hits: the query's own terms
        for field in (f"content_{fields['lang']}",) + (() if version else ("content_any",)):
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


def _typed_snippet(highlighter: Highlighter, schema, chains: dict, text: str, lang: str, typed,
                   memo: dict | None = None) -> str:
    """Return the text's fragments with the typed words highlighted, or "" when it has none."""
    for field in (f"content_{lang}", "content_any"):
        if field in schema:
            words = marks.words_of(typed, schema, field, memo)
            if words:
                found = highlight_words(highlighter, text, words, chains.get(field), schema[field].analyzer)
                if found:
                    return found
    return ""


def query_words(hit, fieldname: str) -> frozenset:
    """Return the query's terms in fieldname, as highlight_hit computes them (memoized per results)."""
    results = hit.results
    memo = results.__dict__.setdefault("_m4d_words", {})
    words = memo.get(fieldname)
    if words is None:
        field = results.searcher.schema[fieldname]
        words = field_words(results.q, field, fieldname)
        if words is None:
            words = frozenset(field.from_bytes(t[1]) for t in results.query_terms(expand=True, fieldname=fieldname))
        memo[fieldname] = words
    return words


def highlight(highlighter: Highlighter, hit, fieldname: str, text: str, chain, top: int = 2,
              minscore: int = 1) -> str:
    """Return the highlighted fragments of text for hit, as ``highlighter.highlight_hit`` would.

    :param chain: the field's ``chains.CompiledChain``; None falls back to Whoosh's path.
    """
    if (chain is None or not _plain_tokens(chain, text) or type(highlighter.fragmenter) is not ContextFragmenter
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
    if chain is not None and _plain_tokens(chain, text) and type(highlighter.fragmenter) is ContextFragmenter:
        candidates = _Candidates.build(chain, analyzer, words)
    if candidates is None:  # also when the chain may analyze differently in "query" mode
        return whoosh_highlight.highlight(text, words, analyzer, highlighter.fragmenter, highlighter.formatter,
                                          top=top, scorer=highlighter.scorer, order=highlighter.order)
    return _highlight(highlighter, text, chain, words, candidates, top, 1)


def _highlight(highlighter: Highlighter, text: str, chain, words: frozenset, candidates, top: int,
               minscore: int) -> str:
    """Return the snippet: candidates (None: every token) checked by the chain, fragments
    replayed, the best formatted."""
    raw = text.encode("latin-1", "replace")
    marks, beyond = fragments.marks(text, raw)
    if candidates is None:  # a chain whose folding is not known here: check every token
        starts = [m.start() for m in re.finditer(rb"w+", marks)]
    else:
        starts = candidates.starts(raw, marks, beyond)
    found = _checked(chain, text, words, starts)
    if not found:
        return ""
    found = fragments.fragments(text, marks, found, highlighter.fragmenter)
    return highlighter.formatter.format(fragments.top(found, top, highlighter.scorer, highlighter.order, minscore))


# Finding the matched tokens

#: Token patterns that cut a text as ``TOKEN_PATTERN`` does: itself, and the neutral fields'
#: CJK bigrams (``analyzers.CJKBigramPattern``) in a text without a CJK character.
_PLAIN_PATTERNS = (TOKEN_PATTERN, CJKBigramPattern(TOKEN_PATTERN).pattern)


_TOKEN = re.compile(TOKEN_PATTERN)


def _plain_tokens(chain, text: str) -> bool:
    """Tell whether the chain cuts text into the tokens of ``TOKEN_PATTERN``."""
    return chain.pattern == TOKEN_PATTERN or (chain.pattern == _PLAIN_PATTERNS[1] and not has_cjk(text))


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
            and items[0].expression.pattern in _PLAIN_PATTERNS and type(items[1]) is LowercaseFilter):
        charmap, slack, known = None, 0, True
        for f in items[2:]:
            kind = type(f)
            if kind is SnowballFilter and charmap is None:
                slack = STEM_SLACK.get(f.lang, max(STEM_SLACK.values())) if f.lang in STEMMED else 0
            elif isinstance(f, CharsetFilter) and kind.__call__ is CharsetFilter.__call__ and charmap is None:
                charmap = f.charmap
            elif kind is SubstitutionFilter:
                known = known and cut_length(f) is not None
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
        in ``fragments.marks``)."""
        folded = raw.translate(self.table)
        found = {marks.rfind(b" ", 0, i) + 1 for i in beyond}
        for prefix in self.prefixes:  # bytes.find: 4x faster than one regex of all prefixes
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
    match, texts, token_text = _TOKEN.match, chain.texts, chain.token_text  # the fast path's texts: plain tokens
    found = []
    for i in starts:
        m = match(text, i)
        raw = m.group()
        term = (texts.get(raw) or token_text(raw))[0]
        if term in words:
            found.append(_Token(term, i, m.end()))
    return found
