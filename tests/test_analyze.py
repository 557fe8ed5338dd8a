"""Analyzers: exact Snowball stems, accent folding after stemming, picklable filters."""
from __future__ import annotations

import pickle

import pytest
from whoosh.analysis import Token

from indexer.text.analyzers import (
    SnowballFilter,
    analyze,
    fold,
    language_analyzer,
    make_stem_function,
    neutral_analyzer,
)

from .conftest import DATA


@pytest.mark.parametrize(("lang", "word", "terms"), [
    ("en", "migrants", ["migrant"]),
    ("en", "communities", ["communiti"]),
    ("en", "The strengthening of the provinces", ["strengthen", "provinc"]),
    ("en", "Sucumbíos", ["sucumbio"]),
    ("es", "xenófobas", ["xenofob"]),
    ("es", "xenófobo", ["xenofob"]),
    ("es", "actitudes", ["actitud"]),
    ("es", "las migraciones", ["migracion"]),
    ("es", "inclusión", ["inclusion"]),
    ("fr", "l'expérience", ["experient"]),
    ("fr", "mobilité humaine", ["mobil", "humain"]),
    ("fr", "Équateur", ["equateur"]),
])
def test_language_analyzer_terms(lang, word, terms):
    assert analyze(language_analyzer(lang), word) == terms


@pytest.mark.parametrize(("lang", "a", "b"), [
    ("en", "Sucumbios", "Sucumbíos"),
    ("es", "inclusion", "inclusión"),
    ("es", "migracion", "migración"),
    ("fr", "equateur", "Équateur"),
])
def test_unaccented_word_matches_accented_where_snowball_agrees(lang, a, b):
    analyzer = language_analyzer(lang)
    assert analyze(analyzer, a) == analyze(analyzer, b)


def test_neutral_analyzer_folds_without_stemming():
    assert analyze(neutral_analyzer(), "Las Migraciones en Sucumbíos") == ["las", "migraciones", "en", "sucumbios"]


def test_fold():
    assert fold("Área Temática") == "area tematica"


def test_filter_pickles_without_its_stemmer():
    f = SnowballFilter("es")
    f.stemmer()("migraciones")  # builds the stemmer and its cache
    state = pickle.dumps(f)
    assert b"Stemmer" not in state and b"migraciones" not in state
    g = pickle.loads(state)
    assert g == f and g._stem is None
    assert [t.text for t in g(iter([Token(text="migraciones", stopped=False)]))] == ["migracion"]


def test_filter_is_morph_so_spelling_keeps_words():
    assert SnowballFilter.is_morph is True
    analyzer = language_analyzer("es")
    assert [t.text for t in analyzer("migraciones", no_morph=True)] == ["migraciones"]


def test_whole_analyzer_pickles():
    analyzer = pickle.loads(pickle.dumps(language_analyzer("fr")))
    assert analyze(analyzer, "mobilités") == ["mobil"]


def test_unknown_language_leaves_words_unstemmed():
    stem = make_stem_function("xx")
    assert stem("migraciones") == "migraciones"
    assert analyze(neutral_analyzer(), "migraciones") == ["migraciones"]


@pytest.mark.parametrize(("lang", "name"), [("en", "english"), ("es", "spanish"), ("fr", "french")])
def test_stemming_conformance_with_snowball_vocabulary(lang, name):
    """Every word of a 2,500-word sample of Snowball's own vocabulary stems as Snowball says."""
    stem = SnowballFilter(lang).stemmer()
    rows = [line.split("\t") for line in (DATA / "snowball" / f"{name}.tsv").read_text("utf-8").splitlines()
            if line and not line.startswith("#")]
    assert len(rows) >= 2000
    wrong = [(word, expected, stem(word)) for word, expected in rows if stem(word) != expected]
    assert wrong == []


@pytest.mark.parametrize("lang", ["en", "es", "fr", None])
def test_compiled_chain_gives_the_analyzers_terms(lang):
    """The compiled chain (a slice for the overlong-token cut) gives each token the analyzer's
    term, around the cut's length too."""
    from indexer.text.analyzers import MAX_TOKEN_CHARS
    from indexer.text.chains import compile_chain

    analyzer = language_analyzer(lang)
    chain = compile_chain(analyzer)
    assert chain is not None
    tokens = ["Migraciones", "développement", "the", "ÉTÉ", "x" * (MAX_TOKEN_CHARS - 1), "y" * MAX_TOKEN_CHARS,
              "Zé" * MAX_TOKEN_CHARS, "w" * (5 * MAX_TOKEN_CHARS), "a.b.c"]
    for token in tokens:
        expected = [t.text for t in analyzer(token)]
        assert [chain.term(token)] == (expected or [None]), token
