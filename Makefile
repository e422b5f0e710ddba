# The course build. `make` sets up and builds everything; `make test` sets up and tests.
# Set-up is file-based: .venv and node_modules are rebuilt only when their manifests change.

PYTHON_BASE ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
VENV_STAMP  := $(VENV)/.installed
NODE_STAMP  := node_modules/.installed
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
PORT        ?= 8000

.PHONY: all setup build test lint new watch readme bump preview bench clean

all: build

setup: $(VENV_STAMP) $(NODE_STAMP)

$(VENV_STAMP): pyproject.toml
	$(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The pins live in pyproject.toml; the project itself is not installed, only run in place.
	$(PY) -c "import tomllib; print(*tomllib.load(open('pyproject.toml','rb'))['project']['dependencies'], sep='\n')" > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

build: setup
	$(PY) -m scripts build --jobs $(JOBS)

test: setup
	$(PY) -m scripts lint
	$(PY) -m pytest

lint: setup
	$(PY) -m scripts lint

# make new TITLE="Loss Functions" → sources/NN_loss_functions.py, ready to edit
new: setup
	$(PY) -m scripts new "$(TITLE)"

# Serve build/ on 127.0.0.1:$(PORT); each saved lesson is rebuilt and its page reloads
watch: setup
	$(PY) -m scripts watch --port $(PORT) --host 127.0.0.1

readme: setup
	$(PY) -m scripts readme

# build/NN_slug/preview*.png: every slide and the first handout pages, shown on build/index.html
preview: build
	$(PY) -m scripts preview

bump: setup
	$(PY) -m scripts bump $(LESSON) --part $(or $(PART),minor)

bench: setup
	$(PY) -m scripts bench

clean:
	rm -rf build
