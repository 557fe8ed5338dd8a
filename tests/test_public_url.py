"""``/opensearch.xml`` never reflects an arbitrary ``Host`` header: its links start with the
configured public URL, else the request's host when it is an allowed one, else no host."""
from __future__ import annotations

import http.client
import subprocess
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from indexer.errors import ConfigError
from webapp import create_app

from .conftest import EXE

NS = {"os": "http://a9.com/-/spec/opensearch/1.1/"}


def links(body: bytes) -> list[str]:
    """Every URL of an OpenSearch description."""
    root = ET.fromstring(body)
    found = [u.get("template") for u in root.findall("os:Url", NS)]
    found += [root.find("os:Image", NS).text, root.find("{http://www.mozilla.org/2006/browser/search/}SearchForm").text]
    assert len(found) == 6
    return found


def test_a_host_not_allowed_gets_links_without_a_host(make_client, site_index_dir):
    client = make_client(site_index_dir)
    for host in ("evil.example", "evil.example:5000", "localhost.evil.example", "127.0.0.1.evil.example"):
        response = client.get("/opensearch.xml", headers={"Host": host})
        assert response.status_code == 200 and b"evil" not in response.data
        for url in links(response.data):
            assert url.startswith("/") and not url.startswith("//"), url
    assert links(client.get("/opensearch.xml", headers={"Host": "evil.example"}).data)[0] == "/search?q={searchTerms}"


def test_the_default_hosts_are_loopback(make_client, site_index_dir):
    client = make_client(site_index_dir)
    for host in ("localhost", "localhost:5000", "127.0.0.1:8080", "[::1]:5000"):
        urls = links(client.get("/opensearch.xml", headers={"Host": host}).data)
        assert all(u.startswith(f"http://{host}/") for u in urls), (host, urls)


def test_allowed_hosts_replace_the_default(make_client, site_index_dir, monkeypatch):
    monkeypatch.setenv("M4D_ALLOWED_HOSTS", "search.example.org, Other.Example:8443")
    client = make_client(site_index_dir)
    assert links(client.get("/opensearch.xml", headers={"Host": "search.example.org:81"}).data)[0] \
        == "http://search.example.org:81/search?q={searchTerms}"
    assert links(client.get("/opensearch.xml", headers={"Host": "other.example:8443"}).data)[0] \
        .startswith("http://other.example:8443/")
    assert links(client.get("/opensearch.xml", headers={"Host": "other.example:8444"}).data)[0].startswith("/")
    assert links(client.get("/opensearch.xml", headers={"Host": "localhost"}).data)[0].startswith("/")


def test_a_public_url_wins_over_any_host(make_client, site_index_dir, monkeypatch):
    monkeypatch.setenv("M4D_PUBLIC_URL", "https://search.example.org/")
    client = make_client(site_index_dir)
    for host in ("evil.example", "localhost"):
        urls = links(client.get("/opensearch.xml?ui=fr", headers={"Host": host}).data)
        assert all(u.startswith("https://search.example.org/") for u in urls), urls
        assert "https://search.example.org/search?q={searchTerms}&ui=fr" in urls
    config = make_client(site_index_dir, PUBLIC_URL="http://127.0.0.1:8000")  # the app config wins over the env
    assert links(config.get("/opensearch.xml").data)[0] == "http://127.0.0.1:8000/search?q={searchTerms}"


@pytest.mark.parametrize("config", [{"PUBLIC_URL": "javascript:alert(1)"}, {"PUBLIC_URL": "https://a.example/x"},
                                    {"PUBLIC_URL": "https://"}, {"ALLOWED_HOSTS": "*"},
                                    {"ALLOWED_HOSTS": "a.example/evil"}])
def test_a_malformed_setting_is_refused_when_the_app_is_made(config, site_index_dir):
    with pytest.raises(ConfigError, match="M4D_PUBLIC_URL|M4D_ALLOWED_HOSTS"):
        create_app({"INDEX_DIR": str(site_index_dir), **config})


def raw_get(base: str, path: str, host: str) -> bytes:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        assert response.status == 200
        return response.read()
    finally:
        conn.close()


def test_serve_public_url_over_http(live_server, site_index_dir):
    base = live_server(site_index_dir, "--public-url", "https://search.example.org")
    body = raw_get(base, "/opensearch.xml", "evil.example")
    assert b"evil" not in body and all(u.startswith("https://search.example.org/") for u in links(body))


def test_serve_refuses_a_bad_public_url_in_one_line(site_index_dir):
    done = subprocess.run([EXE, "serve", "--port", "0", "--public-url", "ftp://x", "--index", str(site_index_dir)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["m4d-search: error: M4D_PUBLIC_URL must be a scheme and host such as "
                                        "https://search.example.org, not 'ftp://x'"]
