# The course build. `make` sets up and builds everything; `make test` sets up and tests.
# Set-up is file-based: .venv and node_modules are rebuilt only when their manifests change.
# `make help` lists the targets (from the `##` comments below).

PYTHON_BASE ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
COURSE      := $(VENV)/bin/course
VENV_STAMP  := $(VENV)/.installed
NODE_STAMP  := node_modules/.installed
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
PORT        ?= 8000

.PHONY: all help setup build test lint run new adopt watch readme bump preview site stop bench clean

all: build

help: ## list the targets
	@echo "make [target] [VAR=value]   (the default target is build)"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV_STAMP) $(NODE_STAMP) ## .venv with the pinned Python packages, reveal.js and fonts from npm

$(VENV_STAMP): pyproject.toml
	@$(PYTHON_BASE) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) else "$(PYTHON_BASE) is Python %d.%d; the course needs 3.11, 3.12 or 3.13: make PYTHON_BASE=/path/to/python3.12" % v)'
	@echo "set-up 1/4: creating $(VENV) with $$($(PYTHON_BASE) --version)"
	@$(PYTHON_BASE) -m venv $(VENV)
	@echo "set-up 2/4: upgrading pip"
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "set-up 3/4: installing the pinned packages of pyproject.toml (torch is the big one: a minute or two)"
	@# The build's pins and the dev group's (pytest, ruff), both from pyproject.toml.
	@$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb')); print(*p['project']['dependencies'], *p['dependency-groups']['dev'], sep='\n')" > $(VENV)/requirements.txt
	@$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	@# The tool itself, editable: `course` runs scripts/ as it is in this checkout.
	@$(PY) -m pip install --quiet --no-deps --editable .
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@echo "set-up 4/4: installing reveal.js and the fonts from npm (package-lock.json)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build: setup ## build every lesson: decks, handouts, notebooks, build/index.html (JOBS=N)
	$(COURSE) build --jobs $(JOBS)

test: setup ## the lesson checker, then the test suite
	$(COURSE) lint
	$(PY) -m pytest

lint: setup ## ruff and the lesson checker over sources/
	$(COURSE) lint

run: setup ## run one lesson as a plain script, guarded as in the build: make run LESSON=02
	$(if $(LESSON),,$(error LESSON is missing; write make run LESSON=NN, e.g. make run LESSON=02))
	$(COURSE) run $(LESSON)

new: setup ## start the next lesson: make new TITLE="Loss Functions"
	$(COURSE) new "$(TITLE)"

adopt: setup ## make notebooks the next lessons: make adopt NOTEBOOK=~/old/linreg.ipynb [TITLE=...]
	$(if $(NOTEBOOK),,$(error NOTEBOOK is missing; write make adopt NOTEBOOK=path/to/notebook.ipynb))
	$(COURSE) adopt $(NOTEBOOK) $(if $(TITLE),--title "$(TITLE)")

watch: setup ## serve build/ on 127.0.0.1 (PORT=8000); a saved lesson is rebuilt and its page reloads
	$(COURSE) watch --port $(PORT) --host 127.0.0.1

readme: setup ## regenerate the README's lesson table
	$(COURSE) readme

preview: build ## contact sheets of every slide and the first handout pages (needs chromium, poppler)
	$(COURSE) preview

bump: setup ## raise a lesson's version: make bump LESSON=02 [PART=major] [CHANGES="what changed"]
	$(if $(LESSON),,$(error LESSON is missing; write make bump LESSON=NN, e.g. make bump LESSON=02))
	@# The note as typed: `value` keeps make from expanding a `$` in it (math, prices), and
	@# single quotes (each ' in it written '\'') keep the shell from doing so.
	$(COURSE) bump $(LESSON) --part $(or $(PART),minor) $(if $(value CHANGES),--changes '$(subst ','\'',$(value CHANGES))')

site: build ## the course as a static web site in build/site/ (README, "Publishing")
	$(COURSE) site

stop: setup ## stop the build process kept warm between builds (it stops by itself when idle)
	$(COURSE) stop

bench: setup ## time the build against plain scripts and the by-hand route
	$(COURSE) bench

clean: ## remove build/ (legacy/ is kept: it is the archive)
	rm -rf build
