"""Appointment reminders: rows in SQLite (planned when a booking is confirmed or moved),
picked up by one periodic job. Claiming a reminder and queueing its message happen in one
transaction, so a reminder is sent once, also when the job runs twice or after a restart.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from bot.engine import Button, Reply, State
from bot.engine.dialogue import HOME
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.services import booking as flow
from bot.store import transaction
from bot.store.bookings import DueReminder, due_reminders, mark_sent
from bot.store.outbox import enqueue

REMINDER = _("⏰ Erinnerung: Ihr Termin ist am {when}.")


def send_due(db: Database, kb: KnowledgeBase, channel: str, now: dt.datetime) -> int:
    """Queue every reminder that is due for families on `channel`; returns how many.
    After downtime, only the latest due reminder of a booking is sent (not "tomorrow" and
    "in two hours" together); reminders of appointments that have begun are not sent."""
    if kb.appointments is None:
        return 0
    queued = 0
    with transaction(db):
        latest: dict[int, DueReminder] = {}
        for due in due_reminders(db, now):
            row = db.execute(
                "SELECT channel FROM families WHERE id = ?", [due.booking.family_id]
            ).fetchone()
            if row is None or row[0] != channel or not mark_sent(db, due.id, now):
                continue
            known = latest.get(due.booking.id)
            if known is None or due.hours < known.hours:
                latest[due.booking.id] = due
        for due in latest.values():
            enqueue(db, due.booking.family_id, (_reminder(db, kb, due, now),), now)
            queued += 1
    return queued


def _reminder(db: Database, kb: KnowledgeBase, due: DueReminder, now: dt.datetime) -> Reply:
    assert kb.appointments is not None
    turn = flow.Turn(db, kb, due.booking.family_id, now, State(lang=due.booking.lang), [])
    found = kb.catalogs.text(due.booking.lang, None, REMINDER)
    text = found.text.format(when=turn.when(due.booking.starts_at))
    text += "\n" + turn.type_name(due.booking.type)
    kind = kb.appointments.types.get(due.booking.type)
    if kind is not None:
        text += "\n" + kb.fill(flow.place_text(turn, kind), turn.lang)
    buttons = (
        turn.button("list", "📋 Meine Termine"),
        Button(HOME, turn.ui("🏠 Hauptmenü")),
    )
    return Reply(text, buttons, found.lang)
