"""The m4d-search command line, run as the installed console script."""
from __future__ import annotations

import json
import subprocess

import pytest

from .conftest import EXE, SEED


def run(*args, index=None):
    cmd = [EXE, *args] + (["--index", str(index)] if index else [])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_stats_json(site_index_dir):
    done = run("stats", "--json", index=site_index_dir)
    assert done.returncode == 0
    body = json.loads(done.stdout)
    assert body["documents"] == 13
    assert body["by"]["lang"] == {"en": 7, "es": 3, "fr": 3}
    assert body["by"]["type"] == {"case-study": 8, "project": 2, "country-profile": 1, "event": 1, "news": 1}
    assert body["by"]["theme"] == {"mainstreaming-migration-into-local-development-planning": 3,
                                   "social-inclusion": 3,
                                   "partnerships-for-effective-migration-management-for-local-development": 2}
    assert body["by"]["country"] == {"ec": 13}
    assert body["index_bytes"] > 0 and body["last_crawl"].endswith("+00:00")


def test_search_json_is_the_api_body(site_index_dir):
    done = run("search", "xenófobo", "--json", index=site_index_dir)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["results"][0]["lang"] == "es" and body["results"][0]["type"] == "case-study"
    assert set(body) >= {"query", "total", "results", "facets", "suggestion"}


def test_search_without_accent_finds_project_one(site_index_dir):
    body = json.loads(run("search", "Sucumbios", "--json", index=site_index_dir).stdout)
    assert body["results"][0]["id"].endswith("index.html#project-1")


def test_search_filters_and_collapse(site_index_dir):
    body = json.loads(run("search", "", "--theme", "social-inclusion", "--json", index=site_index_dir).stdout)
    assert sorted(h["lang"] for h in body["results"]) == ["en", "es", "fr"]
    body = json.loads(run("search", "", "--theme", "social-inclusion", "--lang", "fr", "--json",
                          index=site_index_dir).stdout)
    assert body["total"] == 1
    assert {f["value"]: f["count"] for f in body["facets"]["lang"]} == {"es": 1, "fr": 1, "en": 1}
    body = json.loads(run("search", "", "--type", "case-study", "--collapse", "--json", index=site_index_dir).stdout)
    assert body["total"] == 3


def test_search_text_output(site_index_dir):
    done = run("search", "xenófobo", index=site_index_dir)
    assert done.returncode == 0
    assert "[es]" in done.stdout and "«xenófobas»" in done.stdout and "also in EN · FR" in done.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (("search", "x", "--lang", "xx"), 2, "unknown lang value 'xx'"),
    (("search", "x", "--page", "0"), 2, "page must be a positive whole number"),
    (("search", "x", "--ui", "de"), 2, "Invalid value for '--ui'"),
    (("search", "x", "--nope"), 2, "No such option"),
])
def test_usage_errors_exit_2_in_one_line(site_index_dir, args, code, message):
    done = run(*args, index=site_index_dir)
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr


def test_missing_index_exits_1(tmp_path):
    done = run("stats", index=tmp_path / "none")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "no index in" in done.stderr


def test_missing_source_exits_2(tmp_path):
    done = run("crawl", str(tmp_path / "nowhere"), index=tmp_path / "ix")
    assert done.returncode == 2 and "no such file or folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_crawl_of_the_seed_text_and_report(tmp_path):
    report = tmp_path / "report.json"
    done = run("crawl", SEED.as_uri(), "--report", str(report), index=tmp_path / "ix")
    assert done.returncode == 0, done.stderr
    assert "indexed 13 documents (en 7, es 3, fr 3)" in done.stderr
    data = json.loads(report.read_text("utf-8"))
    assert data["documents"] == 13 and data["by_lang"] == {"en": 7, "es": 3, "fr": 3}
    assert data["unknown_themes"] == {} and data["errors"] == []


def test_help_lists_every_command():
    done = run("--help")
    for command in ("crawl", "search", "serve", "stats"):
        assert command in done.stdout


def test_serve_answers_over_http(corpus_server):
    import urllib.request

    with urllib.request.urlopen(f"{corpus_server}/healthz", timeout=5) as r:
        assert json.loads(r.read()) == {"status": "ok", "documents": 13}
        assert r.headers["Server"] == "gunicorn"  # the production server, not the dev server
    with urllib.request.urlopen(f"{corpus_server}/api/search?q=xen%C3%B3fobo", timeout=5) as r:
        assert json.loads(r.read())["results"][0]["lang"] == "es"
