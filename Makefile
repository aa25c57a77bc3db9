# Due Regard. The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The venv is rebuilt when the dependency list changes.
INSTALLED := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)

.PHONY: help setup run test test-fast lint bench check-definitions guide-screenshots clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

setup: $(INSTALLED) ## Create the venv and install the project

run: setup ## Migrate, seed the demo data and serve at http://127.0.0.1:$(PORT)
	$(BIN)/eia db upgrade
	$(BIN)/eia seed-demo
	@echo "Serving Due Regard at http://127.0.0.1:$(PORT) (Ctrl+C to stop)"
	$(BIN)/gunicorn --config gunicorn.conf.py --bind 127.0.0.1:$(PORT) 'eia:create_app()'

test: setup ## Run every test, all but the browser's on every core (browser tests need Debian's chromium: installed here when missing and root)
	bash scripts/ensure-test-tools.sh
	$(BIN)/python -m pytest -n auto --ignore=tests/browser
	$(BIN)/python -m pytest tests/browser

test-fast: setup ## Domain, services and web on SQLite, without the browser: the quick answer while working
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -n auto -q --ignore=tests/browser

lint: setup ## ruff (rules and formatting) and a strict type check of eia/domain
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

guide-screenshots: setup ## Run the browser tests and copy their guide-* screenshots to docs/images (the guides' figures)
	bash scripts/ensure-test-tools.sh
	rm -rf test-artifacts/screenshots
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser
	rm -f docs/images/*.png
	cp test-artifacts/screenshots/guide-*.png docs/images/
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_docs.py

check-definitions: setup ## Validate the definitions in workflows/
	$(BIN)/eia definitions check

bench: setup ## Run the benchmarks (ratios against bare baselines measured in the same run; installs wrk when missing and root)
	bash scripts/ensure-test-tools.sh bench
	$(BIN)/python -m bench

clean: ## Remove the venv (instance/ data is kept)
	rm -rf $(VENV)
