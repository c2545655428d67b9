# Two commands set everything up on a fresh machine: `make up` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test lint bench proto install clean chromium

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

# The open-data page is tested in Debian's headless Chromium, with a CJK font so the
# screenshots are legible. Installed only when missing, and only as root (CI and the
# project's machines are root); anyone else is told the command.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
chromium:
	@if [ -x $(CHROMIUM) ] && [ -f $(CJK_FONT) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei; \
	else \
	  echo "The browser tests need $(CHROMIUM) and a CJK font: sudo apt-get install -y chromium fonts-wqy-microhei"; \
	fi

# Static checks; mypy needs the generated stubs (yinling/v1/*.pyi) to type the protos.
lint: proto
	$(BIN)/ruff check yinling services demo tools tests
	$(BIN)/mypy yinling services demo tools

test: proto chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: proto
	$(BIN)/python -m tools.bench

clean:
	rm -rf $(VENV) yinling/v1 var build *.egg-info
