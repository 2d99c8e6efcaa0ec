"""Anonymous daily counters for the KI's reports (bot/services/statistics.py).

A counter is one row per (Berlin day, metric, key, language) with a number: how often
something happened that day. It names no family, holds no text and no time finer than a
day, and no row links to `families`, so neither /delete nor retention removes it — the
counts are what is left of a conversation once the conversation is gone. docs/privacy.md
says why that is anonymous.

Counters are written by the code that does the thing they count, in the caller's
transaction (one event, one commit): a rolled-back booking is not counted, a re-delivered
update is not counted twice. The metrics are the names below; `key` says which of a
metric (a journey, an answer step, an appointment type, a mediator language) and `lang`
the family's language ("" where no family is concerned).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel import Locale
from sqlite_utils import Database

from bot.clock import BERLIN
from bot.i18n import normalize_language

CONVERSATION = "conversation"  # a chat Lotse did not know wrote; key: the channel
JOURNEY = "journey"  # a family entered a journey (flow); key: the flow
ANSWER = "answer"  # an answer step was shown; key: its node id
TEXT = "text"  # a typed text for Lotse; key: one of TEXT_OUTCOMES
HANDOFF = "handoff"  # a family asked for a person and a ticket opened; key: the flow
FIRST_ANSWER = "first_answer"  # staff answered a ticket first; key: minutes waited
MEDIATION = "mediation"  # a mediator request; key: the language; see MEDIATION_OUTCOMES
BOOKING = "booking"  # prefix: booking.made / .moved / .cancelled / .no_show; key: type

UNDERSTOOD, ASKED_BACK, UNANSWERED = "understood", "asked_back", "unanswered"
TEXT_OUTCOMES = (UNDERSTOOD, ASKED_BACK, UNANSWERED)
BOOKING_OUTCOMES = ("made", "moved", "cancelled", "no_show")
MEDIATION_OUTCOMES = ("requested", "accepted", "declined")
OTHER = "other"  # a language that is not a known code (typed by a family, e.g. "Tigrinya")
_KNOWN_LANGUAGES = Locale("de").languages


def language_key(code: str) -> str:
    """A mediator language as a counter's key: a known language code, else OTHER — a
    family may type the language in its own words, and no typed text is counted."""
    code = code.strip().casefold()
    return code if code in _KNOWN_LANGUAGES or normalize_language(code) != code else OTHER


def day_of(moment: dt.datetime) -> dt.date:
    """The Berlin day a moment belongs to: counters are kept per day, nothing finer."""
    return moment.astimezone(BERLIN).date() if moment.tzinfo else moment.date()


def count(
    db: Database, now: dt.datetime, metric: str, key: str = "", lang: str = "", n: int = 1
) -> None:
    """Adds `n` to today's counter of `metric` / `key` / `lang`."""
    db.execute(
        "INSERT INTO stats_daily (day, metric, key, lang, n) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (day, metric, key, lang) DO UPDATE SET n = n + excluded.n",
        [day_of(now).isoformat(), metric, key, lang, n],
    )


@dataclass(frozen=True)
class Counter:
    day: dt.date
    metric: str
    key: str
    lang: str
    n: int


def counters(db: Database, start: dt.date, end: dt.date) -> list[Counter]:
    """Every counter of the days `start` to `end` (both included), oldest first."""
    rows = db.execute(
        "SELECT day, metric, key, lang, n FROM stats_daily WHERE day BETWEEN ? AND ?"
        " ORDER BY day, metric, key, lang",
        [start.isoformat(), end.isoformat()],
    ).fetchall()
    return [
        Counter(dt.date.fromisoformat(day), metric, key, lang, int(n))
        for day, metric, key, lang, n in rows
    ]


def first_day(db: Database) -> dt.date | None:
    """The first day anything was counted."""
    row = db.execute("SELECT MIN(day) FROM stats_daily").fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None
