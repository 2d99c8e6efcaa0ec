"""Appointment reminders: rows in SQLite (planned when a booking is confirmed or moved),
picked up by one periodic job. Claiming a reminder and queueing its message happen in one
transaction, so a reminder is sent once, also when the job runs twice or after a restart.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.services import booking as flow
from bot.store import transaction
from bot.store.bookings import DueReminder, due_reminders, mark_sent
from bot.store.outbox import enqueue
from bot.types import Reply, State

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
    """In the language the family booked in; said as every turn says it."""
    assert kb.appointments is not None
    turn = flow.Turn(db, kb, now, family=due.booking.family_id, state=State(lang=due.booking.lang))
    lines = [turn.ui(REMINDER).format(when=turn.when(due.booking.starts_at))]
    lines.append(turn.type_name(due.booking.type))
    kind = kb.appointments.types.get(due.booking.type)
    if kind is not None:
        lines.append(flow.place_text(turn, kind))
    return turn.say("\n".join(lines), (turn.button("list", "📋 Meine Termine"), turn.home()))
