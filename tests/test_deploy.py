"""Production set-up, app side: CORS on the JSON API, Cache-Control everywhere, versioned
static URLs, and the nginx configuration ``m4d-search nginx-config`` prints."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from indexer.errors import ConfigError
from webapp import create_app

from .conftest import EXE

STATIC = Path(__file__).resolve().parent.parent / "webapp" / "static"
OTHER = "https://other.example"


def run(*args, env=None):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


# CORS

@pytest.mark.parametrize("path", ["/api/search?q=migration", "/api/suggest?q=mig", "/api/search?page=0"])
def test_api_may_be_read_from_any_origin_by_default(client, path):
    response = client.get(path, headers={"Origin": OTHER})
    assert response.status_code in (200, 400)  # an error body must be readable too
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Expose-Headers"] == "X-Cache"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("path", ["/", "/search?q=migration", "/healthz", "/opensearch.xml", "/static/app.js"])
def test_other_routes_get_no_cors_headers(client, path):
    with client.get(path, headers={"Origin": OTHER}) as response:
        assert response.status_code == 200
        assert not [h for h in response.headers.keys() if h.startswith("Access-Control-")]


def test_preflight_allows_get_only(client):
    response = client.options("/api/search", headers={"Origin": OTHER, "Access-Control-Request-Method": "GET",
                                                      "Access-Control-Request-Headers": "Accept-Language"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "Accept-Language" in response.headers["Access-Control-Allow-Headers"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert client.post("/api/search").status_code == 405


def test_a_list_of_origins_echoes_only_a_listed_one(make_client, site_index_dir):
    client = make_client(site_index_dir, CORS_ORIGINS="https://a.example, https://b.example:8443/")
    for origin in ("https://a.example", "https://b.example:8443"):
        response = client.get("/api/search?q=migration", headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in response.headers["Vary"]
    refused = client.get("/api/search?q=migration", headers={"Origin": OTHER})
    assert refused.status_code == 200  # the answer is the same; the browser withholds it from the page
    assert "Access-Control-Allow-Origin" not in refused.headers and "Origin" in refused.headers["Vary"]


def test_none_turns_cors_off(make_client, site_index_dir):
    response = make_client(site_index_dir, CORS_ORIGINS="none").get("/api/search?q=x", headers={"Origin": OTHER})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("value", ["ftp://a.example", "a.example", "https://a.example, *", "https://a.example/path"])
def test_a_bad_origin_list_is_refused_when_the_app_starts(site_index_dir, value):
    with pytest.raises(ConfigError, match="M4D_CORS_ORIGINS must be"):
        create_app({"INDEX_DIR": str(site_index_dir), "CORS_ORIGINS": value})


def test_serve_refuses_a_bad_origin_list_in_one_line(site_index_dir):
    done = run("serve", "--port", "0", "--index", str(site_index_dir), env={"M4D_CORS_ORIGINS": "nope"})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["m4d-search: error: M4D_CORS_ORIGINS must be '*', 'none' or "
                                                "origins like https://example.org, not 'nope'"]


# Cache-Control

@pytest.mark.parametrize("path", ["/", "/search?q=migration", "/api/search?q=migration", "/api/suggest?q=mig",
                                  "/opensearch.xml"])
def test_answers_are_cached_a_minute_per_language(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize("path", ["/healthz", "/api/search?page=0", "/search?page=0", "/nope", "/site/nope"])
def test_health_and_errors_are_never_stored(client, path):
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"


def test_static_urls_carry_a_digest_and_are_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert {u.split("?")[0] for u in urls} == {"/static/style.css", "/static/favicon.svg", "/static/app.js"}
    for url in urls:
        path, _, query = url.partition("?v=")
        assert query == hashlib.sha256((STATIC / path.rsplit("/", 1)[1]).read_bytes()).hexdigest()[:12]
        with client.get(url) as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get("/static/app.js") as bare:
        assert bare.headers["Cache-Control"] == "public, max-age=3600"
        assert bare.headers["ETag"]


# The nginx configuration

def test_nginx_config_fills_in_every_placeholder():
    done = run("nginx-config", "--listen", "8080", "--upstream", "127.0.0.1:5001", "--server-name", "s.example")
    assert done.returncode == 0, done.stderr
    conf = done.stdout
    assert not re.search(r"@[A-Z_]+@", conf)
    for line in ("listen 8080;", "server 127.0.0.1:5001;", "server_name s.example;", f"alias {STATIC}/;",
                 "client_header_timeout 5s;", "proxy_buffering on;", "limit_conn m4d_search_perip 32;",
                 'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;'):
        assert line in conf, line


@pytest.mark.parametrize(("option", "value"), [("--upstream", "127.0.0.1:5000; evil"), ("--listen", "0"),
                                               ("--server-name", "a;b"), ("--upstream", "host:99999")])
def test_nginx_config_refuses_a_bad_value_in_one_line(option, value):
    done = run("nginx-config", option, value)
    assert done.returncode == 1 and not done.stdout
    assert re.fullmatch(rf"m4d-search: error: {option} (must look like|has a port outside) .*\n", done.stderr)
