"""Query understanding, for the search side: a person's words → one Whoosh query.

Two kinds of input:

- **Syntax** (quotes, ``field:value``, ``AND``/``OR``/``NOT``, wildcards, groups, boosts) in
  anything but a question: Whoosh's own parser, every word required (AND), as people who
  write syntax expect.
- **Plain words** (keywords, or a natural-language question): stopwords and question words
  of the three languages are dropped, and each other word becomes one *clause*: the OR
  of its terms in every text field (its stem in each language's fields, the accent-folded
  word in the neutral fields). A clause also holds every form of the word the index has with
  other accents (Snowball stems "mobilite" and "mobilité" differently), the index's
  correction of a word it does not know (one edit, 5+ letters), and the word's glossary
  translations at a lower weight. Clauses are OR-ed and ranked by BM25, with a bonus for
  adjacent query words found near each other. Which documents match: every clause of a short
  keyword query and half of a longer one (precise); any clause of a question, whose ranking
  does the rest (measured: ``weighting.Ranking``).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh.lang.stopwords import stoplists
from whoosh.query import And, Or, Phrase, Term

from indexer.search import bonuses, corrections
from indexer.search.labels import named_labels
from indexer.search.lexicon import Lexicon
from indexer.search.weighting import Ranking
from indexer.text import glossary
from indexer.text.analyzers import STEMMED, TOKEN_PATTERN, fold, has_cjk, neutral_terms, normalize
from indexer.text.chains import compile_chain

#: Interrogatives the Snowball stoplists lack (en has them all); compared accent-folded.
QUESTION_WORDS = {
    "en": "what which who whom whose when where why how many much",
    "es": "qué cuál cuáles quién quiénes cómo dónde cuándo cuánto cuánta cuántos cuántas",
    "fr": "quel quelle quels quelles lequel laquelle lesquels lesquelles où comment combien quand "
          "pourquoi quoi",
}
#: Query-side stopwords: any language's stopwords and interrogatives, accent-folded.
QUERY_STOPWORDS = frozenset(fold(w) for lang in STEMMED for w in stoplists.get(lang, ())) | frozenset(
    fold(w) for words in QUESTION_WORDS.values() for w in words.split())
#: Most spelling corrections per query (``lexicon.Lexicon.correct``).
MAX_CORRECTIONS = 4
#: A last word typed without a space after it, unknown to the index and this long at least,
#: matches the words it begins (search as you type: "xenof" → "xenófobas").
MIN_PREFIX_CHARS = 3
#: The most frequent words a prefix stands for, at most.
MAX_COMPLETIONS = 12

_WORD = re.compile(TOKEN_PATTERN)
_INTERROGATIVES = frozenset(fold(w) for words in QUESTION_WORDS.values() for w in words.split()) | frozenset(
    "what which who whom whose when where why how que cual quien como donde cuando qui".split())
_OPERATOR = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b")
_SYNTAX = re.compile(r'["()\[\]{}*^]|\w\?\w|(?<![\w:])(\w+):(?=\S)')


def is_question(text: str) -> bool:
    """Return True for a natural-language question: a final ``?``, a leading ``¿``, or an
    interrogative first word."""
    text = text.strip()
    first = _WORD.search(text)
    return text.endswith("?") or text.startswith("¿") or bool(
        first and fold(first.group()) in _INTERROGATIVES)


_TRAILING_QMARK = re.compile(r"(?<=\w)[?¿!¡.,;:]+(?=\s|$)")
#: Question marks standing alone ("why ?", "?"): punctuation, not a one-character wildcard.
_LONE_QMARK = re.compile(r"(?<!\S)\?+(?!\S)")


#: A query that is one quoted phrase and nothing else (no slop, no second quote).
_QUOTED = re.compile(r'"([^"]*)"')

_DANGLING = re.compile(r"^(?:\s*\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b)+|(?:\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b\s*)+$")


def tidy_query(q: str) -> str:
    """Drop what Whoosh would misread: sentence punctuation (a final ``?`` is a wildcard)
    and operators with nothing on one side."""
    q = _LONE_QMARK.sub(" ", _TRAILING_QMARK.sub("", q)).replace("¿", " ").replace("¡", " ").strip()
    return _DANGLING.sub("", q).strip()


def has_syntax(text: str, fieldnames) -> bool:
    """Return True when text uses Whoosh's query syntax (not a bare ``word:`` or final ``?``)."""
    if _OPERATOR.search(text):
        return True
    for m in _SYNTAX.finditer(text):
        if m.group(1) is None or m.group(1) in fieldnames:
            return True
    return False


def quoted_phrase(text: str, schema, fieldnames, chains: dict | None = None) -> object | None:
    """Return what Whoosh's ``MultifieldParser(fieldnames, schema)`` parses a query made of one
    quoted phrase into (the OR of the phrase in every field, normalized: a one-word phrase
    becomes a term, a field where every word is stopped drops out), without the parser: its
    taggers and node tree cost about 0.3 ms a phrase. None for any other text
    (``tests/test_search.py`` holds both equal).

    :param chains: field name → its analyzer as a ``chains.CompiledChain`` (memoized, and
        the same in query mode as in index mode), used where given; else the field's analyzer.
    """
    m = _QUOTED.fullmatch(text)
    if m is None:
        return None
    inner, at, parts = m.group(1), m.start(1), []
    for name in fieldnames:
        words, ranges = [], []
        chain = chains.get(name) if chains else None
        if chain is not None:
            for token in chain.expression.finditer(inner):
                term = chain.term(token.group())
                if term is not None:
                    words.append(term)
                    ranges.append((at + token.start(), at + token.end()))
        else:  # as PhrasePlugin.PhraseNode.query: the field's tokens in query mode
            for t in schema[name].tokenize(inner, mode="query", chars=True):
                words.append(t.text)
                ranges.append((at + t.startchar, at + t.endchar))
        parts.append(Phrase(name, words, slop=1, char_ranges=ranges))
    return Or(parts).normalize()


def _key(q) -> tuple:
    """Return what identifies a term or phrase query, boost aside."""
    return (type(q).__name__, q.fieldname, getattr(q, "text", None), tuple(getattr(q, "words", ())))


@dataclass
class Clause:
    """One query word (or glossary phrase): its alternatives across fields."""

    word: str
    start: int
    end: int
    query: object = None
    correction: str | None = None  # the word as corrected, when it was a typo
    completions: tuple = ()  # the words a partly typed last word stands for (``xenof`` → …)


@dataclass
class Plan:
    """A parsed query: what to rank, and which documents count as matches."""

    query: object
    clauses: list[Clause] = field(default_factory=list)
    required: int = 1
    relax: bool = False  # when no document matches ``required`` clauses, accept any one
    #: The query as searched, its typos corrected (None when no word was replaced).
    corrected: str | None = None
    #: A correction offered but not applied ("Did you mean …?"): of a rare word, or of any
    #: word when corrections are turned off.
    suggestion: str | None = None
    #: The query's parts after the clauses' (bonuses for query words found near each other):
    #: ``query`` is the Or of the clauses' queries and these.
    proximity: list = field(default_factory=list)
    #: The facet values the query names (``labels.named_labels``): their documents first.
    labels: list = field(default_factory=list)
    #: The words as typed (corrected), without glossary translations: what snippets show first.
    typed: object = None

    def matches(self, searcher, docs=None) -> set[int]:
        """Return the docnums that match the plan.

        :param docs: a function from a query to the docnums it matches (a set or a dict's
            keys; cached ones, see ``search``); by default the postings are read here.
        """
        docs = docs or (lambda q: _docs(searcher, q))
        if not self.clauses:
            return set(docs(self.query))
        counts: Counter = Counter()
        for clause in self.clauses:
            counts.update(docs(clause.query))
        found = {d for d, k in counts.items() if k >= self.required}
        return found if found or not self.relax else set(counts)


def _docs(searcher, q) -> set[int]:
    """Return the docnums matching a query of ORs, ANDs and terms, reading postings directly
    (much faster than a scoring matcher over a wide OR)."""
    if isinstance(q, Or):
        out: set[int] = set()
        for sub in q.subqueries:
            out |= _docs(searcher, sub)
        return out
    if isinstance(q, And):
        sets = [_docs(searcher, sub) for sub in q.subqueries]
        return set.intersection(*sets) if sets else set()
    if isinstance(q, Term):
        reader = searcher.reader()
        if (q.fieldname, q.text) not in reader:
            return set()
        return set(reader.postings(q.fieldname, q.text).all_ids())
    return set(searcher.docs_for_query(q))


class QueryBuilder:
    """Build the plan of a plain-words query against one schema."""

    def __init__(self, schema, ranking: Ranking | None = None, chains: dict | None = None,
                 stem_memo: int = 100_000):
        """:param chains: field name → its compiled chain (``text.chains``), to share with the
            caller (their memos warm each other); compiled here when not given.
        :param stem_memo: (language, word) stems kept, least recently used out first."""
        self.schema = schema
        self.ranking = ranking or Ranking()
        self._analyzers = {lang: schema[f"content_{lang}"].analyzer for lang in STEMMED}
        # the same analysis compiled (``text.chains``): a fifth of the generator chain's cost
        chains = chains or {}
        self._chains = {lang: chains[f"content_{lang}"] if f"content_{lang}" in chains else compile_chain(analyzer)
                        for lang, analyzer in self._analyzers.items()}
        self._stems = lru_cache(maxsize=max(1, stem_memo))(self._stem)
        self.glossary = glossary.Glossary(self._glossary_key)

    def stem(self, lang: str, word: str) -> str | None:
        """Return the index term of word in lang's fields (None for a stopword)."""
        return self._stems(lang, word)

    def stem_memo(self) -> int:
        """Return how many stems are kept."""
        return self._stems.cache_info().currsize

    def _stem(self, lang: str, word: str) -> str | None:
        chain = self._chains[lang]
        if chain is not None:
            terms = [t for t in map(chain.term, chain.expression.findall(word)) if t is not None]
        else:
            terms = [t.text for t in self._analyzers[lang](word)]
        return terms[0] if terms else None

    def _glossary_key(self, lang: str, word: str) -> str | None:
        # Folded first, so that a word typed with or without accents finds the same concepts.
        folded = fold(word)
        return None if folded in QUERY_STOPWORDS else self.stem(lang, folded)

    def word_query(self, word: str, lexicon: Lexicon | None):
        """Return the OR of every field's term for word and its other accented forms."""
        return Or(self.word_terms(word, lexicon))

    def word_terms(self, word: str, lexicon: Lexicon | None, weight: float = 1.0,
                   langs=STEMMED) -> list:
        """Return every field's term for word and its other accented forms."""
        r = self.ranking
        folded = fold(word)
        subs = []
        for lang in langs:
            forms = {word, folded}
            if lexicon is not None:
                forms.update(lexicon.forms[lang].get(folded, ()))
            for s in sorted({s for s in (self.stem(lang, w) for w in forms) if s}):
                subs.append(Term(f"content_{lang}", s, boost=weight * r.stem_weight))
                subs.append(Term(f"title_{lang}", s, boost=weight * r.stem_weight * r.title_weight))
        bigrams = neutral_terms(word) if has_cjk(word) else ()  # the analyzer folds as it indexes
        any_weight = weight * r.any_weight
        for name, boost in (("content_any", any_weight), ("title_any", any_weight * r.title_weight)):
            if len(bigrams) > 1:  # a run of CJK characters: its overlapping bigrams, in order
                subs.append(Phrase(name, list(bigrams), slop=1, boost=boost))
            else:
                subs.append(Term(name, bigrams[0] if bigrams else folded, boost=boost))
        return subs

    def translation_queries(self, terms: list[glossary.Term], lexicon: Lexicon | None,
                            original) -> list:
        """Return the queries of glossary translations, at the glossary's weight, leaving out
        the terms the original query already has (and repeats: two words, one stem)."""
        weight = self.ranking.glossary_weight
        seen = {_key(q) for q in original.leaves()}
        out = []
        for term in terms:
            if len(term.words) == 1:
                queries = self.word_terms(term.words[0], lexicon, weight, langs=(term.lang,))
            else:
                stems = [s for s in (self.stem(term.lang, w) for w in term.words) if s]
                words = [fold(w) for w in term.words if fold(w) not in QUERY_STOPWORDS]
                queries = [Phrase(f"content_{term.lang}", stems, slop=2, boost=weight),
                           Phrase("content_any", words, slop=3, boost=weight * self.ranking.any_weight)]
            for q in queries:
                if _key(q) not in seen:
                    seen.add(_key(q))
                    out.append(q)
        return out

    def plan(self, text: str, lexicon: Lexicon | None = None, question: bool | None = None,
             exact: bool = False, prefer: tuple[str, ...] = ()) -> Plan | None:
        """Return the plan of a plain-words query, or None when it has no word.

        :param question: whether text is a question (default: ``is_question(text)``).
        :param exact: search the words as typed: no typo is corrected (a correction is only
            offered, as ``Plan.suggestion``).
        :param prefer: the languages whose words a correction should be in, after the one
            the query's other words are in (the interface's language).
        """
        text = normalize(text)
        if question is None:
            question = is_question(text)
        words = [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
        if not words:
            return None
        r = self.ranking
        stop = QUERY_STOPWORDS if r.query_stopwords else frozenset()
        content = [(w, s, e) for w, s, e in words if fold(w) not in stop]
        # Function words make a natural-language query, unless it is as short as keywords
        # ("About OWASP", "control de acceso": every content word is still required) or they
        # are few, as in a title ("About OWASP - OWASP Top 10:2021").
        stops = len(words) - len(content)
        question = question or (stops > 0 and len(words) > r.keyword_max_words
                                and stops > len(words) * r.question_stopword_share)
        if not question:  # a word typed twice is one clause
            seen: set = set()
            content = [(w, s, e) for w, s, e in content if not (fold(w) in seen or seen.add(fold(w)))]
        near: dict[str, list[str]] = {}  # each unknown word's one-edit neighbours, found once
        if lexicon is not None:  # the query's language, as its known words tell, comes first
            folded_words = [fold(w) for w, _, _ in content]
            near = {f: lexicon.neighbours(f) for f in folded_words if not lexicon.frequency(f)}
            own = lexicon.language_of(folded_words, near)
            prefer = tuple(dict.fromkeys(((own,) if own else ()) + tuple(prefer)))
        # The last word, still being typed, stands for the words it begins.
        open_end = words[-1][2] if not text[words[-1][2]:].strip() and not text[-1:].isspace() else None
        clauses, fixes, offers = [], 0, {}
        for w, s, e in content:
            folded, correction, completions = fold(w), None, ()
            unknown = lexicon is not None and not has_cjk(folded) and not lexicon.frequency(folded)
            if unknown and e == open_end and len(folded) >= MIN_PREFIX_CHARS:
                completions = tuple(lexicon.completions(folded, MAX_COMPLETIONS))
            # A glossary word is a known word even where the index lacks it ("human" is not
            # a typo of "humana"): never corrected, and translated instead.
            if unknown and not completions and r.correct_typos and folded not in self.glossary.words \
                    and fixes < MAX_CORRECTIONS:
                correction = lexicon.correct(folded, prefer, near.get(folded))
                fixes += correction is not None
                if exact and correction is not None:
                    offers[(s, e)], correction = correction, None
            elif lexicon is not None and not unknown and not has_cjk(folded) and folded not in self.glossary.words:
                offer = lexicon.suggest(folded, prefer)
                if offer is not None:
                    offers[(s, e)] = offer
            if correction in stop:  # a misspelt stopword
                question = True
                continue
            clauses.append(Clause(correction or w, s, e, correction=correction, completions=completions))
        if not clauses:  # a query of stopwords alone still looks for them
            clauses = [Clause(w, s, e) for w, s, e in words]
        for clause in clauses:
            clause.query = self.word_query(clause.word, lexicon)
            if clause.completions:
                clause.query = Or([clause.query] + self.completion_terms(clause.completions))
        fixed = {(c.start, c.end): c.correction for c in clauses if c.correction}
        corrected = corrections.replaced(text, fixed, lexicon)
        suggestion = corrections.replaced(text, {**fixed, **offers}, lexicon) if offers else None
        typed = Or([c.query for c in clauses])
        clauses = self._translate(clauses, lexicon)
        proximity = bonuses.proximity(r, [c.word for c in clauses])
        if not question:
            proximity += bonuses.function_phrases(r, [w for w, _, _ in words], stop)
            proximity += bonuses.title_phrase(r, [c.word for c in clauses])
        subs = [c.query for c in clauses] + proximity
        n = len(clauses)
        if question:
            required = max(1, math.ceil(n * r.question_min_match))
        else:  # keywords: all of a short query, and never fewer than that many
            required = n if n <= r.short_query else max(r.short_query, math.ceil(n * r.keyword_min_match))
        return Plan(Or(subs), clauses, required, relax=question, corrected=corrected, suggestion=suggestion,
                    proximity=proximity, labels=named_labels(text), typed=typed)

    def completion_terms(self, completions) -> list:
        """Return the queries of a partly typed word's completions: each word in the
        language-neutral fields (no stemming to do for a word the person has not finished)."""
        r = self.ranking
        return [Term(name, w, boost=boost) for w in completions
                for name, boost in (("content_any", r.any_weight), ("title_any", r.any_weight * r.title_weight))]

    def _translate(self, clauses: list[Clause], lexicon) -> list[Clause]:
        """Add glossary translations: to a word's clause, or, for a phrase, as an alternative
        to all its words together (so a translated phrase can satisfy them)."""
        if not self.ranking.glossary_weight:
            return clauses
        out, done = [], 0
        for start, stop, terms in self.glossary.find([c.word for c in clauses]):
            out += clauses[done:start]
            done = stop
            if stop - start == 1:
                c = clauses[start]
                translations = self.translation_queries(terms, lexicon, c.query)
                out.append(Clause(c.word, c.start, c.end, Or([c.query] + translations), c.correction, c.completions))
            else:
                span = clauses[start:stop]
                phrase = And([c.query for c in span])
                translations = self.translation_queries(terms, lexicon, phrase)
                out.append(Clause(" ".join(c.word for c in span), span[0].start, span[-1].end,
                                  Or([phrase] + translations)))
        return out + clauses[done:]
