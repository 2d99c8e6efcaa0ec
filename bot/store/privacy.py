"""Finding everything stored about one family, and deleting what has outlived its period.

A family's rows are found through the schema, not through a hand-kept list: the
`families` row, every table with a foreign key to it, every table with a foreign key to
one of those (a booking's seats and reminders), and the few columns that point at a
family's rows without a foreign key (`LOOSE_REFERENCES`: the audit log outlives a deleted
family). A column or table added by a later migration is exported without a change here.

Times are compared with SQLite's julianday(), which reads the UTC offset of every stored
ISO time ("+01:00", "+00:00"), so local and UTC stamps compare correctly. Every function
runs in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import Table

from bot.store import ticket_log
from bot.types import Chat

FAMILIES = "families"
# Columns that name a family's rows without a foreign key: table -> column -> table.
LOOSE_REFERENCES: dict[str, dict[str, str]] = {
    "audit_log": {"family_id": FAMILIES, "booking_id": "bookings", "ticket_id": "tickets"},
}
# Tables that hold nothing about a family (see docs/privacy.md).
MIGRATIONS_TABLE = "_sqlite_migrations"

Row = dict[str, Any]


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def family_selectors(db: Database) -> dict[str, str]:
    """table -> SQL condition selecting the rows about the family `:family`, for every
    table that holds something about a family; in the order of the schema."""
    found: dict[str, str] = {FAMILIES: "id = :family"}
    tables = [name for name in db.table_names() if name != FAMILIES]
    changed = True
    while changed:  # a table may point at a table that points at a family
        changed = False
        for name in tables:
            if name in found:
                continue
            table = db[name]
            assert isinstance(table, Table)
            links = [  # compound keys (none so far) would fail the export test
                (fk.column, fk.other_table, fk.other_column)
                for fk in table.foreign_keys
                if fk.column is not None and fk.other_column is not None
            ]
            links += [
                (column, other, "id") for column, other in LOOSE_REFERENCES.get(name, {}).items()
            ]
            conditions = [
                f"{_quote(column)} = :family"
                if other == FAMILIES and other_column == "id"
                else f"{_quote(column)} IN (SELECT {_quote(other_column)}"
                f" FROM {_quote(other)} WHERE {found[other]})"
                for column, other, other_column in links
                if other in found
            ]
            if conditions:
                found[name] = " OR ".join(f"({condition})" for condition in conditions)
                changed = True
    order = {name: index for index, name in enumerate(db.table_names())}
    return dict(sorted(found.items(), key=lambda item: order[item[0]]))


def family_rows(db: Database, family: int) -> dict[str, list[Row]]:
    """Every row about the family, every column of it, per table."""
    rows: dict[str, list[Row]] = {}
    for name, condition in family_selectors(db).items():
        cursor = db.execute(
            f"SELECT * FROM {_quote(name)} WHERE {condition} ORDER BY 1", {"family": family}
        )
        columns = [column[0] for column in cursor.description]
        rows[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return rows


def family_of(db: Database, channel: str, external_id: str) -> Row | None:
    cursor = db.execute(
        "SELECT * FROM families WHERE channel = ? AND external_id = ?", [channel, external_id]
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([column[0] for column in cursor.description], row, strict=True))


def notice_shown(db: Database, family: int) -> bool:
    row = db.execute("SELECT notice_at FROM families WHERE id = ?", [family]).fetchone()
    return row is None or row[0] is not None


def mark_notice(db: Database, family: int, now: dt.datetime) -> None:
    db.execute(
        "UPDATE families SET notice_at = ? WHERE id = ?",
        [now.isoformat(timespec="seconds"), family],
    )


def forget_copies(db: Database, family: int) -> int:
    """Copies of the family's messages still waiting for another chat (a mediator's):
    they carry its chat's reference and no family id, so they would outlive it."""
    row = db.execute("SELECT channel, external_id FROM families WHERE id = ?", [family]).fetchone()
    if row is None:
        return 0
    cursor = db.execute(
        "DELETE FROM staff_outbox WHERE family_id IS NULL AND ((copy_channel = ?"
        " AND copy_chat_id = ?) OR (copy_channel = ? AND copy_chat_id = ?))",
        [row[0], row[1], ticket_log.HELD, str(family)],
    )
    return int(cursor.rowcount)


def delete_family(db: Database, family: int) -> None:
    """The family's row; its conversation, bookings (seats, reminders), tickets, topic,
    messages waiting for it or its topic, mediator requests and kept questions go with it
    (ON DELETE CASCADE). Audit entries stay; they hold no content and name only a number."""
    db.execute("DELETE FROM families WHERE id = ?", [family])


def open_requests(db: Database, family: int) -> list[tuple[int, str, Chat | None]]:
    """(id, status, mediator) of the family's mediator requests still requested or running."""
    rows = db.execute(
        "SELECT id, status, mediator_channel, mediator_id FROM mediation_requests"
        " WHERE family_id = ? AND status IN ('requested', 'accepted') ORDER BY id",
        [family],
    ).fetchall()
    return [
        (int(row[0]), str(row[1]), None if row[3] is None else Chat(str(row[2]), str(row[3])))
        for row in rows
    ]


# --- retention ---------------------------------------------------------------------------


def idle_families(db: Database, cutoff: dt.datetime, now: dt.datetime) -> list[int]:
    """Families not seen since before `cutoff`, except those with a confirmed appointment
    still ahead or an open ticket."""
    rows = db.execute(
        "SELECT id FROM families f WHERE julianday(last_seen_at) < julianday(:cutoff)"
        " AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.family_id = f.id"
        "  AND b.status = 'confirmed' AND julianday(b.starts_at) >= julianday(:now))"
        " AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.family_id = f.id"
        "  AND t.status = 'open')"
        " ORDER BY id",
        {"cutoff": _utc(cutoff), "now": _utc(now)},
    ).fetchall()
    return [int(row[0]) for row in rows]


def topics_of(db: Database, families: list[int]) -> list[tuple[int, int]]:
    """(chat, thread) of the families' forum topics."""
    if not families:
        return []
    marks = ",".join("?" for _ in families)
    rows = db.execute(
        f"SELECT chat_id, thread_id FROM family_topics WHERE family_id IN ({marks})", families
    ).fetchall()
    return [(int(row[0]), int(row[1])) for row in rows]


def stale_topics(db: Database, cutoff: dt.datetime) -> list[tuple[int, int, int]]:
    """(family, chat, thread) of topics whose family has no open ticket and no ticket
    closed since `cutoff`, and that are older than it."""
    rows = db.execute(
        "SELECT family_id, chat_id, thread_id FROM family_topics ft"
        " WHERE julianday(created_at) < julianday(:cutoff) AND NOT EXISTS ("
        "  SELECT 1 FROM tickets t WHERE t.family_id = ft.family_id"
        "  AND (t.status = 'open' OR julianday(t.closed_at) >= julianday(:cutoff)))"
        " ORDER BY family_id",
        {"cutoff": _utc(cutoff)},
    ).fetchall()
    return [(int(row[0]), int(row[1]), int(row[2])) for row in rows]


def forget_topics(db: Database, families: list[int]) -> None:
    for family in families:
        db.execute("DELETE FROM family_topics WHERE family_id = ?", [family])


def delete_families(db: Database, families: list[int]) -> int:
    for family in families:
        forget_copies(db, family)
        delete_family(db, family)
    return len(families)


def _delete(db: Database, sql: str, cutoff: dt.datetime) -> int:
    return int(db.execute(sql, {"cutoff": _utc(cutoff)}).rowcount)


def delete_closed_tickets(db: Database, cutoff: dt.datetime) -> int:
    return _delete(
        db,
        "DELETE FROM tickets WHERE status = 'closed'"
        " AND julianday(closed_at) < julianday(:cutoff)",
        cutoff,
    )


def delete_finished_requests(db: Database, cutoff: dt.datetime) -> int:
    """Mediator requests that were declined or closed before `cutoff`, and requests
    from staff (not from a booking) that nobody took up since before it."""
    return _delete(
        db,
        "DELETE FROM mediation_requests WHERE (status IN ('declined', 'closed')"
        " OR (status = 'requested' AND booking_id IS NULL))"
        " AND julianday(COALESCE(closed_at, decided_at, created_at)) < julianday(:cutoff)",
        cutoff,
    )


def delete_past_bookings(db: Database, cutoff: dt.datetime) -> int:
    """Appointments (confirmed, no-show) that took place before `cutoff`; cancelled,
    expired and abandoned bookings whose last change was before it. Seats, reminders and
    a mediator request of the booking go with it."""
    return _delete(
        db,
        "DELETE FROM bookings WHERE julianday(CASE WHEN status IN ('confirmed', 'no_show')"
        " THEN starts_at ELSE updated_at END) < julianday(:cutoff)",
        cutoff,
    )


def delete_unanswered(db: Database, cutoff: dt.datetime) -> int:
    return _delete(
        db, "DELETE FROM unanswered WHERE julianday(created_at) < julianday(:cutoff)", cutoff
    )


def delete_audit(db: Database, cutoff: dt.datetime) -> int:
    return _delete(db, "DELETE FROM audit_log WHERE julianday(at) < julianday(:cutoff)", cutoff)


def delete_processed_updates(db: Database, cutoff: dt.datetime) -> int:
    return _delete(
        db,
        "DELETE FROM processed_updates WHERE julianday(processed_at) < julianday(:cutoff)",
        cutoff,
    )


def last_run(db: Database, action: str) -> dt.datetime | None:
    """When the audit log last recorded `action` (e.g. the daily purge)."""
    row = db.execute(
        "SELECT at FROM audit_log WHERE action = ? ORDER BY julianday(at) DESC, id DESC LIMIT 1",
        [action],
    ).fetchone()
    if row is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(row[0]))
    except ValueError:
        return None
