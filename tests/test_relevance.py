"""Search quality over real indexes: questions, accents, typos and suggestions, the glossary,
translation groups under a language filter."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from indexer.cli import cli
from indexer.model import Document
from indexer.search.engine import SearchIndex
from indexer.search.query import has_syntax, is_question
from indexer.text import glossary
from indexer.text.analyzers import analyze, language_analyzer

DOCS = [
    ("fr-mobilite", "fr", "Mobilité humaine et développement local",
     "La mobilité humaine transforme les communes rurales; les transferts de fonds des "
     "migrants financent des écoles."),
    ("es-movilidad", "es", "Movilidad humana en Ecuador",
     "La movilidad humana y las remesas de los migrantes sostienen la economía local; "
     "el municipio acoge a los refugiados."),
    ("es-frontera", "es", "Frontera norte",
     "En la frontera norte, la población refugiada recibe atención médica y educación."),
    ("en-remittances", "en", "Remittances and local development",
     "Remittances sent by migrant workers finance schools and small businesses in their "
     "home towns."),
    ("en-asylum", "en", "Asylum procedures",
     "Asylum seekers wait months for a decision; municipalities offer housing and language "
     "courses."),
    ("en-football", "en", "Football season",
     "The season ended with a final in the capital; the champions celebrated all night."),
    ("fr-cuisine", "fr", "Cuisine régionale",
     "La cuisine régionale utilise des produits locaux et des recettes anciennes."),
]


@pytest.fixture(scope="module")
def index(make_index) -> SearchIndex:
    docs = [Document(id=i, url=f"https://example.org/{i}", title=t, text=x, lang=lang, source="t")
            for i, lang, t, x in DOCS]
    ix = SearchIndex(make_index(docs, sources=["t"]))
    yield ix
    ix.close()


def ids(body) -> list[str]:
    return [h["id"] for h in body["results"]]


# Questions and keyword queries


@pytest.mark.parametrize(("text", "question"), [
    ("What do remittances finance?", True),
    ("¿Dónde está la frontera", True),
    ("Combien de migrants", True),
    ("remittances schools", False),
    ('"human mobility"', False),
])
def test_is_question(text, question):
    assert is_question(text) is question


def test_syntax_is_recognised_but_not_a_bare_colon():
    fields = ["title_any", "content_any"]
    assert has_syntax('"human mobility"', fields) and has_syntax("migra*", fields)
    assert has_syntax("title_any:asylum", fields) and has_syntax("asylum OR refugee", fields)
    assert not has_syntax("ratio 3:2 of migrants", fields) and not has_syntax("what is asylum", fields)


def test_a_question_is_not_a_wildcard_and_ranks_its_answer_first(index):
    body = index.search("What do the remittances of migrant workers finance?")
    assert ids(body)[0] == "en-remittances"


def test_a_question_needs_only_some_of_its_words(index):
    # "passport" is nowhere: a question still finds the documents with its other words...
    assert ids(index.search("Which asylum seekers need a passport?"))[0] == "en-asylum"
    # ...while a two-word keyword query stays precise: every word is required.
    assert index.search("asylum passport")["total"] == 0
    assert ids(index.search("asylum housing")) == ["en-asylum"]


def test_a_quoted_phrase_in_a_question_is_not_syntax(index):
    assert ids(index.search('Who offers "language courses" to asylum seekers?'))[0] == "en-asylum"


def test_a_query_of_stopwords_alone_still_searches(index):
    assert index.search("the")["total"] >= 1


# Accents


def test_snowball_alone_stems_unaccented_words_differently():
    """Why folding after stemming is not enough."""
    analyzer = language_analyzer("fr")
    assert analyze(analyzer, "mobilité") != analyze(analyzer, "mobilite")


@pytest.mark.parametrize(("accented", "plain"), [
    ("mobilité humaine", "mobilite humaine"),
    ("économie", "economie"),
    ("médica", "medica"),
    ("développement", "developpement"),
])
def test_query_without_accents_finds_what_the_accented_query_finds(index, accented, plain):
    with_accents = index.search(accented)
    assert with_accents["total"] >= 1
    assert ids(index.search(plain)) == ids(with_accents)


def test_accent_forms_come_from_the_index_vocabulary(index):
    vocabulary = index.versions.lexicon(index.searcher())
    assert "mobilité" in vocabulary.forms["fr"]["mobilite"]
    assert "médica" in vocabulary.forms["es"]["medica"]


# Typos and suggestions


@pytest.mark.parametrize(("typo", "expected", "corrected"), [
    ("remitances", "en-remittances", "remittances"),          # deletion
    ("mobilitée humaine", "fr-mobilite", "mobilité humaine"),  # insertion, accents restored
    ("Asylym procedures", "en-asylum", "Asylum procedures"),    # substitution, case kept
    ("forntera", "es-frontera", "frontera"),                     # transposition (one edit)
])
def test_one_typo_still_finds_the_document_and_says_it_was_corrected(index, typo, expected, corrected):
    body = index.search(typo)
    assert ids(body)[0] == expected
    assert body["corrected"] == {"from": typo, "to": corrected}
    assert body["suggestion"] is None  # applied, so not offered


def test_exact_searches_the_typo_and_offers_the_correction(index):
    body = index.search("remitances", exact=True)
    assert body["total"] == 0 and body["corrected"] is None
    assert body["suggestion"] == "remittances"
    assert "remittances" in body["nearby"]


def test_cli_shows_the_corrected_query(index):
    done = CliRunner().invoke(cli, ["search", "remitances", "--index", str(index.path)])
    assert done.exit_code == 0, done.output
    assert "Searched for: remittances (instead of remitances)" in done.output
    assert "Remittances and local development" in done.output


def test_no_suggestion_when_every_word_is_known(index):
    body = index.search("remittances")
    assert body["suggestion"] is None and body["corrected"] is None


def test_a_word_the_index_has_is_not_corrected(index):
    # "season" exists: it is not turned into "seasons" or anything else.
    body = index.search("season")
    assert ids(body) == ["en-football"] and body["suggestion"] is None and body["corrected"] is None


def test_short_words_and_far_words_are_left_alone(index):
    assert index.search("fial")["suggestion"] is None          # under 5 letters
    assert index.search("remmitancse")["suggestion"] is None   # three edits away
    assert index.search("remmitancse")["total"] == 0


# Glossary


def test_glossary_has_the_fields_key_concepts_in_three_languages():
    concepts = glossary.concepts()
    assert len(concepts) >= 60
    assert all({t.lang for t in terms} == {"en", "es", "fr"} for terms in concepts)
    by_word = {t.words: {u.words for u in terms} for terms in concepts for t in terms}
    assert ("remesas",) in by_word[("remittances",)]
    assert ("transferts", "de", "fonds") in by_word[("remittances",)]
    assert ("movilidad", "humana") in by_word[("human", "mobility")]
    assert ("réfugié",) in by_word[("refugee",)]


def test_glossary_expands_a_word_into_the_other_languages_below_the_word_itself(index):
    body = index.search("remittances")
    found = ids(body)
    assert found[0] == "en-remittances"
    # remesas (es) and transferts de fonds (fr) through the glossary, ranked after.
    assert {"es-movilidad", "fr-mobilite"} <= set(found[1:])


def test_glossary_matches_plurals_and_phrases(index):
    # "refugees" → refugiado (es): the Spanish documents mention refugiados / refugiada.
    assert {"es-movilidad", "es-frontera"} <= set(ids(index.search("refugees")))
    # "human mobility" → movilidad humana, mobilité humaine.
    assert {"es-movilidad", "fr-mobilite"} <= set(ids(index.search("human mobility")))


def test_glossary_does_not_invent_matches(index):
    assert index.search("football")["total"] == 1


# Translation groups under a language filter (bundled corpus: 3 versions of each case study)


def test_lang_filter_brings_the_version_of_a_matching_case_study(site_index):
    plain = site_index.search("combating racist attitudes Pichincha policies")
    assert ids(plain)[0].endswith("social-inclusion-en.html")
    body = site_index.search("combating racist attitudes Pichincha policies", {"lang": ["es"]})
    assert ids(body)[0].endswith("social-inclusion-es.html")
    assert all(h["lang"] == "es" for h in body["results"])


def test_lang_facet_counts_what_each_language_filter_returns(site_index):
    query = "combating racist attitudes"
    body = site_index.search(query)
    counts = {f["value"]: f["count"] for f in body["facets"]["lang"]}
    for lang, count in counts.items():
        assert site_index.search(query, {"lang": [lang]})["total"] == count
    assert counts["es"] >= 1 and counts["fr"] >= 1


def test_without_a_lang_filter_versions_are_not_added(site_index):
    body = site_index.search("combating attitudes")
    assert [h["lang"] for h in body["results"]] == ["en"]
