"""What a search answers beside its hits (issue 18): honest corrections (``corrected`` when
a word was replaced, ``suggestion`` only when a correction is offered and not applied), in
the query's own language first; the last word typed matched as a prefix (search as you
type); why each hit matched (``<mark>`` for a word typed, ``<mark class="alt">`` for a
translation, ``matched``); counts in works when translations are collapsed; facet values in
an order that does not move as filters are ticked; a page past the last refused; searches
offered when nothing is found. On real indexes of the bundled corpus and of pages written here."""
from __future__ import annotations

import re

import pytest

from indexer.errors import SearchError
from indexer.search.engine import SearchIndex

MARK = re.compile(r"<mark(?: class=\"alt\")?>(.*?)</mark>")


def ids(body) -> list[str]:
    return [r["id"] for r in body["results"]]


# Corrections


def test_a_corrected_word_is_said_and_the_results_are_those_of_the_correction(site_index):
    body = site_index.search("migrasion")
    assert body["corrected"] == {"from": "migrasion", "to": "migration"}
    assert body["suggestion"] is None  # applied: nothing more to offer
    assert ids(body) == ids(site_index.search("migration"))


def test_a_correction_is_in_the_interface_language_when_the_query_tells_none(site_index):
    assert site_index.search("migrasion", ui="es")["corrected"]["to"] == "migración"
    assert site_index.search("migrasion", ui="fr")["corrected"]["to"] == "migration"


def test_a_correction_follows_the_language_of_the_other_words(site_index):
    # "planificasion" has only a Spanish neighbour: the query is Spanish, and so is
    # "migrasion"'s correction, whatever the interface's language.
    body = site_index.search("migrasion planificasion", ui="en")
    assert body["corrected"]["to"] in ("migración planificación", "migration planificación")
    body = site_index.search("xenofobas migrasion", ui="en")  # "xenofobas": a Spanish word
    assert body["corrected"]["to"] == "xenofobas migración"


def test_exact_searches_the_word_as_typed_and_only_offers_the_correction(site_index):
    body = site_index.search("migrasion", exact=True)
    assert body["total"] == 0 and body["corrected"] is None
    assert body["suggestion"] == "migration"
    assert body["nearby"][:2] == ["migration", "migración"]  # the most frequent first


def test_a_rare_word_beside_a_frequent_neighbour_is_offered_not_replaced(make_index):
    pages = {f"p{n}.html": f"<html lang='en'><title>Page {n}</title><p>remittances and savings {n}</p></html>"
             for n in range(24)}
    pages["odd.html"] = "<html lang='en'><title>Odd</title><p>remitances written once</p></html>"
    ix = SearchIndex(make_index(pages), cache_size=0)
    body = ix.search("remitances")
    assert ids(body) and all(r["title"] == "Odd" for r in body["results"])  # the word exists: searched
    assert body["corrected"] is None and body["suggestion"] == "remittances"


def test_nothing_found_offers_nearby_searches_that_find_something(site_index):
    body = site_index.search("xenofobaz", exact=True)
    assert body["total"] == 0
    assert body["nearby"] == ["xenófobas"]
    body = site_index.search("inclusion migrasion", exact=True)
    assert body["total"] == 0 and "inclusion migration" in body["nearby"]
    for query in body["nearby"]:
        assert site_index.search(query, exact=True)["total"] > 0, query


# Search as you type: the last word is a prefix


def test_the_last_word_typed_matches_the_words_it_begins(site_index):
    body = site_index.search("xenof")
    assert body["total"] >= 1 and body["corrected"] is None
    marked = {m.lower() for r in body["results"] for m in MARK.findall(r["snippet"] + r["title_html"])}
    assert marked & {"xenófobas", "xenophobes", "xenophobic"}


def test_a_partial_word_after_a_whole_one_narrows_the_search(site_index):
    body = site_index.search("inclusion soc")
    assert body["results"][0]["themes"] == ["social-inclusion"]
    for r in body["results"]:  # found by a word of its text or title, or by a key word
        assert r["matched"], r["title"]


def test_only_the_last_word_is_a_prefix(site_index):
    assert site_index.search("xenof inclusion")["total"] == 0


# Why a hit matched


def test_a_hit_found_by_its_key_words_says_so(site_index):
    body = site_index.search("inclusion sociale", filters={"type": ["case-study"]}, per_page=50)
    mainstreaming = [r for r in body["results"] if "mainstreaming" in r["id"] and r["lang"] == "fr"]
    assert mainstreaming
    assert {"text": "inclusion sociale", "via": "keyword"} in mainstreaming[0]["matched"]


def test_every_hit_for_migration_shows_why(site_index):
    body = site_index.search("migration")
    for r in body["results"]:
        assert r["matched"], r["title"]
        assert MARK.search(r["title_html"] + r["snippet"]), r["title"]


def test_a_translation_is_marked_apart_from_the_words_typed(site_index):
    body = site_index.search("migration", filters={"lang": ["es"]})
    assert body["results"]
    for r in body["results"]:
        assert '<mark class="alt">migración</mark>' in r["title_html"]
        assert {"text": "migración", "via": "translation"} in r["matched"]
    english = site_index.search("migration", filters={"lang": ["en"]})["results"][0]
    assert "<mark>" in english["title_html"] + english["snippet"]
    assert all(m["via"] == "typed" for m in english["matched"])


def test_a_named_theme_is_a_reason_to_match(site_index):
    body = site_index.search("social inclusion", ui="es")
    first = body["results"][0]
    assert {"text": "Inclusión social", "via": "label", "facet": "theme", "value": "social-inclusion"} \
        in first["matched"]


def test_the_country_in_another_language_finds_the_same_documents(site_index):
    # The French case studies write "Equateur": "Ecuador" finds them through their label.
    found = {r["id"] for r in site_index.search("Ecuador", per_page=50)["results"]}
    french = {r["id"] for r in site_index.search("", filters={"lang": ["fr"]}, per_page=50)["results"]}
    assert french and french <= found


# Counts, order, pages


def test_collapsed_counts_count_works_everywhere(site_index):
    body = site_index.search("migration", collapse=True, per_page=50)
    assert body["total"] == len(body["results"])
    assert body["pages"] == 1
    # each work has one type, so the type facet's counts add up to the works shown
    assert sum(item["count"] for item in body["facets"]["type"]) == body["total"]
    every = site_index.search("migration", per_page=50)
    assert sum(item["count"] for item in every["facets"]["type"]) == every["total"] > body["total"]


@pytest.mark.parametrize("ticked", [{"lang": ["fr"]}, {"type": ["news"]},
                                    {"lang": ["es", "fr"], "type": ["case-study"]}])
def test_facet_values_keep_their_places_when_filters_are_ticked(site_index, ticked):
    plain = site_index.search("migration")["facets"]
    filtered = site_index.search("migration", filters=ticked)["facets"]
    for facet, items in filtered.items():
        order = [i["value"] for i in plain[facet]]
        shown = [i["value"] for i in items]
        assert shown == [v for v in order if v in shown], facet


def test_a_page_past_the_last_is_refused_with_the_last_page_named(site_index):
    pages = site_index.search("migration", per_page=5)["pages"]
    assert pages == 2
    with pytest.raises(SearchError, match=r"page 9 is past the last page of this search \(2\)"):
        site_index.search("migration", per_page=5, page=9)
    with pytest.raises(SearchError, match="past the last page"):
        site_index.search("nothingatallhere", page=2)


def test_the_api_answers_400_for_a_page_past_the_last(client):
    response = client.get("/api/search?q=migration&per_page=5&page=9")
    assert response.status_code == 400
    assert "past the last page" in response.get_json()["error"]


def test_the_api_takes_exact_and_sort(client):
    body = client.get("/api/search?q=migrasion&exact=1").get_json()
    assert body["total"] == 0 and body["suggestion"] == "migration"
    body = client.get("/api/search?q=migrasion").get_json()
    assert body["corrected"] == {"from": "migrasion", "to": "migration"}
    assert client.get("/api/search?q=x&exact=yes").status_code == 400
    assert client.get("/api/search?q=x&sort=title").status_code == 400
    dated = client.get("/api/search?q=&sort=date").get_json()["results"]
    assert dated[0]["date"] == "2015-11-12"
