# Every target creates and uses .venv; nothing is installed outside it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INDEX ?= var/index
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/m4d-search crawl corpus/site/ --index $(INDEX)
	$(BIN)/m4d-search serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest

# Benchmarks (by hand; need the retrieval data, and Debian's wrk for the HTTP part).
# make bench BENCH_DOCS=10000 builds var/corpus-10000 once, then runs both benchmarks.
BENCH_DOCS ?= 10000
BENCH_DATA ?= ../shared/data/retrieval
BENCH_CORPUS := var/corpus-$(BENCH_DOCS)
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

$(BENCH_CORPUS)/corpus.json: | $(BENCH_STAMP)
	$(PY) benchmarks/make_corpus.py --data $(BENCH_DATA) --docs $(BENCH_DOCS) --out $(BENCH_CORPUS)

bench: $(BENCH_STAMP) $(BENCH_CORPUS)/corpus.json
	$(PY) benchmarks/index_bench.py --corpus $(BENCH_CORPUS) --json var/index-bench-$(BENCH_DOCS).json
	$(PY) benchmarks/query_bench.py --corpus $(BENCH_CORPUS) --work var/query-bench-$(BENCH_DOCS) \
		--json var/query-bench-$(BENCH_DOCS).json

lint: install
	$(PY) -m pip install --quiet ruff
	$(BIN)/ruff check indexer webapp tests benchmarks

clean:
	rm -rf var build *.egg-info
