"""Main text only (issue 16): a page's main region without its boilerplate (headers, footers,
navigation, skip links, language switchers, banners); meta-refresh redirect stubs, which
give no document and never stand for their target; listing splits only on listing pages."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.model import Page
from indexer.parse.extract import extract
from indexer.parse.listing import is_listing, split_listing
from indexer.pipeline import run_crawl, skip_category

from .crawlkit import crawl, documents
from .httpsite import Site

DATA = Path(__file__).resolve().parent / "data"
BOILERPLATE = DATA / "boilerplate"
REDIRECTS = DATA / "redirects"
OWASP = Path("/work/shared/data/sites/owasp-top10/Top10")


def parse(path: Path, url: str | None = None):
    return extract(Page(url=url or path.resolve().as_uri(), body=path.read_bytes(), content_type="text/html"))


def text_of(parsed) -> str:
    return "\n".join(b.text for b in parsed.passages)


# Main region and boilerplate


def test_main_region_keeps_the_article_and_drops_every_kind_of_boilerplate():
    parsed = parse(BOILERPLATE / "main-region.html")
    text = text_of(parsed)
    for kept in ("Garden Watering Guide", "A short guide for small gardens.", "When to water",
                 "Water the beds early in the morning", "Sandy soil dries quickly",
                 "Guide reviewed by the garden volunteers."):  # an article's own header and footer stay
        assert kept in text
    for dropped in ("Skip to content", "Saltar a contenido", "Announcement", "Neutral Site Masthead",
                    "About the site", "Sidebar outside the main region", "English", "Español", "Français",
                    "cookies", "Table of contents", "Related reading", "Licensed under", "Made with"):
        assert dropped not in text, dropped
    assert parsed.title == "Garden Watering Guide · Neutral Site"
    headings = [(b.level, b.text) for b in parsed.passages if b.is_heading]
    assert headings == [(1, "Garden Watering Guide"), (2, "When to water")]
    assert all(b.anchor == "guide" for b in parsed.passages)
    # Links are still read from the whole page: the crawl follows the navigation.
    assert any(link.endswith("/about/") for link in parsed.links)
    assert any(link.endswith("/es/") for link in parsed.links)


def test_a_lone_article_is_the_main_region():
    parsed = parse(BOILERPLATE / "article-only.html")
    assert [b.text for b in parsed.passages] == [
        "Bicycle Chain Care", "Clean the chain with a dry cloth after every wet ride.",
        "Oil each link lightly and wipe off what is left over."]


def test_a_page_without_main_region_keeps_its_text_minus_the_boilerplate():
    parsed = parse(BOILERPLATE / "no-main.html")
    assert [b.text for b in parsed.passages] == [
        "Cuidado de plantas de interior", "Riegue las plantas cuando la tierra esté seca al tacto.",
        "Coloque las macetas cerca de una ventana con luz indirecta."]


def test_a_page_with_nothing_special_keeps_all_its_text():
    parsed = parse(BOILERPLATE / "plain.html")
    assert [b.text for b in parsed.passages] == [
        "Bread Baking Notes", "Let the dough rest for one hour in a warm place.",
        "Bake at a high heat for the first ten minutes.", "Flour, water, salt and yeast.",
        "A clean towel to cover the bowl.", "See also the tips below and the English edition.",
        "Tips", "A steaming tray gives the crust its shine."]


def test_a_main_region_without_text_falls_back_to_the_body():
    page = Page(url="http://example.org/", content_type="text/html",
                body=b"<html><body><main><img src=x.png></main><p>Text outside the empty main.</p></body></html>")
    assert [b.text for b in extract(page).passages] == ["Text outside the empty main."]


def test_headers_of_sections_stay_and_page_headers_go_without_a_main_region():
    page = Page(url="http://example.org/", content_type="text/html", body=(
        "<html><body><header><h1>Site name</h1></header>"
        "<section><header><h2>Section heading</h2></header><p>Section text.</p></section>"
        "<section><p>More text.</p><footer><p>Section footer.</p></footer></section>"
        "<footer><p>Page footer.</p></footer></body></html>").encode())
    parsed = extract(page)
    assert [b.text for b in parsed.passages] == ["Section heading", "Section text.", "More text.", "Section footer."]
    assert parsed.title == "Site name"  # no <title>: the first h1, even in the dropped header


@pytest.mark.parametrize("link", [
    '<a href="#main">Skip to main content</a>', '<a href="#m">Skip navigation</a>',
    '<a href="#m">Ir al contenido principal</a>', '<a href="#m">Aller au contenu</a>',
    '<a href="#m">Passer à la navigation</a>', '<a href="#m" class="visually-hidden skiplink">Menu</a>'])
def test_skip_links_in_any_of_the_languages_are_dropped(link):
    page = Page(url="http://example.org/", content_type="text/html",
                body=f"<html><body><p>{link}</p><p>Body text.</p><p><a href='#x'>Skip ahead to x</a></p>".encode())
    assert [b.text for b in extract(page).passages] == ["Body text.", "Skip ahead to x"]


@pytest.mark.skipif(not OWASP.is_dir(), reason="the OWASP Top 10 site is not in /work/shared")
@pytest.mark.parametrize("path, kept", [
    ("2021/A01_2021-Broken_Access_Control/index.html",
     ["A01:2021 – Broken Access Control", "Overview", "How to Prevent", "Example Attack Scenarios",
      "Except for public resources, deny by default."]),
    ("2025/es/index.html", ["OWASP Top 10:2025", "Sobre este lanzamiento", "Bienvenido al lanzamiento"]),
])
def test_an_owasp_page_gives_its_article_without_the_mkdocs_furniture(path, kept):
    parsed = parse(OWASP / path)
    text = text_of(parsed)
    for piece in kept:
        assert piece in text
    for furniture in ("Skip to content", "Saltar a contenido", "en - English", "cs - Česky",
                      "Initializing search", "Inicializando búsqueda", "Made with", "Material for MkDocs",
                      "Table of contents", "Tabla de contenidos", "This work is licensed", "Copyright"):
        assert furniture not in text, furniture
    assert parsed.passages[0].level == 1
    assert parsed.redirect is None


# Redirect stubs


@pytest.mark.parametrize("name, target", [("stub.html", "guide.html"), ("bare-stub.html", "guide.html")])
def test_a_meta_refresh_with_a_redirect_notice_is_a_stub(name, target):
    parsed = parse(REDIRECTS / name)
    assert parsed.redirect == (REDIRECTS / target).resolve().as_uri()
    assert parsed.url == (REDIRECTS / name).resolve().as_uri()  # its canonical (the target) is ignored


@pytest.mark.parametrize("name", ["slow-refresh.html", "text-with-refresh.html", "guide.html"])
def test_pages_with_text_or_slow_refreshes_are_not_stubs(name):
    parsed = parse(REDIRECTS / name)
    assert parsed.redirect is None and parsed.passages


@pytest.mark.skipif(not OWASP.is_dir(), reason="the OWASP Top 10 site is not in /work/shared")
def test_the_owasp_redirect_pages_are_stubs():
    path = OWASP / "A06_2021-Vulnerable_and_Outdated_Components/index.html"
    parsed = parse(path, "https://owasp.org/Top10/A06_2021-Vulnerable_and_Outdated_Components/")
    assert parsed.redirect == "https://owasp.org/Top10/2021/A06_2021-Vulnerable_and_Outdated_Components/index.html"
    assert parsed.url == "https://owasp.org/Top10/A06_2021-Vulnerable_and_Outdated_Components/"


def test_a_stub_reached_alone_gives_no_document_and_its_target_is_indexed(tmp_path):
    site = tmp_path / "ponds"
    site.mkdir()
    for name in ("bare-stub.html", "guide.html"):
        shutil.copy(REDIRECTS / name, site / name)
    # The stub alone is the source: the guide is reached only through its meta refresh.
    summary = run_crawl([str(site / "bare-stub.html")], tmp_path / "ix", procs=1)
    docs = documents(tmp_path / "ix")
    assert set(docs) == {"ponds/guide.html"}
    assert docs["ponds/guide.html"]["title"] == "Pond Keeping Guide"
    stub_url = (site / "bare-stub.html").as_uri()
    assert (stub_url, f"redirect stub (→ {(site / 'guide.html').as_uri()})") in summary.skipped
    assert skip_category(dict(summary.skipped)[stub_url]) == "redirect stub"
    assert "redirect stub 1" in summary.line()


def test_a_stub_with_a_canonical_link_never_replaces_its_target_in_a_folder(tmp_path):
    site = tmp_path / "ponds"
    site.mkdir()
    shutil.copy(REDIRECTS / "guide.html", site / "guide.html")
    shutil.copy(REDIRECTS / "stub.html", site / "a-old.html")  # read first: the folder's files in name order
    run_crawl([str(site)], tmp_path / "ix", procs=1)
    docs = documents(tmp_path / "ix")
    assert set(docs) == {"ponds/guide.html"}
    assert docs["ponds/guide.html"]["title"] == "Pond Keeping Guide"


def test_a_stub_with_a_canonical_link_never_replaces_its_target_over_http(tmp_path):
    served = tmp_path / "www"
    (served / "old").mkdir(parents=True)
    shutil.copy(REDIRECTS / "guide.html", served / "guide.html")
    (served / "old" / "index.html").write_text(
        (REDIRECTS / "stub.html").read_text("utf-8").replace("guide.html", "/guide.html"), "utf-8")
    site = Site(root=served)
    try:
        # The guide first, then the stub: a stub taking its canonical would overwrite the guide.
        summary = crawl([site.url("/guide.html"), site.url("/old/")], tmp_path / "ix")
    finally:
        site.close()
    docs = documents(tmp_path / "ix")
    assert set(docs) == {site.url("/guide.html")}
    assert docs[site.url("/guide.html")]["title"] == "Pond Keeping Guide"
    assert (site.url("/old/"), f"redirect stub (→ {site.url('/guide.html')})") in summary.skipped


# Listing splits


def test_an_api_reference_with_event_headings_stays_one_document():
    parsed = parse(BOILERPLATE / "api-reference.html", "https://docs.example.org/emitter/")
    assert not is_listing(parsed)
    docs = split_listing(parsed)
    assert len(docs) == 1
    assert docs[0].id == "https://docs.example.org/emitter/" and docs[0].type == "page"
    assert "event.preventDefault()" in docs[0].text and "A listener that throws" in docs[0].text


def test_a_profile_page_is_still_cut_into_its_items():
    page = Page(url="https://example.org/p", content_type="text/html", body=(
        "<html lang='en'><title>Testland · Country Profile</title><body><main><h1>Testland · Country Profile</h1>"
        "<p>Intro text.</p><h2>Events</h2><article id='e1'><h3>Fair</h3><p>A fair in May.</p></article>"
        "<article id='e2'><h3>Forum</h3><p>A forum in June.</p></article></main></body></html>").encode())
    parsed = extract(page)
    assert is_listing(parsed)
    assert [(d.type, d.id) for d in split_listing(parsed)] == [
        ("page", "https://example.org/p"), ("event", "https://example.org/p#e1"), ("event", "https://example.org/p#e2")]


def test_a_listing_of_works_linked_with_hreflang_is_not_a_language_switcher():
    # The bundled profile lists each case study as <li><a hreflang="es">labels and abstract</a>:
    # every link carries hreflang, and none is a switcher's ("English", "es - Español").
    from pathlib import Path

    from indexer.model import Page
    from indexer.parse.extract import extract

    path = Path(__file__).resolve().parents[1] / "corpus" / "site" / "index.html"
    text = "\n".join(p.text for p in extract(Page(url=path.as_uri(), body=path.read_bytes(),
                                                      content_type="text/html")).passages)
    for label in ("Área temática: Inclusión social", "Thématique : Inclusion Sociale",
                  "Thematic area: Social Inclusion", "Palabras clave: inclusión social"):
        assert label in " ".join(text.split()), label
