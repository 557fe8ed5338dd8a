"""Languages beyond the declared one: labels read from the text, full language tags, CJK words
as bigrams, right-to-left results. A real crawl of ``tests/data/languages/`` into a real index."""
from __future__ import annotations

import re
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from whoosh import index
from whoosh.query import Phrase, Term

from indexer import write
from indexer.enrich import language
from indexer.enrich.facets import EnrichReport, enrich
from indexer.model import Document
from indexer.parse.extract import primary_lang
from indexer.pipeline import CrawlSummary, run_crawl
from indexer.search.engine import SearchIndex
from indexer.text import taxonomy
from indexer.text.analyzers import analyze, neutral_analyzer, neutral_terms

from .test_write import dump

DATA = Path(__file__).parent / "data" / "languages"

#: Each fixture page → the language its document must end with.
EXPECTED = {
    "english-marked-es.html": "en",  # declared es, written in English
    "english-marked-fr.html": "en",  # declared fr, written in English
    "english-marked-ja.html": "en",  # declared ja, written in English
    "espanol.html": "es",
    "francais.html": "fr",
    "short-fr.html": "fr",  # one English line: too short to overrule its declared fr
    "chinese-hant.html": "zh-Hant",
    "portugues.html": "pt-BR",  # declared "pt-br"
    "arabic.html": "ar",
}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """(summary, index folder) of a crawl of a copy of the fixture pages."""
    pages = tmp_path_factory.mktemp("language-pages") / "site"
    shutil.copytree(DATA, pages)
    index_dir = tmp_path_factory.mktemp("language-index")
    return run_crawl([str(pages)], index_dir), index_dir


@pytest.fixture(scope="module")
def searcher_index(crawled):
    return SearchIndex(crawled[1])


def stored_langs(index_dir) -> dict[str, str]:
    ix = index.open_dir(index_dir)
    try:
        with ix.searcher() as s:
            return {f["url"].rsplit("/", 1)[-1]: f["lang"] for f in s.all_stored_fields()}
    finally:
        ix.close()


# Language by content

def test_every_page_gets_the_language_of_its_text(crawled):
    assert stored_langs(crawled[1]) == EXPECTED


def test_summary_counts_the_labels_changed_by_content(crawled):
    summary = crawled[0]
    assert summary.relabelled == {"es→en": 1, "fr→en": 1, "ja→en": 1}
    assert summary.line().endswith("; 3 language labels changed by content (es→en 1, fr→en 1, ja→en 1)")
    assert summary.as_dict()["relabelled"] == {"es→en": 1, "fr→en": 1, "ja→en": 1}
    assert dict(summary.by_lang) == {"en": 3, "es": 1, "fr": 2, "zh-Hant": 1, "pt-BR": 1, "ar": 1}


def test_a_summary_without_changes_says_nothing_of_them():
    summary = CrawlSummary(documents=2)
    assert "language labels" not in summary.line()
    assert summary.as_dict()["relabelled"] == {}


def test_filtering_spanish_finds_only_the_real_spanish_page(searcher_index):
    body = searcher_index.search("", filters={"lang": ["es"]})
    assert [h["url"].rsplit("/", 1)[-1] for h in body["results"]] == ["espanol.html"]
    english = searcher_index.search("", filters={"lang": ["en"]})
    assert {h["url"].rsplit("/", 1)[-1] for h in english["results"]} == {
        "english-marked-es.html", "english-marked-fr.html", "english-marked-ja.html"}


def test_relabelled_english_is_searched_with_english_stemming(searcher_index):
    # "gardening" → "garden", only in title_en/content_en: the page went to the English fields
    hits = searcher_index.search("gardening")["results"]
    assert [h["url"].rsplit("/", 1)[-1] for h in hits] == ["english-marked-es.html"]


def doc(text: str, lang: str, title: str = "") -> Document:
    return Document(id=f"file:///{lang}", url=f"file:///{lang}", title=title, text=text, lang=lang)


ENGLISH = (DATA / "english-marked-fr.html").read_text("utf-8")
ENGLISH_TEXT = re.sub(r"<[^>]+>", " ", ENGLISH)


def test_enrich_reports_the_changes_and_keeps_what_agrees():
    report = EnrichReport()
    docs = enrich([doc(ENGLISH_TEXT, "es"), doc(ENGLISH_TEXT, "en"), doc(ENGLISH_TEXT, "und"),
                   doc(ENGLISH_TEXT, "zh-TW"), doc("Contact us: opening hours.", "fr")], report)
    assert [d.lang for d in docs] == ["en", "en", "en", "en", "fr"]
    assert report.relabelled == {"es→en": 1, "zh-TW→en": 1}  # "und" is not a declared language


def test_a_text_in_the_declared_language_keeps_it():
    spanish = re.sub(r"<[^>]+>", " ", (DATA / "espanol.html").read_text("utf-8"))
    assert language.by_content(spanish, "es") == "es"
    assert language.by_content(spanish, "es") == "es"
    portuguese = re.sub(r"<[^>]+>", " ", (DATA / "portugues.html").read_text("utf-8"))
    assert language.by_content(portuguese, "pt-BR") == "pt-BR"  # a detector that knows pt


def test_short_texts_keep_their_declared_language():
    line = "Contact us: press office, opening hours and directions for visitors."
    assert sum(c.isalpha() for c in line) < language.MIN_LETTERS
    assert language.by_content(line, "fr") == "fr"
    assert language.by_content(line, "und") == "en"  # without a declared one, the text says


def test_sample_reads_the_beginning_middle_and_end():
    text = " ".join(["start"] * 300 + ["middle"] * 300 + ["end"] * 300)
    part = language.sample(text)
    assert len(part) <= language.SAMPLE_CHARS
    assert {"start", "middle", "end"} <= set(part.split())
    assert all(w in {"start", "middle", "end"} for w in part.split())  # no word cut in half
    assert language.sample("short text") == "short text"


def test_detectors_are_built_for_small_sets_only():
    language._detector.cache_clear()
    language.by_content(ENGLISH_TEXT, "ja")
    language.by_content(ENGLISH_TEXT, "es")
    language.by_content(ENGLISH_TEXT, "tlh")  # a language Lingua does not know
    sets = {frozenset({"en", "es", "fr", "ja"}), frozenset({"en", "es", "fr"})}
    assert language._detector.cache_info().currsize == len(sets)


# Full language tags

@pytest.mark.parametrize(("tag", "kept"), [
    ("zh-Hant", "zh-Hant"), ("zh-hant", "zh-Hant"), ("zh_TW", "zh-TW"), ("ZH-tw", "zh-TW"),
    ("pt-br", "pt-BR"), ("zh-Hant-TW", "zh-Hant-TW"), ("ar", "ar"), ("es-419", "es"),
    ("en-US", "en"), ("EN-gb", "en"), ("fr-CA", "fr"), ("es_EC", "es"), ("de-CH-1996", "de-CH"),
    ("x-private", None), ("", None), (None, None),
])
def test_language_tags_keep_script_and_region_except_en_es_fr(tag, kept):
    assert primary_lang(tag) == kept


@pytest.mark.parametrize("typed", ["zh-Hant", "zh-hant", "ZH_HANT"])
def test_filtering_by_a_full_tag(searcher_index, typed):
    body = searcher_index.search("", filters={"lang": [typed]})
    assert [h["lang"] for h in body["results"]] == ["zh-Hant"]


def test_full_tags_are_facet_values_with_names(searcher_index):
    labels = {f["value"]: f["label"] for f in searcher_index.search("", ui="es")["facets"]["lang"]}
    assert labels["zh-Hant"] == "Chino tradicional"
    assert labels["pt-BR"] == "Portugués de Brasil"
    assert taxonomy.language_label("zh-Hant") == "Traditional Chinese"
    assert taxonomy.language_label("zh-TW", "fr") == "Chinois (Taïwan)"
    assert taxonomy.is_language("zh-Hant") and taxonomy.is_language("pt-BR")
    assert not taxonomy.is_language("zh-Qqqq") and not taxonomy.is_language("zh-hant")
    assert [taxonomy.language_tag(v) for v in ("zh-hant", "PT-br", "en-us", "x-y")] == ["zh-Hant", "pt-BR", "en", None]


# CJK words

def test_cjk_runs_are_indexed_as_overlapping_bigrams():
    analyzer = neutral_analyzer()
    assert analyze(analyzer, "SQLインジェクションとは") == [
        "sql", "イン", "ンジ", "ジェ", "ェク", "クシ", "ショ", "ョン", "ンと", "とは"]
    assert analyze(analyzer, "中 台北市 한국어") == ["中", "台北", "北市", "한국", "국어"]
    assert analyze(analyzer, "L'été à Paris: 230.000") == ["l", "ete", "a", "paris", "230.000"]
    tokens = [(t.text, t.pos, t.startchar, t.endchar)
              for t in analyzer("ab台北市", positions=True, chars=True)]
    assert tokens == [("ab", 0, 0, 2), ("台北", 1, 2, 4), ("北市", 2, 3, 5)]


def test_the_fast_writer_indexes_bigrams_as_whoosh_does(tmp_path, crawled):
    ix = index.open_dir(crawled[1])
    try:
        with ix.searcher() as s:
            docs = [Document(id=f["id"], url=f["url"], title=f["title"], text=f["text"], lang=f["lang"])
                    for f in s.all_stored_fields()]
    finally:
        ix.close()
    write.write_documents_plain(tmp_path / "plain", docs, [], rebuild=True)
    write.write_documents(tmp_path / "fast", docs, [], rebuild=True, procs=1)
    plain, fast = dump(tmp_path / "plain"), dump(tmp_path / "fast")
    assert ("content_any", "ジェ".encode()) in plain["terms"]
    assert fast == plain


def test_a_cjk_word_matches_by_its_bigrams(crawled, searcher_index):
    ix = index.open_dir(crawled[1])
    try:
        with ix.searcher() as s:
            def urls(q):
                return sorted(s.stored_fields(n)["url"].rsplit("/", 1)[-1] for n in s.docs_for_query(q))

            # inside a longer run ("…はSQLインジェクションと呼ば…"): no word of its own, its bigrams in a row
            assert urls(Phrase("content_any", neutral_terms("インジェクション"), slop=1)) == ["chinese-hant.html"]
            assert urls(Term("content_any", "インジェクション")) == []  # not one term
            # one of its bigrams is there ("イン"), the others are not
            assert urls(Phrase("content_any", neutral_terms("インターネット"), slop=1)) == []
    finally:
        ix.close()
    # through the engine: a quoted word is analyzed by each field's analyzer
    hits = searcher_index.search('"インジェクション"')["results"]
    assert [h["lang"] for h in hits] == ["zh-Hant"]
    # typed plainly, the word is the phrase of its bigrams, never a typo to correct
    body = searcher_index.search("インジェクション")
    assert [h["lang"] for h in body["results"]] == ["zh-Hant"] and body["suggestion"] is None
    assert searcher_index.search("インターネット")["total"] == 0
    assert [h["lang"] for h in searcher_index.search("注入")["results"]] == ["zh-Hant"]
    assert searcher_index.search('"網站安全"')["total"] == 1


# Right to left

def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def hit_html(page: str, title: str) -> str:
    start = page.index(title)
    start = page.rindex('<li class="hit">', 0, start)
    return page[start:page.index("</li>", start)]


def test_right_to_left_results_are_marked_rtl(live_server, crawled):
    base = live_server(crawled[1])
    page = get(f"{base}/search?q={urllib.parse.quote('مكتبة')}")
    hit = hit_html(page, "</mark> متنقلة في القرى")  # the title, the word searched highlighted
    assert re.search(r'<a href="[^"]*arabic\.html" lang="ar" dir="rtl">', hit)
    assert '<p class="snippet" lang="ar" dir="rtl">' in hit
    everything = get(f"{base}/search?q=&ui=en")
    chinese = hit_html(everything, "網站安全")
    assert "dir=" not in chinese and 'lang="zh-Hant">' in chinese  # the page's own direction
    assert '<span aria-hidden="true">ZH-Hant</span>' in chinese
    assert "Traditional Chinese" in chinese
    english = hit_html(everything, "Night buses for hospital workers")
    assert "dir=" not in english and 'lang="en">' in english


# A page in a non-Latin script that quotes English stays in its language

ENGLISH = ("An attacker sends crafted input to the parser, which builds the query from it. "
           "Use parameterized queries, validate input on the server and grant the least privilege. ")
CODE = 'String query = "SELECT * FROM accounts WHERE custID=\'" + request.getParameter("id") + "\'"; '


def test_a_japanese_page_quoting_english_code_stays_japanese():
    # Half its words Japanese (its headings and explanations), half English code and references:
    # a sample of it may read as English, its words say Japanese.
    japanese = "インジェクションは、信頼できないデータがインタプリタに送られるときに発生します。"
    text = "\n".join([japanese, CODE * 3, ENGLISH, japanese, CODE * 2, japanese])
    assert language.own_script_share(text) >= language.OWN_SCRIPT_SHARE
    assert language.by_content(text, "ja") == "ja"
    # the same page with its Japanese gone is an untranslated copy: English
    assert language.by_content("\n".join([CODE * 3, ENGLISH * 4]), "ja") == "en"


def test_a_few_words_of_another_script_do_not_keep_a_mislabel():
    text = ENGLISH * 5 + " 注入 " + ENGLISH
    assert language.own_script_share(text) < language.OWN_SCRIPT_SHARE
    assert language.by_content(text, "zh-Hant") == "en"
