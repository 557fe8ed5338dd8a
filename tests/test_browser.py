"""The search page in real headless Chromium, against `m4d-search serve` on 127.0.0.1.

One browser for the session; a fresh context per test (``browserkit.Page``). Screenshots are
saved to tests/artifacts/ (git-ignored) as test artefacts. The behaviours of issue 18 (search
as you type, focus, corrections, order, phones) are in test_browser_ux.py, axe-core's checks in
test_browser_axe.py.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .browserkit import badges, mark_document, query, same_document

pytestmark = pytest.mark.browser


# JavaScript on

def test_type_a_query_and_tick_a_facet(make_page):
    p = make_page()
    page = p.goto("/")
    expect(page.locator(".summary")).to_contain_text("13 documents")
    mark_document(page)
    page.fill("#q", "xenófobo")
    page.press("#q", "Enter")
    expect(page.locator(".summary")).to_contain_text("3 results for “xenófobo”")
    # The Spanish case study first; the glossary brings its English and French versions too.
    expect(page.locator(".hit").first.locator("mark")).to_have_text("xenófobas")
    expect(page.locator(".hit").first.locator(".also a")).to_have_count(2)
    assert page.url.endswith("/search?q=xen%C3%B3fobo")
    page.fill("#q", "migration")
    page.press("#q", "Enter")
    expect(page.locator(".summary")).to_contain_text("8 results")
    page.get_by_label("French").check()
    expect(page).to_have_url(re.compile(r"q=migration&lang=fr$"))
    expect(page.locator(".summary")).to_contain_text("2 results")
    assert badges(page) == {"FR"}
    assert same_document(page)  # applied without a full reload
    # The language facet still counts English results, and its box stays ticked.
    expect(page.locator("label[for=f-lang-en] .facet-count")).to_have_text("4")
    expect(page.locator("#f-lang-fr")).to_be_checked()
    p.shot("search-facet-js")
    page.go_back()
    expect(page.locator(".summary")).to_contain_text("8 results")
    expect(page.locator("#f-lang-fr")).not_to_be_checked()
    page.locator(".chips").wait_for(state="detached")


def test_clear_filters_without_reload(make_page):
    p = make_page()
    page = p.goto("/search?q=migration&lang=fr&type=case-study")
    mark_document(page)
    expect(page.locator(".chips .chip")).to_have_count(3)  # two filters and "clear all"
    page.locator(".chips .chip").first.click()
    expect(page.locator(".chips .chip")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"q=migration&type=case-study$"))
    page.get_by_role("link", name="Clear all", exact=True).click()
    expect(page.locator(".chips")).to_have_count(0)
    expect(page.locator(".summary")).to_contain_text("8 results")
    assert same_document(page)


def test_autocomplete_from_suggest(make_page):
    p = make_page()
    page = p.goto("/")
    page.locator("#q").press_sequentially("migr", delay=30)
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(page.locator("#q")).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options.filter(has_text=re.compile("^migration$"))).to_have_count(1)
    texts = options.all_inner_texts()
    assert all(t.startswith("migr") for t in texts)
    p.shot("autocomplete", full_page=False)
    for _ in range(texts.index("migration") + 1):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#q")).to_have_attribute("aria-activedescendant", f"q-option-{texts.index('migration')}")
    page.keyboard.press("Enter")
    expect(page.locator("#q")).to_have_value("migration")
    expect(page.locator(".summary")).to_contain_text("8 results for “migration”")
    expect(listbox).to_be_hidden()
    page.locator("#q").press_sequentially(" xen", delay=30)
    expect(options.filter(has_text="migration xenofobas")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()


def test_switch_ui_language_keeps_query_and_filters(make_page):
    p = make_page()
    page = p.goto("/search?q=migration&lang=fr")
    page.get_by_role("navigation", name="Interface language").get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(re.compile(r"\?q=migration&lang=fr&ui=es$"))
    expect(page.get_by_role("button", name="Buscar")).to_be_visible()
    expect(page.locator("#q")).to_have_value("migration")
    expect(page.get_by_label("Francés")).to_be_checked()
    expect(page.locator(".summary")).to_contain_text("2 resultados para «migration»")
    # Ticking a facet in Spanish keeps the Spanish interface.
    page.locator("#f-lang-en").check()
    expect(page.locator(".summary")).to_contain_text("6 resultados")
    assert query(page.url) == {"q": ["migration"], "lang": ["en", "fr"], "ui": ["es"]}
    p.shot("search-ui-es")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Rechercher")).to_be_visible()


def test_page_through_results(make_page):
    p = make_page()
    page = p.goto("/search?per_page=3")
    mark_document(page)
    seen = page.locator(".hit-title a").all_inner_texts()
    for n in range(2, 6):
        page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
        expect(page.locator(".summary")).to_contain_text(f"page {n} of 5")
        expect(page.locator("#results")).to_be_focused()  # keyboard and screen-reader users land on results
        seen += page.locator(".hit-title a").all_inner_texts()
    assert len(seen) == 13 and len(set(seen)) == 13
    assert same_document(page)
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    page.get_by_role("link", name="Page 1", exact=True).click()
    expect(page.locator(".summary")).to_contain_text("page 1 of 5")


def test_keyboard_use_and_visible_focus(make_page):
    p = make_page()
    page = p.goto("/search?q=migration")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to results")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    # Tab to the link to the filters (they come after the results), follow it, tick the first box
    # with the space bar.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "to-filters":
            break
    to_filters = page.get_by_role("link", name="Filters", exact=True)
    expect(to_filters).to_be_focused()
    expect(to_filters).to_be_in_viewport()  # shown once focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#f-lang-en")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(outline.rstrip("px")) >= 2
    p.shot("keyboard-focus", full_page=False)
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"lang=en$"))
    expect(page.locator("#f-lang-en")).to_be_focused()  # focus survives the swap
    expect(page.locator(".summary")).to_contain_text("4 results")


def test_phone_width(make_page):
    p = make_page(width=390, height=844)
    page = p.goto("/search?q=migration")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(page.locator("#f-lang-fr")).to_be_hidden()
    p.shot("search-phone")
    page.get_by_role("link", name="Filters", exact=True).click()  # at the top: opens them, below the results
    page.get_by_label("French").check()
    expect(page.locator(".summary")).to_contain_text("2 results")
    expect(page.locator("#f-lang-fr")).to_be_visible()  # still open after the swap
    p.shot("search-phone-filters")


def test_markup_in_query_stays_inert(make_page):
    p = make_page()
    page = p.goto("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E")
    expect(page.locator("#q")).to_have_value("<script>alert(1)</script><img src=x onerror=alert(2)>")
    expect(page.locator(".notice h1")).to_contain_text("<script>alert(1)</script>")
    assert page.locator("img").count() == 0  # p.dialogs is checked empty at teardown


def test_search_again_from_an_error_page(make_page):
    p = make_page()
    page = p.goto("/search?q=migration&page=0")
    expect(page.get_by_role("heading", name="This search cannot be run")).to_be_visible()
    p.errors.clear()  # the console reports the 400 itself
    page.fill("#q", "xenófobo")
    page.press("#q", "Enter")
    expect(page.locator(".summary")).to_contain_text("3 results for “xenófobo”")


def test_desktop_screenshot(make_page):
    # `make screenshot` copies this one to docs/screenshot.png for the README.
    p = make_page(width=1280, height=900)
    p.goto("/search?q=migrants")  # once to warm the caches, so the time shown is a typical one
    page = p.goto("/search?q=migrants")
    expect(page.locator(".summary")).to_contain_text("results for “migrants”")
    expect(page.locator(".hit mark").first).to_have_text("migrants")
    p.shot("search-desktop", full_page=False)


# JavaScript off: plain forms and links

def test_without_javascript(make_page):
    p = make_page(js=False)
    page = p.goto("/")
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()
    page.fill("#q", "migration")
    page.press("#q", "Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=migration$"))
    expect(page.locator(".summary")).to_contain_text("8 results")
    page.get_by_label("French").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".summary")).to_contain_text("2 results")
    assert query(page.url) == {"q": ["migration"], "lang": ["fr"]}
    assert badges(page) == {"FR"}
    p.shot("search-facet-nojs")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Français")).to_be_checked()
    page.goto(p.base + "/search?per_page=4&ui=fr")
    page.get_by_role("link", name="Suivante").click()
    expect(page.locator(".summary")).to_contain_text("page 2 sur 4")
    page.get_by_label("Anglais").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    expect(page.locator(".summary")).to_contain_text("7 documents")
    assert query(page.url) == {"q": [""], "per_page": ["4"], "ui": ["fr"], "lang": ["en"]}  # back to page 1
    expect(page.locator(".summary")).to_contain_text("7 documents")
