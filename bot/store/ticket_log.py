"""The ticket log: what staff see of a family's conversation with a person, for the staff
desk in the browser (bot/channels/web_desk.py).

Telegram keeps the conversation of a family's topic in the staff chat itself, so Lotse
never stored relayed texts. A desk in the browser has no such chat: it shows what is
written here. One row per message of the family's topic: the family's relayed messages
(their text; a file only as its kind), staff replies and internal notes, and Lotse's own
topic messages (the context card, "ticket closed" …). A family's web messages and the
desk's replies are passed on by reference to their row (`held`), so Telegram topics and
families on either channel get the same text.

Written only where needed: while the desk is in use (it has staff accounts, `lotse staff
add`), and always for a message that has no other home (a web family's message, a desk
reply): then the row is how it travels. A Telegram-only Lotse stores no relayed text.

Personal data, kept only as long as the desk needs it: deleted with the family (/delete,
`lotse privacy delete`, idle retention) and `closed_ticket_days` after the family's last
ticket closed (bot/services/privacy.py); in /mydata like every row with a family_id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlite_utils import Database

from bot.types import MessageRef

Author = Literal["family", "staff", "note", "lotse"]
# The channel of a reference to a message whose text Lotse holds in this log.
HELD = "held"


@dataclass(frozen=True)
class Entry:
    id: int
    family_id: int
    author: str
    member: str | None
    text: str
    at: str


def desk_in_use(db: Database) -> bool:
    """Whether staff may read the log on the desk (it has accounts)."""
    return db.execute("SELECT 1 FROM staff_accounts LIMIT 1").fetchone() is not None


def note(
    db: Database,
    family: int,
    author: Author,
    text: str,
    now: dt.datetime,
    *,
    member: str | None = None,
) -> None:
    """A message of the family's topic that lives elsewhere too (in Telegram, or is our
    own): logged for the desk only while the desk is in use."""
    if desk_in_use(db):
        write(db, family, author, text, now, member=member)


def write(
    db: Database,
    family: int,
    author: Author,
    text: str,
    now: dt.datetime,
    *,
    member: str | None = None,
) -> MessageRef:
    """One message of the family's topic; a reference others can pass it on by."""
    cursor = db.execute(
        "INSERT INTO ticket_log (family_id, author, member, text, at) VALUES (?, ?, ?, ?, ?)",
        [family, author, member, text, now.isoformat(timespec="seconds")],
    )
    return MessageRef(HELD, str(family), str(cursor.lastrowid))


def text_of(db: Database, ref: MessageRef) -> str | None:
    """The text of a held message (None when it is gone, e.g. deleted with the family)."""
    assert ref.channel == HELD, ref.channel
    row = db.execute(
        "SELECT text FROM ticket_log WHERE id = ? AND family_id = ?", [int(ref.id), int(ref.chat)]
    ).fetchone()
    return str(row[0]) if row is not None else None


def entries(db: Database, family: int, *, after: int = 0, limit: int = 500) -> list[Entry]:
    """The family's log after row `after`, oldest first (the newest `limit`)."""
    rows = db.execute(
        "SELECT id, family_id, author, member, text, at FROM ("
        " SELECT * FROM ticket_log WHERE family_id = ? AND id > ? ORDER BY id DESC LIMIT ?"
        ") ORDER BY id",
        [family, after, limit],
    ).fetchall()
    return [Entry(int(r[0]), int(r[1]), str(r[2]), r[3], str(r[4]), str(r[5])) for r in rows]


def last_id(db: Database) -> int:
    row = db.execute("SELECT MAX(id) FROM ticket_log").fetchone()
    return int(row[0] or 0)


def delete_without_tickets(db: Database, closed_before: dt.datetime) -> int:
    """Retention: the log of every family with no open ticket whose last ticket closed
    before `closed_before` (or that has no ticket left at all)."""
    cursor = db.execute(
        "DELETE FROM ticket_log WHERE family_id NOT IN ("
        " SELECT family_id FROM tickets WHERE status = 'open'"
        "  OR julianday(closed_at) >= julianday(?))",
        [closed_before.isoformat(timespec="seconds")],
    )
    return cursor.rowcount
