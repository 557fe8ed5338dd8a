"""axe-core over the search page's states, on a desktop and a phone screen, with JavaScript on
and off: no violation of any rule of axe's default set (WCAG 2.0–2.2 A and AA, and its best
practices).

axe-core comes from npm (package.json; `make test` and .ci/run install it): a missing
node_modules/ fails these tests with the command to run, it does not skip them. Its script is
injected into the page, so these contexts bypass the Content-Security-Policy (the other
browser tests check that the page itself breaks none); "JavaScript off" serves the app's own
script empty, since axe needs scripts to run.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browserkit import SCREENS, axe_violations

pytestmark = pytest.mark.browser

#: The states of the page: its path, what shows it is ready, the HTTP status expected.
STATES = {
    "home": ("/", ".summary", 200),
    "results": ("/search?q=migration&lang=fr&lang=en", ".hit", 200),
    "results-fr": ("/search?q=migration&sort=date&ui=fr", ".hit time", 200),
    "corrected": ("/search?q=migrasion", ".correction", 200),
    "no-results": ("/search?q=zzqqxx&type=project", ".notice-empty", 200),
    "refused": ("/search?q=a%2A", ".notice-error", 400),
    "past-the-end": ("/search?q=migration&page=9", ".notice-error", 400),
    "not-found": ("/nope", ".notice-error", 404),
}


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("state", STATES)
def test_no_axe_violations(make_page, state, screen, js):
    path, ready, status = STATES[state]
    p = make_page(js=js, axe=True, **SCREENS[screen])
    response = p.page.goto(p.base + path)
    assert response.status == status
    expect(p.page.locator(ready).first).to_be_visible()
    if js:
        expect(p.page.locator("html.js")).to_have_count(1)
    violations = axe_violations(p.page)
    p.forget_refusals()
    p.errors[:] = [e for e in p.errors if "status of 404" not in e]
    assert violations == [], violations


def test_no_axe_violations_with_the_filters_and_suggestions_open(make_page):
    # Phone, JavaScript on: the folded filters opened, the completions listed.
    p = make_page(axe=True, **SCREENS["phone"])
    page = p.goto("/search?q=migration")
    page.get_by_role("link", name="Filters", exact=True).click()
    expect(page.locator("#f-lang-fr")).to_be_visible()
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("migr", delay=20)
    expect(page.get_by_role("listbox")).to_be_visible()
    assert axe_violations(page) == []
