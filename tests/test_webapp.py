"""The Flask app through its test client: routes, JSON body, errors, escaping, headers."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from indexer.pipeline import run_crawl
from webapp.views import pager

BODY_KEYS = {"query", "total", "page", "per_page", "pages", "took_ms", "results", "facets", "corrected",
             "suggestion", "nearby"}
HIT_KEYS = {"id", "url", "title", "title_html", "lang", "type", "country", "themes", "keywords", "date", "snippet",
            "score", "translations", "matched"}


@pytest.fixture(scope="module")
def evil_index_dir(make_index):
    """An index of one page whose title and text hold markup as text, and a real script."""
    return make_index({"index.html":
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<title>&lt;script&gt;alert("title")&lt;/script&gt; Migration report</title></head>'
        '<body><main><h1>Migration report</h1><p>This migration report quotes markup: '
        '&lt;script&gt;alert("body")&lt;/script&gt; and &lt;img src=x onerror=alert(1)&gt; as text.</p>'
        '<script>alert("real")</script></main></body></html>'})


@pytest.fixture()
def evil_client(make_client, evil_index_dir):
    return make_client(evil_index_dir)


def text(response) -> str:
    return response.get_data(as_text=True)


# The search page

def test_search_page_renders_results(client):
    page = text(client.get("/search?q=xen%C3%B3fobo"))
    assert "<mark>xenófobas</mark>" in page
    assert 'value="xenófobo"' in page  # the box keeps the query
    assert 'href="/site/case-studies/social-inclusion-es.html" lang="es"' in page
    assert "3 results for “xenófobo”" in page  # with its English and French versions (glossary)


def test_search_page_lists_translations_as_links(client):
    page = text(client.get("/search?q=xen%C3%B3fobo"))
    also = page[page.index('class="also"'):]
    also = also[:also.index("</p>")]
    links = re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', also)
    assert links == [("/site/case-studies/social-inclusion-en.html", "en"),
                     ("/site/case-studies/social-inclusion-fr.html", "fr")]


def test_empty_query_browses_everything(client):
    page = text(client.get("/"))
    assert "13 documents" in page
    assert page.count('<li class="hit">') == 10
    assert 'rel="next"' in page


def test_facets_have_counts_and_checked_boxes(client):
    page = text(client.get("/search?q=migration&lang=fr"))
    assert re.search(r'id="f-lang-fr" name="lang" value="fr" form="search-form" checked>', page)
    assert re.search(r'id="f-lang-en" name="lang" value="en" form="search-form">', page)
    # The language facet ignores its own filter: English still shows its count.
    en = page[page.index('for="f-lang-en"'):]
    assert re.search(r'facet-count">4<', en[:300])
    # Only French results, and a way to clear the filter.
    assert set(re.findall(r'badge badge-(\w+)', page)) == {"fr"}
    assert 'href="/search?q=migration">' in page  # "clear" / "clear all" / chip: back to no filter


def test_filters_combine_or_within_and_across_facets(client):
    both = client.get("/api/search?lang=es&lang=fr").get_json()
    assert both["total"] == 6
    narrowed = client.get("/api/search?lang=es&lang=fr&theme=social-inclusion").get_json()
    assert narrowed["total"] == 2 and {h["lang"] for h in narrowed["results"]} == {"es", "fr"}


def test_links_keep_query_filters_and_settings(client):
    page = text(client.get("/search?q=migration&lang=en&per_page=2&ui=en"))
    assert 'href="/search?q=migration&amp;lang=en&amp;per_page=2&amp;ui=en&amp;page=2"' in page
    assert '<input type="hidden" name="per_page" value="2">' in page
    assert '<input type="hidden" name="ui" value="en">' in page


def test_pagination_pages_through_all_documents(client):
    seen = []
    for n in range(1, 6):
        page = text(client.get(f"/search?per_page=3&page={n}"))
        seen += re.findall(r'<h2 class="hit-title"><a href="([^"]+)"', page)
        assert f"page {n} of 5" in page
        assert (f'aria-label="Page {n}" aria-current="page"' in page)
    assert len(seen) == 13 and len(set(seen)) == 13


def test_page_past_the_end_is_refused_with_the_search_form(client):
    response = client.get("/search?q=migration&lang=en&page=9")
    page = text(response)
    assert response.status_code == 400
    assert "This search cannot be run" in page and "page 9" in page
    assert 'value="migration"' in page  # the form keeps the query
    assert 'href="/search?q=migration&amp;lang=en">Go to the first page' in page


@pytest.mark.parametrize("path, message", [
    ("/search?q=a%2A", "a*"),                          # a query refused: too broad a wildcard
    ("/search?q=migration&page=0", "page"),
    ("/search?q=migration&lang=xx", "xx"),
])
def test_refused_searches_show_the_search_page(client, path, message):
    response = client.get(path)
    page = text(response)
    assert response.status_code == 400
    main = page[page.index("<main"):page.index("</main>")]
    assert '<main class="layout" id="main" data-region' in main  # the page's layout, swapped in place by the script
    assert '<section class="results" id="results"' in main and "This search cannot be run" in main
    assert message in main[main.index('class="error-message"'):]
    assert re.search(r'<input id="q" name="q" type="search" value="(a\*|migration)"', page)  # the form keeps the query
    assert '<form id="search-form"' in page and 'role="search"' in page
    assert page.count("<h1") == 1
    assert client.get(path.replace("/search", "/api/search")).get_json()["error"]


def test_other_errors_keep_the_error_page(client):
    page = text(client.get("/nope"))
    assert '<main class="layout layout-single" id="main">' in page and "Page not found" in page
    assert 'aria-labelledby="error-title"' in page and '<h1 id="error-title"' in page


def test_no_results_suggests_dropping_filters(client):
    response = client.get("/search?q=xen%C3%B3fobo&type=project")
    page = text(response)
    assert response.status_code == 200
    assert "No results for “xenófobo”" in page
    assert "Remove a filter:" in page and 'href="/search?q=xen%C3%B3fobo">Search without filters' in page


def test_results_in_other_languages_carry_lang_attributes(client):
    page = text(client.get("/search?q=social"))
    assert '<p class="snippet" lang="fr">' in page and '<p class="snippet" lang="es">' in page
    assert '<html lang="en">' in page


def test_pager_window():
    assert pager(1, 1) == [1]
    assert pager(1, 5) == [1, 2, 3, 4, 5]
    assert pager(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert pager(20, 20) == [1, None, 18, 19, 20]


# The JSON API

def test_api_search_body(client):
    body = client.get("/api/search?q=migration&lang=es&lang=fr").get_json()
    assert set(body) == BODY_KEYS
    assert body["total"] >= 1 and {h["lang"] for h in body["results"]} <= {"es", "fr"}
    assert all(set(hit) == HIT_KEYS for hit in body["results"])
    assert set(body["facets"]) == {"lang", "theme", "country", "type"}
    assert all(set(item) == {"value", "label", "count"} for items in body["facets"].values() for item in items)


def test_page_and_api_render_the_same_search(client):
    body = client.get("/api/search?q=migration&per_page=4").get_json()
    page = text(client.get("/search?q=migration&per_page=4"))
    titles = re.findall(r'<h2 class="hit-title"><a href="[^"]+" lang="\w*">(.+?)</a>', page)
    assert titles == [hit["title_html"] for hit in body["results"]]
    assert all(re.sub("</?mark>", "", t) == hit["title"] for t, hit in zip(titles, body["results"], strict=True))


def test_api_unclosed_quote_finds_spanish_case_study(client):
    body = client.get("/api/search?q=%22xen%C3%B3fobo").get_json()
    assert body["results"][0]["lang"] == "es"


@pytest.mark.parametrize("query", ['"xenófobo', "(migration", "migration AND", "OR migración", "[a TO",
                                   "{x", "title:", "*", "?", "^2", "migr~", "\\", "a)(b", "NOT", "¿migración?",
                                   "'", "%", "<>", "\u0000x"])
def test_messy_queries_are_answered(client, query):
    response = client.get("/api/search", query_string={"q": query})
    assert response.status_code == 200, response.get_json()
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200


@pytest.mark.parametrize("query", ["page=-1", "page=0", "page=abc", "page=1.5", "per_page=0", "per_page=101",
                                   "lang=xx", "theme=nope", "country=zz", "type=blog", "q=" + "x" * 501,
                                   "ui=de", "collapse=yes"])
def test_bad_parameters_are_400_with_a_message(client, query):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]
    page = client.get(f"/search?{query}")
    assert page.status_code == 400
    assert page.content_type.startswith("text/html")
    assert "This search cannot be run" in text(page)


def test_empty_fields_mean_the_defaults(client):
    body = client.get("/api/search?q=&page=&per_page=&lang=").get_json()
    assert (body["total"], body["page"], body["per_page"]) == (13, 1, 10)


def test_page_bad_parameters_are_an_error_page(client):
    response = client.get("/search?page=-1")
    assert response.status_code == 400
    assert "page must be a positive whole number" in text(response)


def test_unknown_routes_are_404_in_the_right_format(client):
    assert client.get("/api/nope").status_code == 404
    assert "error" in client.get("/api/nope").get_json()
    page = client.get("/nope")
    assert page.status_code == 404 and "Page not found" in text(page)


def test_healthz_and_suggest(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "documents": 13}
    assert client.get("/api/suggest?q=migr").get_json()[0] == "migr"
    assert "migration" in client.get("/api/suggest?q=migr").get_json()[1]
    assert client.get("/api/suggest?q=" + "x" * 501).status_code == 400


def test_missing_index_is_503_not_500(make_client, tmp_path):
    client = make_client(tmp_path / "none", TESTING=False)
    response = client.get("/api/search?q=x")
    assert response.status_code == 503 and "no index" in response.get_json()["error"]
    page = client.get("/search?q=x")
    assert page.status_code == 503 and "The search index is not available" in text(page)


# Escaping: markup in a document or a query comes back inert

def test_markup_in_a_document_is_escaped_in_the_page(evil_client):
    page = text(evil_client.get("/search?q=migration"))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert '&lt;script&gt;alert("title")&lt;/script&gt; <mark>Migration</mark> report</a>' in page
    assert 'quotes markup: &lt;script&gt;alert("body")&lt;/script&gt; and &lt;img src=x' in page
    assert page.count("<script") == 1  # the app's own script tag, and nothing else


def test_markup_in_a_document_is_escaped_in_json(evil_client):
    response = evil_client.get("/api/search?q=migration")
    hit = response.get_json()["results"][0]
    assert hit["title"] == '<script>alert("title")</script> Migration report'  # data, served as JSON
    assert "<script" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]
    assert response.content_type == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_markup_in_the_query_is_escaped(client):
    query = '<script>alert("q")</script>'
    page = text(client.get("/search", query_string={"q": query}))
    assert "<script>alert" not in page
    assert 'value="&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;"' in page
    body = client.get("/api/search", query_string={"q": query}).get_json()
    assert body["query"] == query and body["results"] == []


def test_snippet_filter_keeps_only_mark():
    from webapp.views import snippet_html

    assert str(snippet_html("a <mark>b</mark> <b>c</b> &amp;")) == "a <mark>b</mark> &lt;b&gt;c&lt;/b&gt; &amp;"
    assert (str(snippet_html('<mark class="alt">x</mark> <mark class="x">y</mark> <mark onclick="z">'))
            == '<mark class="alt">x</mark> &lt;mark class="x"&gt;y</mark> &lt;mark onclick="z"&gt;')


# Headers and OpenSearch

@pytest.mark.parametrize("path", ["/", "/search?q=migration", "/api/search?q=x", "/api/suggest?q=mi", "/healthz",
                                  "/opensearch.xml", "/static/style.css", "/nope", "/api/search?page=0"])
def test_security_headers_on_every_response(client, path):
    with client.get(path) as response:  # closes a served file
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client):
    page = text(client.get("/search?q=migration"))
    scripts = re.findall(r"<script[^>]*>", page)  # the one script, under its versioned URL
    assert len(scripts) == 1 and re.fullmatch(r'<script src="/static/app\.js\?v=[0-9a-f]{12}" defer>', scripts[0])
    assert "<style" not in page and " style=" not in page and " on" + "click=" not in page


def test_opensearch_description(client):
    page = text(client.get("/"))
    assert ('<link rel="search" type="application/opensearchdescription+xml" title="m4d-search"\n'
            '      href="/opensearch.xml?ui=en">') in page
    response = client.get("/opensearch.xml")
    assert response.content_type.startswith("application/opensearchdescription+xml")
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    root = ET.fromstring(response.data)
    assert root.tag == "{http://a9.com/-/spec/opensearch/1.1/}OpenSearchDescription"
    assert 0 < len(root.find("os:ShortName", ns).text) <= 16
    assert 0 < len(root.find("os:Description", ns).text) <= 1024
    urls = {u.get("type"): u.get("template") for u in root.findall("os:Url", ns)}
    assert urls["text/html"] == "http://localhost/search?q={searchTerms}"
    assert urls["application/x-suggestions+json"] == "http://localhost/api/suggest?q={searchTerms}"
    assert root.find("os:InputEncoding", ns).text == "UTF-8"


def test_opensearch_description_in_the_ui_language(client):
    root = ET.fromstring(client.get("/opensearch.xml?ui=fr").data)
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    assert root.find("os:Description", ns).text.startswith("Recherchez")
    urls = {u.get("type"): u.get("template") for u in root.findall("os:Url", ns)}
    assert urls["text/html"] == "http://localhost/search?q={searchTerms}&ui=fr"


def test_one_index_handle_is_shared_and_sees_a_new_crawl(make_index, make_client, site_copy):
    import time

    index_dir = make_index(site_copy)
    client = make_client(index_dir)
    app = client.application
    assert client.get("/healthz").get_json()["documents"] == 13
    handle = app.extensions["m4d_index"]
    assert client.get("/api/search?q=migration").status_code == 200
    assert app.extensions["m4d_index"] is handle  # not reopened per request
    (site_copy / "case-studies" / "partnerships-es.html").unlink()
    run_crawl([str(site_copy)], index_dir)
    time.sleep(0.6)  # the searcher looks for a new index version at most twice a second
    assert client.get("/healthz").get_json()["documents"] == 12
    assert "partnerships-es" not in text(client.get("/search?lang=es"))
