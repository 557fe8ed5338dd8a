"""Hostile queries: whatever the query and parameters, the answer is a 200 with results or a
400 with a message, never a 500, and a wildcard never expands over the whole vocabulary.

Property tests (Hypothesis, 500 derandomized examples each: see conftest) run over
``SearchIndex.search`` on an index with a large vocabulary and over ``/api/search``,
``/search`` and ``/api/suggest`` through the Flask test client.
"""
from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh.qparser import AndGroup, MultifieldParser
from whoosh.query import MultiTerm, Prefix, Term

from indexer.errors import SearchError
from indexer.model import Document
from indexer.schema import text_fields
from indexer.search.engine import MAX_QUERY_CHARS, SearchIndex
from indexer.search.querylimits import MAX_EXPANSIONS, MIN_PREFIX, bound_query
from indexer.write import write_documents

from .conftest import SITE

SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu " \
            "ra re ri ro ru sa se si so su ta te ti to tu za ze zi zo zu".split()


@pytest.fixture(scope="session")
def big_index_dir(make_index):
    """The bundled site plus 300 synthetic pages over a vocabulary of about 20,000 words."""
    path = make_index(SITE)
    rng = random.Random(8)
    vocabulary = sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(2, 5))) for _ in range(22000)})
    docs = []
    for n in range(300):
        lang = ("en", "es", "fr")[n % 3]
        words = rng.choices(vocabulary, k=120)
        docs.append(Document(id=f"synthetic:{n}", url=f"https://example.org/{n}", title=" ".join(words[:5]),
                             text=" ".join(words), lang=lang, type="page", country=["ec"], group=f"synthetic:{n}",
                             source="synthetic"))
    write_documents(path, docs, ["synthetic"])
    return path


@pytest.fixture(scope="session")
def big_index(big_index_dir):
    return SearchIndex(big_index_dir)


@pytest.fixture(scope="module")
def client(make_client, big_index_dir):
    return make_client(big_index_dir)


# Strategies

WORDS = ["migración", "xenófobo", "migra", "mi", "a", "Sucumbíos", "ecuador", "social", "inclusion", "es", "fr",
         "bado", "ka", "zuzu", "the", "de", "l'été", "niños", "Équateur", "human mobility", "x" * 120, "0", "1e308"]
OPERATORS = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "(", ")", "[", "]", "{", "}", '"', "'", "*", "?",
             "~", "~2", "^", "^0", "^2.5", "^99999999999", ":", "lang:", "theme:", "country:", "type:",
             "nosuchfield:", "title_en:", "content_any:", "id:", "url:", "text:", "\\", "/", "-", "+", "!", "¿",
             "¡", "<", ">", "&", "%", "#", "{{", "}}", "*:*", "\x00", "\u202e", "🌍"]
word = st.sampled_from(WORDS)
#: A word with a field before it and an operator on each side: "lang:(es^0", "*migra~2", …
composed = st.builds(lambda field, before, w, after: field + before + w + after,
                     st.sampled_from(["", "", "lang:", "theme:", "country:", "type:", "nosuchfield:", "title_en:",
                                      "content_any:", "id:", "url:", "*:"]),
                     st.sampled_from(["", "", "*", "(", '"', "'", "+", "-", "NOT ", "[", "{"]), word,
                     st.sampled_from(["", "", "*", "~", "~2", "^0", "^2.5", "^99999999999", "?", ")", '"', "]",
                                      " TO ", "*a*"]))
token = st.one_of(
    composed, word, st.sampled_from(OPERATORS), st.text(max_size=12),
    word.map(lambda w: w + "*"), word.map(lambda w: "*" + w), word.map(lambda w: "*" + w + "*"),
    word.map(lambda w: w[:1] + "*"), word.map(lambda w: w + "~"), word.map(lambda w: w[:2] + "?" + w[2:]),
    st.tuples(word, word).map(lambda ws: f"[{ws[0]} TO {ws[1]}]"),
    st.tuples(word, word).map(lambda ws: f'"{ws[0]} {ws[1]}"~3'),
)
structured = st.one_of(st.lists(token, min_size=1, max_size=2), st.lists(token, max_size=40)).flatmap(
    lambda parts: st.sampled_from([" ", "", " AND ", ")("]).map(lambda sep: sep.join(parts)))
#: Any Unicode up to 500 characters (surrogates included for the Python API; HTTP cannot carry them).
any_text = st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=MAX_QUERY_CHARS).map("".join)
http_text = st.text(max_size=MAX_QUERY_CHARS)
queries = st.one_of(any_text, structured)
numbers = st.one_of(st.integers(min_value=-10, max_value=10 ** 30).map(str), st.text(max_size=8),
                    st.sampled_from(["1", "2", "100", "101", "99999", "100000", "100001", " 3", "1.0", "0x10", "１",
                                     "9" * 5000, "-0", ""]))
FACET_VALUES = ["es", "fr", "en", "und", "xx", "ec", "EC", "social-inclusion", "case-study", "page", "nope", "",
                "<script>", "es,fr"]
facet_value = st.one_of(st.sampled_from(FACET_VALUES), st.text(max_size=20))
param_name = st.one_of(st.sampled_from(["q", "lang", "theme", "country", "type", "page", "per_page", "collapse",
                                        "ui", "q", "q"]), st.text(min_size=1, max_size=10))
param_value = st.one_of(http_text.filter(lambda s: len(s) <= 600), numbers, facet_value,
                        st.sampled_from(["translations", "none", "en", "es", "fr", "de"]))
params = st.lists(st.tuples(param_name, param_value), max_size=12)


def check_body(body: dict, per_page: int | None = None) -> None:
    """A search body is complete, finite JSON."""
    json.dumps(body, allow_nan=False)
    assert isinstance(body["total"], int) and body["total"] >= 0
    assert body["pages"] >= 1 and len(body["results"]) <= body["per_page"]
    for hit in body["results"]:
        assert hit["id"] and isinstance(hit["snippet"], str)


# Properties over the Python API


@given(q=queries)
def test_any_query_is_results_or_a_clear_error(big_index, q):
    try:
        body = big_index.search(q)
    except SearchError as exc:
        assert str(exc)
    else:
        check_body(body)


@given(q=structured, page=numbers, per_page=numbers, filters=st.dictionaries(
    st.sampled_from(["lang", "theme", "country", "type", "nosuchfacet"]), st.lists(facet_value, max_size=3),
    max_size=4), collapse=st.booleans())
def test_any_parameters_are_results_or_a_clear_error(big_index, q, page, per_page, filters, collapse):
    try:
        body = big_index.search(q, filters, page=page, per_page=per_page, collapse=collapse)
    except SearchError as exc:
        assert str(exc)
    else:
        check_body(body)
        assert 1 <= body["page"] <= 100000 and 1 <= body["per_page"] <= 100


def whoosh_parse(index, q):
    """Return Whoosh's own parse of q over the index's text fields (no bounds applied)."""
    return MultifieldParser(text_fields(), index.searcher().schema, group=AndGroup).parse(q)


@given(q=queries)
def test_multi_term_parts_are_bounded(big_index, q):
    q = q[:MAX_QUERY_CHARS]
    try:
        plan = big_index.parse(q)
    except ValueError:
        return  # refused with a message: see test_short_and_leading_wildcards_are_refused
    if plan is None:
        return
    for clause in plan.clauses:
        assert not any(isinstance(leaf, MultiTerm) for leaf in clause.query.leaves())
    if plan.clauses:
        return  # plain words: built from index terms, nothing to expand
    parsed, bounded = whoosh_parse(big_index, q), plan.query
    before, after = list(parsed.leaves()), list(bounded.leaves())
    assert not any(isinstance(leaf, MultiTerm) for leaf in after)
    multi = sum(isinstance(leaf, MultiTerm) for leaf in before)
    assert len(after) <= len(before) + multi * MAX_EXPANSIONS


# Properties over HTTP


@given(pairs=params)
def test_api_search_answers_200_or_400_never_500(client, pairs):
    response = client.get("/api/search", query_string=pairs)
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    body = response.get_json()
    if response.status_code == 200:
        check_body(body)
    else:
        assert isinstance(body["error"], str) and body["error"]


@given(pairs=params)
def test_search_page_answers_200_or_400_never_500(client, pairs):
    response = client.get("/search", query_string=pairs)
    assert response.status_code in (200, 400)
    assert response.mimetype == "text/html"
    if response.status_code == 400:
        assert "400" in response.get_data(as_text=True)


@given(q=st.one_of(http_text, structured), extra=params)
def test_api_suggest_answers_200_or_400_never_500(client, q, extra):
    response = client.get("/api/suggest", query_string=[("q", q), *extra])
    assert response.status_code in (200, 400)
    body = response.get_json()
    if response.status_code == 200:
        assert body[0] == q and isinstance(body[1], list) and len(body[1]) <= 8
    else:
        assert body["error"]


# Examples


@pytest.mark.parametrize("q", ["*a*", "a*", "*ba", "b?c", "lang:e*", "x*y"])
def test_short_and_leading_wildcards_are_refused(big_index, q):
    with pytest.raises(SearchError, match=f"needs at least {MIN_PREFIX} letters"):
        big_index.search(q)


@pytest.mark.parametrize("q", ["?a", "a?", "¿a?"])
def test_question_marks_outside_a_word_are_punctuation(big_index, q):
    assert big_index.parse(q).clauses  # plain words, no wildcard
    check_body(big_index.search(q))


def test_a_wildcard_expands_to_a_bounded_number_of_terms(big_index):
    reader = big_index.searcher().reader()
    everything = list(Prefix("content_any", "ba")._btexts(reader))
    assert len(everything) > 4 * MAX_EXPANSIONS  # what Whoosh alone would search for "ba*"
    bounded = big_index.parse("ba*").query
    assert bounded == bound_query(whoosh_parse(big_index, "ba*"), reader)
    kept = {leaf.text for leaf in bounded.leaves() if isinstance(leaf, Term) and leaf.fieldname == "content_any"}
    assert len(kept) == MAX_EXPANSIONS and all(t.startswith("ba") for t in kept)
    # the most frequent expansions are the ones kept
    df = {t.decode(): reader.doc_frequency("content_any", t) for t in everything}
    assert min(df[t] for t in kept) >= max(n for t, n in df.items() if t not in kept)
    assert big_index.search("ba*")["total"] > 0


def test_lone_star_browses_and_ranges_are_bounded(big_index):
    assert big_index.search("*")["total"] == big_index.doc_count() == 313
    body = big_index.search("[ba TO bu]")
    assert body["total"] > 0
    bounded = big_index.parse("[ba TO bu]").query
    assert len(list(bounded.leaves())) <= 8 * MAX_EXPANSIONS


@pytest.mark.parametrize("q", ["lang:es^0", "migration^99999999999", "x^0.0000001"])
def test_extreme_boosts_give_finite_scores(big_index, q):
    body = big_index.search(q)
    json.dumps(body, allow_nan=False)


def test_api_error_messages_for_wildcards_are_400(client):
    response = client.get("/api/search?q=*a*")
    assert response.status_code == 400
    assert response.get_json() == {"error": f"'*a*': a wildcard needs at least {MIN_PREFIX} letters before it"}
