"""Small repository functions for families and their conversation state."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from bot.store.ids import next_id
from bot.types import Chat, State


def family_id(db: Database, channel: str, external_id: str, now: dt.datetime) -> int:
    """The family's id, created on first contact; `last_seen_at` is refreshed, and a
    family that writes again is active again."""
    stamp = now.isoformat(timespec="seconds")
    db.execute(
        "INSERT INTO families (id, channel, external_id, created_at, last_seen_at)"
        f" VALUES ({next_id('families')}, ?, ?, ?, ?)"
        " ON CONFLICT (channel, external_id) DO UPDATE SET last_seen_at = excluded.last_seen_at,"
        " inactive_at = NULL",
        [channel, external_id, stamp, stamp],
    )
    row = db.execute(
        "SELECT id FROM families WHERE channel = ? AND external_id = ?", [channel, external_id]
    ).fetchone()
    return int(row[0])


def find_family(db: Database, channel: str, external_id: str) -> int | None:
    """The family's id without creating it."""
    row = db.execute(
        "SELECT id FROM families WHERE channel = ? AND external_id = ?", [channel, external_id]
    ).fetchone()
    return int(row[0]) if row else None


def set_inactive(db: Database, family: int, now: dt.datetime | None) -> None:
    """Marks a family that cannot be reached (it blocked the bot), or active again (None)."""
    stamp = now.isoformat(timespec="seconds") if now else None
    db.execute("UPDATE families SET inactive_at = ? WHERE id = ?", [stamp, family])


def load_state(db: Database, family: int) -> State:
    row = db.execute("SELECT state FROM conversations WHERE family_id = ?", [family]).fetchone()
    return State.from_json(row[0] if row else None)


def save_state(db: Database, family: int, state: State, now: dt.datetime) -> None:
    db.execute(
        "INSERT INTO conversations (family_id, state, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (family_id) DO UPDATE SET state = excluded.state,"
        " updated_at = excluded.updated_at",
        [family, state.to_json(), now.isoformat(timespec="seconds")],
    )


def chat_of(db: Database, family: int) -> Chat | None:
    """The chat a family writes from (None for a family that is gone)."""
    row = db.execute("SELECT channel, external_id FROM families WHERE id = ?", [family]).fetchone()
    return Chat(str(row[0]), str(row[1])) if row is not None else None
