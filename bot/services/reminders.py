"""Appointment reminders: rows in SQLite (planned when a booking is confirmed or moved),
picked up by one periodic job. Claiming a reminder and queueing its message happen in one
transaction, so a reminder is sent once, also when the job runs twice or after a restart.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from bot.engine import Reply, State
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.services import booking as flow
from bot.store import transaction
from bot.store.bookings import due_reminders, mark_sent
from bot.store.outbox import enqueue

REMINDER = _("⏰ Erinnerung: Ihr Termin ist am {when}.")


def send_due(db: Database, kb: KnowledgeBase, channel: str, now: dt.datetime) -> int:
    """Queue every reminder that is due for families on `channel`; returns how many."""
    if kb.appointments is None:
        return 0
    queued = 0
    with transaction(db):
        for due in due_reminders(db, now):
            row = db.execute(
                "SELECT channel FROM families WHERE id = ?", [due.booking.family_id]
            ).fetchone()
            if row is None or row[0] != channel or not mark_sent(db, due.id, now):
                continue
            turn = flow.Turn(db, kb, due.booking.family_id, now, State(lang=due.booking.lang), [])
            kind = kb.appointments.types.get(due.booking.type)
            found = kb.catalogs.text(due.booking.lang, None, REMINDER)
            text = found.text.format(when=turn.when(due.booking.starts_at))
            text += "\n" + turn.type_name(due.booking.type)
            if kind is not None:
                text += "\n" + turn.kb.fill(flow.place_text(turn, kind), turn.lang)
            reply = Reply(text, (), found.lang)
            enqueue(db, due.booking.family_id, (reply,), now)
            queued += 1
    return queued
