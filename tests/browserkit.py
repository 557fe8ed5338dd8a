"""What the browser tests share: a page in a fresh Chromium context that records script errors
and CSP violations, the two screens they run on, and axe-core.

The browser itself is ``conftest.browser`` (Debian's Chromium, headless), the server
``conftest.corpus_server`` (``m4d-search serve`` over the bundled corpus).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: axe-core, installed by `npm install` from package.json (`make test` runs it).
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENS = {"desktop": DESKTOP, "phone": PHONE}


class Page:
    """A page in a fresh context that records console errors (CSP violations among them).

    :param js: JavaScript on or off in the context.
    :param axe: a context for axe-core: its script is injected into the page, so the
        Content-Security-Policy is bypassed, and JavaScript stays on for axe to run; with
        ``js=False`` the app's own script is served empty instead, which leaves the page as
        it is without JavaScript.
    """

    def __init__(self, browser, base, js=True, width=1280, height=900, axe=False, locale="en-US"):
        self.context = browser.new_context(java_script_enabled=js or axe, viewport={"width": width, "height": height},
                                           locale=locale, bypass_csp=axe)
        if axe and not js:
            self.context.route("**/static/app.js*",
                               lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def goto(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str, full_page=True):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def searches(self) -> list[str]:
        """Return the search pages requested so far (the page's own loads and the script's fetches)."""
        return [u for u in self.requests if urlsplit(u).path in ("/", "/search")]

    def forget_refusals(self):
        """Drop the console's report of a 400 answer (a refused search the test asked for)."""
        self.errors[:] = [e for e in self.errors if "status of 400" not in e]


@contextmanager
def pages(browser, base):
    """Yield a factory of ``Page``s; on the way out, close them and check that none saw a
    script error, a CSP violation or a dialog."""
    made: list[Page] = []

    def make(**kwargs) -> Page:
        made.append(Page(browser, base, **kwargs))
        return made[-1]

    yield make
    for p in made:
        p.context.close()
    for p in made:
        assert p.errors == [], p.errors  # no script error, no CSP violation
        assert p.dialogs == []


def axe_violations(page) -> list[dict]:
    """Run axe-core over the page (every rule of its default set) and return its violations,
    each as its rule id, impact, help text and the first few elements at fault."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE.relative_to(ROOT)}): run `npm install --no-audit --no-fund` "
                    "in the project folder (`make test` and .ci/run do)", pytrace=False)
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
    }""")


def badges(page) -> set[str]:
    return set(page.locator(".hit .badge [aria-hidden]").all_inner_texts())


def query(url: str) -> dict:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def mark_document(page):
    """Tag the live document; the tag survives swaps and disappears on a full reload."""
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def active(page) -> dict:
    """Describe the focused element: its tag, id, classes and text."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className || "",
                text: (e.textContent || "").replace(/\\s+/g, " ").trim()};
    }""")


def summary(page):
    """Return the result count heading (``#summary``), where focus lands after an update."""
    return page.locator("#summary")


def focus_not_lost(page):
    """Assert that focus is on an element of the page, not on <body> (nor nowhere)."""
    assert page.evaluate("document.activeElement !== document.body && document.activeElement !== null")
