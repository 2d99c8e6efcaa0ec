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

from bot.store import db as queues
from bot.types import Attachment, Button, MessageRef, Reply


@dataclass(frozen=True)
class Queued:
    """One reply on its way to one family; `sent_parts` messages of it are out already."""

    id: int
    family_id: int
    external_id: str
    reply: Reply
    sent_parts: int = 0
    copy_from: MessageRef | None = None  # a staff (or mediator) message, copied by reference


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


def enqueue_copy(db: Database, family: int, ref: MessageRef, now: dt.datetime) -> None:
    """A message written by staff (or a mediator), copied to the family by reference: its
    text passes through the channel and is never stored here."""
    db.execute(
        "INSERT INTO outbox (family_id, text, buttons, lang, files, copy_channel, copy_chat_id,"
        " copy_message_id, created_at) VALUES (?, '', '[]', 'de', '[]', ?, ?, ?, ?)",
        [family, ref.channel, ref.chat, ref.id, now.isoformat(timespec="seconds")],
    )


def pending(
    db: Database, channel: str, external_id: str | None = None, *, after: int | None = None
) -> list[Queued]:
    """Waiting replies of one channel (or of one family on it), oldest first. With
    `after`, only those of the families that got a reply since outbox row `after` (all of
    theirs, so that a new reply never overtakes an older one)."""
    sql = (
        "SELECT outbox.id, family_id, external_id, text, buttons, lang, sent_parts, files,"
        " copy_chat_id, copy_message_id, copy_channel"
        " FROM outbox JOIN families ON families.id = outbox.family_id"
        " WHERE channel = ?"
    )
    params: list[object] = [channel]
    if external_id is not None:
        sql += " AND external_id = ?"
        params.append(external_id)
    if after is not None:
        sql += " AND family_id IN (SELECT family_id FROM outbox WHERE id > ?)"
        params.append(after)
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
            copy_from=MessageRef(str(row[10]), str(row[8]), str(row[9]))
            if row[8] is not None
            else None,
        )
        for row in rows
    ]


def mark_parts_sent(db: Database, item_id: int, parts: int) -> None:
    db.execute("UPDATE outbox SET sent_parts = ? WHERE id = ?", [parts, item_id])


def last_id(db: Database) -> int:
    """The newest outbox row's id (0 if none): the mark for `pending(after=…)`."""
    return queues.last_id(db, "outbox")


def remove(db: Database, item_ids: list[int]) -> None:
    """Deletes sent (or for good refused) rows."""
    queues.delete_ids(db, "outbox", item_ids)


def remove_family(db: Database, family: int) -> None:
    db.execute("DELETE FROM outbox WHERE family_id = ?", [family])
