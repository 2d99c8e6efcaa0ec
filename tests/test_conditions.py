"""The route condition language: parsed, evaluated safely, errors with offsets."""

from __future__ import annotations

from typing import Any

import pytest

from bot.knowledge.conditions import ConditionError, evaluate, parse_condition, slot_names


@pytest.mark.parametrize(
    ("source", "slots", "expected"),
    [
        ("age < 6", {"age": 5}, True),
        ("age < 6", {"age": 6}, False),
        ("age >= 6 and age <= 15", {"age": 15}, True),
        ("age >= 6 and age <= 15", {"age": 16}, False),
        ("age < 6 or age > 17", {"age": 18}, True),
        ("not (age < 6)", {"age": 3}, False),
        ("not not has_docs", {"has_docs": True}, True),
        ("not has_docs", {}, True),  # unanswered counts as false
        ("status == 'eu'", {"status": "eu"}, True),
        ('status != "eu"', {"status": "eu"}, False),
        ("age < 6", {}, False),  # missing slot: every comparison is false
        ("age != 6", {}, False),
        ("age < 6", {"age": "six"}, False),  # a text is never compared with a number
        ("has_docs == true", {"has_docs": True}, True),
        ("has_docs == 1", {"has_docs": True}, False),  # booleans are not numbers here
        ("a or b and c", {"a": False, "b": True, "c": False}, False),  # and binds tighter
        ("(a or b) and c", {"a": True, "b": False, "c": True}, True),
        ("income <= 2.5", {"income": 2}, True),
    ],
)
def test_evaluate(source: str, slots: dict[str, Any], expected: bool) -> None:
    assert evaluate(parse_condition(source), slots) is expected


@pytest.mark.parametrize(
    ("source", "offset", "fragment"),
    [
        ("", 0, "empty"),
        ("age <", 5, "ends too early"),
        ("age = 6", 4, "unexpected character '='"),
        ("age < 6 and", 11, "ends too early"),
        ("(age < 6", 8, "missing ')'"),
        ("age 6", 4, "unexpected '6'"),
        ("__import__('os').system('x')", 16, "unexpected character '.'"),
        ("open('x')", 4, "unexpected '('"),
        ("age < 6; drop", 7, "unexpected character ';'"),
        ("and age", 0, "expected a value"),
    ],
)
def test_parse_errors_carry_offsets(source: str, offset: int, fragment: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(source)
    assert caught.value.offset == offset
    assert fragment in str(caught.value)


def test_slot_names() -> None:
    expr = parse_condition("age >= 6 and (status == 'eu' or not has_docs)")
    assert slot_names(expr) == {"age", "status", "has_docs"}


@pytest.mark.parametrize(
    ("source", "slots", "expected"),
    [
        ("start == year + 1", {"start": 2027, "year": 2026}, True),
        ("start - 1 == year", {"start": 2027, "year": 2026}, True),
        ("start <= year", {"start": 2027, "year": 2026}, False),
        ("start == year + 1", {"year": 2026}, False),  # missing slot
        ("name + 1 > 0", {"name": "x"}, False),  # text in arithmetic
        ("flag + 1 == 2", {"flag": True}, False),  # booleans are not numbers
        ("a - b - c == 0", {"a": 5, "b": 3, "c": 2}, True),  # left to right
    ],
)
def test_arithmetic(source: str, slots: dict[str, Any], expected: bool) -> None:
    assert evaluate(parse_condition(source), slots) is expected
