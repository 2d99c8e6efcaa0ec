"""Parsers for `ask` nodes read input in any script."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.engine.parsers import (
    ParseFailure,
    age_on,
    ascii_digits,
    parse,
    school_start_year,
    school_year,
    system_slots,
)
from bot.knowledge.models import PARSER_SLOTS, SYSTEM_SLOTS
from tests.conftest import TODAY


def value(parser: str, text: str, **options: Any) -> Any:
    """The main slot value a parser reads from `text`."""
    return parse(parser, text, today=options.pop("today", TODAY), **options)[""]


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
    assert value("age", text) == age


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("zwölf Jahre", 12),
        ("twelve", 12),
        ("двенадцать", 12),
        ("дванадцять", 12),
        ("on iki yaşında", 12),
        ("اثنا عشر", 12),
        ("دوازده سال", 12),
        ("dwanaście", 12),
        ("şeş", 6),
    ],
)
def test_age_as_number_words(text: str, age: int) -> None:
    assert value("age", text) == age


@pytest.mark.parametrize("text", ["", "zwölf und acht", "12 und 8", "-", "121", "abc"])
def test_age_rejects(text: str) -> None:
    with pytest.raises(ParseFailure):
        value("age", text)


def test_number_range() -> None:
    assert value("number", "3", minimum=1, maximum=5) == 3
    with pytest.raises(ParseFailure):
        value("number", "6", minimum=1, maximum=5)


@pytest.mark.parametrize(
    ("text", "expected"),
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
def test_yesno(text: str, expected: bool) -> None:
    assert value("yesno", text) is expected


def test_yesno_rejects_other_text() -> None:
    with pytest.raises(ParseFailure):
        value("yesno", "vielleicht")


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
    assert value("date", text) == iso


@pytest.mark.parametrize("text", ["31.02.2020", "20 Foo 2019", "morgen", "2019"])
def test_dates_rejected(text: str) -> None:
    with pytest.raises(ParseFailure):
        value("date", text)


def test_month_names_of_the_family_language() -> None:
    assert value("date", "20 сентября 2019", lang="ru") == "2019-09-20"


def test_ascii_digits_keeps_other_text() -> None:
    assert ascii_digits("Tel ٠٢١١") == "Tel 0211"
    assert dt.date.fromisoformat(value("date", "2020-02-29")).day == 29


@pytest.mark.parametrize(
    ("birth", "school_start"),
    [
        ("2020-09-30", 2026),  # turns 6 on 30 September: school this year
        ("2020-10-01", 2027),  # turns 6 on 1 October: next year
        ("2020-01-01", 2026),
        ("2020-02-29", 2026),
        ("2019-12-31", 2026),
    ],
)
def test_thirty_september_rule(birth: str, school_start: int) -> None:
    assert school_start_year(dt.date.fromisoformat(birth)) == school_start


@pytest.mark.parametrize(
    ("today", "year"),
    [("2026-07-31", 2025), ("2026-08-01", 2026), ("2026-11-22", 2026), ("2027-01-10", 2026)],
)
def test_school_year_starts_on_first_august(today: str, year: int) -> None:
    assert school_year(dt.date.fromisoformat(today)) == year


def test_age_on_birthday() -> None:
    birth = dt.date(2008, 11, 22)
    assert age_on(birth, dt.date(2026, 11, 21)) == 17
    assert age_on(birth, dt.date(2026, 11, 22)) == 18


def test_birthdate_fills_the_derived_slots() -> None:
    values = parse("birthdate", "15.10.2008", today=TODAY)
    assert values == {
        "": "2008-10-15",
        "_age": 18,
        "_school_start": 2015,
        "_age_aug1": 17,  # still 17 when this school year began: turned 18 in it
    }
    assert tuple(values) == PARSER_SLOTS["birthdate"]
    assert tuple(system_slots(TODAY)) == SYSTEM_SLOTS


@pytest.mark.parametrize("text", ["01.01.2030", "31.02.2019", "9"])
def test_birthdate_rejects(text: str) -> None:
    with pytest.raises(ParseFailure):
        parse("birthdate", text, today=TODAY)


def test_birthdate_range_applies_to_the_age() -> None:
    with pytest.raises(ParseFailure):
        parse("birthdate", "01.01.1950", today=TODAY, maximum=30)
