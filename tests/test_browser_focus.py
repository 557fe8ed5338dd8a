"""Focus and keyboard paths of the search page (issue 18), in headless Chromium on a desktop
(1280×900) and a phone (390×844) screen, with JavaScript on and off: "Skip to results" and
"Filters" move focus without fetching; after a chip, "Clear" or "Clear all", focus lands on
the next chip, the facet or the result count (never on <body>); few Tabs from the box to the
first result.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .browserkit import PHONE, SCREENS, active, focus_not_lost, mark_document, same_document, summary

pytestmark = pytest.mark.browser


# Focus

@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("screen", SCREENS)
def test_skip_to_results_then_tab_to_the_first_result(make_page, screen, js):
    p = make_page(js=js, **SCREENS[screen])
    page = p.goto("/search?q=migration")
    if js:
        mark_document(page)
    loads = len(p.searches())
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to results")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".hit-title a").first).to_be_focused()
    assert len(p.searches()) == loads  # nothing fetched again
    if js:
        assert same_document(page)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("screen", SCREENS)
def test_few_tabs_from_the_box_to_the_first_result(make_page, screen, js):
    p = make_page(js=js, **SCREENS[screen])
    page = p.goto("/search?q=migration")
    page.locator("#q").focus()
    tabs = 0
    while tabs < 12 and not page.evaluate("document.activeElement.matches('.hit-title a')"):
        page.keyboard.press("Tab")
        tabs += 1
    # Search button, three interface languages, two orders, the filters link, the result.
    assert tabs <= 8, active(page)


def test_focus_after_removing_chips_and_clearing(make_page):
    p = make_page()
    page = p.goto("/search?q=migration&lang=fr&type=case-study")
    mark_document(page)
    page.locator(".chips .chip").first.focus()  # "Remove filter: French"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=migration&type=case-study$"))
    chip = page.locator(".chips .chip").first
    expect(chip).to_contain_text("Case study")
    expect(chip).to_be_focused()  # the chip now in its place
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=migration$"))
    expect(summary(page)).to_be_focused()  # no chip left: the result count
    expect(page.locator("#live")).to_have_text(re.compile("8 results for “migration”"))
    # "Clear all"
    page.goto(p.base + "/search?q=migration&lang=fr&lang=en")
    page.get_by_role("link", name="Clear all", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=migration$"))
    expect(summary(page)).to_be_focused()
    # A facet's "Clear": its first box
    page.goto(p.base + "/search?q=migration&lang=fr")
    page.locator("#facet-lang .facet-clear").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=migration$"))
    expect(page.locator("#facet-lang input").first).to_be_focused()
    # "Clear all filters" at the foot of the filters
    page.goto(p.base + "/search?q=migration&type=case-study")
    page.locator(".clear-all").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=migration$"))
    expect(summary(page)).to_be_focused()
    focus_not_lost(page)


def test_focus_after_removing_a_chip_on_a_phone(make_page):
    p = make_page(**PHONE)
    page = p.goto("/search?q=migration&lang=fr&lang=es")
    page.locator(".chips .chip").nth(1).click()  # Spanish, the last filter chip
    expect(page).to_have_url(re.compile(r"\?q=migration&lang=fr$"))
    expect(page.locator(".chips .chip").first).to_be_focused()
    expect(page.locator(".chips .chip").first).to_be_in_viewport()
    focus_not_lost(page)


def test_filters_link_moves_focus_to_the_filters(make_page):
    p = make_page(**PHONE)
    page = p.goto("/search?q=migration")
    mark_document(page)
    loads = len(p.searches())
    link = page.get_by_role("link", name="Filters", exact=True)
    expect(link).to_be_in_viewport()
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#filters")).to_be_focused()
    expect(page.locator("#f-lang-fr")).to_be_visible()
    expect(page.locator("#filters")).to_be_in_viewport()
    assert len(p.searches()) == loads and same_document(page)
