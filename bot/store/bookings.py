"""Bookings, the seats they occupy, and their reminders.

Capacity is decided by the database: a slot of an appointment type has seats 1..capacity,
and a booking (held or confirmed) occupies one row in `booking_seats`, whose primary key
(type, starts_at, seat) makes a second booking of the same seat impossible. All writes run
inside the caller's BEGIN IMMEDIATE transaction, so two processes never both see a seat
as free. Times are stored as UTC ISO strings (sortable, no daylight-saving ambiguity).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from bot.store import stats
from bot.store.ids import next_id

HELD, CONFIRMED, CANCELLED, EXPIRED, NO_SHOW = (
    "held",
    "confirmed",
    "cancelled",
    "expired",
    "no_show",
)
# Who cancelled: the value of `cancel_reason`. A reason typed by staff is told to the
# family and never stored (the booking keeps only who cancelled it).
BY_FAMILY, BY_STAFF = "family", "staff"


def utc(moment: dt.datetime) -> str:
    """The storage form of a moment: '2026-11-23T09:00:00+00:00'."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@dataclass(frozen=True)
class Booking:
    id: int
    family_id: int
    type: str
    starts_at: dt.datetime  # aware, UTC
    minutes: int
    status: str
    hold_until: dt.datetime | None
    children: int | None
    ages: str | None
    mediator_lang: str | None
    lang: str
    sequence: int
    cancel_reason: str | None

    @property
    def uid(self) -> str:
        return f"booking-{self.id}@lotse"


_COLUMNS = (
    "id, family_id, type, starts_at, minutes, status, hold_until, children, ages,"
    " mediator_lang, lang, sequence, cancel_reason"
)


def _booking(row: tuple[object, ...]) -> Booking:
    (
        id_,
        family,
        kind,
        starts,
        minutes,
        status,
        hold,
        children,
        ages,
        mediator,
        lang,
        seq,
        why,
    ) = row
    return Booking(
        id=int(str(id_)),
        family_id=int(str(family)),
        type=str(kind),
        starts_at=parse_utc(str(starts)),
        minutes=int(str(minutes)),
        status=str(status),
        hold_until=parse_utc(str(hold)) if hold else None,
        children=int(str(children)) if children is not None else None,
        ages=str(ages) if ages is not None else None,
        mediator_lang=str(mediator) if mediator is not None else None,
        lang=str(lang),
        sequence=int(str(seq)),
        cancel_reason=str(why) if why is not None else None,
    )


def expire_holds(db: Database, now: dt.datetime) -> int:
    """Free the seats of holds whose time ran out; returns how many expired."""
    stale = [
        row[0]
        for row in db.execute(
            "SELECT id FROM bookings WHERE status = ? AND hold_until < ?", [HELD, utc(now)]
        ).fetchall()
    ]
    for booking_id in stale:
        db.execute("DELETE FROM booking_seats WHERE booking_id = ?", [booking_id])
        db.execute(
            "UPDATE bookings SET status = ?, updated_at = ? WHERE id = ?",
            [EXPIRED, utc(now), booking_id],
        )
    return len(stale)


def taken(
    db: Database, kind: str, starts: Iterable[dt.datetime], now: dt.datetime
) -> Counter[str]:
    """Occupied seats per slot start (UTC string) among `starts`: confirmed bookings and
    holds that are still running."""
    keys = [utc(start) for start in starts]
    if not keys:
        return Counter()
    marks = ",".join("?" for _ in keys)
    rows = db.execute(
        "SELECT s.starts_at, COUNT(*) FROM booking_seats s JOIN bookings b ON b.id = s.booking_id"
        f" WHERE s.type = ? AND s.starts_at IN ({marks})"
        " AND (b.status = ? OR (b.status = ? AND b.hold_until >= ?))"
        " GROUP BY s.starts_at",
        [kind, *keys, CONFIRMED, HELD, utc(now)],
    ).fetchall()
    return Counter({str(start): int(count) for start, count in rows})


class SlotTaken(Exception):
    """Every seat of the slot is occupied."""


def _take_seat(db: Database, kind: str, start: dt.datetime, capacity: int, booking: int) -> None:
    used = {
        int(row[0])
        for row in db.execute(
            "SELECT seat FROM booking_seats WHERE type = ? AND starts_at = ?", [kind, utc(start)]
        ).fetchall()
    }
    free = [seat for seat in range(1, capacity + 1) if seat not in used]
    if not free or len(used) >= capacity:  # after a capacity cut, numbers may exceed it
        raise SlotTaken(utc(start))
    db.execute(
        "INSERT INTO booking_seats (type, starts_at, seat, booking_id) VALUES (?, ?, ?, ?)",
        [kind, utc(start), free[0], booking],
    )


def hold(
    db: Database,
    *,
    family: int,
    kind: str,
    start: dt.datetime,
    minutes: int,
    capacity: int,
    lang: str,
    now: dt.datetime,
    hold_minutes: int,
) -> int:
    """Reserve a seat for a family while they confirm; raises SlotTaken."""
    expire_holds(db, now)
    # A family holds one slot at a time: a new choice releases the previous hold.
    for (old,) in db.execute(
        "SELECT id FROM bookings WHERE family_id = ? AND status = ?", [family, HELD]
    ).fetchall():
        release(db, int(old), now)
    cursor = db.execute(
        "INSERT INTO bookings (id, family_id, type, starts_at, minutes, status, hold_until,"
        f" lang, sequence, created_at, updated_at) VALUES ({next_id('bookings')},"
        " ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        [
            family,
            kind,
            utc(start),
            minutes,
            HELD,
            utc(now + dt.timedelta(minutes=hold_minutes)),
            lang,
            utc(now),
            utc(now),
        ],
    )
    booking = int(cursor.lastrowid or 0)
    _take_seat(db, kind, start, capacity, booking)
    return booking


def release(db: Database, booking: int, now: dt.datetime) -> None:
    """Give up a hold (the family went elsewhere); nothing of it stays."""
    db.execute("DELETE FROM booking_seats WHERE booking_id = ?", [booking])
    db.execute(
        "UPDATE bookings SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
        [EXPIRED, utc(now), booking, HELD],
    )


def confirm(
    db: Database,
    booking: int,
    *,
    children: int | None,
    ages: str | None,
    mediator_lang: str | None,
    reminder_hours: Iterable[int],
    now: dt.datetime,
) -> Booking:
    """Turn a running hold into a booking with its reminders; raises SlotTaken if the hold
    ran out and the seat went to someone else meanwhile."""
    expire_holds(db, now)
    current = get(db, booking)
    if current is None or current.status != HELD:
        raise SlotTaken(str(booking))
    db.execute(
        "UPDATE bookings SET status = ?, hold_until = NULL, children = ?, ages = ?,"
        " mediator_lang = ?, updated_at = ? WHERE id = ?",
        [CONFIRMED, children, ages, mediator_lang, utc(now), booking],
    )
    _plan_reminders(db, booking, current.starts_at, reminder_hours, now)
    confirmed = get(db, booking)
    assert confirmed is not None
    _count(db, now, "made", confirmed)
    return confirmed


def _count(db: Database, now: dt.datetime, outcome: str, booking: Booking) -> None:
    """The anonymous daily counter of what happened to a booking (bot/store/stats.py)."""
    stats.count(db, now, f"{stats.BOOKING}.{outcome}", booking.type, booking.lang)


def _plan_reminders(
    db: Database, booking: int, start: dt.datetime, hours: Iterable[int], now: dt.datetime
) -> None:
    db.execute("DELETE FROM reminders WHERE booking_id = ? AND sent_at IS NULL", [booking])
    for before in hours:
        due = start - dt.timedelta(hours=before)
        if due > now:  # a reminder whose time has passed is not sent at all
            db.execute(
                "INSERT OR REPLACE INTO reminders (booking_id, hours, due_at, sent_at)"
                " VALUES (?, ?, ?, NULL)",
                [booking, before, utc(due)],
            )


def move(
    db: Database,
    booking: int,
    *,
    start: dt.datetime,
    capacity: int,
    reminder_hours: Iterable[int],
    now: dt.datetime,
) -> Booking:
    """Reschedule a confirmed booking to `start` (same booking, SEQUENCE + 1); raises
    SlotTaken and then leaves the old time as it was."""
    current = get(db, booking)
    if current is None or current.status != CONFIRMED:
        raise SlotTaken(str(booking))
    expire_holds(db, now)
    db.execute("SAVEPOINT move_booking")
    try:
        db.execute("DELETE FROM booking_seats WHERE booking_id = ?", [booking])
        _take_seat(db, current.type, start, capacity, booking)
    except SlotTaken:
        db.execute("ROLLBACK TO SAVEPOINT move_booking")
        db.execute("RELEASE SAVEPOINT move_booking")
        raise
    db.execute("RELEASE SAVEPOINT move_booking")
    db.execute(
        "UPDATE bookings SET starts_at = ?, sequence = sequence + 1, updated_at = ? WHERE id = ?",
        [utc(start), utc(now), booking],
    )
    _plan_reminders(db, booking, start, reminder_hours, now)
    moved = get(db, booking)
    assert moved is not None
    _count(db, now, "moved", moved)
    return moved


def cancel(
    db: Database,
    booking: int,
    now: dt.datetime,
    *,
    reason: str | None = None,
    status: str = CANCELLED,
) -> Booking | None:
    """Cancel (or mark as no-show): the seat is freed, pending reminders are dropped."""
    db.execute("DELETE FROM booking_seats WHERE booking_id = ?", [booking])
    db.execute("DELETE FROM reminders WHERE booking_id = ? AND sent_at IS NULL", [booking])
    db.execute(
        "UPDATE bookings SET status = ?, cancel_reason = ?, sequence = sequence + 1,"
        " updated_at = ? WHERE id = ?",
        [status, reason, utc(now), booking],
    )
    done = get(db, booking)
    if done is not None:
        _count(db, now, "no_show" if status == NO_SHOW else "cancelled", done)
    return done


def get(db: Database, booking: int) -> Booking | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM bookings WHERE id = ?", [booking]).fetchone()
    return _booking(row) if row else None


def open_count(db: Database, family: int, now: dt.datetime) -> int:
    """A family's upcoming confirmed appointments and running holds."""
    row = db.execute(
        "SELECT COUNT(*) FROM bookings WHERE family_id = ? AND starts_at >= ?"
        " AND (status = ? OR (status = ? AND hold_until >= ?))",
        [family, utc(now), CONFIRMED, HELD, utc(now)],
    ).fetchone()
    return int(row[0])


def upcoming(db: Database, family: int, now: dt.datetime) -> list[Booking]:
    """A family's confirmed appointments that have not begun, soonest first."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM bookings WHERE family_id = ? AND status = ? AND starts_at >= ?"
        " ORDER BY starts_at",
        [family, CONFIRMED, utc(now)],
    ).fetchall()
    return [_booking(row) for row in rows]


def between(db: Database, start: dt.datetime, end: dt.datetime) -> list[Booking]:
    """Confirmed appointments of every family in [start, end), for staff and export."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM bookings WHERE status IN (?, ?) AND starts_at >= ?"
        " AND starts_at < ? ORDER BY starts_at",
        [CONFIRMED, NO_SHOW, utc(start), utc(end)],
    ).fetchall()
    return [_booking(row) for row in rows]


@dataclass(frozen=True)
class DueReminder:
    id: int
    booking: Booking
    hours: int


def due_reminders(db: Database, now: dt.datetime) -> list[DueReminder]:
    rows = db.execute(
        f"SELECT r.id, r.hours, {', '.join('b.' + c.strip() for c in _COLUMNS.split(','))}"
        " FROM reminders r JOIN bookings b ON b.id = r.booking_id"
        " WHERE r.sent_at IS NULL AND r.due_at <= ? AND b.status = ? AND b.starts_at > ?"
        " ORDER BY r.due_at",
        [utc(now), CONFIRMED, utc(now)],
    ).fetchall()
    return [DueReminder(int(row[0]), _booking(row[2:]), int(row[1])) for row in rows]


def mark_sent(db: Database, reminder: int, now: dt.datetime) -> bool:
    """Claim a reminder; False if another job run already did (so it is sent once)."""
    cursor = db.execute(
        "UPDATE reminders SET sent_at = ? WHERE id = ? AND sent_at IS NULL", [utc(now), reminder]
    )
    return cursor.rowcount == 1
