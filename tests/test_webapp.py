"""The Flask app through its test client: routes, JSON body, errors, escaping."""
from __future__ import annotations

import pytest

from webapp import create_app


@pytest.fixture()
def client(site_index_dir):
    app = create_app({"INDEX_DIR": str(site_index_dir), "TESTING": True})
    return app.test_client()


def test_search_page_renders_results(client):
    response = client.get("/search?q=xen%C3%B3fobo")
    assert response.status_code == 200
    assert "<mark>xenófobas</mark>" in response.get_data(as_text=True)


def test_api_search_body(client):
    body = client.get("/api/search?q=migration&lang=es&lang=fr").get_json()
    assert set(body) == {"query", "total", "page", "per_page", "pages", "took_ms", "results", "facets", "suggestion"}
    assert body["total"] >= 1 and {h["lang"] for h in body["results"]} <= {"es", "fr"}


def test_api_unclosed_quote_finds_spanish_case_study(client):
    body = client.get("/api/search?q=%22xen%C3%B3fobo").get_json()
    assert body["results"][0]["lang"] == "es"


@pytest.mark.parametrize("query", ["page=-1", "lang=xx", "page=abc", "q=" + "x" * 501, "theme=nope"])
def test_api_bad_parameters_are_400_with_a_message(client, query):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_page_bad_parameters_are_an_error_page(client):
    response = client.get("/search?page=-1")
    assert response.status_code == 400
    assert "page must be a positive whole number" in response.get_data(as_text=True)


def test_healthz_and_suggest(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "documents": 13}
    assert client.get("/api/suggest?q=migr").get_json()[0] == "migr"
    assert "migration" in client.get("/api/suggest?q=migr").get_json()[1]


def test_missing_index_is_503_not_500(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/api/search?q=x")
    assert response.status_code == 503 and "no index" in response.get_json()["error"]
