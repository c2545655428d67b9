# Two commands set everything up on a fresh machine: `make up` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test lint bench soak proto install clean chromium npm-tools promtool

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Generated code is built here, never committed (see .gitignore).
proto: $(STAMP)
	$(BIN)/python -m tools.protogen

up: proto
	$(BIN)/yinling up

# The open-data page is tested in Debian's headless Chromium, driven through Debian's
# chromedriver (the same release), with a CJK font so the screenshots are legible. Installed
# only when missing, and only as root (CI and the project's machines are root); anyone else
# is told the command.
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
chromium:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ] && [ -f $(CJK_FONT) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver fonts-wqy-microhei; \
	else \
	  echo "The browser tests need $(CHROMIUM), $(CHROMEDRIVER) and a CJK font: sudo apt-get install -y chromium chromium-driver fonts-wqy-microhei"; \
	fi

# promtool (`promtool check metrics` on every process's /metrics, `check rules`, `check config`,
# `test rules` on deploy/prometheus) and the prometheus server (a test scrapes a running
# `yinling up` with it) from Debian's prometheus package: only the two binaries, extracted
# into the venv, so that no Prometheus server is installed as a system service. Uses the
# binaries already on PATH when there are both.
PROMTOOL   := $(BIN)/promtool
PROMETHEUS := $(BIN)/prometheus
$(PROMTOOL) $(PROMETHEUS) &: | $(STAMP)
	@if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then \
	  ln -sf "$$(command -v promtool)" $(PROMTOOL) && ln -sf "$$(command -v prometheus)" $(PROMETHEUS); \
	else tmp=$$(mktemp -d) && cd $$tmp && \
	  { apt-get download prometheus 2>/dev/null || { apt-get update && apt-get download prometheus; }; } && \
	  dpkg-deb -x prometheus_*.deb root && cp root/usr/bin/promtool $(CURDIR)/$(PROMTOOL) && \
	  cp root/usr/bin/prometheus $(CURDIR)/$(PROMETHEUS) && rm -rf $$tmp; fi
promtool: $(PROMTOOL) $(PROMETHEUS)

# Validators from the npm registry (the AsyncAPI CLI, buf; axe-core, which the page's browser
# test injects into the page), pinned by tools/npm/package-lock.json
# and installed into tools/npm/node_modules with the machine's Node.js and npm.
NPM_TOOLS := tools/npm/node_modules/.installed
$(NPM_TOOLS): tools/npm/package.json tools/npm/package-lock.json
	cd tools/npm && npm ci --no-audit --no-fund --loglevel=error
	touch $@
npm-tools: $(NPM_TOOLS)

# Static checks; mypy needs the generated stubs (yinling/v1/*.pyi) to type the protos.
# The AsyncAPI document's payload schemas must match the protos, and the official CLI accept it.
# The subscribers' contract (buf.yaml): `buf lint`, and `buf breaking` against the newest
# release tag (v*) reachable from HEAD; a clone without the tags says so and skips that check.
BUF := tools/npm/node_modules/.bin/buf
lint: proto npm-tools
	$(BUF) lint
	@release=$$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null); \
	if [ -z "$$release" ]; then \
	  echo "buf breaking: SKIPPED: no release tag (v*) in this checkout's history, so the protos were NOT compared with a release; fetch the tags (git fetch --tags) to check them"; \
	else \
	  echo "buf breaking: the protos against release $$release"; \
	  $(BUF) breaking --against ".git#tag=$$release,subdir=proto"; \
	fi
	$(BIN)/ruff check yinling services demo tools tests setup.py
	$(BIN)/mypy yinling services demo tools setup.py
	$(BIN)/python -m tools.asyncapi_schemas --check
	ASYNCAPI_METRICS_CONFIG_PATH=tools/npm/asyncapi-analytics.json SUPPRESS_NO_CONFIG_WARNING=1 tools/npm/node_modules/.bin/asyncapi validate docs/asyncapi.yaml --fail-severity=info

test: proto chromium npm-tools promtool
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: proto
	$(BIN)/python -m tools.bench

# A bounded load (default 3 min at 50 writes/s) with memory and backlog printed every 10 s;
# e.g. `make soak SOAK_ARGS="--seconds 20"`.
soak: proto
	$(BIN)/python -m tools.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) yinling/v1 var build dist *.egg-info tools/npm/node_modules
