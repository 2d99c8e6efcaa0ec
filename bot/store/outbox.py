"""Replies waiting to be sent: written in the event's transaction, deleted once sent.

A crash between the commit and the send loses nothing: pending rows are sent on the
next start. Rows hold only our own reply texts, never what a family wrote.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass

from sqlite_utils import Database

from bot.engine import Attachment, Button, Reply


@dataclass(frozen=True)
class Queued:
    """One reply on its way to one family; `sent_parts` messages of it are out already."""

    id: int
    family_id: int
    external_id: str
    reply: Reply
    sent_parts: int = 0
    copy_from: tuple[int, int] | None = None  # (chat, message) a staff message is copied from


def enqueue(db: Database, family: int, replies: tuple[Reply, ...], now: dt.datetime) -> None:
    stamp = now.isoformat(timespec="seconds")
    for reply in replies:
        buttons = json.dumps([[b.id, b.label] for b in reply.buttons], ensure_ascii=False)
        files = json.dumps(
            [[f.name, f.mime, base64.b64encode(f.data).decode("ascii")] for f in reply.files]
        )
        db.execute(
            "INSERT INTO outbox (family_id, text, buttons, lang, files, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [family, reply.text, buttons, reply.lang, files, stamp],
        )


def enqueue_copy(
    db: Database, family: int, chat_id: int, message_id: int, now: dt.datetime
) -> None:
    """A message written by staff (or a mediator), copied to the family by its id: its
    text passes through Telegram and is never stored here."""
    db.execute(
        "INSERT INTO outbox (family_id, text, buttons, lang, files, copy_chat_id,"
        " copy_message_id, created_at) VALUES (?, '', '[]', 'de', '[]', ?, ?, ?)",
        [family, chat_id, message_id, now.isoformat(timespec="seconds")],
    )


def pending(db: Database, channel: str, external_id: str | None = None) -> list[Queued]:
    """Waiting replies of one channel (or of one family on it), oldest first."""
    sql = (
        "SELECT outbox.id, family_id, external_id, text, buttons, lang, sent_parts, files,"
        " copy_chat_id, copy_message_id"
        " FROM outbox JOIN families ON families.id = outbox.family_id"
        " WHERE channel = ?"
    )
    params: list[object] = [channel]
    if external_id is not None:
        sql += " AND external_id = ?"
        params.append(external_id)
    rows = db.execute(sql + " ORDER BY outbox.id", params).fetchall()
    return [
        Queued(
            id=row[0],
            family_id=row[1],
            external_id=row[2],
            reply=Reply(
                text=row[3],
                buttons=tuple(Button(str(id_), str(label)) for id_, label in json.loads(row[4])),
                lang=row[5],
                files=tuple(
                    Attachment(str(name), str(mime), base64.b64decode(data))
                    for name, mime, data in json.loads(row[7] or "[]")
                ),
            ),
            sent_parts=row[6],
            copy_from=(int(row[8]), int(row[9])) if row[8] is not None else None,
        )
        for row in rows
    ]


def mark_parts_sent(db: Database, item_id: int, parts: int) -> None:
    db.execute("UPDATE outbox SET sent_parts = ? WHERE id = ?", [parts, item_id])


def remove(db: Database, item_id: int) -> None:
    db.execute("DELETE FROM outbox WHERE id = ?", [item_id])


def remove_family(db: Database, family: int) -> None:
    db.execute("DELETE FROM outbox WHERE family_id = ?", [family])
