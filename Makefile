# Portway: `make run` serves the app locally, `make test` runs every test.
# Both install what is missing first; slow downloads are cached under .cache/ (ignored).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha1sum | cut -c1-12)
STAMP := $(VENV)/.installed-$(REQS_HASH)
DDB_JAR := .cache/dynamodb-local/DynamoDBLocal.jar
# npm packages the tests use (openapi-typescript, tsc): reinstalled when the lockfile changes.
NODE_STAMP := node_modules/.installed-$(shell sha1sum package-lock.json | cut -c1-12)
PYTEST_ARGS ?=
# Tests run in one process per core (pytest-xdist); a module stays in one process, since
# moto's tables live per module. Each process has its own DynamoDB Local.
PYTEST_WORKERS ?= auto
# The console (static_pages/console/), built by esbuild when its sources change.
CONSOLE := static_pages/console/index.html
CONSOLE_SOURCES := $(wildcard console/*.mjs console/*.html console/src/*.js console/src/*.css console/src/*/*.js)
# The hosted pages' map (static_pages/map/): MapLibre GL and PMTiles bundled by esbuild, and a
# base map from Natural Earth (world-atlas), built when a source or the lockfile changes.
MAP := static_pages/map/manifest.json
MAP_SOURCES := $(wildcard console/map.mjs console/map/*.js console/map/*.mjs console/map/*.css)

.PHONY: run test lint typecheck bench venv dynamodb-local infra clean console map

run: $(STAMP) $(DDB_JAR) $(NODE_STAMP) $(CONSOLE) $(MAP) i18n-compile
	node console/pages.mjs  # the pages' scripts, minified (committed; see console/pages.mjs)
	$(BIN)/portway local run

test: $(STAMP) $(DDB_JAR) $(NODE_STAMP) $(CONSOLE) $(MAP) i18n-compile lint typecheck
	$(BIN)/portway infra render --check
	node console/pages.mjs --check  # the pages' minified scripts are up to date
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # the architecture contracts in pyproject.toml
	node_modules/.bin/eslint console chalicelib/templates/pages  # the console's and the pages' JavaScript

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP) $(DDB_JAR) $(CONSOLE) $(MAP)
	$(BIN)/python -m portway_ops.bench

infra: $(STAMP)
	$(BIN)/portway infra render

venv: $(STAMP)

dynamodb-local: $(DDB_JAR)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip<26.3"  # chalice 1.34 wants pip below 26.3
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e . --config-settings editable_mode=compat
	@rm -f $(VENV)/.installed-*
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@rm -f node_modules/.installed-*
	@touch $@

console: $(CONSOLE)

$(CONSOLE): $(NODE_STAMP) $(CONSOLE_SOURCES)
	node console/build.mjs

map: $(MAP)

$(MAP): $(NODE_STAMP) $(MAP_SOURCES)
	node console/map.mjs

$(DDB_JAR): | $(STAMP)
	$(BIN)/python -m portway_ops.dynamodb_local

clean:
	rm -rf $(VENV) node_modules static_pages .pytest_cache .mypy_cache .ruff_cache

# Translations: extract strings from templates, merge them into each language, compile.
TRANSLATIONS := chalicelib/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

.PHONY: i18n-extract i18n-update i18n-compile

i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o $(TRANSLATIONS)/messages.pot --no-location --sort-output .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

i18n-compile: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) -l $*
