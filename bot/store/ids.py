"""Numbers that are never given twice (see migration m006): use `next_id(table)` as the
id of an INSERT into a numbered table."""

from __future__ import annotations

from bot.store.migrations import NUMBERED


def next_id(table: str) -> str:
    """An SQL expression for the next number of `table`, e.g. in `VALUES (<here>, ?, …)`."""
    assert table in NUMBERED, table  # never user input: a fixed table name
    return f"(SELECT last + 1 FROM id_counters WHERE name = '{table}')"
