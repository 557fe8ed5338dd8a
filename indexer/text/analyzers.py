"""Per-language analyzers: tokenize → lowercase → cut runaway words → stopwords → Snowball stem
→ fold accents.

Snowball's Spanish and French rules read accents, so folding comes after stemming.
Both stemming and folding are marked as morphological, so a field's spelling words (Whoosh's
``no_morph`` analysis) are the words as written, accents included: the search side reads them
to restore the accents of a query typed without them.
Whoosh pickles the schema (with every analyzer) into the index, so the stemming
filter stores only its language and rebuilds its stemmer lazily in each process.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StopFilter, SubstitutionFilter
from whoosh.lang.stopwords import stoplists
from whoosh.support.charset import accent_map

#: Languages with their own fields and stemmers: ISO 639-1 code → Snowball algorithm.
STEMMED = {"en": "english", "es": "spanish", "fr": "french"}

#: Longest word indexed; longer "words" (base64 blobs, runaway strings) are cut to this.
MAX_TOKEN_CHARS = 100
#: Words: runs of letters and digits; inner dots keep numbers whole ("230.000"), while
#: apostrophes and hyphens split ("l'expérience" → "l", "expérience").
TOKEN_PATTERN = r"\w+(?:[.]\w+)*"


def normalize(text: str) -> str:
    """Return text in NFC, so combining accents stay inside their word."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Strip accents and lower-case: the comparison key for labels, names and queries."""
    if text.isascii():  # nothing to decompose or strip
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class SnowballFilter(Filter):
    """Stem each token with Snowball (PyStemmer's C stemmers when installed).

    Picklable: only ``lang`` and ``cachesize`` are stored. An unknown language
    leaves tokens unchanged instead of failing.
    """

    # Tells Whoosh this filter changes word forms, so spelling data keeps the
    # unstemmed words (``analyzer(..., no_morph=True)`` skips it).
    is_morph = True

    def __init__(self, lang: str, cachesize: int = 50000):
        self.lang = lang
        self.cachesize = cachesize
        self._stem = None

    def __eq__(self, other):
        return (type(other) is type(self) and other.lang == self.lang
                and other.cachesize == self.cachesize)

    def __getstate__(self):
        return {"lang": self.lang, "cachesize": self.cachesize}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._stem = None

    def stemmer(self):
        """Return a cached ``word -> stem`` function for this filter's language."""
        if self._stem is None:
            self._stem = make_stem_function(self.lang, self.cachesize)
        return self._stem

    def __call__(self, tokens):
        stem = self.stemmer()
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


def make_stem_function(lang: str, cachesize: int = 50000):
    """Return ``word -> stem`` for lang, memoized (word frequencies are Zipfian)."""
    algorithm = STEMMED.get(lang)
    if algorithm is None:
        return lambda word: word
    stem_word = snowballstemmer.stemmer(algorithm).stemWord
    cache: dict[str, str] = {}

    def stem(word: str) -> str:
        try:
            return cache[word]
        except KeyError:
            if len(cache) >= cachesize:
                cache.clear()
            result = cache[word] = stem_word(word)
            return result

    return stem


class FoldFilter(CharsetFilter):
    """Fold accents ("mobilité" → "mobilite"), marked morphological (see the module doc)."""

    is_morph = True

    def __init__(self):
        super().__init__(accent_map)


def language_analyzer(lang: str):
    """Return the analyzer for one stemmed language's fields."""
    return (RegexTokenizer(TOKEN_PATTERN)
            | LowercaseFilter()
            | truncate_filter()
            | StopFilter(stoplist=stoplists.get(lang, frozenset()), minsize=1)
            | SnowballFilter(lang)
            | FoldFilter())


#: Characters of the scripts written without spaces between words (as Lucene's CJKAnalyzer
#: reads them): Han (with compatibility ideographs and the extension planes), Hiragana,
#: Katakana (with its phonetic extensions and half-width forms) and Hangul.
CJK_CHARS = ("\u1100-\u11ff\u3040-\u309f\u30a0-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf"
             "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
_CJK = re.compile(f"[{CJK_CHARS}]")
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")


def has_cjk(text: str) -> bool:
    """Tell whether text holds a character of a script written without spaces (CJK_CHARS)."""
    return _CJK.search(text) is not None


class _Span:
    """A match-like span of text (what ``re.Match`` offers a tokenizer: group, start, end, span)."""

    __slots__ = ("_text", "_start", "_end")

    def __init__(self, text: str, start: int, end: int):
        self._text, self._start, self._end = text, start, end

    def group(self, index: int = 0) -> str:
        if index:
            raise IndexError("no such group")
        return self._text

    def start(self, index: int = 0) -> int:
        return self._start

    def end(self, index: int = 0) -> int:
        return self._end

    def span(self, index: int = 0) -> tuple[int, int]:
        return self._start, self._end


class CJKBigramPattern:
    """A word pattern whose matches are words, except in runs of CJK characters: overlapping
    bigrams ("インジェクション" → "イン", "ンジ", …, "ョン"), a lone CJK character by itself.

    Stands where a compiled pattern does in Whoosh's ``RegexTokenizer`` and the compiled
    chains (``text.chains``: ``pattern``, ``finditer``, ``findall``), so that one token is one
    term on both Whoosh's path and the fast one, and both number the bigrams alike (one
    position each). Text without a CJK character is matched by the word pattern alone.
    Pickled as its word pattern (the schema, with its analyzers, is pickled into the index).
    """

    def __init__(self, words: str = TOKEN_PATTERN):
        self.words = words
        self._words = re.compile(words)
        self.pattern = f"cjk-bigrams:{words}"  # never a plain pattern: texts are tokenized apart

    def __reduce__(self):
        return (type(self), (self.words,))

    def __eq__(self, other):
        return type(other) is type(self) and other.words == self.words

    def __hash__(self):
        return hash(self.pattern)

    def finditer(self, text: str):
        """Yield the matches of text in order: real matches, or ``_Span``s within CJK runs."""
        if _CJK.search(text) is None:
            yield from self._words.finditer(text)
            return
        for match in self._words.finditer(text):
            word = match.group()
            if _CJK.search(word) is None:
                yield match
                continue
            at, offset = 0, match.start()
            for run in _CJK_RUN.finditer(word):
                for part in self._words.finditer(word, at, run.start()):  # the Latin (…) words before
                    yield part if offset == 0 else _Span(part.group(), offset + part.start(), offset + part.end())
                start, end = run.span()
                if end - start == 1:
                    yield _Span(word[start], offset + start, offset + end)
                for i in range(start, end - 1):
                    yield _Span(word[i:i + 2], offset + i, offset + i + 2)
                at = end
            for part in self._words.finditer(word, at):
                yield _Span(part.group(), offset + part.start(), offset + part.end())

    def findall(self, text: str) -> list[str]:
        """Return the text of every match (as ``re.Pattern.findall`` for a pattern without groups)."""
        if _CJK.search(text) is None:
            return self._words.findall(text)
        return [m.group() for m in self.finditer(text)]


def neutral_analyzer():
    """Return the language-neutral analyzer: no stopwords, no stemming, accents folded; runs
    of CJK characters as overlapping bigrams (``CJKBigramPattern``)."""
    return (RegexTokenizer(CJKBigramPattern(TOKEN_PATTERN)) | LowercaseFilter() | truncate_filter()
            | CharsetFilter(accent_map))


@lru_cache(maxsize=1)
def _neutral():
    return neutral_analyzer()


def neutral_terms(text: str) -> list[str]:
    """Return the terms the neutral fields (``title_any``, ``content_any``) index for text: what
    a query word must be looked up as there ("インジェクション" → its seven bigrams, in order)."""
    return analyze(_neutral(), text)


def truncate_filter():
    """Cut words to MAX_TOKEN_CHARS characters: a runaway "word" (a base64 blob, a 5 MB
    string) costs one bounded term, and a query for it still finds it."""
    return SubstitutionFilter(rf"(?s)^(.{{{MAX_TOKEN_CHARS}}}).+", r"\1")


def analyze(analyzer, text: str) -> list[str]:
    """Return the index terms the analyzer makes of text (for tests and tools)."""
    return [t.text for t in analyzer(normalize(text))]
