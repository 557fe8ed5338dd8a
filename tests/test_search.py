"""The read side over the bundled corpus: stemming, accents, facets, filters, collapse, snippets."""
from __future__ import annotations

import pytest

from indexer.errors import SearchError
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex

THEME = "social-inclusion"


def first(body):
    return body["results"][0]


@pytest.mark.parametrize(("query", "lang", "id_part"), [
    ("xenófobo", "es", "social-inclusion-es"),          # stem of xenófobas
    ("actitud", "es", "social-inclusion-es"),           # stem of actitudes
    ("xenophobes", "fr", "social-inclusion-fr"),
    ("concentre sensibilisation", "fr", "social-inclusion-fr"),
    ("racist attitudes", "en", "social-inclusion-en"),
    ("Sucumbios", "en", "index.html#project-1"),        # no accent: finds Sucumbíos
    ("Sucumbíos", "en", "index.html#project-1"),
    ("Mayoral Forum", "en", "index.html#event-1"),
    ("Riallant", "en", "index.html#news-1"),
    ("lecciones aprendidas", "es", "mainstreaming-es"),
])
def test_known_queries_find_their_documents(site_index, query, lang, id_part):
    hit = first(site_index.search(query))
    assert hit["lang"] == lang and id_part in hit["id"]


def test_unaccented_spanish_query_finds_accented_words(site_index):
    accented = {h["id"] for h in site_index.search("inclusión")["results"]}
    plain = {h["id"] for h in site_index.search("inclusion")["results"]}
    assert accented == plain and len(plain) >= 6


def test_and_by_default(site_index):
    assert site_index.search("Sucumbíos")["total"] == 1
    assert site_index.search("Sucumbíos Pichincha")["total"] == 0
    assert site_index.search("Sucumbíos OR Pichincha")["total"] > 1


def test_whoosh_syntax_still_works(site_index):
    assert site_index.search('"human mobility"')["total"] >= 3
    assert site_index.search("migra*")["total"] >= 6


@pytest.mark.parametrize("query", ['"xenófobo', "(xenófobo", "xenófobo)", "xenófobo AND", "xenófobo?", "¿xenófobo?"])
def test_broken_syntax_falls_back_to_words(site_index, query):
    assert first(site_index.search(query))["id"].endswith("social-inclusion-es.html")


def test_result_shape(site_index):
    body = site_index.search("xenófobo")
    assert set(body) == {"query", "total", "page", "per_page", "pages", "took_ms", "results", "facets", "corrected",
                         "suggestion", "nearby"}
    hit = first(body)
    assert set(hit) == {"id", "url", "title", "title_html", "lang", "type", "country", "themes", "keywords", "date",
                        "snippet", "score", "translations", "matched"}
    assert hit["type"] == "case-study" and hit["country"] == ["ec"] and hit["themes"] == [THEME]
    assert "<mark>xenófobas</mark>" in hit["snippet"]
    assert [t["lang"] for t in hit["translations"]] == ["en", "fr"]
    assert set(body["facets"]) == {"lang", "theme", "country", "type"}
    # The Spanish word finds the English and French versions too, through the glossary
    # (xenophobia), ranked after the Spanish one.
    assert body["total"] == 3
    assert body["facets"]["country"] == [{"value": "ec", "label": "Ecuador", "count": 3}]


def test_theme_filter_matches_every_language(site_index):
    body = site_index.search("", {"theme": [THEME]})
    assert body["total"] == 3
    assert sorted(h["lang"] for h in body["results"]) == ["en", "es", "fr"]


def test_facet_counts_ignore_their_own_filter(site_index):
    body = site_index.search("", {"theme": [THEME], "lang": ["fr"]})
    assert body["total"] == 1 and first(body)["lang"] == "fr"
    assert {f["value"]: f["count"] for f in body["facets"]["lang"]} == {"es": 1, "fr": 1, "en": 1}
    # The theme facet is counted with lang=fr applied.
    assert {f["value"]: f["count"] for f in body["facets"]["theme"]} == {
        THEME: 1, "mainstreaming-migration-into-local-development-planning": 1,
        "partnerships-for-effective-migration-management-for-local-development": 1}


def test_or_within_a_facet_and_across_facets(site_index):
    assert site_index.search("", {"lang": ["es", "fr"]})["total"] == 6
    assert site_index.search("", {"lang": ["es", "fr"], "type": ["project"]})["total"] == 0
    assert site_index.search("", {"type": ["project", "event"]})["total"] == 3


def test_facet_labels_in_the_ui_language(site_index):
    body = site_index.search("", ui="fr")
    labels = {f["value"]: f["label"] for f in body["facets"]["lang"]}
    assert labels == {"en": "Anglais", "es": "Espagnol", "fr": "Français"}
    assert body["facets"]["country"][0]["label"] == "Équateur"


def test_empty_query_browses_everything(site_index):
    body = site_index.search("", per_page=5)
    assert body["total"] == 13 and body["pages"] == 3 and len(body["results"]) == 5
    page3 = site_index.search("", page=3, per_page=5)
    assert len(page3["results"]) == 3
    seen = {h["id"] for p in (1, 2, 3) for h in site_index.search("", page=p, per_page=5)["results"]}
    assert len(seen) == 13


def test_collapse_returns_one_hit_per_work(site_index):
    body = site_index.search("", {"type": ["case-study"]}, collapse=True)
    assert body["total"] == 3 and len(body["results"]) == 3
    assert all(len(h["translations"]) >= 1 for h in body["results"])
    assert site_index.search("", collapse=True)["total"] == 8


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"filters": {"lang": ["xx"]}}, "unknown lang value 'xx'"),
    ({"filters": {"theme": ["no-such-theme"]}}, "unknown theme"),
    ({"filters": {"country": ["zz"]}}, "unknown country"),
    ({"filters": {"type": ["blog"]}}, "unknown type"),
    ({"filters": {"colour": ["red"]}}, "unknown filter"),
    ({"page": 0}, "page must be a positive whole number"),
    ({"page": "-1"}, "page must be a positive whole number"),
    ({"page": "two"}, "page must be a positive whole number"),
    ({"per_page": 1000}, "per_page must be at most"),
    ({"q": "x" * 501}, "longer than 500"),
])
def test_bad_input_is_a_search_error(site_index, kwargs, message):
    with pytest.raises(SearchError, match=message):
        site_index.search(**kwargs)


def test_known_theme_without_documents_is_not_an_error(site_index):
    assert site_index.search("", {"lang": ["de"]})["total"] == 0


def test_seed_text_index_gives_the_same_structure(seed_index):
    stats = seed_index.stats()
    assert stats["documents"] == 13
    assert stats["by"]["type"] == {"case-study": 8, "project": 2, "country-profile": 1, "event": 1, "news": 1}
    body = seed_index.search("", {"theme": [THEME]})
    assert body["total"] == 3
    for hit in body["results"]:
        assert sorted(t["lang"] for t in hit["translations"]) == sorted({"es", "fr", "en"} - {hit["lang"]})
    assert first(seed_index.search("xenófobo"))["lang"] == "es"


def test_snippets_escape_html_from_documents(make_index):
    index_dir = make_index({"x.html":
        "<html lang='en'><head><title>&lt;script&gt;alert(1)&lt;/script&gt; migration</title></head><body>"
        "<p>Migration &lt;script&gt;alert('x')&lt;/script&gt; &amp; remittances &lt;b onmouseover=x&gt;</p>"
        "</body></html>"})
    hit = first(SearchIndex(index_dir).search("remittances"))
    assert "<script>" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]
    assert "<b " not in hit["snippet"]
    assert hit["snippet"].count("<mark>") == 1
    assert hit["title"] == "<script>alert(1)</script> migration"  # raw text: escaping is the renderer's job


def test_searcher_sees_a_new_crawl(make_index, site_copy):
    index_dir = make_index(site_copy)
    ix = SearchIndex(index_dir)
    assert ix.search("")["total"] == 13
    (site_copy / "case-studies" / "partnerships-es.html").unlink()
    run_crawl([str(site_copy)], index_dir)
    import time
    time.sleep(0.6)  # the searcher checks for a new version at most twice a second
    assert ix.search("")["total"] == 12


def test_suggest_completes_words_from_the_index(site_index):
    assert "migration" in site_index.suggest("migr")
    assert site_index.suggest("human mobi")[0] == "human mobility"
    assert site_index.suggest("") == []


@pytest.mark.parametrize("text", [
    '"lecciones aprendidas"', '"racist attitudes"', '"the"', '"of the people"', '"l\'intégration des migrants"',
    '"Sucumbíos"', '"2010 census"', '"co-development U.S. policy"', '"la la la"', '""', '"  "', '"a:b c*"',
    '"Ñandú über straße"', '"sensibilización"', '"what where"', '"x"', '"mobilité humaine"',
])
def test_quoted_phrase_parses_as_whoosh_parser(text):
    """The fast path for a one-phrase query builds the query Whoosh's parser builds."""
    from whoosh.qparser import AndGroup, MultifieldParser

    from indexer.schema import build_schema, text_fields
    from indexer.search.query import quoted_phrase
    from indexer.text.chains import compile_chain

    schema = build_schema()
    expected = MultifieldParser(text_fields(), schema, group=AndGroup).parse(text)
    chains = {name: compile_chain(schema[name].analyzer) for name in text_fields()}
    assert all(chains.values())
    for found in (quoted_phrase(text, schema, text_fields()), quoted_phrase(text, schema, text_fields(), chains)):
        assert found == expected
        assert [getattr(q, "char_ranges", None) for q in found.leaves()] == \
            [getattr(q, "char_ranges", None) for q in expected.leaves()]


@pytest.mark.parametrize("text", ['"a b"~3', '"a" b', 'a "b"', '"a" "b"', 'title_en:"a b"', '"a b'])
def test_quoted_phrase_leaves_other_syntax_to_the_parser(text):
    from indexer.schema import build_schema, text_fields
    from indexer.search.query import quoted_phrase

    assert quoted_phrase(text, build_schema(), text_fields()) is None


@pytest.mark.parametrize(("lang", "name"), [("en", "english"), ("es", "spanish"), ("fr", "french")])
def test_query_stems_equal_the_analyzers(lang, name):
    """Query words are stemmed with the compiled chains: the analyzer's first term."""
    from indexer.schema import build_schema
    from indexer.search.query import QueryBuilder

    from .conftest import DATA

    builder = QueryBuilder(build_schema())
    analyzer = builder._analyzers[lang]
    lines = (DATA / "snowball" / f"{name}.tsv").read_text("utf-8").splitlines()
    words = [line.split("\t")[0] for line in lines if line and not line.startswith("#")]
    words += [w.upper() for w in words[:300]] + ["the", "de", "l'été", "a.b", "230.000", "ÉTÉ", "", "–", "x" * 300]
    for word in words:
        terms = [t.text for t in analyzer(word)]
        assert builder.stem(lang, word) == (terms[0] if terms else None), word
