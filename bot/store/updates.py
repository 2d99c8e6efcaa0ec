"""Channel update ids already handled, so that a re-delivered update changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

# Telegram re-delivers an update for at most 24 hours, and picks ids at random again only
# after a week without updates; two days covers every re-delivery.
KEEP = dt.timedelta(days=2)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def record_update(db: Database, channel: str, update_id: int, now: dt.datetime) -> bool:
    """True if the update is new (and now recorded); False if it was handled before.

    Call it inside the event's transaction, so the record and the effects commit together.
    """
    db.execute("DELETE FROM processed_updates WHERE processed_at < ?", [_utc(now - KEEP)])
    cursor = db.execute(
        "INSERT OR IGNORE INTO processed_updates (channel, update_id, processed_at)"
        " VALUES (?, ?, ?)",
        [channel, update_id, _utc(now)],
    )
    return cursor.rowcount == 1


def handled(db: Database, channel: str, update_id: int) -> bool:
    """Whether the update was recorded as handled (within `KEEP`); changes nothing."""
    row = db.execute(
        "SELECT 1 FROM processed_updates WHERE channel = ? AND update_id = ?",
        [channel, update_id],
    ).fetchone()
    return row is not None
