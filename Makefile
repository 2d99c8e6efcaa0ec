# Every target creates the virtual environment when it is missing, so a fresh clone
# needs nothing but Python 3.11, pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)  ## family conversation in the terminal (bundled knowledge, local SQLite)
	$(BIN)/lotse chat

run: $(STAMP)  ## the Telegram bot (needs TELEGRAM_BOT_TOKEN)
	$(BIN)/lotse run

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest

bench: $(STAMP)  ## speed and memory figures (not part of test); writes bench/results.json
	$(BIN)/python bench/run.py

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
