# Two commands set everything up on a fresh machine: `make up` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test bench proto install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Generated code is built here, never committed (see .gitignore).
proto: $(STAMP)
	$(BIN)/python -m yinling.protogen

up: proto
	$(BIN)/yinling up

test: proto
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: proto
	$(BIN)/python -m tools.bench

clean:
	rm -rf $(VENV) yinling/v1 var build *.egg-info
