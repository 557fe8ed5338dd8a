"""Snippets equal Whoosh's highlighter where the cheap path has rules of its own: candidate
tokens found by folded prefixes, ContextFragmenter replayed from match to match.

``snippets.highlight_words`` is compared with Whoosh's ``highlight`` function (the same
analysis, fragmenter, scorer and formatter); ``tests/test_search_cache.py`` compares
``snippets.highlight`` with ``Highlighter.highlight_hit`` on real indexes.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from whoosh import highlight as whoosh_highlight
from whoosh.analysis import LowercaseFilter, RegexTokenizer, SubstitutionFilter
from whoosh.highlight import ContextFragmenter, Highlighter, set_matched_filter

from indexer.schema import build_schema
from indexer.search import fragments, snippets
from indexer.text.analyzers import TOKEN_PATTERN, language_analyzer
from indexer.text.chains import compile_chain

DATA = Path(__file__).parent / "data"
SCHEMA = build_schema()
CHAINS = {name: compile_chain(SCHEMA[name].analyzer) for name in SCHEMA.names() if name.startswith("content_")}
HIGHLIGHTER = snippets.highlighter()
FILLER = ("el la de que y en los se del las un por con no una su para es al lo como más o pero sus "
          "desarrollo local comunidad proyecto apoyo jóvenes mujeres").split()


def terms(field: str, words: str) -> frozenset:
    """Return the terms of ``field`` the words make (stopwords kept, as a query term may be one)."""
    chain = CHAINS[field]
    return frozenset(chain.token_text(w)[0] for w in re.findall(TOKEN_PATTERN, words))


def compare(field: str, text: str, words: frozenset, highlighter=HIGHLIGHTER) -> str:
    """Assert the cheap snippet of text equals Whoosh's; return it."""
    analyzer = SCHEMA[field].analyzer
    expected = whoosh_highlight.highlight(text, words, analyzer, highlighter.fragmenter, highlighter.formatter,
                                          top=2)
    assert snippets.highlight_words(highlighter, text, words, CHAINS[field], analyzer, top=2) == expected
    return expected


LONG_RUN = " ".join(FILLER[i % len(FILLER)] for i in range(3000))

CASES = [
    # (field, text, query words, a snippet is expected)
    ("content_es", "Migración al principio, y al final: migración", "migración", True),
    ("content_es", "migración migración, migración;migración – migración", "migración", True),
    ("content_es", f"{LONG_RUN} la migración de jóvenes {LONG_RUN}", "migración", True),
    ("content_es", f"{LONG_RUN} migración", "migración comunidad", True),
    ("content_es", "la casa de Juan, de María y DE Pedro", "de", True),  # a stopword: matched as written
    ("content_es", "MIGRACIÓN, Migración, migracion y MIGRACION", "migracion", True),
    ("content_es", "Nada que ver con la consulta.", "migración", False),
    ("content_es", "", "migración", False),
    ("content_en", "Countries and a country; COUNTRY's borders, countryside", "country", True),
    ("content_en", "The dying man and the skies; he was dying.", "dying skies", True),
    ("content_en", "possibility, possibly, possible", "possibility", True),
    ("content_fr", "La publicité, les publications et la publicite", "publicité", True),
    ("content_fr", "Ils ont réagi violemment, récemment et violent", "violemment récemment", True),
    ("content_fr", "Les chevaux du cheval; l’authenticité, l'authenticite", "chevaux authenticité", True),
    ("content_fr", "Le cœur de l’œuvre, les œuvres et le COEUR", "œuvre cœur", True),
    ("content_fr", "Il a été là, les étés passés", "été", True),  # "été": a French stopword
    ("content_en", "İstanbul and istanbul, ΣΊΣΥΦΟΣ and σίσυφος", "istanbul σίσυφος", True),
    ("content_es", "Unas 230.000 personas; la versión 1.5.2 y 230", "230.000 1.5.2", True),
    ("content_es", "El año 2.5.x cuenta.con puntos... y .puntos. sueltos", "cuenta.con puntos", True),
    ("content_any", "Migración, MIGRACIÓN y migraciones", "migración", True),
    ("content_any", "日本語のテキスト 東京 と migración", "東京 migración", True),
    ("content_es", f"{'a' * 400} migración {'b' * 90} fin", f"{'a' * 400} migración", True),
]


@pytest.mark.parametrize(("field", "text", "query", "found"), CASES)
def test_snippet_equals_whoosh_highlight(field, text, query, found):
    assert bool(compare(field, text, terms(field, query))) is found


def test_texts_past_whooshs_charlimit():
    """Tokens ending past ContextFragmenter.charlimit end the fragments, even an open one."""
    limit = HIGHLIGHTER.fragmenter.charlimit
    head = " ".join(FILLER[i % len(FILLER)] for i in range(limit // 5))[:limit - 30]
    for text in (head + " migración jóvenes migración " + LONG_RUN + " migración",
                 head[:-60] + " migración " + head[:200] + " migración",
                 LONG_RUN + LONG_RUN + LONG_RUN + " migración"):
        compare("content_es", text, terms("content_es", "migración jóvenes"))


def test_random_texts_and_fragmenters_equal_whoosh():
    """Random texts (dots, long gaps, punctuation, characters beyond Latin-1) and small
    fragmenters, so fragments often overflow maxchars or close at a countdown of exactly 0."""
    rng = random.Random(11)
    words = FILLER + ["migración", "Migraciones", "MIGRACIÓN", "jóvenes", "œuvre", "x", "a.b", "230.000", "l’apoyo"]
    gaps = [" ", " ", " ", ", ", ". ", "...", " – ", "\n", "    ", ".", "’", " «", "» ", "  .  "]
    compared = 0
    for n in range(300):
        text = "".join(rng.choice(words) + rng.choice(gaps) for _ in range(rng.randint(0, 400)))
        query = " ".join(rng.sample(words, rng.randint(1, 3)))
        highlighter = HIGHLIGHTER
        if n % 2:
            fragmenter = ContextFragmenter(maxchars=rng.randint(5, 120), surround=rng.randint(1, 40))
            highlighter = Highlighter(fragmenter=fragmenter, formatter=snippets.MarkFormatter())
        compared += bool(compare("content_es", text, terms("content_es", query), highlighter))
    assert compared > 150


def test_fragments_equal_fragment_tokens():
    """The replayed fragments are ContextFragmenter's, empty ones included."""
    rng = random.Random(4)
    analyzer = SCHEMA["content_es"].analyzer
    for _ in range(200):
        text = " ".join(rng.choice(FILLER + ["migración"] * 3) + rng.choice(["", ",", "."]) for _ in range(300))
        fragmenter = ContextFragmenter(maxchars=rng.randint(5, 300), surround=rng.randint(1, 80))
        words = terms("content_es", "migración")
        tokens = set_matched_filter(analyzer(text, chars=True, removestops=False), words)
        expected = [(f.startchar, f.endchar, [(t.startchar, t.endchar) for t in f.matches])
                    for f in fragmenter.fragment_tokens(text, tokens)]
        raw = text.encode("latin-1", "replace")
        marks, _ = fragments.marks(text, raw)
        found = snippets._checked(CHAINS["content_es"], text, words, [m.start() for m in re.finditer(rb"w+", marks)])
        got = [(f.startchar, f.endchar, [(t.startchar, t.endchar) for t in f.matches])
               for f in fragments.fragments(text, marks, found, fragmenter)]
        assert got == expected


def test_marks_are_the_tokens():
    text = "L’œuvre (230.000 a.b..c .d e. İstanbul_x) 東京 — fin."
    marks, beyond = fragments.marks(text, text.encode("latin-1", "replace"))
    assert [m.span() for m in re.finditer(rb"w+", marks)] == [m.span() for m in re.finditer(TOKEN_PATTERN, text)]
    assert [text[i] for i in beyond] == ["œ", "İ", "東", "京"]
    rng = random.Random(8)  # dots in every arrangement: runs of them, between words, at the ends
    for _ in range(3000):
        text = "".join(rng.choice(["a", "é", ".", " ", "..", "œ", "-"]) for _ in range(rng.randint(0, 25)))
        marks, _ = fragments.marks(text, text.encode("latin-1", "replace"))
        assert [m.span() for m in re.finditer(rb"w+", marks)] == \
            [m.span() for m in re.finditer(TOKEN_PATTERN, text)], text


@pytest.mark.parametrize(("lang", "name"), [("en", "english"), ("es", "spanish"), ("fr", "french")])
def test_every_word_is_a_candidate_for_its_own_term(lang, name):
    """The prefix rule (a term minus STEM_SLACK letters begins its word, folded) holds on
    Snowball's own vocabularies, in upper case too."""
    field = f"content_{lang}"
    chain, analyzer = CHAINS[field], SCHEMA[field].analyzer
    lines = (DATA / "snowball" / f"{name}.tsv").read_text("utf-8").splitlines()
    vocabulary = [line.split("\t")[0] for line in lines if line and not line.startswith("#")]
    missed = []
    for word in vocabulary + [w.upper() for w in vocabulary]:
        term = chain.token_text(word)[0]
        candidates = snippets._Candidates.build(chain, analyzer, frozenset([term]))
        text = f"— {word}."
        raw = text.encode("latin-1", "replace")
        marks, beyond = fragments.marks(text, raw)
        if 2 not in candidates.starts(raw, marks, beyond):
            missed.append(word)
    assert len(vocabulary) > 2000 and missed == []


def test_unknown_chain_checks_every_token():
    """A chain whose folding this module does not know still gives Whoosh's snippet."""
    analyzer = RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | SubstitutionFilter("ph", "f")
    chain = compile_chain(analyzer)
    assert chain is not None and snippets._Candidates.build(chain, analyzer, frozenset(["filosofia"])) is None
    text = "La philosofia y la filosofia; PHILOSOFIA."
    expected = whoosh_highlight.highlight(text, {"filosofia"}, analyzer, HIGHLIGHTER.fragmenter,
                                          HIGHLIGHTER.formatter, top=2)
    assert expected.count("<mark>") == 3
    assert snippets._highlight(HIGHLIGHTER, text, chain, frozenset(["filosofia"]), None, 2, 1) == expected
    # Whoosh's own path when the folding is unknown (its filters could depend on the mode)
    assert snippets.highlight_words(HIGHLIGHTER, text, frozenset(["filosofia"]), chain, analyzer) == expected


def test_other_fragmenters_take_whooshs_path():
    highlighter = Highlighter(fragmenter=whoosh_highlight.SentenceFragmenter(),
                                       formatter=snippets.MarkFormatter())
    analyzer = language_analyzer("es")
    text = "Primera frase sin nada. La migración llega. Otra frase."
    words = terms("content_es", "migración")
    assert snippets.highlight_words(highlighter, text, words, compile_chain(analyzer), analyzer) == \
        whoosh_highlight.highlight(text, words, analyzer, highlighter.fragmenter, highlighter.formatter, top=2)


def test_translation_versions_highlight_the_query_terms_as_whoosh():
    """A version brought by another language's match: its words from the query's terms."""
    from whoosh.query import Or, Term

    query = Or([Term("content_es", "migracion"), Term("content_fr", "migrat"), Term("content_es", "joven")])
    text = f"{LONG_RUN} Los jóvenes y la migración; MIGRACIÓN. {LONG_RUN}"
    got = snippets.snippet(HIGHLIGHTER, SCHEMA, CHAINS, None, {"text": text, "lang": "es"}, query, version=True)
    analyzer = SCHEMA["content_es"].analyzer
    assert got == whoosh_highlight.highlight(text, {"migracion", "joven"}, analyzer, HIGHLIGHTER.fragmenter,
                                             HIGHLIGHTER.formatter, top=2)
    assert "<mark>jóvenes</mark> y la <mark>migración</mark>; <mark>MIGRACIÓN</mark>" in got


def test_mark_formatter_formats_as_whooshs_formatter():
    """MarkFormatter's inlined format_fragment writes what Whoosh's base method writes with
    MarkFormatter's escaping and marks, for fragments with overlapping and unsorted tokens."""
    rng = random.Random(3)
    formatter = snippets.MarkFormatter()
    for _ in range(300):
        text = "".join(rng.choice(["a", "é", "<", ">", "&", " ", "'", '"', "mig"]) for _ in range(rng.randint(0, 80)))
        tokens = []
        for _ in range(rng.randint(0, 6)):
            start = rng.randint(0, len(text))
            token = snippets._Token(text[start:start + 3].upper(), start, min(len(text), start + rng.randint(0, 5)))
            tokens.append(token)
        start = rng.randint(0, len(text))
        fragment = fragments.Span(text, tokens, start, rng.randint(start, len(text)))
        for replace in (False, True):
            assert formatter.format_fragment(fragment, replace) == \
                whoosh_highlight.Formatter.format_fragment(formatter, fragment, replace)
