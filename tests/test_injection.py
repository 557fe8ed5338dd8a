"""Injection: a document whose title, labels, keywords and text hold HTML, JavaScript URLs,
attribute-breaking quotes and template syntax comes back inert: as plain data in JSON, as
escaped text on the page (checked by parsing the page and in real headless Chromium), and
never as a link to a ``javascript:`` URL. Queries and parameters echoed back are inert too.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from .conftest import DATA

INJECTION = DATA / "injection"
TITLE = ("<script>alert(\"title\")</script>\"><img src=x onerror=alert('title-img')> {{7*7}} ${7*7} Inyección")
KEYWORDS = ["<script>alert('keyword')</script>", "\" onfocus=\"alert('kw-quote')\" autofocus x=\"",
            "{% for x in [1] %}{{ x }}{% endfor %}", "javascript:alert('kw-url')"]
HOSTILE_QUERY = "\"><script>alert('q')</script>' onfocus='alert(1)' {{7*7}} inyección"


@pytest.fixture(scope="module")
def injection_index(make_index):
    return make_index(INJECTION)


@pytest.fixture(scope="module")
def client(make_client, injection_index):
    return make_client(injection_index)


def assert_inert(html: str) -> BeautifulSoup:
    """Parse a page as a browser would and check that no payload became markup."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            assert not name.lower().startswith("on"), f"event handler <{tag.name} {name}>"
            assert not value.strip().lower().startswith(("javascript:", "data:text/html")), f"<{tag.name} {name}>"
            assert "alert(" not in value or (tag.name == "input" and name == "value"), f"<{tag.name} {name}>"
        if tag.name in ("script", "iframe", "img", "svg", "object", "embed"):
            assert "alert(" not in tag.get_text() and "alert(" not in str(tag.attrs), f"<{tag.name}> injected"
    assert "{{" not in html or "49" not in soup.get_text()  # template syntax is never evaluated
    return soup


def test_json_gives_the_payloads_back_as_plain_data(client):
    response = client.get("/api/search", query_string={"q": "inyección"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    hit = response.get_json()["results"][0]
    assert hit["title"] == TITLE
    assert hit["keywords"] == KEYWORDS
    assert hit["url"].endswith(".html") and hit["id"] == hit["url"]  # the javascript: canonical is ignored
    assert "://" not in hit["url"]  # a local document: its folder's name and path, no server path
    assert hit["translations"] == []  # and so is the javascript: hreflang alternate
    # The snippet is the one field that is HTML: only <mark> is markup, the rest is escaped.
    snippet = hit["snippet"].replace("<mark>", "").replace("</mark>", "")
    assert "<" not in snippet and ">" not in snippet
    assert "&lt;iframe src=\"javascript:alert('text-iframe')\"&gt;" in hit["snippet"]


def test_facet_labels_made_from_hostile_labels_are_plain_words(client):
    body = client.get("/api/search", query_string={"q": "inyección"}).get_json()
    for item in body["facets"]["theme"]:
        assert item["value"].replace("-", "").isalnum()
        assert "<" not in item["label"] and '"' not in item["label"]


def test_the_search_page_shows_the_payloads_as_text(client):
    response = client.get("/search", query_string={"q": "inyección"})
    assert response.status_code == 200
    soup = assert_inert(response.get_data(as_text=True))
    text = soup.get_text()
    assert TITLE in text  # shown, escaped, not stripped
    assert "<iframe src=\"javascript:alert('text-iframe')\">" in text
    links = [a["href"] for a in soup.find_all("a", href=True)]
    assert all(not h.lower().startswith("javascript:") for h in links)


def test_a_hostile_query_is_echoed_inert(client):
    response = client.get("/search", query_string={"q": HOSTILE_QUERY})
    assert response.status_code == 200
    soup = assert_inert(response.get_data(as_text=True))
    box = soup.find("input", attrs={"name": "q"})
    assert box is not None and box["value"] == HOSTILE_QUERY  # the attribute held: quotes did not break out
    assert client.get("/api/search", query_string={"q": HOSTILE_QUERY}).get_json()["query"] == HOSTILE_QUERY


@pytest.mark.parametrize("params", [
    {"lang": "<script>alert('lang')</script>"},
    {"theme": "\"><img src=x onerror=alert('theme')>"},
    {"page": "<svg onload=alert('page')>"},
    {"collapse": "{{7*7}}<script>alert(1)</script>"},
])
def test_error_pages_echo_bad_values_inert(client, params):
    response = client.get("/search", query_string=params)
    assert response.status_code == 400
    assert_inert(response.get_data(as_text=True))
    api = client.get("/api/search", query_string=params)
    assert api.status_code == 400 and api.mimetype == "application/json" and api.get_json()["error"]


def test_suggestions_of_hostile_prefixes_are_data(client):
    q = "<script>alert('suggest')</script> inye"
    response = client.get("/api/suggest", query_string={"q": q})
    assert response.mimetype == "application/json"
    assert response.get_json() == [q, ["<script>alert('suggest')</script> inyeccion"]]


# In a real browser


@pytest.fixture(scope="module")
def server(live_server, injection_index):
    return live_server(injection_index)


@pytest.mark.browser
def test_no_payload_runs_in_chromium(server, browser):
    from playwright.sync_api import Error as PlaywrightError

    urls = [f"/search?q={quote('inyección')}", f"/search?q={quote(HOSTILE_QUERY)}",
            f"/search?lang={quote('<script>alert(1)</script>')}", f"/api/search?q={quote('inyección')}"]
    context = browser.new_context()
    try:
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for url in urls:
            page.goto(server + url)
            page.wait_for_load_state("load")
            # Give handlers their chance: hover and focus every element, then tab through the page.
            for element in page.query_selector_all("body *"):
                if element.is_visible():
                    try:
                        element.hover(timeout=2000)
                    except PlaywrightError:
                        pass  # covered or off-screen (folded filters, sticky header): nothing to hover
            for _ in range(10):
                page.keyboard.press("Tab")
            page.wait_for_timeout(100)
            assert page.evaluate("[...document.scripts].filter(s => s.text.includes('alert')).length") == 0
        page.goto(server + urls[0])
        assert TITLE in page.inner_text("body")
    finally:
        context.close()
    assert dialogs == []
