"""Shared fixtures: the real bundled knowledge, and small knowledge folders on disk."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, load_knowledge

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def translated() -> KnowledgeBase:
    """The bundled knowledge with every bundled translation, as `lotse web` runs it."""
    return load_knowledge(KNOWLEDGE, ROOT / "translations")


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled knowledge that a test may break."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


MINIMAL_KI = """\
name: Test-KI
root: menu
welcome: Willkommen beim {office.name}.
fallback_contact: office
contacts:
  office:
    name: Test-KI
    phone: "0211 1"
    email: ki@example.org
"""

MINIMAL_FLOW = """\
flow: main
title: Start
start: menu
nodes:
  menu:
    type: menu
    text: Was möchten Sie?
    buttons:
      - label: Alter
        goto: age
  age:
    type: ask
    text: Wie alt?
    slot: age
    parser: age
    next: split
  split:
    type: route
    routes:
      - when: age < 6
        goto: small
    otherwise: big
  small:
    type: answer
    text: Klein.
    sources: [Testquelle]
    reviewed: 2026-11-01
  big:
    type: answer
    text: Groß.
    sources: [Testquelle]
    reviewed: 2026-11-01
"""


def write_knowledge(root: Path, flows: dict[str, str], ki: str = MINIMAL_KI) -> Path:
    """A knowledge folder with the given flow files (name -> YAML text)."""
    (root / "flows").mkdir(parents=True, exist_ok=True)
    (root / "ki.yaml").write_text(textwrap.dedent(ki), encoding="utf-8")
    for name, text in flows.items():
        (root / "flows" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing `fragment`."""
    hits = [number for number, line in enumerate(text.splitlines(), 1) if fragment in line]
    return hits[occurrence - 1]
