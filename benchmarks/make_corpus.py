"""Write a scale corpus: N HTML pages in en/es/fr shaped like the real site.

Each page has its language's label line (country, thematic area, keywords), a title, two or
three paragraphs of real text, links to other pages and ``hreflang`` alternates between the
versions of one work. Text comes from the public retrieval data (XQuAD en/es, which are
parallel, and PIAF fr), recombined with a seeded RNG, so a run is reproducible:

    python -m benchmarks.make_corpus --data ../shared/data/retrieval --docs 10000 --out var/corpus-10k
"""
from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import time
from pathlib import Path

from babel import Locale

from indexer.text import taxonomy

LABELS = {
    "es": ("País", "Área temática", "Palabras clave"),
    "fr": ("Pays\u00a0", "Thématique\u00a0", "Mots-Clés\u00a0"),
    "en": ("Country", "Thematic area", "Key words"),
}
COUNTRIES = ["ec", "co", "pe", "bo", "mx", "gt", "sv", "hn", "ma", "sn", "ml", "ci", "cm", "ph", "np",
             "lk", "md", "ge", "am", "tn", "eg", "jo", "lb", "ke", "ng"]
HUB_SIZE = 500


def load_paragraphs(data: Path) -> dict[str, list[str]]:
    """Return paragraphs per language; en and es are aligned (XQuAD is parallel)."""
    def contexts(path: Path) -> list[str]:
        doc = json.loads(path.read_text("utf-8"))
        return [p["context"].strip() for article in doc["data"] for p in article["paragraphs"]]

    return {"en": contexts(data / "xquad" / "xquad.en.json"),
            "es": contexts(data / "xquad" / "xquad.es.json"),
            "fr": contexts(data / "piaf" / "piaf-v1.0.json")}


def keywords(text: str, rng: random.Random) -> list[str]:
    words = sorted({w for w in re.findall(r"[^\W\d_]{7,}", text.lower())})
    return rng.sample(words, min(len(words), rng.randint(2, 4)))


def title_of(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= 80 else sentence[:80].rsplit(" ", 1)[0] + "…"


def page(lang: str, title: str, labels: str, paragraphs: list[str], alternates: dict[str, str],
         links: list[str]) -> str:
    e = html.escape
    alt = "".join(f'<link rel="alternate" hreflang="{lg}" href="{href}">\n' for lg, href in alternates.items())
    body = "".join(f"<p>{e(p)}</p>\n" for p in paragraphs)
    nav = "".join(f'<li><a href="{href}">{e(text)}</a></li>\n' for href, text in links)
    return (f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{e(title)}</title>\n'
            f"{alt}</head>\n<body>\n<main>\n<article>\n<h1>{e(title)}</h1>\n<p class=\"labels\">{e(labels)}</p>\n"
            f"{body}</article>\n</main>\n<aside><ul>\n{nav}</ul></aside>\n</body>\n</html>\n")


def plan(docs: int, rng: random.Random) -> list[list[str]]:
    """Split N pages into works of 1–3 language versions."""
    works, left = [], docs
    while left > 0:
        size = min(left, rng.choice([1, 2, 3, 3]))
        works.append(rng.sample(["en", "es", "fr"], size))
        left -= size
    return works


def build(data: Path, docs: int, out: Path, seed: int = 1) -> dict:
    rng = random.Random(seed)
    paras = load_paragraphs(data)
    themes = list(taxonomy.taxonomy()["themes"])
    names = {lg: Locale.parse(lg).territories for lg in LABELS}
    works = plan(docs, rng)
    pages_dir = out / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    files = [f"{w:06d}-{lang}.html" for w, langs in enumerate(works) for lang in langs]
    started, written, text_bytes = time.monotonic(), 0, 0
    for w, langs in enumerate(works):
        country, theme = rng.choice(COUNTRIES), rng.choice(themes)
        aligned = rng.sample(range(len(paras["en"])), rng.randint(2, 3))
        alternates = {lg: f"{w:06d}-{lg}.html" for lg in langs} if len(langs) > 1 else {}
        for lang in langs:
            if lang in ("en", "es"):
                chosen = [paras[lang][i] for i in aligned]
            else:
                chosen = rng.sample(paras["fr"], len(aligned))
            kws = keywords(" ".join(chosen), rng)
            l_country, l_theme, l_kw = LABELS[lang]
            labels = (f"{l_country}: {names[lang][country.upper()]} {l_theme}: {taxonomy.theme_label(theme, lang)} "
                      f"{l_kw}: {', '.join(kws)}")
            links = [(rng.choice(files), "→") for _ in range(3)]
            title = title_of(chosen[0])
            markup = page(lang, title, labels, chosen, alternates, links)
            (pages_dir / f"{w:06d}-{lang}.html").write_text(markup, "utf-8")
            written += 1
            text_bytes += sum(len(p.encode()) for p in chosen)
            if written % 1000 == 0 or written == docs:
                print(f"\rwrote {written}/{docs} pages", end="", file=sys.stderr, flush=True)
    hubs = [files[i:i + HUB_SIZE] for i in range(0, len(files), HUB_SIZE)]
    for n, hub in enumerate(hubs):
        items = "".join(f'<li><a href="pages/{f}">{f}</a></li>\n' for f in hub)
        (out / f"hub-{n:04d}.html").write_text(
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hub {n}</title></head>'
            f"<body><nav><ul>\n{items}</ul></nav></body></html>\n", "utf-8")
    index = "".join(f'<li><a href="hub-{n:04d}.html">Hub {n}</a></li>\n' for n in range(len(hubs)))
    (out / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Scale corpus</title></head>'
        f"<body><nav><ul>\n{index}</ul></nav></body></html>\n", "utf-8")
    manifest = {"docs": written, "works": len(works), "seed": seed, "text_bytes": text_bytes,
                "seconds": round(time.monotonic() - started, 1)}
    (out / "corpus.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    print(f"\nwrote {written} pages ({len(works)} works, {text_bytes / 1e6:.1f} MB of text) to {out} "
          f"in {manifest['seconds']} s", file=sys.stderr)
    return manifest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the retrieval data folder (xquad/, piaf/)")
    parser.add_argument("--docs", type=int, required=True, help="number of pages")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.docs < 1:
        parser.error("--docs must be at least 1")
    build(args.data, args.docs, args.out, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
