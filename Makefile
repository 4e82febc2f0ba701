# The README's commands. Everything installs into .venv/ and node_modules/ from the lock files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/shequ/web/static/vendor
PYTEST_ARGS ?=

.PHONY: demo serve test test-fast lint bench lock assets clean messages

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e . || $(BIN)/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.built: node_modules/.installed scripts/build-assets.mjs
	npm run --silent build
	touch $@

assets: $(VENDOR)/.built

src/shequ/locale/%/LC_MESSAGES/django.mo: src/shequ/locale/%/LC_MESSAGES/django.po $(BIN)/.installed
	$(BIN)/python -m shequ.tools.compilemessages

setup: $(BIN)/.installed assets src/shequ/locale/en/LC_MESSAGES/django.mo src/shequ/locale/zh_Hans/LC_MESSAGES/django.mo

demo: setup
	$(BIN)/shequ demo

serve: setup
	$(BIN)/shequ serve

test: setup
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

# Regenerate the Python lock file after editing pyproject.toml (needs network access to PyPI).
lock:
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

messages: $(BIN)/.installed
	cd src/shequ && SHEQU_VAR_DIR=../../var ../../$(BIN)/shequ manage makemessages -l zh_Hans -l en --no-obsolete --ignore=var

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
