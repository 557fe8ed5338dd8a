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

import unicodedata

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


def neutral_analyzer():
    """Return the language-neutral analyzer: no stopwords, no stemming, accents folded."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | truncate_filter() | CharsetFilter(accent_map)


def truncate_filter():
    """Cut words to MAX_TOKEN_CHARS characters: a runaway "word" (a base64 blob, a 5 MB
    string) costs one bounded term, and a query for it still finds it."""
    return SubstitutionFilter(rf"(?s)^(.{{{MAX_TOKEN_CHARS}}}).+", r"\1")


def analyze(analyzer, text: str) -> list[str]:
    """Return the index terms the analyzer makes of text (for tests and tools)."""
    return [t.text for t in analyzer(normalize(text))]
