"""Dates of documents: read from <time>, meta tags, JSON-LD and the text of news and events
(en/es/fr), stored in the index, returned in each result, and the order of ``sort=date``;
and whole first sentences as the titles of news and events."""
from __future__ import annotations

import inspect
import subprocess
from pathlib import Path

import numpy as np
import pytest
from babel.dates import get_month_names
from whoosh import index
from whoosh.query import Every

from indexer.errors import SearchError
from indexer.model import Document, Page
from indexer.parse import dates
from indexer.parse.extract import extract
from indexer.parse.listing import split_listing
from indexer.parse.sentences import first_sentence
from indexer.pipeline import run_crawl
from indexer.schema import build_schema
from indexer.search import sorting
from indexer.search.engine import SearchIndex
from indexer.search.scores import Scored
from indexer.search.topk import ScoredMatches
from indexer.text.analyzers import fold
from indexer.write import write_documents

from .conftest import DATA, EXE, SEED, SITE

DATES = DATA / "dates"


def documents(path: Path, content_type: str = "text/html") -> dict[str, Document]:
    """Return the documents of one file, by their id's fragment ("" for the page itself)."""
    page = Page(url=path.resolve().as_uri(), body=path.read_bytes(), content_type=content_type)
    return {d.id.partition("#")[2]: d for d in split_listing(extract(page))}


# Extraction


@pytest.mark.parametrize(("name", "fragment", "expected"), [
    ("time.html", "", "2016-03-04"),           # the main region's <time>, not the header's or footer's
    ("time-text.html", "", "2015-11-12"),      # a <time> without datetime: its text
    ("meta.html", "", "2016-05-06"),           # published outranks updated, and a meta tag a <time>
    ("json-ld.html", "", "2016-07-08"),        # datePublished outranks dateModified; broken JSON ignored
    ("json-ld-event.html", "", "2017-11-14"),  # an Event's startDate
    ("listing-en.html", "", "2019-06-01"),     # the profile: its page's DC.date …
    ("listing-en.html", "news-1", "2016-11-03"),  # … but not its items: "Nov. 3, 2016"
    ("listing-en.html", "news-2", None),       # a year alone is no date
    ("listing-en.html", "event-1", "2015-11-12"),  # "from November 12-13, 2015": the first day
    ("listing-en.html", "event-2", None),      # 12/11/2015 is 12 November or December 11
    ("listing-es.html", "noticia-1", "2016-03-03"),  # "el 3 de marzo de 2016"
    ("listing-es.html", "evento-1", "2017-11-12"),   # "del 12 al 14 de noviembre de 2017"
    ("listing-es.html", "evento-2", "2018-05-20"),   # the item's own <time> before its text
    ("listing-fr.html", "actu-1", "2016-02-01"),     # "du 1er février 2016"
    ("listing-fr.html", "evt-1", "2015-11-12"),      # "du 12 au 13 novembre 2015"
    ("listing-fr.html", "evt-2", "2016-11-01"),      # "novembre 2016": a month, dated to its first day
])
def test_dates_are_read_from_the_page(name, fragment, expected):
    assert documents(DATES / name)[fragment].date == expected


@pytest.mark.parametrize("meta", [
    '<meta name="date" content="2016-05-06">',
    '<meta name="DC.date" content="2016-05-06">',
    '<meta name="dcterms.date" content="2016-05-06T12:00:00Z">',
    '<meta name="citation_date" content="2016/05/06">',
    '<meta property="article:published_time" content="2016-05-06T09:00:00+02:00">',
    '<meta property="og:updated_time" content="2016-05-06T09:00:00+02:00">',
    '<meta itemprop="datePublished" content="2016-05-06">',
    '<meta name="date" content="6 May 2016">',
])
def test_meta_tags_date_the_page(tmp_path, meta):
    path = tmp_path / "page.html"
    path.write_text(f"<html><head><title>Remittances</title>{meta}</head><body><main><p>Remittances and "
                    "local development.</p></main></body></html>", "utf-8")
    assert documents(path)[""].date == "2016-05-06"


@pytest.mark.parametrize("meta", [
    '<meta name="date" content="2016">',  # a year alone
    '<meta name="date" content="05/06/2016">',  # May 6 or 5 June
    '<meta name="date" content="2016-02-30">',  # no such day
    '<meta name="keywords" content="2016-05-06">',  # not a date's tag
])
def test_uncertain_meta_dates_are_left_out(tmp_path, meta):
    path = tmp_path / "page.html"
    path.write_text(f"<html><head><title>Remittances</title>{meta}</head><body><main><p>Remittances.</p>"
                    "</main></body></html>", "utf-8")
    assert documents(path)[""].date is None


@pytest.mark.parametrize(("text", "expected"), [
    ("from November 12-13, 2015 and gathered 86 Mayors", "2015-11-12"),
    ("on 12 November 2015 in Quito", "2015-11-12"),
    ("on the 12th of November, 2015", "2015-11-12"),
    ("from November 30 – December 2, 2015", "2015-11-30"),
    ("Sept. 3, 2016", "2016-09-03"),
    ("el 12 de noviembre de 2015 en Quito", "2015-11-12"),
    ("del 12 al 13 de noviembre de 2015", "2015-11-12"),
    ("el 1º de mayo de 2016", "2016-05-01"),
    ("le 12 novembre 2015 à Quito", "2015-11-12"),
    ("du 1er au 3 décembre 2015", "2015-12-01"),
    ("le 3 aout 2014 (sans accent)", "2014-08-03"),
    ("le 12 févr. 2016", "2016-02-12"),
    ("published 2015-11-12 by the team", "2015-11-12"),
    ("en noviembre de 2015", "2015-11-01"),
    ("in May 2015, then on March 3, 2016", "2016-03-03"),  # a whole date before a month alone
    ("Since 2008, Ecuador adopted a Political Constitution", None),
    ("between 1.4 and 1.6 million people left between 1999 and 2005", None),
    ("the 2030 Sustainable Development Agenda", None),
    ("on 12/11/2015", None),
    ("on 31 February 2015", None),
    ("", None),
])
def test_text_dates_in_three_languages(text, expected):
    assert dates.text_date(text) == expected


def test_month_names_come_from_cldr():
    names = dates.month_numbers()
    for locale in ("en", "es", "fr"):
        for number, name in get_month_names("wide", locale=locale).items():
            assert names[fold(name)] == number
    assert names["noviembre"] == names["novembre"] == names["nov"] == 11
    assert names["fevr"] == 2 and names["aout"] == 8


@pytest.mark.parametrize(("value", "expected"), [
    ("2015-11-12", "2015-11-12"), ("2015-11-12T09:00:00+01:00", "2015-11-12"), ("2015/11/12", "2015-11-12"),
    ("2015-11", "2015-11-01"), ("2015", None), ("PT2H", None), ("2015-13-01", None), ("11-12", None),
    ("", None), (None, None),
])
def test_iso_values(value, expected):
    assert dates.iso_date(value) == expected


# The bundled corpus


@pytest.mark.parametrize(("path", "content_type"), [(SITE / "index.html", "text/html"), (SEED, "text/plain")])
def test_corpus_event_is_dated_and_news_is_not(path, content_type):
    docs = documents(path, content_type)
    assert docs["event-1"].date == "2015-11-12"  # "from November 12-13, 2015"
    assert docs["news-1"].date is None  # the seed gives the news item no date
    assert all(d.date is None for key, d in docs.items() if key not in ("event-1",))


def test_results_carry_their_date(site_index):
    body = site_index.search("", per_page=20)
    assert all("date" in r for r in body["results"])
    by_type = {r["type"]: r["date"] for r in body["results"] if r["type"] in ("event", "news")}
    assert by_type == {"event": "2015-11-12", "news": None}
    [event] = site_index.search("", {"type": ["event"]})["results"]
    assert event["date"] == "2015-11-12"


def test_search_command_shows_the_date(site_index_dir):
    done = subprocess.run([EXE, "search", "", "--type", "event", "--index", str(site_index_dir)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "International Organisations  (event, 2015-11-12)" in done.stdout


def test_stored_date_is_the_iso_day(site_index_dir):
    ix = index.open_dir(site_index_dir)
    with ix.searcher() as s:
        found = {f["id"].rsplit("/", 1)[-1]: f.get("date") for f in s.all_stored_fields()}
    assert found["index.html#event-1"] == "2015-11-12"
    assert [k for k, v in found.items() if v] == ["index.html#event-1"]


# Sorting

#: id → date; written in this order, so docnums 0… follow it.
DATED = {"a": "2015-11-12", "b": "2017-01-01", "c": None, "d": "2016-05-05", "e": None, "f": "2017-01-01"}


@pytest.fixture(scope="module")
def dated_index(make_index):
    docs = [Document(id=i, url=f"https://example.org/{i}", title=f"Forum {i}", text=f"Forum news {i}", lang="en",
                     type="news", date=day) for i, day in DATED.items()]
    return SearchIndex(make_index(docs))


def numbers(ix: SearchIndex) -> dict[str, int]:
    s = ix.searcher()
    return {i: s.document_number(id=i) for i in DATED}


def ids_of(ix: SearchIndex, entries) -> list[str]:
    names = {n: i for i, n in numbers(ix).items()}
    return [names[e[1] if isinstance(e, tuple) else e] for e in entries]


def page(ix: SearchIndex, ranked, start=0, stop=10, shown=None):
    s = ix.searcher()
    if shown is None:
        shown = np.ones(s.doc_count_all(), dtype=bool)
    return sorting.page_by_date(ix.versions, s, shown, ranked, start, stop)


def test_day_numbers_per_document(dated_index):
    days = dated_index.versions.dates(dated_index.searcher())
    n = numbers(dated_index)
    assert days[n["a"]] == 735914 and days[n["c"]] == days[n["e"]] == -1
    assert days[n["b"]] == days[n["f"]] > days[n["d"]] > days[n["a"]]


def test_browse_sorted_newest_first_then_undated(dated_index):
    # Without a query every document scores alike: one day's, and the undated, by docnum.
    best = page(dated_index, None)
    assert ids_of(dated_index, best) == ["b", "f", "d", "a", "c", "e"]
    assert {score for score, _ in best} == {sorting.BROWSE_SCORE}


def test_scored_matches_sorted_by_date_then_relevance(dated_index):
    n = numbers(dated_index)
    scores = {"c": 5.0, "e": 4.0, "a": 3.0, "f": 2.0, "b": 1.0, "d": 0.5}
    ids = np.array(sorted(n.values()), dtype=np.int64)
    by_docnum = {v: scores[k] for k, v in n.items()}
    ranked = ScoredMatches(Scored(ids, np.array([by_docnum[d] for d in ids.tolist()])))
    # f before b: the same day, f scores higher; the undated after, best first.
    assert ids_of(dated_index, page(dated_index, ranked)) == ["f", "b", "d", "a", "c", "e"]
    assert dict(zip(ids_of(dated_index, page(dated_index, ranked)), [s for s, _ in page(dated_index, ranked)],
                    strict=True)) == scores
    # Pages: within the dated, across the boundary, within the undated; the last day's ties
    # reach the first page in their order.
    assert ids_of(dated_index, page(dated_index, ranked, 0, 1)) == ["f"]
    assert ids_of(dated_index, page(dated_index, ranked, 1, 3)) == ["b", "d"]
    assert ids_of(dated_index, page(dated_index, ranked, 3, 5)) == ["a", "c"]
    assert ids_of(dated_index, page(dated_index, ranked, 4, 6)) == ["c", "e"]
    assert page(dated_index, ranked, 6, 8) == []
    # Only the documents shown.
    shown = np.zeros(len(DATED), dtype=bool)
    shown[[n["e"], n["a"], n["b"]]] = True
    assert ids_of(dated_index, page(dated_index, ranked, shown=shown)) == ["b", "a", "e"]


def test_ranked_entries_sorted_by_date_keeping_their_order(dated_index):
    n = numbers(dated_index)
    relevance = [n[i] for i in ["c", "e", "a", "b", "f", "d"]]
    assert ids_of(dated_index, page(dated_index, relevance)) == ["b", "f", "d", "a", "c", "e"]
    assert ids_of(dated_index, page(dated_index, relevance, 3, 5)) == ["a", "c"]
    # Hits and (score, docnum) pairs come back as given; only the entries shown, once.
    pairs = [(9.0, n["e"]), (8.0, n["d"]), (7.0, n["e"]), (6.0, n["a"])]
    assert page(dated_index, pairs) == [(8.0, n["d"]), (6.0, n["a"]), (9.0, n["e"])]
    shown = np.zeros(len(DATED), dtype=bool)
    shown[[n["a"], n["e"]]] = True
    assert page(dated_index, pairs, shown=shown) == [(6.0, n["a"]), (9.0, n["e"])]
    hits = list(dated_index.searcher().search(Every(), limit=None))  # Whoosh's hits, by docnum
    assert ids_of(dated_index, [h.docnum for h in page(dated_index, hits)]) == ["b", "f", "d", "a", "c", "e"]


def old_index(path: Path) -> Path:
    """Make an empty index with the schema of before the ``date`` field."""
    schema = build_schema()
    schema.remove("date")
    path.mkdir()
    index.create_in(path, schema)
    return path


def test_an_index_without_dates_answers_and_a_rebuild_adds_them(tmp_path):
    docs = [Document(id=i, url=f"https://example.org/{i}", title=f"Forum {i}", text=f"Forum news {i}" * 50,
                     lang="en", type="event", date=day) for i, day in DATED.items()]
    path = old_index(tmp_path / "ix")
    write_documents(path, docs, [])
    old = SearchIndex(path)
    assert [r["date"] for r in old.search("", per_page=10)["results"]] == [None] * len(DATED)
    with pytest.raises(SearchError, match="--rebuild"):
        page(old, None)
    write_documents(path, docs, [], rebuild=True, procs=2)  # two processes: each reads the new schema
    assert "date" in index.open_dir(path).schema
    rebuilt = SearchIndex(path)
    assert sorted(r["date"] or "" for r in rebuilt.search("", per_page=10)["results"]) == \
        sorted(d or "" for d in DATED.values())
    assert ids_of(rebuilt, page(rebuilt, None)) == ["b", "f", "d", "a", "c", "e"]


@pytest.mark.skipif("sort" not in inspect.signature(SearchIndex.search).parameters,
                    reason="SearchIndex.search takes no sort yet")
def test_search_sorted_by_date(site_index):
    browse = site_index.search("", per_page=20, sort="date")
    assert [r["date"] for r in browse["results"]][:2] == ["2015-11-12", None]
    by_relevance, by_date = site_index.search("migration"), site_index.search("migration", sort="date")
    assert by_date["total"] == by_relevance["total"] and by_date["facets"] == by_relevance["facets"]
    event = [r["id"] for r in by_relevance["results"] if r["date"]]
    assert [r["id"] for r in by_date["results"]] == event + [r["id"] for r in by_relevance["results"]
                                                              if r["id"] not in event]
    collapsed = site_index.search("migration", sort="date", collapse=True)
    assert collapsed["results"][0]["date"] == "2015-11-12"


def test_a_crawl_into_an_index_without_dates_says_to_rebuild(tmp_path):
    path = old_index(tmp_path / "ix")
    summary = run_crawl([str(SITE)], path)
    assert summary.outdated == ["date"] and "without date: crawl with --rebuild" in summary.line()
    assert SearchIndex(path).search("", {"type": ["event"]})["results"][0]["date"] is None
    summary = run_crawl([str(SITE)], path, rebuild=True)
    assert summary.outdated == [] and "rebuild" not in summary.line()
    assert SearchIndex(path).search("", {"type": ["event"]})["results"][0]["date"] == "2015-11-12"


# Titles of news and events: their whole first sentence


def test_news_and_event_titles_are_whole_first_sentences():
    for path, content_type in ((SITE / "index.html", "text/html"), (SEED, "text/plain")):
        docs = documents(path, content_type)
        assert docs["news-1"].title == ("Ms. Riallant argues that if such a mutli-sector and multi-level approach is "
                                        "not adapted, it will be difficult to truly ensure that ‘no one is left "
                                        "behind.’")
        assert docs["event-1"].title == ("The Second Global Mayoral Forum took place in Quito, Ecuador from November "
                                         "12-13, 2015 and gathered 86 Mayors, City Representatives and members of "
                                         "International Organisations")
        assert docs["project-1"].title == ("Strengthening the Decentralized Autonomous Governments (DAG) of the "
                                           "northern provinces of Ecuador regarding issues of human mobility")
    # Case-study abstracts cut from the seed's listing keep their short titles.
    seed = documents(SEED, "text/plain")
    assert seed["case-study-1"].title == ("Este estudio de caso se centra en la experiencia del Gobierno Autónomo "
                                          "Descentralizado de…")


@pytest.mark.parametrize(("text", "expected"), [
    ("Ms. Riallant argues that it works. Then more.", "Ms. Riallant argues that it works"),
    ("Dr. Pérez and Mme Dupont met the U.N. delegation. They agreed.", "Dr. Pérez and Mme Dupont met the U.N. "
                                                                       "delegation"),
    ("The forum met on Nov. 12, 2015 in Quito. It closed.", "The forum met on Nov. 12, 2015 in Quito"),
    ("Who decides? The municipality.", "Who decides?"),
    ("He said “no one is left behind.” Then he left.", "He said “no one is left behind.”"),
    ("One sentence with no end", "One sentence with no end"),
])
def test_first_sentence_ends_at_a_real_sentence_end(text, expected):
    assert first_sentence(text, 200) == expected


def test_an_overlong_first_sentence_is_cut_at_a_word_boundary():
    sentence = "The municipalities of the region " + "and their partners " * 20 + "met. Next."
    title = first_sentence(sentence, 200)
    assert title.endswith("…") and len(title) <= 201
    assert sentence.startswith(title[:-1]) and sentence[len(title) - 1] == " "
