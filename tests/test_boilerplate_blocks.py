"""Boilerplate by repetition: the lines a site repeats on most of its pages (a disclaimer, a
sidebar, in plain ``<div>``s) are not indexed, its unique content is. The fixture site
(tests/data/repeated/) is crawled for real; the rules' edges are checked on documents."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.enrich.boilerplate import strip_repeated
from indexer.model import Document
from indexer.pipeline import run_crawl
from indexer.search.engine import SearchIndex

REPEATED = Path(__file__).resolve().parent / "data" / "repeated"
FOOTER = "All drawings of the orchard society are made by volunteers; the trandewick committee answers no letters."
SIDEBAR = ["Opening hours of the reading room", "Ask the librarian about the pellimore archive"]


@pytest.fixture(scope="module")
def repeated_index(tmp_path_factory) -> SearchIndex:
    tmp = tmp_path_factory.mktemp("repeated")
    shutil.copytree(REPEATED, tmp / "repeated")
    summary = run_crawl([str(tmp / "repeated")], tmp / "ix", procs=1)
    assert summary.documents == 6 and not summary.errors
    return SearchIndex(tmp / "ix")


@pytest.mark.parametrize("query", ["trandewick", "pellimore", "librarian", '"reading room"'])
def test_words_of_repeated_blocks_only_find_nothing(repeated_index, query):
    assert repeated_index.search(query)["total"] == 0


@pytest.mark.parametrize(("query", "doc_id"), [
    ("gorsemantle", "repeated/index.html"), ("quillbrook", "repeated/pruning.html"),
    ("marrowfen", "repeated/grafting.html"), ("tallowick", "repeated/cider.html"),
    ("hollyvane", "repeated/bees.html"), ("brisketwood", "repeated/frost.html"),
])
def test_unique_content_is_still_found(repeated_index, query, doc_id):
    assert [r["id"] for r in repeated_index.search(query)["results"]] == [doc_id]


def test_titles_and_lines_shared_by_a_few_pages_stay(repeated_index):
    # The title "The orchard society" stays; "orchard" was also in the footer.
    assert [r["id"] for r in repeated_index.search("orchard")["results"]][:1] == ["repeated/index.html"]
    # A sentence on two pages of six is content, not boilerplate.
    assert {r["id"] for r in repeated_index.search("saturday")["results"]} == {
        "repeated/pruning.html", "repeated/grafting.html"}


def page(doc_id: str, *lines: str, **fields) -> Document:
    return Document(id=doc_id, url=doc_id, title=doc_id, text="\n".join(lines), lang="en", **fields)


def test_repeated_lines_are_removed_and_counted():
    docs = [page(f"https://example.org/{i}", f"unique line {i}", *SIDEBAR, FOOTER) for i in range(6)]
    assert strip_repeated(docs) == 18
    assert [d.text for d in docs] == [f"unique line {i}" for i in range(6)]


def test_a_line_on_fewer_than_half_of_the_pages_stays():
    docs = [page(f"https://example.org/{i}", f"unique line {i}", *([FOOTER] if i < 3 else [])) for i in range(7)]
    assert strip_repeated(docs) == 0


def test_small_sites_other_sites_and_listing_items_are_left_alone():
    small = [page(f"https://small.example/{i}", f"unique {i}", FOOTER) for i in range(4)]
    mixed = [page(f"https://a.example/{i}", f"unique {i}", FOOTER) for i in range(3)] + \
            [page(f"https://b.example/{i}", f"unique {i}", FOOTER) for i in range(3)]
    items = [page(f"https://c.example/p#{i}", f"unique {i}", FOOTER, listing="https://c.example/p#0")
             for i in range(6)]
    assert strip_repeated(small + mixed + items) == 0
    assert all(FOOTER in d.text for d in small + mixed + items)


def test_field_lines_and_whole_repeated_pages_are_kept():
    fields = ["País: Ecuador", "Área temática: Migración y desarrollo", "Palabras clave: remesas, diáspora"]
    docs = [page(f"site/{i}.html", f"unique {i}", *fields, FOOTER) for i in range(5)]
    docs.append(page("site/empty.html", FOOTER))
    assert strip_repeated(docs) == 5
    assert docs[0].text == "\n".join(["unique 0", *fields])
    assert docs[5].text == FOOTER  # every line repeated: the page is kept as it was


def test_ten_thousand_pages_are_quick():
    import time

    docs = [page(f"https://big.example/{i}", f"unique line {i}", *SIDEBAR, f"section {i % 7}", FOOTER)
            for i in range(10_000)]
    started = time.perf_counter()
    assert strip_repeated(docs) == 30_000
    assert time.perf_counter() - started < 2
