"""What the search page says about a search (issue 18), through the Flask test client:
corrections ("Showing results for …", "Search instead for …", "Did you mean …?", nearby
words), the time taken, dates, the order links, results before filters, folded facets, facet
order, and why each hit matched. Some pages are rendered from a body changed on purpose
(``render``), so that the page's part is checked whatever the corpus holds."""
from __future__ import annotations

import re

import pytest

from .test_webapp import text


def render(client, path, adjust):
    """Render the search page for path with its body changed by adjust (body → body)."""
    from webapp.views import render_search

    with client.application.test_request_context(path):
        return render_search(adjust)


def test_spelling_suggestion_not_applied_is_a_link(client):
    # "suggestion": a correction offered but not applied (the page renders whatever the body holds).
    page = render(client, "/search?q=migrasion&lang=es&exact=1",
                  lambda body: dict(body, corrected=None, suggestion="migración"))
    assert ('Did you mean <a href="/search?q=migraci%C3%B3n&amp;lang=es" class="suggestion">migración</a>?'
            in page)  # a new query: corrected as any typed one (no exact=1)
    assert "Showing results for" not in page
    assert "Did you mean" not in text(client.get("/search?q=migration&lang=es"))


def test_a_correction_applied_says_so_and_offers_the_original(client):
    page = render(client, "/search?q=migrasion&lang=es&sort=date",
                  lambda body: dict(body, corrected={"from": "migrasion", "to": "migration"}, suggestion=None))
    assert 'Showing results for <strong class="corrected-to">migration</strong>.' in page
    assert ('Search instead for <a href="/search?q=migrasion&amp;exact=1&amp;lang=es&amp;sort=date" '
            'class="search-instead">migrasion</a>') in page
    assert "Did you mean" not in page
    assert "results for “migration”" in page  # the count speaks of the query searched
    assert 'value="migrasion"' in page  # the box keeps what was typed
    # and the search side does correct: a word the index lacks, one edit from one it has
    page = text(client.get("/search?q=migrasion&lang=es"))
    assert 'Showing results for <strong class="corrected-to">migration</strong>.' in page
    assert 'href="/search?q=migrasion&amp;exact=1&amp;lang=es"' in page


def test_search_instead_keeps_the_query_uncorrected(client):
    page = text(client.get("/search?q=migrasion&exact=1&lang=es"))
    assert "Showing results for" not in page
    assert 'Did you mean <a href="/search?q=migration&amp;lang=es" class="suggestion">migration</a>?' in page
    # Filters, pages and the form keep exact=1 while the query stays the same.
    assert '<input type="hidden" name="exact" value="1">' in page
    assert 'href="/search?q=migrasion&amp;exact=1"' in page  # the chip that removes lang=es


def test_nearby_words_on_the_no_results_page(client):
    page = render(client, "/search?q=migrasionz&lang=fr", lambda body: dict(
        body, total=0, pages=1, results=[], corrected=None, nearby=["migration", "migrants"]))
    nearby = page[page.index('class="nearby"'):]
    nearby = nearby[:nearby.index("</li>")]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', nearby) == [
        ("/search?q=migration&amp;lang=fr", "migration"), ("/search?q=migrants&amp;lang=fr", "migrants")]
    assert "No results for “migrasionz”" in page
    assert 'class="nearby"' not in text(client.get("/search?q=zzqqxx"))  # none offered, no line


@pytest.mark.parametrize("took, shown", [(0.13, "less than 1 ms"), (0.99, "less than 1 ms"), (1.4, "1 ms"),
                                         (12.6, "13 ms"), (1234.0, "1,234 ms")])
def test_search_time_is_shown_in_whole_milliseconds(client, took, shown):
    page = render(client, "/search?q=migration", lambda body: dict(body, took_ms=took))
    assert f'<span class="took">· {shown}</span>' in page


def test_dates_are_shown_in_the_interface_language(client):
    def dated(body):
        for hit in body["results"]:
            hit["date"] = None
        body["results"][0]["date"] = "2015-11-12"
        return body

    for ui, shown in [("en", "November 12, 2015"), ("es", "12 de noviembre de 2015"), ("fr", "12 novembre 2015")]:
        page = render(client, f"/search?q=migration&ui={ui}", dated)
        assert f'<time class="hit-date" datetime="2015-11-12">{shown}</time>' in page
        assert page.count("<time") == 1


def test_sort_links_and_the_form_keep_the_order(client):
    page = text(client.get("/search?q=migration&lang=en&sort=date"))
    sort = page[page.index('<p class="sort"'):]
    sort = sort[:sort.index("</p>")]
    assert re.findall(r'<a href="([^"]+)" class="sort-(\w+)"( aria-current="true")?>', sort) == [
        ("/search?q=migration&amp;lang=en", "relevance", ""),
        ("/search?q=migration&amp;lang=en&amp;sort=date", "date", ' aria-current="true"')]
    assert '<input type="hidden" name="sort" value="date">' in page
    assert 'href="/search?q=migration&amp;sort=date"' in page  # a chip removes the filter, keeps the order
    assert 'aria-current="true">Relevance' in text(client.get("/search?q=migration"))


def test_results_come_before_the_filters(client):
    page = text(client.get("/search?q=migration"))
    assert page.index('id="summary"') < page.index('id="results"') < page.index('id="filters"')
    # a link to them at the top, for phones and keyboards
    assert page.index('<a class="to-filters" href="#filters">') < page.index('id="results"')


def test_single_value_facets_are_folded(client):
    page = text(client.get("/search?q=migration"))  # every document is about Ecuador
    assert 'id="facet-country"' not in page
    assert '<p class="facet-note">Country: Ecuador, every result</p>' in page
    assert 'id="facet-lang"' in page and 'id="facet-type"' in page
    # a chosen value stays a list, so it can be unticked
    page = text(client.get("/search?q=migration&country=ec"))
    assert 'id="facet-country"' in page and 'id="f-country-ec"' in page and "every result" not in page


def test_facet_values_keep_the_order_the_api_gives(client):
    def reorder(body):
        body["facets"]["lang"] = sorted(body["facets"]["lang"], key=lambda it: it["count"])  # fewest first
        return body

    page = render(client, "/search?q=migration", reorder)
    listed = re.findall(r'id="f-lang-(\w+)"', page)
    body = reorder(client.get("/api/search?q=migration").get_json())
    assert listed == [it["value"] for it in body["facets"]["lang"]]


def test_why_a_hit_matched(client):
    def explain(body):
        first, second, third = body["results"][:3]
        first.update(title_html="Plain title", snippet="no marks here",
                     matched=[{"text": "migration", "via": "typed"}])
        second.update(title_html="Plain title", snippet='a <mark class="alt">migración</mark> b',
                      matched=[{"text": "migración", "via": "translation"}])
        third.update(snippet="a <mark>migration</mark> b", matched=[{"text": "migration", "via": "typed"}])
        return body

    page = render(client, "/search?q=migration", explain)
    notes = [re.sub(r"<[^>]+>|\s+", " ", n).split() for n in re.findall(r'<p class="matched">(.*?)</p>', page, re.S)]
    assert notes[:2] == [["Matched:", "migration"], ["Matched:", "migración", "(translation)"]]
    assert len(notes) < 10  # a hit whose marks show its words gets no note
    assert ('<p class="mark-legend">Highlighted: <mark>the words you typed</mark> '
            '<mark class="alt">their translations</mark></p>') in page
    # a label named by the query: told once, as the label, on the hits that do not show it
    page = text(client.get("/search?q=Ecuador&per_page=50"))
    hits = re.findall(r'<li class="hit".*?</li>\s*(?=<li class="hit"|</ol>)', page, re.S)
    assert len(hits) == 13
    told = re.compile(r'Matched:\s*<span class="why why-label">Ecuador <span class="via">\(country\)</span></span>')
    for hit in hits:
        says_it = re.search(r"<mark>Ecuador</mark>", hit) is not None
        assert bool(told.search(hit)) != says_it, hit[:300]
