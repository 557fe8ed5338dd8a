"""The search page as people expect it (issue 18), in headless Chromium on a desktop
(1280×900) and a phone (390×844) screen, with JavaScript on and off where it matters:

- results as you type: debounced, stale answers dropped, the address replaced while typing and
  a history entry on Enter, focus kept in the box; late completions never open over results;
- focus after a correction or an order link (the other focus paths: ``test_browser_focus.py``);
- corrections ("Showing results for …", "Search instead for …", "Did you mean …?", nearby
  words), the order by date, dates, why each hit matched, the time taken;
- refused searches (a* , a page past the last) keep the search form; on a phone without
  JavaScript the results come before the filters.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .browserkit import (
    DESKTOP,
    PHONE,
    SCREENS,
    mark_document,
    query,
    same_document,
    summary,
)

pytestmark = pytest.mark.browser

#: Delays the page's fetches of chosen URLs, in the page: window.__delays holds
#: [url ending, milliseconds, whether to ignore an abort (the answer was already on its way)];
#: window.__delayed lists the URLs delayed so far.
DELAY_FETCH = """(() => {
  const original = window.fetch;
  window.__delays = [];
  window.__delayed = [];
  window.fetch = function (url, options) {
    const rule = window.__delays.find(r => String(url).endsWith(r[0]));
    if (!rule) return original.call(window, url, options);
    window.__delayed.push(String(url));
    const opts = rule[2] ? Object.assign({}, options, {signal: undefined}) : options;
    return new Promise((resolve, reject) => setTimeout(
      () => original.call(window, url, opts).then(resolve, reject), rule[1]));
  };
})();"""


def history_length(page) -> int:
    return page.evaluate("history.length")



# Search as you type

@pytest.mark.parametrize("screen", SCREENS)
def test_results_as_you_type(make_page, screen):
    p = make_page(**SCREENS[screen])
    page = p.goto("/")
    expect(summary(page)).to_contain_text("13 documents")
    mark_document(page)
    before = history_length(page)
    page.locator("#q").press_sequentially("xenof", delay=250)  # slower than the debounce: several searches
    # A prefix of the last word finds "xenófobas"; no Enter pressed.
    expect(summary(page)).to_contain_text("1 result for “xenof”")
    expect(page.locator(".hit").first.locator("mark").first).to_have_text("xenófobas")
    expect(page).to_have_url(re.compile(r"/search\?q=xenof$"))
    expect(page.locator("#q")).to_be_focused()  # typing goes on undisturbed
    expect(page.locator("#q")).to_have_value("xenof")
    assert history_length(page) == before  # the address was replaced, not pushed, per keystroke
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=xenof$"))
    page.wait_for_function(f"() => history.length === {before + 1}")  # one entry for the search made
    expect(page.locator("#q")).to_be_focused()
    page.go_back()  # back to where typing began
    expect(summary(page)).to_contain_text("13 documents")
    expect(page.locator("#q")).to_have_value("")
    page.go_forward()
    expect(summary(page)).to_contain_text("1 result for “xenof”")
    expect(page.locator("#q")).to_have_value("xenof")
    assert same_document(page)


def test_typing_fast_fetches_once(make_page):
    p = make_page()
    page = p.goto("/")
    expect(summary(page)).to_contain_text("13 documents")
    loads = len(p.searches())
    page.locator("#q").press_sequentially("migration", delay=40)  # faster than the debounce
    expect(summary(page)).to_contain_text("8 results for “migration”")
    page.wait_for_timeout(400)
    # One search for 9 keystrokes (two should a busy machine pause between two of them).
    assert 1 <= len(p.searches()) - loads <= 2, p.searches()[loads:]


def test_a_word_completes_from_its_third_letter(make_page):
    p = make_page()
    page = p.goto("/search?q=migration")
    loads = len(p.searches())
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("xe", delay=300)  # too short to complete: no flash of "no results"
    page.wait_for_timeout(300)
    assert [u for u in p.searches()[loads:] if "q=x" in u] == []
    page.locator("#q").press_sequentially("n", delay=30)
    expect(summary(page)).to_contain_text("results for “xen”")


def test_a_late_answer_for_an_older_query_is_dropped(make_page):
    p = make_page()
    p.context.add_init_script(DELAY_FETCH)
    page = p.goto("/")
    # The answer for "mig" takes 1.5 s and arrives even though its request was aborted.
    page.evaluate("window.__delays.push(['/search?q=mig', 1500, true])")
    page.locator("#q").press_sequentially("mig", delay=20)
    page.wait_for_function("() => window.__delayed.some(u => u.endsWith('/search?q=mig'))")  # its search has started
    page.locator("#q").press_sequentially("ration", delay=20)
    expect(summary(page)).to_contain_text("8 results for “migration”")
    page.wait_for_timeout(1500)  # "mig" has come back by now
    expect(summary(page)).to_contain_text("8 results for “migration”")
    expect(page).to_have_url(re.compile(r"q=migration$"))


@pytest.mark.parametrize("screen", SCREENS)
def test_a_late_completion_never_opens_after_enter(make_page, screen):
    p = make_page(**SCREENS[screen])
    p.context.add_init_script(DELAY_FETCH)
    page = p.goto("/")
    page.evaluate("window.__delays.push(['/api/suggest?q=migr', 800, true])")
    page.locator("#q").press_sequentially("migr", delay=20)
    page.wait_for_function("() => window.__delayed.some(u => u.endsWith('/api/suggest?q=migr'))")  # asked for
    page.keyboard.press("Enter")
    expect(summary(page)).to_contain_text("results for “migr”")
    page.wait_for_timeout(1200)  # the completions have come back by now
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(page.locator("#q")).to_have_attribute("aria-expanded", "false")
    # Completions still come while typing.
    page.locator("#q").press_sequentially("a", delay=20)
    expect(page.get_by_role("listbox")).to_be_visible()


def test_a_refused_query_as_you_type_keeps_the_box(make_page):
    p = make_page()
    page = p.goto("/search?q=migration")
    mark_document(page)
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("a*", delay=30)
    expect(page.get_by_role("heading", name="This search cannot be run")).to_be_visible()
    expect(page.locator(".error-message")).to_contain_text("a*")
    expect(page.locator("#q")).to_be_focused()
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("xenof", delay=30)
    expect(summary(page)).to_contain_text("1 result for “xenof”")
    assert same_document(page)
    p.forget_refusals()


# Corrections and nearby words

@pytest.mark.parametrize("screen", SCREENS)
def test_correction_search_instead_and_did_you_mean(make_page, screen):
    p = make_page(**SCREENS[screen])
    page = p.goto("/search?q=migrasion")
    expect(page.locator(".correction .showing")).to_have_text("Showing results for migration.")
    expect(summary(page)).to_contain_text("8 results for “migration”")
    expect(page.locator(".did-you-mean")).to_have_count(0)
    expect(page.locator("#q")).to_have_value("migrasion")  # the box keeps what was typed
    mark_document(page)
    page.get_by_role("link", name="migrasion", exact=True).click()  # "Search instead for migrasion"
    expect(page).to_have_url(re.compile(r"\?q=migrasion&exact=1$"))
    expect(page.locator(".correction")).to_have_count(0)
    expect(page.locator(".did-you-mean")).to_have_text("Did you mean migration?")
    expect(summary(page)).to_be_focused()  # the new page's heading
    nearby = page.locator(".nearby a")
    expect(nearby.first).to_be_visible()  # words near the one searched, as links
    page.locator(".did-you-mean a").click()
    expect(page).to_have_url(re.compile(r"\?q=migration$"))
    expect(page.locator("#q")).to_have_value("migration")
    expect(summary(page)).to_be_focused()
    expect(summary(page)).to_contain_text("8 results for “migration”")
    assert same_document(page)


def test_search_instead_holds_until_the_query_changes(make_page):
    p = make_page()
    page = p.goto("/search?q=migrasion&exact=1")
    page.get_by_label("One result per work").check()  # the same query: still as typed
    expect(page).to_have_url(re.compile(r"\?q=migrasion&exact=1&collapse=translations$"))
    expect(page.locator(".did-you-mean")).to_be_visible()
    page.locator("#q").fill("mobilitee")  # another query: corrected again
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=mobilitee&collapse=translations$"))


def test_corrections_without_javascript(make_page):
    p = make_page(js=False, **PHONE)
    page = p.goto("/search?q=migrasion")
    expect(page.locator(".correction")).to_contain_text("Showing results for migration.")
    page.get_by_role("link", name="migrasion", exact=True).click()
    assert query(page.url) == {"q": ["migrasion"], "exact": ["1"]}
    expect(page.locator(".did-you-mean")).to_contain_text("Did you mean migration?")
    words = page.locator(".nearby a").all_inner_texts()
    assert "migration" in words
    page.locator(".nearby a", has_text=re.compile("^migration$")).click()
    assert query(page.url) == {"q": ["migration"]}
    expect(summary(page)).to_contain_text("8 results")


# Order, dates, highlights, time

@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("screen", SCREENS)
def test_sort_by_date(make_page, screen, js):
    p = make_page(js=js, **SCREENS[screen])
    page = p.goto("/search?q=Ecuador")
    expect(page.locator(".sort [aria-current]")).to_have_text("Relevance")
    page.get_by_role("link", name="Date, newest first").click()
    expect(page).to_have_url(re.compile(r"\?q=Ecuador&sort=date$"))
    current = page.locator(".sort [aria-current]")
    expect(current).to_have_text("Date, newest first")
    if js:
        expect(current).to_be_focused()  # where it was
    first = page.locator(".hit").first.locator("time")
    expect(first).to_have_attribute("datetime", re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    dates = page.locator(".hit time").evaluate_all("ts => ts.map(t => t.getAttribute('datetime'))")
    assert dates == sorted(dates, reverse=True)  # newest first
    # A new search keeps the order (the form carries it).
    page.locator("#q").fill("migration")
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=migration&sort=date$"))


@pytest.mark.parametrize("ui, shown", [("en", "November 12, 2015"), ("fr", "12 novembre 2015"),
                                       ("es", "12 de noviembre de 2015")])
def test_dates_on_hits_in_the_interface_language(make_page, ui, shown):
    p = make_page(**PHONE)
    page = p.goto(f"/search?q=Mayoral+Forum&ui={ui}")
    date = page.locator(".hit").first.locator("time")
    expect(date).to_have_attribute("datetime", "2015-11-12")
    expect(date).to_have_text(shown)


def test_why_each_hit_matched(make_page):
    p = make_page()
    page = p.goto("/search?q=migration")
    alt = page.locator(".hit mark.alt").first  # "migración": a translation, marked apart
    expect(alt).to_be_visible()
    style = alt.evaluate("m => getComputedStyle(m).textDecorationStyle")
    assert style == "dotted"
    plain = page.locator(".hit mark:not(.alt)").first
    assert plain.evaluate("m => getComputedStyle(m).backgroundColor") != alt.evaluate(
        "m => getComputedStyle(m).backgroundColor")
    expect(page.locator(".mark-legend")).to_be_visible()
    expect(page.locator(".matched", has_text="(translation)").first).to_be_visible()
    # A query naming a country: the hits labelled with it that do not show the word say so.
    page = p.goto("/search?q=Ecuador")
    expect(page.locator(".matched").first).to_contain_text("Ecuador (country)")


def test_search_time_is_readable(make_page):
    p = make_page()
    for path in ("/", "/search?q=migration", "/search?q=migration"):
        page = p.goto(path)
        took = page.locator(".summary .took").inner_text()
        assert re.fullmatch(r"· (less than 1 ms|\d[\d,]* ms)", took), took


def test_single_value_facets_are_folded(make_page):
    p = make_page()
    page = p.goto("/search?q=migration")  # every document is about Ecuador
    expect(page.locator("#facet-country")).to_have_count(0)
    expect(page.locator(".facet-note")).to_have_text("Country: Ecuador, every result")
    expect(page.locator("#facet-lang")).to_be_visible()


def test_facet_values_keep_their_places(make_page):
    p = make_page()
    page = p.goto("/search?q=migration")
    order = page.locator("#facet-lang input").evaluate_all("bs => bs.map(b => b.value)")
    page.locator(f"#f-lang-{order[-1]}").check()
    expect(page.locator(f"#f-lang-{order[-1]}")).to_be_checked()
    assert page.locator("#facet-lang input").evaluate_all("bs => bs.map(b => b.value)") == order


# Refused searches and phones without JavaScript

@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_refused_query_keeps_the_form(make_page, js):
    p = make_page(js=js)
    page = p.goto("/search?q=migration")
    page.locator("#q").fill("a*")
    page.locator("#q").press("Enter")
    expect(page.get_by_role("heading", name="This search cannot be run")).to_be_visible()
    expect(page.locator(".error-message")).to_contain_text("a*")
    expect(page.locator("#q")).to_have_value("a*")
    expect(page.get_by_role("search")).to_be_visible()
    page.locator("#q").fill("migration")
    page.locator("#q").press("Enter")
    expect(summary(page)).to_contain_text("8 results")
    p.forget_refusals()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("screen", SCREENS)
def test_a_page_past_the_last_is_refused_with_the_form(make_page, screen, js):
    p = make_page(js=js, **SCREENS[screen])
    response = p.page.goto(p.base + "/search?q=migration&page=9")
    assert response.status == 400
    heading = p.page.get_by_role("heading", level=1)
    expect(heading).to_have_text("This search cannot be run")
    expect(p.page.locator(".error-message")).to_contain_text("page 9")
    expect(p.page.locator("#q")).to_have_value("migration")
    expect(p.page.locator(".pager")).to_have_count(0)
    p.page.get_by_role("link", name="Go to the first page").click()
    expect(summary(p.page)).to_contain_text("8 results")
    expect(heading).to_contain_text("8 results")
    p.forget_refusals()


def test_phone_without_javascript_shows_results_first(make_page):
    p = make_page(js=False, **PHONE)
    page = p.goto("/search?q=migration")
    height = PHONE["height"]
    first = page.locator(".hit").first.bounding_box()
    assert first["y"] < height / 2  # the first result high on the first screen
    assert page.locator("#filters").bounding_box()["y"] > height  # the filters below it
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    link = page.get_by_role("link", name="Filters", exact=True)
    expect(link).to_be_in_viewport()
    link.click()
    expect(page.locator("#f-lang-fr")).to_be_in_viewport()
    page.get_by_label("French").check()
    page.get_by_role("button", name="Apply filters").click()
    assert query(page.url) == {"q": ["migration"], "lang": ["fr"]}
    expect(summary(page)).to_contain_text("2 results")
    p.shot("search-phone-nojs", full_page=False)


def test_desktop_keeps_filters_beside_results(make_page):
    p = make_page(js=False, **DESKTOP)
    page = p.goto("/search?q=migration")
    filters, results = page.locator("#filters").bounding_box(), page.locator("#results").bounding_box()
    assert filters["x"] + filters["width"] <= results["x"]  # on the left
    assert filters["y"] < DESKTOP["height"] / 2
