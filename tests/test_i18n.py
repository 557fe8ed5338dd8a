"""The UI languages: choice by ?ui= or Accept-Language, the switcher, complete catalogues."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from webapp.i18n import SOURCE_DIR, compile_catalogues

ROOT = Path(__file__).resolve().parent.parent


def page(client, path, **headers):
    return client.get(path, headers=headers).get_data(as_text=True)


@pytest.mark.parametrize("ui, html_lang, button, facet, type_label, count", [
    ("en", "en", "Search", "Language", "Case study", "1 result for “xenófobo”"),
    ("es", "es", "Buscar", "Idioma", "Estudio de caso", "1 resultado para «xenófobo»"),
    ("fr", "fr", "Rechercher", "Langue", "Étude de cas", "1 résultat pour « xenófobo »"),
])
def test_ui_parameter_translates_the_page(client, ui, html_lang, button, facet, type_label, count):
    text = page(client, f"/search?q=xen%C3%B3fobo&lang=es&ui={ui}")
    assert f'<html lang="{html_lang}">' in text
    assert f'class="search-button">{button}</button>' in text
    assert f"<legend>{facet}</legend>" in text
    assert f'<span class="hit-type">{type_label}</span>' in text
    assert count in text


def test_facet_labels_follow_the_ui_language(client):
    body = client.get("/api/search?ui=fr").get_json()
    labels = {item["value"]: item["label"] for item in body["facets"]["lang"]}
    assert labels == {"en": "Anglais", "es": "Espagnol", "fr": "Français"}
    assert {i["label"] for i in body["facets"]["country"]} == {"Équateur"}


@pytest.mark.parametrize("header, expected", [("es-EC,es;q=0.9,en;q=0.5", "es"), ("fr-CA", "fr"),
                                              ("de-DE,de;q=0.9", "en"), ("", "en")])
def test_accept_language_chooses_when_ui_is_absent(client, header, expected):
    assert f'<html lang="{expected}">' in page(client, "/", **{"Accept-Language": header})


def test_ui_parameter_wins_over_accept_language(client):
    assert '<html lang="fr">' in page(client, "/?ui=fr", **{"Accept-Language": "es"})
    assert '<html lang="es">' in page(client, "/?ui=es-EC")


def test_switcher_keeps_query_filters_and_page(client):
    text = page(client, "/search?q=migration&lang=fr&lang=es&per_page=2&page=2")
    links = dict(re.findall(r'<a href="([^"]+)" hreflang="(en|es|fr)" lang="\w+"', text))
    assert {v: k for k, v in links.items()} == {
        lang: f"/search?q=migration&amp;lang=fr&amp;lang=es&amp;per_page=2&amp;ui={lang}&amp;page=2"
        for lang in ("en", "es", "fr")}
    assert re.search(r'hreflang="en" lang="en" aria-current="true"', text)


def test_error_pages_are_translated(client):
    text = page(client, "/search?page=0&ui=es")
    assert '<html lang="es">' in text and "No se puede realizar esta búsqueda" in text
    # An unknown ui is itself the error; the page falls back to Accept-Language.
    response = client.get("/search?ui=xx", headers={"Accept-Language": "fr"})
    assert response.status_code == 400 and "ui must be one of en, es, fr" in response.get_data(as_text=True)
    assert "Cette recherche ne peut pas être lancée" in response.get_data(as_text=True)


def _extracted() -> set:
    method_map = [("webapp/**.py", "python"), ("webapp/templates/**.html", "jinja2"),
                  ("webapp/templates/**.xml", "jinja2")]
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_catalogue_translates_every_message(lang):
    with open(SOURCE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    extracted = _extracted()
    assert len(extracted) > 40
    missing = sorted(m for m in extracted if m not in catalog)
    assert missing == [], "run `make messages` and translate the new entries"
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and not message.fuzzy, message.id
            # The same placeholders on both sides.
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            wanted = set(re.findall(r"%\(\w+\)s", ids[-1]))
            assert all(set(re.findall(r"%\(\w+\)s", s)) == wanted for s in strings), message.id


def test_catalogues_compile_when_missing_or_stale(tmp_path):
    target = compile_catalogues(target=tmp_path)
    mo = tmp_path / "fr" / "LC_MESSAGES" / "messages.mo"
    assert target == tmp_path and mo.stat().st_size > 1000
    before = mo.stat().st_mtime_ns
    compile_catalogues(target=tmp_path)
    assert mo.stat().st_mtime_ns == before  # up to date: left alone
    mo.unlink()
    compile_catalogues(target=tmp_path)
    assert mo.exists()
