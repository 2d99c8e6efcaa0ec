"""Schema changes, in order. Each runs once, in its own transaction (sqlite-utils)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.db import Table
from sqlite_utils.migrations import Migrations

migrations = Migrations("lotse")


def _table(db: Database, name: str) -> Table:
    table = db[name]
    assert isinstance(table, Table)
    return table


@migrations()
def m001_families_and_conversations(db: Database) -> None:
    """A family is one chat on one channel; its conversation state is one row."""
    families = _table(db, "families")
    families.create(
        {"id": int, "channel": str, "external_id": str, "created_at": str, "last_seen_at": str},
        pk="id",
        not_null={"channel", "external_id", "created_at", "last_seen_at"},
    )
    families.create_index(["channel", "external_id"], unique=True)
    _table(db, "conversations").create(
        {"family_id": int, "state": str, "updated_at": str},
        pk="family_id",
        not_null={"state", "updated_at"},
        foreign_keys=[("family_id", "families", "id")],
    )


@migrations()
def m002_telegram_delivery(db: Database) -> None:
    """Update ids handled once, replies waiting to be sent, families that blocked the bot."""
    _table(db, "families").add_column("inactive_at", str)
    # Raw SQL for the cascades: deleting a family deletes what waits for it.
    db.execute(
        "CREATE TABLE processed_updates ("
        " channel TEXT NOT NULL, update_id INTEGER NOT NULL, processed_at TEXT NOT NULL,"
        " PRIMARY KEY (channel, update_id))"
    )
    db.execute("CREATE INDEX processed_updates_processed_at ON processed_updates (processed_at)")
    db.execute(
        "CREATE TABLE outbox ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER NOT NULL REFERENCES families (id) ON DELETE CASCADE,"
        " text TEXT NOT NULL, buttons TEXT NOT NULL, lang TEXT NOT NULL,"
        " sent_parts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX outbox_family_id ON outbox (family_id)")


@migrations()
def m003_bookings(db: Database) -> None:
    """Appointments, the seats that enforce capacity, reminders, consent, attachments."""
    _table(db, "families").add_column("consent_at", str)
    db.execute(
        "CREATE TABLE bookings ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER NOT NULL REFERENCES families (id) ON DELETE CASCADE,"
        " type TEXT NOT NULL, starts_at TEXT NOT NULL, minutes INTEGER NOT NULL,"
        " status TEXT NOT NULL"
        "  CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired', 'no_show')),"
        " hold_until TEXT, children INTEGER, ages TEXT, mediator_lang TEXT,"
        " lang TEXT NOT NULL, sequence INTEGER NOT NULL DEFAULT 0, cancel_reason TEXT,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX bookings_family ON bookings (family_id, status)")
    db.execute("CREATE INDEX bookings_starts_at ON bookings (starts_at)")
    # The capacity guard: one row per occupied seat; the primary key forbids a second.
    db.execute(
        "CREATE TABLE booking_seats ("
        " type TEXT NOT NULL, starts_at TEXT NOT NULL, seat INTEGER NOT NULL CHECK (seat >= 1),"
        " booking_id INTEGER NOT NULL UNIQUE REFERENCES bookings (id) ON DELETE CASCADE,"
        " PRIMARY KEY (type, starts_at, seat))"
    )
    db.execute(
        "CREATE TABLE reminders ("
        " id INTEGER PRIMARY KEY,"
        " booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,"
        " hours INTEGER NOT NULL, due_at TEXT NOT NULL, sent_at TEXT,"
        " UNIQUE (booking_id, hours))"
    )
    db.execute("CREATE INDEX reminders_due ON reminders (sent_at, due_at)")
    _table(db, "outbox").add_column("files", str)
