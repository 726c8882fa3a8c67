# The two commands of the README: `make run` and `make test`. Both create .venv on first use
# (and again when pyproject.toml changes), so a fresh machine needs nothing but Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python -m bot run

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)
