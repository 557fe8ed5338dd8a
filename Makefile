# Every target creates and uses .venv; nothing is installed outside it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INDEX ?= var/index
# The retrieval data (XQuAD, PIAF) for `make bench`.
DATA ?= ../shared/data/retrieval
BENCH_STAMP := $(VENV)/.installed-bench
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

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

run: install
	$(BIN)/m4d-search crawl corpus/site/ --index $(INDEX)
	$(BIN)/m4d-search serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest

bench: $(BENCH_STAMP)
	mkdir -p var
	$(PY) benchmarks/relevance.py --data $(DATA) --json var/relevance.json

lint: install
	$(PY) -m pip install --quiet ruff
	$(BIN)/ruff check indexer webapp tests benchmarks

clean:
	rm -rf var build *.egg-info
