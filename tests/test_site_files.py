"""Crawled local files: served read-only under /site/, and linked from results."""
from __future__ import annotations

import json
import os

import pytest

from .conftest import SITE


def get(client, path):
    with client.get(path, follow_redirects=True) as response:
        return response.status_code, response.get_data(as_text=True), response.headers


def test_results_link_to_served_files(client):
    body = client.get("/api/search?q=xen%C3%B3fobo").get_json()
    # The API gives the folder's name and the path inside it, never the server's absolute path.
    assert body["results"][0]["url"] == body["results"][0]["id"] == "site/case-studies/social-inclusion-es.html"
    page = client.get("/search?q=xen%C3%B3fobo").get_data(as_text=True)
    assert 'href="/site/case-studies/social-inclusion-es.html"' in page
    assert "file://" not in page


def test_items_of_a_listing_page_link_to_their_anchor(client):
    page = client.get("/search?q=Sucumbios").get_data(as_text=True)
    assert 'href="/site/index.html#project-1"' in page


def test_served_file_is_the_crawled_page_in_a_sandbox(client):
    status, content, headers = get(client, "/site/case-studies/social-inclusion-es.html")
    assert status == 200
    assert content == (SITE / "case-studies" / "social-inclusion-es.html").read_text("utf-8")
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Content-Security-Policy"].startswith("sandbox;")
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none': no script runs
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert get(client, "/site/")[1] == (SITE / "index.html").read_text("utf-8")


@pytest.mark.parametrize("path", ["/site/../pyproject.toml", "/site/%2e%2e/pyproject.toml",
                                  "/site/..%2fpyproject.toml", "/site/case-studies/../../README.md",
                                  "/site//etc/passwd", "/site/%2fetc%2fpasswd", "/site/nope.html",
                                  "/site/.hidden", "/site/C:%5cwindows"])
def test_nothing_outside_the_folder_is_served(client, path):
    status, content, _ = get(client, path)
    assert status == 404
    assert "[project]" not in content and "root:" not in content


def test_symlink_leading_out_is_not_served(make_client, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text("<title>Migration</title><p>migration inside</p>", encoding="utf-8")
    secret = tmp_path / "secret.html"
    secret.write_text("<p>secret outside</p>", encoding="utf-8")
    os.symlink(secret, site / "link.html")
    client = make_client(tmp_path / "ix", SITE_DIRS=[str(site)])
    assert get(client, "/site/page.html")[0] == 200
    assert get(client, "/site/link.html")[0] == 404


def test_site_folder_comes_from_the_crawl_record(make_index, make_client, monkeypatch, tmp_path):
    # A relative source, as `make run` gives it, is recorded absolute: the app serves it from
    # anywhere, and never a folder of the same name under its own working folder.
    monkeypatch.chdir(SITE.parent)
    index_dir = make_index("site/")
    assert json.loads((index_dir / "m4d-meta.json").read_text("utf-8"))["sources"] == [SITE.resolve().as_uri()]
    (tmp_path / "site" / "case-studies").mkdir(parents=True)
    (tmp_path / "site" / "case-studies" / "mainstreaming-fr.html").write_text("<p>impostor</p>", "utf-8")
    monkeypatch.chdir(tmp_path)
    client = make_client(index_dir)
    assert "impostor" not in get(client, "/site/case-studies/mainstreaming-fr.html")[1]
    assert 'href="/site/case-studies/mainstreaming-fr.html"' in client.get("/?lang=fr").get_data(as_text=True)
    assert get(client, "/site/case-studies/mainstreaming-fr.html")[0] == 200


def test_several_folders_are_mounted_by_name(make_index, make_client, tmp_path):
    first, second = tmp_path / "alpha", tmp_path / "beta"
    for folder, word in ((first, "alpha"), (second, "beta")):
        folder.mkdir()
        (folder / "page.html").write_text(f'<html lang="en"><title>{word} migration</title>'
                                          f"<p>{word} migration text</p></html>", encoding="utf-8")
    client = make_client(make_index([first, second]))
    page = client.get("/search?q=migration").get_data(as_text=True)
    assert 'href="/site/alpha/page.html"' in page and 'href="/site/beta/page.html"' in page
    assert "beta migration text" in get(client, "/site/beta/page.html")[1]
    assert get(client, "/site/gamma/page.html")[0] == 404


def test_files_outside_every_site_folder_keep_their_url(make_client, site_index_dir, tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    client = make_client(site_index_dir, SITE_DIRS=[str(other)])
    page = client.get("/search?q=xen%C3%B3fobo").get_data(as_text=True)
    assert 'href="site/case-studies/' in page and 'href="/site/' not in page and "file://" not in page
    assert get(client, "/site/case-studies/social-inclusion-es.html")[0] == 404
