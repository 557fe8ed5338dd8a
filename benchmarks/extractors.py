"""Main-text extraction benchmark: m4d-search's extractor against trafilatura (the reference of
published main-text extraction benchmarks), on a real site and on the bundled corpus. Run by hand:

    python -m benchmarks.extractors [--site ../shared/data/sites/owasp-top10] [--head /tmp/head] [--json FILE]

- **Pages.** Every ``index.html`` under ``Top10/`` of the OWASP Top 10 site (mkdocs-material,
  15 languages) that is not a ``<meta http-equiv="refresh">`` redirect stub and that has a
  reference (below): 348 of its 365 real pages, in every language the site has.
- **Reference main text: mkdocs's own search index.** ``Top10/2021/search/search_index.json``
  and ``Top10/2025/search/search_index.json`` are built from the markdown sources, so they hold
  the true main content and nothing of the theme. There is one index per edition and it covers
  every language build: a location such as ``es/A01_2021-Broken_Access_Control/#overview`` is a
  section of ``Top10/2021/es/A01_2021-Broken_Access_Control/index.html`` (locations are
  percent-encoded). A page's reference is the title and the text (tags stripped, entities
  decoded) of all its entries, i.e. of every location with the same part before ``#``. The 17
  real pages the indexes lack (mostly translated ``0x00_2021-introduction`` pages) are left out.
- **Extractors.** ``m4d-search``: ``indexer.parse.extract.extract`` on the page's bytes, the
  main text being its passages joined by newlines. ``m4d-search HEAD``: the same from a clean
  clone of the previous commit (``--head``; run in a subprocess with that clone first on
  ``sys.path``; skipped when the folder is missing). ``trafilatura``:
  ``trafilatura.extract(html, include_comments=False, include_tables=True,
  favor_precision=False)`` and the same with ``favor_recall=True``. Each gets the raw bytes.
- **Figures per page, token level.** Lower-cased ``\\w+`` tokens of the extraction and of the
  reference as bags of words (multisets): precision = overlap / extracted tokens, recall =
  overlap / reference tokens, F1; an empty extraction scores 0. Medians (and means) over pages.
  Caveat: ``\\w+`` does not segment Chinese, Japanese or Korean, where a token is a whole run
  of letters; the en/es/fr median F1 is printed separately for that reason.
- **Boilerplate pages.** Pages whose extraction holds one of the theme's strings that the
  reference does not: "Made with Material for MkDocs" and, read from the page itself (the theme
  translates them), the skip link ("Skip to content"), the search placeholder ("Initializing
  search"), the table of contents' label ("Table of contents") and the language switcher's
  entries ("cs - Česky"). Whitespace is collapsed before matching.
- **Time.** Wall-clock milliseconds per page, median, after one warm-up call.
- **Bundled corpus labels.** The case studies under ``corpus/site/`` carry a label line
  (``<p class="labels">``: "País: … Área temática: … Palabras clave: …", "Pays : … Thématique
  / Domaine thématique : … Mots-Clés / Mots clés : …", "Country: … Thematic area: … Key words:
  …"), and the country page ``index.html`` lists the same eight case studies with theirs
  (``<span class="labels">`` inside each ``<li><a hreflang=…>``). Counted: label lines kept
  whole, and label fields ("Country: Ecuador") kept, as substrings of the extraction
  (whitespace collapsed), out of those present in the HTML; lost fields are listed per page.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT.parent / "shared" / "data" / "sites" / "owasp-top10"
CORPUS = ROOT / "corpus" / "site"
HEAD = Path("/tmp/head")
EDITIONS = ("2021", "2025")
JUDGED = ("en", "es", "fr")
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")
_LABEL = re.compile(r"(?:País|Pays|Country|Área temática|Domaine thématique|Thématique|Thematic area|"
                    r"Palabras clave|Mots[- ]Clés|Mots clés|Key words)\s*:", re.I)
#: Theme strings looked up in each page (translated by the theme), besides the fixed one.
_THEME_XPATH = ("//*[contains(@class, 'md-skip')] | //*[contains(@class, 'md-search-result__meta')]"
                " | //nav[contains(@class, 'md-nav--secondary')]/label | //*[contains(@class, 'md-select__link')]")
_THEME_FIXED = ("Made with Material for MkDocs",)
#: Run in the HEAD clone's folder (so that its ``indexer`` comes first): JSON [[url, path], …]
#: on stdin, JSON [[text, ms], …] on stdout.
_HEAD_SCRIPT = """
import json, sys, time
from pathlib import Path
import indexer
from indexer.model import Page
from indexer.parse.extract import extract
assert indexer.__file__.startswith(sys.argv[1]), indexer.__file__
out = []
jobs = json.load(sys.stdin)
for n, (url, path) in enumerate([jobs[0]] + jobs):
    body = Path(path).read_bytes()
    t0 = time.perf_counter()
    text = "\\n".join(p.text for p in extract(Page(url=url, body=body, content_type="text/html")).passages)
    if n:
        out.append([text, (time.perf_counter() - t0) * 1000])
json.dump(out, sys.stdout)
"""


def squash(text: str) -> str:
    return " ".join(text.split())


def tokens(text: str) -> Counter:
    return Counter(w.lower() for w in _WORD.findall(text))


def scores(extracted: str, reference: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall and F1 of extracted against reference."""
    got, want = tokens(extracted), tokens(reference)
    overlap = sum((got & want).values())
    p = overlap / sum(got.values()) if got else 0.0
    r = overlap / sum(want.values()) if want else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def is_stub(body: bytes) -> bool:
    doc = lxml.html.fromstring(body)
    return bool(doc.xpath("//meta[translate(@http-equiv, 'REFSH', 'refsh')='refresh']"))


def references(top10: Path) -> dict[Path, str]:
    """The reference main text of each page, from the editions' mkdocs search indexes."""
    parts: dict[Path, list[str]] = {}
    for edition in EDITIONS:
        index = json.loads((top10 / edition / "search" / "search_index.json").read_text("utf-8"))
        for doc in index["docs"]:
            page = top10 / edition / unquote(doc["location"].split("#")[0]) / "index.html"
            parts.setdefault(page, []).extend([doc.get("title", ""),
                                               html.unescape(_TAG.sub(" ", doc.get("text", "")))])
    return {page: "\n".join(texts) for page, texts in parts.items()}


def site_pages(top10: Path) -> tuple[list[dict], int]:
    """The real (non-stub) pages with a reference, and how many real pages have none."""
    refs = references(top10)
    pages, unreferenced = [], 0
    for path in sorted(top10.rglob("index.html")):
        body = path.read_bytes()
        if is_stub(body):
            continue
        if path not in refs:
            unreferenced += 1
            continue
        doc = lxml.html.fromstring(body)
        theme = {squash(e.text_content()) for e in doc.xpath(_THEME_XPATH)} | set(_THEME_FIXED)
        rel = path.relative_to(top10.parent).as_posix()
        lang = (doc.getroottree().getroot().get("lang") or "").split("-")[0].lower()
        pages.append({"path": path, "url": f"http://127.0.0.1/{rel}", "body": body, "ref": refs[path],
                      "lang": lang, "theme": sorted(t for t in theme if t)})
    return pages, unreferenced


def corpus_pages(folder: Path) -> list[dict]:
    """The bundled corpus's HTML pages, with their label lines and label fields."""
    pages = []
    for path in sorted(folder.rglob("*.html")):
        body = path.read_bytes()
        doc = lxml.html.fromstring(body)
        lines = [squash(e.text_content()) for e in doc.xpath("//*[contains(concat(' ', @class, ' '), ' labels ')]")]
        lines = [t for t in lines if _LABEL.match(t)]
        fields = []
        for line in lines:
            starts = [m.start() for m in _LABEL.finditer(line)] + [len(line)]
            fields += [line[a:b].strip() for a, b in zip(starts, starts[1:], strict=False)]
        rel = path.relative_to(folder).as_posix()
        pages.append({"path": path, "url": f"http://127.0.0.1/{rel}", "body": body,
                      "lines": lines, "fields": fields})
    return pages


# The extractors: each takes the pages and returns [(text, ms)] in the same order.


def _timed(pages: list[dict], one) -> list[tuple[str, float]]:
    if pages:
        one(pages[0])  # warm-up: imports, caches
    out = []
    for n, page in enumerate(pages, 1):
        t0 = time.perf_counter()
        text = one(page) or ""
        out.append((text, (time.perf_counter() - t0) * 1000))
        if n % 50 == 0 and sys.stderr.isatty():
            print(f"\r  {n}/{len(pages)}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print("\r" + " " * 30 + "\r", end="", file=sys.stderr, flush=True)
    return out


def m4d(pages: list[dict]) -> list[tuple[str, float]]:
    from indexer.model import Page
    from indexer.parse.extract import extract

    return _timed(pages, lambda p: "\n".join(
        x.text for x in extract(Page(url=p["url"], body=p["body"], content_type="text/html")).passages))


def m4d_head(head: Path):
    def run(pages: list[dict]) -> list[tuple[str, float]]:
        jobs = json.dumps([[p["url"], str(p["path"])] for p in pages])
        done = subprocess.run([sys.executable, "-c", _HEAD_SCRIPT, str(head)], input=jobs, cwd=head,
                              capture_output=True, text=True, check=True)
        return [tuple(row) for row in json.loads(done.stdout)]
    return run


def trafilatura_with(**options):
    def run(pages: list[dict]) -> list[tuple[str, float]]:
        import trafilatura

        return _timed(pages, lambda p: trafilatura.extract(p["body"], include_comments=False, include_tables=True,
                                                           **options))
    return run


def extractors(head: Path | None) -> dict:
    out = {"m4d-search": m4d}
    if head is not None and (head / "indexer").is_dir():
        out["m4d-search HEAD"] = m4d_head(head)
    out["trafilatura"] = trafilatura_with(favor_precision=False)
    out["trafilatura recall"] = trafilatura_with(favor_recall=True)
    return out


def site_figures(pages: list[dict], results: list[tuple[str, float]]) -> dict:
    per_page = []
    for page, (text, ms) in zip(pages, results, strict=True):
        p, r, f = scores(text, page["ref"])
        flat, ref = squash(text), squash(page["ref"])
        noise = [t for t in page["theme"] if t in flat and t not in ref]
        per_page.append({"page": page["url"], "lang": page["lang"], "p": p, "r": r, "f1": f, "ms": ms,
                         "empty": not text.strip(), "boilerplate": noise})
    judged = [x["f1"] for x in per_page if x["lang"] in JUDGED]
    return {
        "pages": len(per_page),
        **{f"median_{k}": round(statistics.median(x[k] for x in per_page), 3) for k in ("p", "r", "f1")},
        **{f"mean_{k}": round(statistics.fmean(x[k] for x in per_page), 3) for k in ("p", "r", "f1")},
        "median_f1_en_es_fr": round(statistics.median(judged), 3) if judged else None,
        "boilerplate_pages": sum(bool(x["boilerplate"]) for x in per_page),
        "boilerplate_strings": Counter(s for x in per_page for s in x["boilerplate"]).most_common(12),
        "empty": sum(x["empty"] for x in per_page),
        "median_ms": round(statistics.median(x["ms"] for x in per_page), 2),
        "per_page": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in x.items()} for x in per_page],
    }


def corpus_figures(pages: list[dict], results: list[tuple[str, float]]) -> dict:
    lines = fields = 0
    lost = []
    for page, (text, _) in zip(pages, results, strict=True):
        flat = squash(text)
        lines += sum(line in flat for line in page["lines"])
        kept = [f in flat for f in page["fields"]]
        fields += sum(kept)
        lost += [f"{page['path'].name}: {f}" for f, k in zip(page["fields"], kept, strict=True) if not k]
    return {"label_lines": lines, "label_fields": fields, "lost_fields": lost}


ROW = "{:<19} {:>5} {:>6} {:>6} {:>6} {:>9} {:>11} {:>5} {:>8} {:>14} {:>15}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", type=Path, default=SITE, help="the OWASP Top 10 site folder (default: %(default)s)")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="the bundled corpus's HTML (default: %(default)s)")
    ap.add_argument("--head", type=Path, default=HEAD,
                    help="a clean clone of the previous commit, for its extractor (default: %(default)s)")
    ap.add_argument("--json", type=Path, help="also write the figures (and every page's scores) here")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    print("reading the site and its search indexes…", file=sys.stderr)
    pages, unreferenced = site_pages(args.site / "Top10")
    corpus = corpus_pages(args.corpus)
    total_lines = sum(len(p["lines"]) for p in corpus)
    total_fields = sum(len(p["fields"]) for p in corpus)
    print(f"OWASP Top 10: {len(pages)} pages with a reference ({unreferenced} real pages without one left out), "
          f"{sum(p['lang'] in JUDGED for p in pages)} of them en/es/fr; corpus: {len(corpus)} pages, "
          f"{total_lines} label lines, {total_fields} label fields", file=sys.stderr)
    figures: dict = {}
    for name, run in extractors(args.head).items():
        print(f"{name}…", file=sys.stderr)
        site = site_figures(pages, run(pages))
        figures[name] = {"site": site, "corpus": corpus_figures(corpus, run(corpus))}
    if not (args.head / "indexer").is_dir():
        print(f"(no previous commit's clone at {args.head}: m4d-search HEAD skipped)", file=sys.stderr)
    print(ROW.format("extractor", "pages", "P", "R", "F1", "F1 en/es/fr", "boilerplate", "empty", "ms/page",
                     "corpus lines", "corpus fields"))
    for name, fig in figures.items():
        s, c = fig["site"], fig["corpus"]
        print(ROW.format(name, s["pages"], f"{s['median_p']:.3f}", f"{s['median_r']:.3f}", f"{s['median_f1']:.3f}",
                         f"{s['median_f1_en_es_fr']:.3f}", s["boilerplate_pages"], s["empty"],
                         f"{s['median_ms']:.1f}", f"{c['label_lines']}/{total_lines}",
                         f"{c['label_fields']}/{total_fields}"))
    print("(P, R, F1: medians over pages, bag of \\w+ tokens against mkdocs's search index; means: "
          + "; ".join(f"{n} {f['site']['mean_p']:.3f}/{f['site']['mean_r']:.3f}/{f['site']['mean_f1']:.3f}"
                      for n, f in figures.items()) + ")")
    for name, fig in figures.items():
        if fig["site"]["boilerplate_strings"]:
            print(f"  {name} boilerplate: " + ", ".join(f"{s!r} ×{n}" for s, n in fig["site"]["boilerplate_strings"]))
        if fig["corpus"]["lost_fields"]:
            lost = Counter(f.split(":")[0] for f in fig["corpus"]["lost_fields"])
            print(f"  {name} lost corpus label fields: " + ", ".join(f"{p} {n}" for p, n in sorted(lost.items())))
    if args.json:
        args.json.write_text(json.dumps({"pages": len(pages), "unreferenced": unreferenced,
                                         "corpus_label_lines": total_lines, "corpus_label_fields": total_fields,
                                         "extractors": figures}, indent=2, ensure_ascii=False, default=str) + "\n")
    best = max(figures, key=lambda n: figures[n]["site"]["median_f1"])
    print(f"done: {len(pages)} pages, {len(corpus)} corpus pages, {len(figures)} extractors, best median F1 {best}, "
          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
