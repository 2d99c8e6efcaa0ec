"""The audit log: who did what, when, to which family or booking — never message content.

Staff actions (cancel, no-show, close, /send, /book, interpreter requests, data exports
and deletions) are recorded in the same transaction as the action itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    actor: str
    action: str
    family_id: int | None
    booking_id: int | None
    ticket_id: int | None
    detail: str


def record(
    db: Database,
    actor: str | int,
    action: str,
    now: dt.datetime,
    *,
    family: int | None = None,
    booking: int | None = None,
    ticket: int | None = None,
    detail: str = "",
) -> None:
    """One entry. `actor`: a staff member's Telegram user id, 'cli', 'family' or 'system'.
    `detail` is a short fixed description (e.g. a command name), never typed text."""
    db.execute(
        "INSERT INTO audit_log (at, actor, action, family_id, booking_id, ticket_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [now.isoformat(timespec="seconds"), str(actor), action, family, booking, ticket, detail],
    )


def entries(db: Database, *, family: int | None = None) -> list[Entry]:
    """All entries, oldest first; only those about `family` if given."""
    sql = "SELECT id, at, actor, action, family_id, booking_id, ticket_id, detail FROM audit_log"
    params: list[object] = []
    if family is not None:
        sql += " WHERE family_id = ?"
        params.append(family)
    rows = db.execute(sql + " ORDER BY id", params).fetchall()
    return [
        Entry(
            int(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            None if r[4] is None else int(r[4]),
            None if r[5] is None else int(r[5]),
            None if r[6] is None else int(r[6]),
            str(r[7]),
        )
        for r in rows
    ]
