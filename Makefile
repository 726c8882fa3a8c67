# The two commands of the README: `make run` and `make test`. Both create .venv on first use
# (and again when pyproject.toml changes), so a fresh machine needs nothing but Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test venv

venv: $(STAMP)

# constraints.txt pins every package .venv gets (like rasa/constraints.txt for Rasa), so that a new release
# upstream cannot break a fresh machine; `make constraints` writes it anew from a working .venv.
$(STAMP): pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade 'pip>=24,<27'
	$(VENV)/bin/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

.PHONY: constraints
constraints: $(STAMP)
	$(VENV)/bin/python -m pip freeze --exclude-editable --all | grep -v -e '^pip==' -e '^setuptools==' > constraints.txt

run: $(STAMP)
	$(VENV)/bin/python -m bot run

test: $(STAMP) chromium nginx lint
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# ruff (lint and format check) on all Python code and mypy on the product's; part of `make test`, so CI runs them too.
.PHONY: lint
lint: $(STAMP)
	$(VENV)/bin/ruff check bot nlu handlers tests bench
	$(VENV)/bin/ruff format --check bot nlu handlers tests bench
	$(VENV)/bin/mypy bot nlu handlers

# The browser tests (tests/web, marker `browser`) drive Debian's Chromium through Playwright; nothing
# is downloaded from elsewhere (no `playwright install`). Installed with apt (as root) when missing.
.PHONY: chromium
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }

# The test of several processes (tests/multiproc, markers `postgres` and `slow`) puts Debian's nginx in front
# of them, as docs/deployment.md does; it runs nginx from a temporary folder, never the system's service.
.PHONY: nginx
nginx:
	@test -x /usr/sbin/nginx || { apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx-light; }

# Rasa as the classifier (docs/rasa.md): sets up .venv-rasa (Python 3.10, ~3 min, 2.7 GB) and trains
# the FAQ's model when needed (both cached), then serves it on 127.0.0.1 until Ctrl-C. `make test`
# does the same set-up for the tests marked `rasa`.
.PHONY: rasa
rasa: $(STAMP)
	$(VENV)/bin/python -m bot rasa serve
