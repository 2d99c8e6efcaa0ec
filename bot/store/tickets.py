"""Tickets (a family talking to KI staff), the family's forum topic, messages on their way
to staff chats, and mediator requests. Rows hold our own texts and message ids, never
what a family wrote: relayed messages are copied by id."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

from sqlite_utils import Database

from bot.store import db as queues
from bot.store import stats, ticket_log
from bot.store.ids import next_id
from bot.types import Button, Chat, MessageRef

OPEN, CLOSED = "open", "closed"
REQUESTED, ACCEPTED, DECLINED, DONE = "requested", "accepted", "declined", "closed"


def _stamp(now: dt.datetime) -> str:
    return now.isoformat(timespec="seconds")


# --- tickets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    id: int
    family_id: int
    status: str
    title: str
    card: str
    after_hours_on: str | None
    rating: int | None


_TICKET = "id, family_id, status, title, card, after_hours_on, rating"


def _ticket(row: tuple[object, ...] | None) -> Ticket | None:
    if row is None:
        return None
    id_, family, status, title, card, after, rating = row
    return Ticket(
        int(str(id_)),
        int(str(family)),
        str(status),
        str(title),
        str(card),
        str(after) if after else None,
        int(str(rating)) if rating is not None else None,
    )


def open_ticket(db: Database, family: int) -> Ticket | None:
    row = db.execute(
        f"SELECT {_TICKET} FROM tickets WHERE family_id = ? AND status = ?", [family, OPEN]
    ).fetchone()
    return _ticket(row)


def latest_ticket(db: Database, family: int) -> Ticket | None:
    row = db.execute(
        f"SELECT {_TICKET} FROM tickets WHERE family_id = ? ORDER BY id DESC LIMIT 1", [family]
    ).fetchone()
    return _ticket(row)


def next_ticket_id(db: Database) -> int:
    row = db.execute(f"SELECT {next_id('tickets')}").fetchone()
    return int(row[0])


def create_ticket(
    db: Database, ticket_id: int, family: int, title: str, card: str, now: dt.datetime
) -> Ticket:
    db.execute(
        "INSERT INTO tickets (id, family_id, status, title, card, opened_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [ticket_id, family, OPEN, title, card, _stamp(now)],
    )
    found = open_ticket(db, family)
    assert found is not None
    return found


def close_ticket(db: Database, ticket: int, now: dt.datetime) -> None:
    db.execute(
        "UPDATE tickets SET status = ?, closed_at = ? WHERE id = ?", [CLOSED, _stamp(now), ticket]
    )


def mark_answered(db: Database, ticket: int, now: dt.datetime) -> int | None:
    """Notes staff's first answer to a ticket: the minutes the family waited for it
    (begun minutes), or None if staff had answered it before."""
    cursor = db.execute(
        "UPDATE tickets SET answered_at = ? WHERE id = ? AND answered_at IS NULL",
        [_stamp(now), ticket],
    )
    if cursor.rowcount != 1:
        return None
    row = db.execute("SELECT opened_at FROM tickets WHERE id = ?", [ticket]).fetchone()
    waited = now - dt.datetime.fromisoformat(str(row[0]))
    return max(0, math.ceil(waited.total_seconds() / 60))


def rate_ticket(db: Database, ticket: int, rating: int) -> bool:
    """Records the family's rating once; False if it was given before."""
    cursor = db.execute(
        "UPDATE tickets SET rating = ? WHERE id = ? AND rating IS NULL", [rating, ticket]
    )
    return cursor.rowcount == 1


def note_after_hours(db: Database, ticket: int, day: dt.date) -> bool:
    """True (and noted) if the after-hours notice was not yet sent on `day`."""
    cursor = db.execute(
        "UPDATE tickets SET after_hours_on = ? WHERE id = ?"
        " AND (after_hours_on IS NULL OR after_hours_on != ?)",
        [day.isoformat(), ticket, day.isoformat()],
    )
    return cursor.rowcount == 1


# --- the family's topic ------------------------------------------------------------------


def topic_of(db: Database, family: int) -> tuple[int, int] | None:
    """(chat, thread) of the family's topic."""
    row = db.execute(
        "SELECT chat_id, thread_id FROM family_topics WHERE family_id = ?", [family]
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def family_of_topic(db: Database, chat_id: int, thread_id: int) -> int | None:
    row = db.execute(
        "SELECT family_id FROM family_topics WHERE chat_id = ? AND thread_id = ?",
        [chat_id, thread_id],
    ).fetchone()
    return int(row[0]) if row else None


def save_topic(db: Database, family: int, chat_id: int, thread_id: int, now: dt.datetime) -> bool:
    """Records the family's topic; False if the family has one already (another process
    was first): the unique constraint decides."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO family_topics (family_id, chat_id, thread_id, created_at)"
        " VALUES (?, ?, ?, ?)",
        [family, chat_id, thread_id, _stamp(now)],
    )
    return cursor.rowcount == 1


def forget_topic(db: Database, family: int, thread_id: int) -> None:
    """The topic was deleted in Telegram; the next message creates a new one."""
    db.execute(
        "DELETE FROM family_topics WHERE family_id = ? AND thread_id = ?", [family, thread_id]
    )


# --- messages to staff chats -------------------------------------------------------------


@dataclass(frozen=True)
class StaffMessage:
    """One message to a staff chat: to the family's topic when `chat_id` is None."""

    id: int
    family_id: int | None
    chat_id: int | None
    thread_id: int | None
    kind: str
    text: str
    buttons: tuple[Button, ...]
    copy_from: MessageRef | None


def queue_text(
    db: Database,
    text: str,
    now: dt.datetime,
    *,
    family: int | None = None,
    chat_id: int | str | None = None,
    thread_id: int | None = None,
    buttons: tuple[Button, ...] = (),
    kind: str = "text",
) -> None:
    """A text to a staff chat; one to a family's topic goes to its ticket log too, for
    the desk."""
    if family is not None and chat_id is None and kind == "text":
        ticket_log.note(db, family, "lotse", text, now)
    db.execute(
        "INSERT INTO staff_outbox (family_id, chat_id, thread_id, kind, text, buttons,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            family,
            chat_id,
            thread_id,
            kind,
            text,
            json.dumps([[b.id, b.label] for b in buttons], ensure_ascii=False),
            _stamp(now),
        ],
    )


def queue_copy(
    db: Database,
    ref: MessageRef,
    now: dt.datetime,
    *,
    family: int | None = None,
    chat_id: int | str | None = None,
) -> None:
    """A message passed on by reference: to the family's topic, or to `chat_id`."""
    db.execute(
        "INSERT INTO staff_outbox (family_id, chat_id, kind, copy_channel, copy_chat_id,"
        " copy_message_id, created_at) VALUES (?, ?, 'copy', ?, ?, ?, ?)",
        [family, chat_id, ref.channel, ref.chat, ref.id, _stamp(now)],
    )


def staff_pending(
    db: Database, family: int | None = None, *, after: int | None = None
) -> list[StaffMessage]:
    """Waiting staff-chat messages, oldest first; only the topic's of `family` if given;
    with `after`, only those of the topics and chats that got one since staff-outbox row
    `after` (all of theirs: a new one never overtakes an older one)."""
    sql = (
        "SELECT id, family_id, chat_id, thread_id, kind, text, buttons, copy_chat_id,"
        " copy_message_id, copy_channel FROM staff_outbox WHERE 1 = 1"
    )
    params: list[object] = []
    if family is not None:
        sql += " AND family_id = ? AND chat_id IS NULL"
        params.append(family)
    if after is not None:
        sql += (
            " AND ((chat_id IS NULL AND family_id IN (SELECT family_id FROM staff_outbox"
            "  WHERE id > ? AND chat_id IS NULL))"
            " OR chat_id IN (SELECT chat_id FROM staff_outbox WHERE id > ?))"
        )
        params += [after, after]
    rows = db.execute(sql + " ORDER BY id", params).fetchall()
    return [
        StaffMessage(
            id=int(row[0]),
            family_id=int(row[1]) if row[1] is not None else None,
            chat_id=int(row[2]) if row[2] is not None else None,
            thread_id=int(row[3]) if row[3] is not None else None,
            kind=str(row[4]),
            text=str(row[5]),
            buttons=tuple(Button(str(i), str(label)) for i, label in json.loads(row[6])),
            copy_from=MessageRef(str(row[9]), str(row[7]), str(row[8]))
            if row[7] is not None
            else None,
        )
        for row in rows
    ]


def staff_last_id(db: Database) -> int:
    """The newest staff-outbox row's id (0 if none): the mark for `staff_pending`."""
    return queues.last_id(db, "staff_outbox")


def staff_sent(db: Database, items: list[int]) -> None:
    """Deletes sent (or for good refused) staff-chat messages."""
    queues.delete_ids(db, "staff_outbox", items)


# --- mediator requests -------------------------------------------------------------------


@dataclass(frozen=True)
class MediationRequest:
    id: int
    family_id: int
    lang: str
    details: str
    status: str
    mediator: Chat | None  # the mediator's own chat with the bot, once accepted


_REQUEST = "id, family_id, lang, details, status, mediator_channel, mediator_id"


def _request(row: tuple[object, ...] | None) -> MediationRequest | None:
    if row is None:
        return None
    id_, family, lang, details, status, channel, mediator = row
    return MediationRequest(
        int(str(id_)),
        int(str(family)),
        str(lang),
        str(details),
        str(status),
        Chat(str(channel), str(mediator)) if mediator is not None else None,
    )


def create_request(
    db: Database,
    family: int,
    lang: str,
    details: str,
    now: dt.datetime,
    *,
    booking: int | None = None,
) -> MediationRequest:
    cursor = db.execute(
        "INSERT INTO mediation_requests (id, family_id, lang, details, status, created_at,"
        f" booking_id) VALUES ({next_id('mediation_requests')}, ?, ?, ?, ?, ?, ?)",
        [family, lang, details, REQUESTED, _stamp(now), booking],
    )
    found = get_request(db, int(cursor.lastrowid or 0))
    assert found is not None
    stats.count(db, now, f"{stats.MEDIATION}.requested", stats.language_key(found.lang))
    return found


def has_booking_request(db: Database, booking: int) -> bool:
    row = db.execute("SELECT 1 FROM mediation_requests WHERE booking_id = ?", [booking]).fetchone()
    return row is not None


def open_booking_request(db: Database, booking: int) -> MediationRequest | None:
    """The booking's mediator request while it is still asked for or accepted."""
    row = db.execute(
        f"SELECT {_REQUEST} FROM mediation_requests WHERE booking_id = ? AND status IN (?, ?)",
        [booking, REQUESTED, ACCEPTED],
    ).fetchone()
    return _request(row)


def close_request(db: Database, request: int, now: dt.datetime) -> None:
    db.execute(
        "UPDATE mediation_requests SET status = ?, closed_at = ? WHERE id = ?",
        [DONE, _stamp(now), request],
    )


def get_request(db: Database, request: int) -> MediationRequest | None:
    row = db.execute(
        f"SELECT {_REQUEST} FROM mediation_requests WHERE id = ?", [request]
    ).fetchone()
    return _request(row)


def decide_request(
    db: Database, request: int, status: str, mediator: Chat | None, now: dt.datetime
) -> bool:
    """Accept or decline a request that is still open; False if someone was faster."""
    cursor = db.execute(
        "UPDATE mediation_requests SET status = ?, mediator_channel = ?, mediator_id = ?,"
        " decided_at = ? WHERE id = ? AND status = ?",
        [
            status,
            mediator.channel if mediator else None,
            mediator.id if mediator else None,
            _stamp(now),
            request,
            REQUESTED,
        ],
    )
    if cursor.rowcount != 1:
        return False
    decided = get_request(db, request)
    assert decided is not None
    stats.count(db, now, f"{stats.MEDIATION}.{status}", stats.language_key(decided.lang))
    return True


def close_requests(db: Database, family: int, now: dt.datetime) -> list[MediationRequest]:
    """Ends the family's accepted requests: their mediators see nothing more."""
    rows = db.execute(
        f"SELECT {_REQUEST} FROM mediation_requests WHERE family_id = ? AND status = ?",
        [family, ACCEPTED],
    ).fetchall()
    db.execute(
        "UPDATE mediation_requests SET status = ?, closed_at = ?"
        " WHERE family_id = ? AND status = ?",
        [DONE, _stamp(now), family, ACCEPTED],
    )
    return [r for r in (_request(row) for row in rows) if r is not None]


def mediators_of(db: Database, family: int) -> list[Chat]:
    """The mediators who currently see this family's messages."""
    rows = db.execute(
        "SELECT DISTINCT mediator_channel, mediator_id FROM mediation_requests"
        " WHERE family_id = ? AND status = ? AND mediator_id IS NOT NULL",
        [family, ACCEPTED],
    ).fetchall()
    return [Chat(str(row[0]), str(row[1])) for row in rows]


def family_of_mediator(db: Database, mediator: Chat) -> int | None:
    """The family whose open request this mediator holds (the newest), if any."""
    row = db.execute(
        "SELECT family_id FROM mediation_requests WHERE mediator_channel = ?"
        " AND mediator_id = ? AND status = ? ORDER BY id DESC LIMIT 1",
        [mediator.channel, mediator.id, ACCEPTED],
    ).fetchone()
    return int(row[0]) if row else None


# --- the desk's queue --------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """An open ticket as the desk lists it."""

    ticket: Ticket
    channel: str
    state: str | None  # the family's conversation state (JSON), for its language
    opened_at: str
    waiting_since: str | None  # the family's first message since staff last answered


def open_tickets(db: Database) -> list[Waiting]:
    """The open tickets, longest waiting first (answered ones last)."""
    rows = db.execute(
        f"SELECT {', '.join('t.' + c.strip() for c in _TICKET.split(','))}, f.channel,"
        " c.state, t.opened_at, (SELECT MIN(l.at) FROM ticket_log l"
        "  WHERE l.family_id = t.family_id AND l.author = 'family' AND l.id > COALESCE("
        "   (SELECT MAX(s.id) FROM ticket_log s WHERE s.family_id = t.family_id"
        "    AND s.author = 'staff'), 0)) AS waiting"
        " FROM tickets t JOIN families f ON f.id = t.family_id"
        " LEFT JOIN conversations c ON c.family_id = t.family_id"
        " WHERE t.status = ? ORDER BY waiting IS NULL, julianday(waiting), t.id",
        [OPEN],
    ).fetchall()
    found = []
    for row in rows:
        ticket = _ticket(row[:7])
        assert ticket is not None
        found.append(Waiting(ticket, str(row[7]), row[8], str(row[9]), row[10]))
    return found
