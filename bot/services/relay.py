"""Messages between people (staff, mediators) and a family, across channels.

A message is passed on by reference (bot/types.py MessageRef): a channel that keeps its
messages (Telegram) copies it by its id; otherwise the text is held in the ticket log
(bot/store/ticket_log.py) and the reference points there. A Telegram message can only be
copied within Telegram: for a family on another channel (the web chat) it goes as the held
text. Every such message is written to the ticket log, which is what the desk shows.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from bot.store import ticket_log, tickets
from bot.store.conversations import chat_of
from bot.store.outbox import enqueue_copy
from bot.store.ticket_log import Author
from bot.types import MessageRef


def to_family(
    db: Database,
    family: int,
    ref: MessageRef | None,
    text: str | None,
    now: dt.datetime,
    *,
    author: Author = "staff",
    member: str | None = None,
    to_topic: bool = False,
) -> bool:
    """Passes a message of staff (or a mediator) on to the family, and to its topic when
    `to_topic` (a message that was not written there). False when it cannot reach the
    family: a file from Telegram for a family on another channel."""
    chat = chat_of(db, family)
    if ref is not None and chat is not None and chat.channel == ref.channel:
        ticket_log.note(db, family, author, text or "[Datei]", now, member=member)
        if to_topic:
            tickets.queue_copy(db, ref, now, family=family)
        enqueue_copy(db, family, ref, now)
        return True
    held = ticket_log.write(db, family, author, text or "[Datei]", now, member=member)
    if to_topic:
        tickets.queue_copy(db, ref if ref is not None else held, now, family=family)
    if not text:
        return False
    enqueue_copy(db, family, held, now)
    return True
