"""Hostile pages: the crawl indexes what is readable, skips the rest with a reason in the
report, and bounds every page in time and memory (``indexer.parse.limits``).

``tests/data/hostile/`` holds the small fixtures (truncated and malformed HTML, 100% script,
binary data as .html, a NUL byte, invalid UTF-8, mixed encodings, BOMs, lying ``<meta
charset>``, a zero-byte file, a long word and line, markup inside a label line, an empty
label line, right-to-left and emoji text); the big ones (nesting 5,000 deep, 100,000 links,
a 3 MB line, a 20 MB page) are written at test time.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from whoosh import index

from indexer.model import Page
from indexer.parse import limits
from indexer.parse.extract import extract
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex
from indexer.text.analyzers import MAX_TOKEN_CHARS

from .conftest import DATA, EXE

HOSTILE = DATA / "hostile"
#: Peak memory allowed for the crawl of the hostile folder and for reading the 20 MB page.
MAX_RSS_MB = 400


def write_big_pages(folder: Path) -> None:
    """Write the hostile pages too big to commit."""
    deep = ["<html lang='en'><head><title>Deep nesting</title></head><body>"]
    for i in range(5000):  # unclosed, of every kind the walk treats differently
        deep.append(("<div>", "<span>", "<li>", "<blockquote>", "<section id='s%d'>" % i)[i % 5] + f"level{i} ")
    deep.append("<p>deepmarker at the bottom</p>")
    (folder / "deep.html").write_text("".join(deep), "utf-8")
    links = "".join(f'<a href="p{i}.html">linkpage {i}</a> ' for i in range(100_000))
    (folder / "links-100k.html").write_text(f"<html lang='en'><body><p>Hub of links</p>{links}</body></html>", "utf-8")
    (folder / "long-line.txt").write_text("Long line\n\n" + "words on one endless line " * 120_000, "utf-8")


def write_20mb_page(path: Path) -> None:
    paragraph = "<p>Twenty megabytes of paragraphs about remittances and return migration.</p>\n"
    with path.open("w", encoding="utf-8") as f:
        f.write("<html lang='en'><head><title>Twenty megabytes</title></head><body>\n")
        for _ in range(20 * 1024 * 1024 // len(paragraph) + 1):
            f.write(paragraph)


def run_measured(cmd: list[str], timeout: float = 300) -> tuple[int, float, str]:
    """Run cmd; return its exit status, its peak RSS in MB and its stderr. The timeout is a
    guard against a hang, not a speed check."""
    with open(os.devnull, "wb") as out, subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE) as proc:
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            err = proc.stderr.read().decode("utf-8", "replace")
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, err


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Crawl the hostile folder (fixtures + big pages) with the console script."""
    root = tmp_path_factory.mktemp("hostile")
    site = root / "site"
    shutil.copytree(HOSTILE, site)
    write_big_pages(site)
    write_20mb_page(site / "huge-20mb.html")
    report = root / "report.json"
    code, rss, err = run_measured([EXE, "crawl", str(site), "--index", str(root / "ix"), "--report", str(report)])
    assert code == 0, err
    assert "Traceback" not in err
    return {"site": site, "index": root / "ix", "report": json.loads(report.read_text("utf-8")), "rss": rss,
            "stderr": err}


def reasons(report, key):
    return {Path(item["url"]).name: item["reason"] for item in report[key]}


def only_hit(ix: SearchIndex, query: str) -> dict:
    body = ix.search(query)
    assert body["total"] == 1, (query, [h["id"] for h in body["results"]])
    return body["results"][0]


def test_unreadable_pages_are_skipped_with_a_reason(crawled):
    skipped = reasons(crawled["report"], "skipped")
    assert skipped["binary.html"].startswith("binary content")
    assert skipped["script-only.html"] == "no text to index"
    assert skipped["empty.html"] == "empty file"
    assert skipped["huge-20mb.html"].startswith(f"larger than {5 * 1024 * 1024} bytes")
    assert len(skipped) == 4 and crawled["report"]["errors"] == []
    assert "4 skipped (" in crawled["stderr"] and ", 0 errors" in crawled["stderr"]
    assert "2 cut to size" in crawled["stderr"]


def test_oversized_pages_are_cut_to_size_and_reported(crawled):
    limited = reasons(crawled["report"], "limited")
    assert limited["links-100k.html"] == (f"read the first {limits.MAX_MARKUP_CHARS} characters; "
                                          f"read the first {limits.MAX_ELEMENTS} tags; "
                                          f"followed the first {limits.MAX_LINKS} links")
    assert limited["long-line.txt"] == (f"read the first {limits.MAX_MARKUP_CHARS} characters; "
                                        f"kept the first {limits.MAX_TEXT_CHARS} characters of text")
    ix = SearchIndex(crawled["index"])
    hit = only_hit(ix, "endless")
    text = ix.searcher().document(id=hit["id"])["text"]
    assert limits.MAX_TEXT_CHARS - 40 < len(text) <= limits.MAX_TEXT_CHARS
    assert only_hit(ix, "hub links")["id"].endswith("links-100k.html")


def test_the_crawl_stays_within_its_memory_bound(crawled):
    assert crawled["rss"] < MAX_RSS_MB


def test_readable_pages_are_indexed_with_their_text_intact(crawled):
    ix = SearchIndex(crawled["index"])
    expected = {  # query → (file, title)
        "remesas escuelas": ("truncated.html", "Remesas en Loja"),
        "quinoa tortoises": ("malformed.html", "Malformed page"),
        "mangroves": ("nul-byte.html", "Stray NUL"),
        "niños vuelven": ("invalid-utf8.html", "Migración y desarrollo"),
        "niños pichincha": ("mixed-encodings.html", "Sucumbíos frontera"),
        "Quito": ("bom-utf8.html", "Éducation des enfants"),
        "Guayaquil": ("bom-utf16.html", "Santé maternelle"),
        "Otavalo": ("lying-meta-utf8.html", "Educación en Imbabura"),
        "Azogues": ("lying-meta-latin1.html", "Movilidad humana en Cañar"),
        "ceviche": ("long-word.html", "Long word"),
        "الهجرة": ("rtl-emoji.html", "الهجرة والتنمية 🌍"),
        "deepmarker": ("deep.html", "Deep nesting"),
        "Cotacachi": ("label-empty.html", "Étiquettes vides"),
    }
    for query, (name, title) in expected.items():
        hit = only_hit(ix, query)
        assert Path(hit["id"]).name == name and hit["title"] == title, query
    stored = {Path(f["id"]).name: f for f in ix.searcher().all_stored_fields()}
    assert "\x00" not in stored["nul-byte.html"]["text"]
    assert "Sucumbíos (UTF-8)" in stored["mixed-encodings.html"]["text"]
    assert "Niños de Pichincha (Latin-1)" in stored["mixed-encodings.html"]["text"]
    assert stored["rtl-emoji.html"]["lang"] == "ar" and "👨\u200d👩\u200d👧\u200d👦" in stored["rtl-emoji.html"]["text"]
    assert ix.search("invisiblecomment")["total"] == 0  # inside an unclosed comment
    assert ix.search("scriptmarker")["total"] == 0


def test_label_lines_read_through_markup_and_survive_having_no_values(crawled):
    stored = {Path(f["id"]).name: f for f in SearchIndex(crawled["index"]).searcher().all_stored_fields()}
    marked = stored["label-markup.html"]
    assert marked["countries"] == ["ec"] and marked["themes"] == ["social-inclusion"]
    assert marked["keywords"] == ["remesas", "retorno"]
    assert marked["text"].startswith("Este estudio de caso") and "evil" not in marked["text"]
    empty = stored["label-empty.html"]
    assert empty["countries"] == [] and empty["themes"] == [] and empty["keywords"] == []
    assert empty["text"] == "Une coopérative de tisserands à Cotacachi."


def test_runaway_words_are_cut_to_a_bounded_term(crawled):
    ix = SearchIndex(crawled["index"])
    reader = ix.searcher().reader()
    for field in ("content_any", "content_en", "content_es", "content_fr"):
        longest = max(len(t) for t in reader.lexicon(field))
        assert longest <= MAX_TOKEN_CHARS, field
    # A query for the long word is cut the same way and still finds its page.
    assert only_hit(ix, "x" * 300)["id"].endswith("long-word.html")


def test_every_hostile_document_is_served(make_client, crawled):
    client = make_client(crawled["index"])
    for q in ("", "niños", "الهجرة", "deepmarker", "x" * 300):
        for path in ("/api/search", "/search"):
            response = client.get(path, query_string={"q": q, "per_page": 100})
            assert response.status_code == 200, (path, q)
    body = client.get("/api/search", query_string={"per_page": 100}).get_json()
    assert body["total"] == crawled["report"]["documents"] == 16


def test_a_20mb_page_read_directly_is_bounded_in_text_and_memory(tmp_path):
    page = tmp_path / "huge.html"
    write_20mb_page(page)
    code = ("import json, sys; from indexer.parse.extract import extract; from indexer.model import Page; "
            "body = open(sys.argv[1], 'rb').read(); "
            "p = extract(Page(url='file:///huge.html', body=body, content_type='text/html')); "
            "json.dump({'chars': sum(len(b.text) for b in p.passages), 'limited': p.limited}, open(sys.argv[2], 'w'))")
    out = tmp_path / "out.json"
    status, rss, err = run_measured([sys.executable, "-c", code, str(page), str(out)])
    assert status == 0, err
    result = json.loads(out.read_text())
    assert 0 < result["chars"] <= limits.MAX_TEXT_CHARS
    assert result["limited"] == [f"read the first {limits.MAX_MARKUP_CHARS} characters",
                                 f"read the first {limits.MAX_ELEMENTS} tags",
                                 f"kept the first {limits.MAX_TEXT_CHARS} characters of text"]
    assert rss < MAX_RSS_MB


def test_links_are_capped_per_page(crawled):
    body = (crawled["site"] / "links-100k.html").read_bytes()
    parsed = extract(Page(url="file:///site/links-100k.html", body=body, content_type="text/html"))
    assert len(parsed.links) == limits.MAX_LINKS
    assert parsed.links[0] == "file:///site/p0.html"


@pytest.mark.timing
def test_a_page_over_its_time_budget_is_skipped_and_the_crawl_goes_on(tmp_path, monkeypatch, crawled):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(crawled["site"] / "links-100k.html", site)
    shutil.copy(HOSTILE / "truncated.html", site)
    # 50,000 tags take 0.15-2 s (by machine), the small page a few milliseconds
    monkeypatch.setattr(limits, "PAGE_SECONDS", 0.03)
    summary = run_crawl([str(site)], tmp_path / "ix")
    assert summary.skipped == [((site / "links-100k.html").as_uri(), "took longer than 0.03 s")]
    assert not summary.errors and summary.documents == 1
    assert index.exists_in(tmp_path / "ix")


@pytest.mark.timing
def test_page_budget_interrupts_a_runaway_loop():
    with pytest.raises(limits.PageTimeout, match="took longer than 0.05 s"):
        with limits.page_budget(0.05):
            while True:
                pass
    with limits.page_budget(5):  # and leaves no alarm behind
        pass


@pytest.mark.parametrize(("body", "declared", "text"), [
    (b"<p>stray\x00NUL</p>", None, "<p>strayNUL</p>"),
    (b"<p>\x1b[2J\x1b]0;owned\x07 title</p>", None, "<p>[2J]0;owned title</p>"),  # no terminal commands
    ("<p>C1 \u009b2J</p>".encode(), None, "<p>C1 2J</p>"),
    ("<p>Cañar</p>".encode(), "iso-8859-1", "<p>Cañar</p>"),  # valid UTF-8 wins over a lying charset
    ("<p>Cañar</p>".encode("latin-1"), "utf-8", "<p>Cañar</p>"),  # and a lying utf-8 falls back
    ("<p>Cañar ".encode() + "Niño</p>".encode("cp1252"), None, "<p>Cañar Niño</p>"),  # mixed
    (b"\xfe\xff" + "<p>Équateur</p>".encode("utf-16-be"), None, "<p>Équateur</p>"),
    ("<p>Привет</p>".encode("koi8-r"), "koi8-r", "<p>Привет</p>"),  # a declared legacy charset is honoured
])
def test_decode(body, declared, text):
    from indexer.parse.decode import decode

    assert decode(body, declared) == text
