# Every target creates the virtual environment when it is missing, so a fresh clone
# needs nothing but Python 3.11, pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat run web test lint bench clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)  ## family conversation in the terminal (bundled knowledge, local SQLite)
	$(BIN)/lotse chat

run: $(STAMP)  ## the Telegram bot (needs TELEGRAM_BOT_TOKEN)
	$(BIN)/lotse run

# The browser tests drive Debian's Chromium (Playwright with the system browser: no
# download). Installed here when missing and we may (root, or sudo without a password);
# otherwise the browser tests fail and say how to install it.
CHROMIUM ?= /usr/bin/chromium

browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	  elif sudo -n true 2>/dev/null; then sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; \
	  else echo "no $(CHROMIUM): install Debian's chromium (apt-get install chromium)"; fi; }

web: $(STAMP)  ## the web chat and the staff desk on http://127.0.0.1:8000
	$(BIN)/lotse web

test: $(STAMP) browser  ## the whole test suite (installs Chromium for the browser tests)
	$(BIN)/python -m pytest

bench: $(STAMP)  ## speed and memory figures (not part of test); writes bench/results.json
	$(BIN)/python bench/run.py

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
