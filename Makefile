# The course build. `make` sets up and builds everything; `make test` sets up and tests.
# Set-up is file-based: .venv and node_modules are rebuilt only when their manifests change.

PYTHON_BASE ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
VENV_STAMP  := $(VENV)/.installed
NODE_STAMP  := node_modules/.installed
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup build test readme bump clean

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
	$(PY) -m pytest

readme: setup
	$(PY) -m scripts readme

bump: setup
	$(PY) -m scripts bump $(LESSON) --part $(or $(PART),minor)

clean:
	rm -rf build
