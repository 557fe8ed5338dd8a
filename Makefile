# Every target creates and uses .venv; nothing is installed outside it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INDEX ?= var/index
# The retrieval data (XQuAD, PIAF) for the benchmarks (`make bench`).
DATA ?= ../shared/data/retrieval
BENCH_STAMP := $(VENV)/.installed-bench
# The test-only JavaScript tools (axe-core, injected by the browser tests), from package.json.
NODE_STAMP := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install node-install run test bench bench-relevance bench-speed lint clean messages screenshot

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(NODE_STAMP): package.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for the browser tests' axe-core (apt-get install npm)" >&2; exit 1; }
	npm install --no-audit --no-fund
	touch $(NODE_STAMP)

node-install: $(NODE_STAMP)

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

run: install
	$(BIN)/m4d-search crawl corpus/site/ --index $(INDEX)
	$(BIN)/m4d-search serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install $(NODE_STAMP)
	$(PY) -m pytest

# Benchmarks (by hand; need the retrieval data, and Debian's wrk for the HTTP part).
# make bench-speed BENCH_DOCS=10000 builds var/corpus-10000 once, then runs the speed benchmarks;
# make bench runs the relevance benchmark and those.
BENCH_DOCS ?= 10000
BENCH_CORPUS := var/corpus-$(BENCH_DOCS)
$(BENCH_CORPUS)/corpus.json: | $(BENCH_STAMP)
	$(PY) -m benchmarks.make_corpus --data $(DATA) --docs $(BENCH_DOCS) --out $(BENCH_CORPUS)

bench: bench-relevance bench-speed

bench-relevance: $(BENCH_STAMP)
	mkdir -p var
	$(PY) -m benchmarks.relevance --data $(DATA) --json var/relevance.json

bench-speed: $(BENCH_STAMP) $(BENCH_CORPUS)/corpus.json
	$(PY) -m benchmarks.index_bench --corpus $(BENCH_CORPUS) --json var/index-bench-$(BENCH_DOCS).json
	$(PY) -m benchmarks.query_bench --corpus $(BENCH_CORPUS) --work var/query-bench-$(BENCH_DOCS) \
		--json var/query-bench-$(BENCH_DOCS).json

lint: install
	$(PY) -m pip install --quiet ruff
	$(BIN)/ruff check indexer webapp tests benchmarks

# Refresh the UI's message catalogues after changing interface text; then translate the new
# entries of webapp/translations/{es,fr}/LC_MESSAGES/messages.po. The .mo files are compiled
# by the app when it starts (webapp/i18n.py), so they are never committed.
messages: install
	$(BIN)/pybabel extract -F webapp/babel.cfg -o webapp/translations/messages.pot --no-location \
		--sort-output --project m4d-search --copyright-holder m4d-search --msgid-bugs-address "" .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations -w 100 \
		--ignore-obsolete --no-fuzzy-matching --ignore-pot-creation-date

# The README's screenshot: the browser test's desktop capture of the bundled corpus.
screenshot: install
	$(PY) -m pytest -q tests/test_browser.py -k desktop_screenshot
	mkdir -p docs && cp tests/artifacts/search-desktop.png docs/screenshot.png

clean:
	rm -rf var build *.egg-info node_modules
