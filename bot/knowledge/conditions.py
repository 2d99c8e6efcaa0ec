"""The small condition language of `route` nodes, parsed by hand and never `eval`-ed.

Grammar (keywords are lower case, names are slot names):

    expr  := or
    or    := and ("or" and)*
    and   := not ("and" not)*
    not   := "not" not | cmp
    cmp   := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum   := value (("+" | "-") value)*
    value := NUMBER | "text" | true | false | NAME | "(" expr ")"

A slot that has no value yet is `None`: every comparison with it is false, and on its
own it counts as false, so `not has_documents` is true until the family answered.
Comparisons between different kinds (a number and a text) are false, never an error;
`+` and `-` work on numbers only (e.g. `child_birth_school_start == school_year + 1`).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\+|-)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
KEYWORDS = frozenset({"and", "or", "not", "true", "false"})


class ConditionError(ValueError):
    """A condition that cannot be parsed; `offset` is the 0-based character position."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Literal:
    value: int | float | str | bool


@dataclass(frozen=True)
class Slot:
    name: str


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Arithmetic:
    op: str  # "+" | "-"
    left: Expr
    right: Expr


Expr = Literal | Slot | Not | BoolOp | Compare | Arithmetic


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    offset: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            offset = position + (len(source[position:]) - len(source[position:].lstrip()))
            raise ConditionError(f"unexpected character {source[offset]!r}", offset)
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise ConditionError("the condition ends too early", len(self.source))
        self.index += 1
        return token

    def at_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "name" and token.text == word

    def parse(self) -> Expr:
        if not self.tokens:
            raise ConditionError("the condition is empty", 0)
        expr = self.parse_or()
        token = self.peek()
        if token is not None:
            raise ConditionError(f"unexpected {token.text!r}", token.offset)
        return expr

    def parse_or(self) -> Expr:
        operands = [self.parse_and()]
        while self.at_word("or"):
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def parse_and(self) -> Expr:
        operands = [self.parse_not()]
        while self.at_word("and"):
            self.take()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def parse_not(self) -> Expr:
        if self.at_word("not"):
            self.take()
            return Not(self.parse_not())
        return self.parse_compare()

    def parse_compare(self) -> Expr:
        left = self.parse_sum()
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in _COMPARE:
            self.take()
            return Compare(token.text, left, self.parse_sum())
        return left

    def parse_sum(self) -> Expr:
        expr = self.parse_value()
        while (token := self.peek()) is not None and token.text in ("+", "-"):
            self.take()
            expr = Arithmetic(token.text, expr, self.parse_value())
        return expr

    def parse_value(self) -> Expr:
        token = self.take()
        if token.kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal(number)
        if token.kind == "string":
            return Literal(token.text[1:-1])
        if token.kind == "op" and token.text == "(":
            inner = self.parse_or()
            closing = self.peek()
            if closing is None or closing.text != ")":
                where = closing.offset if closing else len(self.source)
                raise ConditionError("missing ')'", where)
            self.take()
            return inner
        if token.kind == "name":
            if token.text in ("true", "false"):
                return Literal(token.text == "true")
            if token.text in KEYWORDS:
                raise ConditionError(f"expected a value, found {token.text!r}", token.offset)
            return Slot(token.text)
        raise ConditionError(f"expected a value, found {token.text!r}", token.offset)


def parse_condition(source: str) -> Expr:
    """Parse `source` into an expression tree or raise ConditionError with its offset."""
    return _Parser(source).parse()


def slot_names(expr: Expr) -> set[str]:
    """The slot names an expression reads, so validation can check they exist."""
    if isinstance(expr, Slot):
        return {expr.name}
    if isinstance(expr, Not):
        return slot_names(expr.operand)
    if isinstance(expr, BoolOp):
        return set().union(*(slot_names(operand) for operand in expr.operands))
    if isinstance(expr, Compare | Arithmetic):
        return slot_names(expr.left) | slot_names(expr.right)
    return set()


def _value(expr: Expr, slots: Mapping[str, Any]) -> Any:
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Slot):
        return slots.get(expr.name)
    if isinstance(expr, Arithmetic):
        left, right = _value(expr.left, slots), _value(expr.right, slots)
        if not (_is_number(left) and _is_number(right)):
            return None  # and so every comparison with it is false
        return left + right if expr.op == "+" else left - right
    return evaluate(expr, slots)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _comparable(left: Any, right: Any) -> bool:
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return True
    return isinstance(left, str) and isinstance(right, str)


def evaluate(expr: Expr, slots: Mapping[str, Any]) -> bool:
    """Evaluate against the conversation's slots; never raises for missing or odd values."""
    if isinstance(expr, Compare):
        left, right = _value(expr.left, slots), _value(expr.right, slots)
        if left is None or right is None or not _comparable(left, right):
            return False
        return bool(_COMPARE[expr.op](left, right))
    if isinstance(expr, BoolOp):
        results = (evaluate(operand, slots) for operand in expr.operands)
        return all(results) if expr.op == "and" else any(results)
    if isinstance(expr, Not):
        return not evaluate(expr.operand, slots)
    return bool(_value(expr, slots))
