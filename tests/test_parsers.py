"""Parsers for `ask` nodes read input in any script."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.engine.parsers import ParseFailure, ascii_digits, parse
from tests.conftest import TODAY


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("12", 12),
        ("١٢", 12),  # Arabic-Indic digits
        ("۱۲", 12),  # Persian digits
        ("۱۲ سال", 12),
        ("٩ سنوات", 9),
        ("9 Jahre", 9),
        (" 0 ", 0),
        ("१२", 12),  # Devanagari: any Unicode decimal digit counts
    ],
)
def test_age_in_any_script(text: str, age: int) -> None:
    assert parse("age", text, today=TODAY) == age


@pytest.mark.parametrize("text", ["", "zwölf Jahre", "12 und 8", "-", "121", "abc"])
def test_age_rejects(text: str) -> None:
    with pytest.raises(ParseFailure):
        parse("age", text, today=TODAY)


def test_number_range() -> None:
    assert parse("number", "3", today=TODAY, minimum=1, maximum=5) == 3
    with pytest.raises(ParseFailure):
        parse("number", "6", today=TODAY, minimum=1, maximum=5)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Ja", True),
        ("ja!", True),
        ("yes", True),
        ("نعم", True),
        ("так", True),
        ("evet", True),
        ("Nein", False),
        ("no", False),
        ("لا", False),
        ("ні", False),
        ("hayır", False),
    ],
)
def test_yesno(text: str, value: bool) -> None:
    assert parse("yesno", text, today=TODAY) is value


def test_yesno_rejects_other_text() -> None:
    with pytest.raises(ParseFailure):
        parse("yesno", "vielleicht", today=TODAY)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("20.09.2019", "2019-09-20"),
        ("20/9/2019", "2019-09-20"),
        ("2019-09-20", "2019-09-20"),
        ("20.09.19", "2019-09-20"),
        ("01.01.99", "1999-01-01"),
        ("٢٠.٠٩.٢٠١٩", "2019-09-20"),
        ("20 September 2019", "2019-09-20"),
        ("20. Sept. 2019", "2019-09-20"),
        ("3 März 2020", "2020-03-03"),
    ],
)
def test_dates(text: str, iso: str) -> None:
    assert parse("date", text, today=TODAY) == iso


@pytest.mark.parametrize("text", ["31.02.2020", "20 Foo 2019", "morgen", "2019"])
def test_dates_rejected(text: str) -> None:
    with pytest.raises(ParseFailure):
        parse("date", text, today=TODAY)


def test_month_names_of_the_family_language() -> None:
    assert parse("date", "20 сентября 2019", today=TODAY, lang="ru") == "2019-09-20"


def test_ascii_digits_keeps_other_text() -> None:
    assert ascii_digits("Tel ٠٢١١") == "Tel 0211"
    assert dt.date.fromisoformat(parse("date", "2020-02-29", today=TODAY)).day == 29
