# QIP governance — developer entry points.
#
#   make run    install into .venv, migrate, load the demo organisation, start
#               web + Celery worker + Celery beat (Ctrl-C stops all three)
#   make test   install, make sure Debian's chromium is there, run the suite
#
# Everything runs from the project's own virtual environment in .venv; nothing
# is installed into the system Python.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python used to create the venv: python3.11 when it is on PATH, else python3.
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)

VENV        := .venv
VENV_PYTHON := $(VENV)/bin/python
VENV_STAMP  := $(VENV)/.installed
MANAGE      := $(VENV_PYTHON) manage.py
PYTEST_ARGS ?=

.PHONY: help install run test lint format migrate seed clean

help:
	@echo "make run      install, migrate, load the demo organisation, start web + worker + beat"
	@echo "make test     install and run the whole test suite (PYTEST_ARGS=... to pass options)"
	@echo "make lint     ruff check and ruff format --check"
	@echo "make format   ruff format and ruff check --fix"
	@echo "make migrate  apply database migrations"
	@echo "make seed     create (or refresh) the demo organisation and print its logins"
	@echo "make clean    remove var/ (database, uploads, broker files) and .venv/"

# The stamp is newer than the requirements files once the venv holds what they list.
$(VENV_STAMP): requirements.txt requirements-dev.txt
	@test -x $(VENV_PYTHON) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(VENV_PYTHON) -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV_STAMP)

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	bash scripts/run-dev.sh

test: install
	bash scripts/ensure-browser.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrate: install
	$(MANAGE) migrate --noinput

seed: install
	$(MANAGE) seed_demo

clean:
	@echo "Removing var/ (SQLite database, uploaded files, Celery broker files, beat schedule) and $(VENV)/"
	rm -rf var $(VENV)
