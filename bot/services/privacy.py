"""Privacy for families and the KI (see docs/privacy.md, the record of processing).

- The notice: the first reply to a family starts with one short message on what Lotse
  stores (after the welcome, in the family's language; while Lotse still asks for the
  language it waits). `families.notice_at` remembers that it was shown.
- /mydata: a summary in the family's language and a JSON file with every row and column
  stored about it (found through the schema, bot/store/privacy.py).
- /delete: a yes/no question, then everything goes: upcoming appointments are cancelled,
  an open ticket is closed, mediator requests end, staff are told in the staff chat, the
  family's forum topic is deleted, and the family's row is deleted with everything that
  cascades from it. The goodbye cannot wait in the outbox (its rows go with the family):
  `delete` returns it and the channel sends it directly (`Conversations.farewell`).
- "Talk to a person" sends the family's messages to KI staff: before the first ticket the
  family is asked once (yes/no, bot/services/handoff.py); the yes is kept in the
  conversation state and the audit log.
- Retention: `purge` deletes what is older than the periods in `[privacy]`; `purge_due`
  runs it at most once a day (the audit log remembers the last run).

Every family-facing text is a `_()` string shown in the family's language; staff texts are
German. Nothing here logs or stores what a family typed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from bot import i18n
from bot.clock import BERLIN
from bot.config import PrivacySettings, StaffSettings
from bot.engine.dialogue import HOME, LANG_PREFIX
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.services import booking_posts
from bot.services.turn import Turn
from bot.store import audit, forget_wal, ticket_log, tickets, transaction
from bot.store import bookings as booking_store
from bot.store import privacy as store
from bot.store.conversations import load_state
from bot.types import (
    Attachment,
    Button,
    ButtonId,
    ButtonPress,
    Command,
    Event,
    Reply,
    Start,
    TextInput,
    button_id,
)

PREFIX = "pv"
MYDATA, DELETE = button_id(PREFIX, "mydata"), button_id(PREFIX, "delete")
DELETE_YES, DELETE_NO = button_id(PREFIX, "delete", "yes"), button_id(PREFIX, "delete", "no")
COMMANDS = ("mydata", "delete")
EXPORT_FILE = "lotse-meine-daten.json"
EXPORT_MIME = "application/json"
PURGE = "purge"  # the audit action of a retention run

NOTICE = _(
    "🔒 [[Datenschutz]]: Lotse speichert nur Ihre Sprache, wo Sie im Gespräch sind und "
    "Ihre Antworten auf seine Fragen, zum Beispiel das Alter Ihres Kindes. "
    "Termine und Ihre Nachrichten an das Team des KI speichern wir nur, wenn Sie zustimmen. "
    "Lesen können Sie alles ohne Zustimmung. /mydata zeigt Ihre Daten, /delete löscht alles."
)
_SUMMARY = _(
    "Das hat Lotse über Sie gespeichert:\n"
    "Sprache: {language}\n"
    "Erster Kontakt: {date}\n"
    "Termine: {bookings}\n"
    "Gespräche mit dem Team des KI: {tickets}\n"
    "Gespeicherte Fragen: {questions}\n"
    "Alles steht in der Datei. /delete löscht alles."
)
_DELETE_LABEL = _("🗑 Alles löschen")
_DELETE_ASK = _(
    "Möchten Sie alles löschen, was Lotse über Sie gespeichert hat? Ihre Termine werden "
    "abgesagt, ein Gespräch mit dem Team des KI wird beendet. Das lässt sich nicht "
    "rückgängig machen."
)
_DELETE_YES = _("🗑 Ja, alles löschen")
_NO = _("Nein")
_KEPT = _("Gut. Es bleibt alles, wie es war.")
_DELETED = _(
    "Alles ist gelöscht. Die Nachrichten hier im Chat können Sie selbst löschen. Wenn Sie "
    "wieder schreiben, beginnt Lotse von vorn."
)
_RESTART = _("Neu beginnen")
_EARLIER = _("Dieser Knopf gehört zu einem früheren Schritt.")
# --- texts -------------------------------------------------------------------------------


# --- the notice --------------------------------------------------------------------------


def _introduced(event: Event) -> bool:
    """Events whose first reply introduces (the welcome, the chosen language): the notice
    follows it."""
    if isinstance(event, Start):
        return True
    if isinstance(event, ButtonPress):
        return event.id.startswith(LANG_PREFIX)
    return command_of(event) == "start"


def add_notice(turn: Turn, event: Event) -> None:
    """Puts the privacy notice among the turn's replies, if the family has not seen it
    yet. It waits while Lotse asks for the language, so that it is read in the right one."""
    replies = turn.replies
    if not replies or store.notice_shown(turn.db, turn.family):
        return
    if any(button.id.startswith(LANG_PREFIX) for button in replies[-1].buttons):
        return
    store.mark_notice(turn.db, turn.family, turn.now)
    at = 1 if _introduced(event) and len(replies) > 1 else 0
    replies.insert(at, turn.tell(NOTICE))
    replies.pop()  # `tell` appended it at the end


# --- commands and buttons ----------------------------------------------------------------


def command_of(event: Event) -> str | None:
    """The command of a Command event or of typed "/name@bot …", lower case."""
    if isinstance(event, Command):
        return event.name.casefold()
    if isinstance(event, TextInput):
        typed = event.text.strip()
        if typed.startswith("/") and len(typed) > 1:
            return typed[1:].split()[0].split("@")[0].casefold()
    return None


def confirms_delete(turn: Turn, event: Event) -> bool:
    """The "yes, delete everything" button, pressed under the question just asked."""
    return (
        isinstance(event, ButtonPress)
        and event.id == DELETE_YES
        and DELETE_YES in turn.state.offered
    )


class PrivacyFlow:
    """/mydata and /delete, and their buttons."""

    name = "privacy"
    prefixes = frozenset({PREFIX})
    effects: frozenset[str] = frozenset()

    def __init__(self, staff: StaffSettings | None) -> None:
        self.staff = staff

    def claims(self, turn: Turn, event: Event) -> bool:
        if isinstance(event, ButtonPress):
            return ButtonId.decode(event.id).prefix == PREFIX
        return command_of(event) in COMMANDS

    def handle(self, turn: Turn, event: Event) -> Event | None:
        """Answers a privacy command or button; an unknown button of ours goes on to the
        engine ("this button belongs to an earlier step")."""
        if confirms_delete(turn, event):
            turn.gone = delete_by_family(turn, self.staff)
            return None
        pressed = event.id if isinstance(event, ButtonPress) else None
        if pressed in (DELETE_YES, DELETE_NO) and not turn.stored:
            turn.gone = goodbye(turn)  # a second tap after the deletion: nothing made again
            return None
        name = command_of(event)
        button = event.id if isinstance(event, ButtonPress) else None
        turn.state = replace(turn.state, offered=())
        if name == "mydata" or button == MYDATA:
            show_data(turn)
        elif name == "delete" or button == DELETE:
            ask_delete(turn)
        elif button == DELETE_YES:  # the question was not the last thing asked
            turn.tell(_EARLIER)
            ask_delete(turn)
        elif button == DELETE_NO:
            turn.tell(_KEPT, (turn.home(),))
        else:
            return event
        return None

    def effect(self, turn: Turn, effect: object) -> None:  # pragma: no cover - claims none
        raise AssertionError(effect)


# --- /mydata -----------------------------------------------------------------------------


def export(db: Database, family: int, now: dt.datetime) -> dict[str, Any]:
    """Everything stored about the family: every table, every row, every column."""
    tables = store.family_rows(db, family)
    for row in tables.get("conversations", []):
        with contextlib.suppress(TypeError, ValueError):  # else shown as stored
            row["state"] = json.loads(row["state"])
    for row in tables.get("audit_log", []):  # staff members' Telegram ids are theirs, not
        if str(row["actor"]).lstrip("-").isdigit():  # the family's: only the role is shown
            row["actor"] = "staff"
    return {
        "lotse_export": 1,
        "exported_at": now.isoformat(timespec="seconds"),
        "about": (
            "Alles, was Lotse über diesen Chat gespeichert hat: je Tabelle jede Zeile mit "
            "jeder Spalte. / Everything Lotse stores about this chat: every row and column "
            "of every table."
        ),
        "tables": tables,
    }


def export_file(db: Database, family: int, now: dt.datetime) -> bytes:
    return json.dumps(export(db, family, now), ensure_ascii=False, indent=2).encode("utf-8")


def show_data(turn: Turn) -> None:
    data = export(turn.db, turn.family, turn.now)
    tables: Mapping[str, list[dict[str, Any]]] = data["tables"]
    (family,) = tables["families"]
    first = dt.datetime.fromisoformat(str(family["created_at"])).astimezone(BERLIN).date()
    file = Attachment(
        EXPORT_FILE, EXPORT_MIME, json.dumps(data, ensure_ascii=False, indent=2).encode()
    )
    lang = turn.lang
    turn.tell(
        _SUMMARY,
        (Button(DELETE, turn.label(_DELETE_LABEL)), turn.home()),
        (file,),
        language=i18n.language_name(lang),
        date=i18n.format_day(first, lang),
        bookings=len(tables.get("bookings", [])),
        tickets=len(tables.get("tickets", [])),
        questions=len(tables.get("unanswered", [])),
    )
    audit.record(turn.db, "family", "export", turn.now, family=turn.family)


# --- /delete -----------------------------------------------------------------------------


def ask_delete(turn: Turn) -> None:
    buttons = (
        Button(DELETE_YES, turn.label(_DELETE_YES)),
        Button(DELETE_NO, turn.label(_NO)),
    )
    turn.tell(_DELETE_ASK, buttons)
    turn.state = replace(turn.state, offered=(DELETE_YES,))


def delete(
    db: Database,
    kb: KnowledgeBase,
    family: int,
    now: dt.datetime,
    *,
    staff: StaffSettings | None,
    actor: str = "family",
) -> None:
    """Deletes everything about the family, in the caller's transaction. First what
    other people rely on: upcoming appointments are cancelled (each posted to the staff
    chat, bot/services/booking_posts.py), a running ticket and mediator requests end;
    staff, mediators and the coordination chat are told and the family's forum topic is
    deleted (these messages carry no family id, so they outlive the family's rows). Then
    the family's row, and with it everything else."""
    staff_chat = staff.chat_id if staff is not None else None
    lang = load_state(db, family).lang
    for booking in booking_store.upcoming(db, family, now):
        cancelled = booking_store.cancel(db, booking.id, now, reason=booking_posts.DELETED)
        if cancelled is not None:
            booking_posts.cancelled(
                db,
                kb,
                staff_chat,
                cancelled,
                now,
                by=booking_posts.DELETED,
                lang=lang,
                mediation_chat=staff.mediation_chat_id if staff is not None else None,
            )
    notes: list[str] = []
    ticket = tickets.open_ticket(db, family)
    if ticket is not None:
        tickets.close_ticket(db, ticket.id, now)
        notes.append(f"Ticket #{ticket.id} geschlossen.")
    mediation_chat = staff.mediation_chat_id if staff else None
    for request, status, mediator in store.open_requests(db, family):
        if status == tickets.ACCEPTED and mediator is not None:
            tickets.queue_text(
                db,
                f"Die Sprachmittlung #{request} ist beendet. Sie sehen keine Nachrichten "
                "dieser Familie mehr.",
                now,
                chat_id=mediator.id,
            )
        elif mediation_chat is not None:
            tickets.queue_text(
                db,
                f"Anfrage #{request} entfällt: die Familie hat ihre Daten gelöscht.",
                now,
                chat_id=mediation_chat,
            )
        notes.append(f"Sprachmittlung #{request} beendet.")
    topic = tickets.topic_of(db, family)
    if topic is not None:
        chat, thread = topic
        tickets.queue_text(db, "", now, chat_id=chat, thread_id=thread, kind="delete_topic")
        notes.append("Das Thema der Familie wird gelöscht, mit allen Nachrichten darin.")
    if notes and staff_chat is not None:
        who = (
            "Eine Familie hat ihre Daten in Lotse gelöscht (/delete):"
            if actor == "family"
            else "Die Daten einer Familie wurden auf Anfrage gelöscht (lotse privacy delete):"
        )
        text = "\n".join([who, *(f"• {note}" for note in notes)])
        tickets.queue_text(db, text, now, chat_id=staff_chat)
    store.forget_copies(db, family)
    audit.record(db, actor, "delete", now, family=family)
    store.delete_family(db, family)


def delete_by_family(turn: Turn, staff: StaffSettings | None) -> Reply:
    """/delete confirmed: everything goes; returns the goodbye (sent without the outbox,
    whose rows go with the family)."""
    delete(turn.db, turn.kb, turn.family, turn.now, staff=staff)
    return goodbye(turn)


def goodbye(turn: Turn) -> Reply:
    """ "Everything is deleted", for the channel to send without the outbox."""
    said = turn.tell(_DELETED, (Button(HOME, turn.label(_RESTART)),))
    turn.replies.remove(said)
    return said


# --- retention ---------------------------------------------------------------------------


class _DryRun(Exception):
    """Rolls a dry run back."""


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(BERLIN).date()


def _purge(db: Database, settings: PrivacySettings, now: dt.datetime) -> dict[str, int]:
    def before(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    idle = store.idle_families(db, before(settings.idle_family_days), now)
    for chat, thread in store.topics_of(db, idle):  # their topics hold their messages
        tickets.queue_text(db, "", now, chat_id=chat, thread_id=thread, kind="delete_topic")
    families = store.delete_families(db, idle)
    # A family that still writes keeps its row, but the topic with its relayed messages
    # goes `closed_ticket_days` after its last ticket closed (a new ticket makes a new one).
    stale = store.stale_topics(db, before(settings.closed_ticket_days))
    for _family, chat, thread in stale:
        tickets.queue_text(db, "", now, chat_id=chat, thread_id=thread, kind="delete_topic")
    store.forget_topics(db, [family for family, _chat, _thread in stale])
    return {
        "families": families,
        "family_topics": len(stale),
        # the desk's log of a family's talks with people goes with its last closed ticket
        "ticket_log": ticket_log.delete_without_tickets(db, before(settings.closed_ticket_days)),
        "tickets": store.delete_closed_tickets(db, before(settings.closed_ticket_days)),
        "mediation_requests": store.delete_finished_requests(
            db, before(settings.closed_ticket_days)
        ),
        "bookings": store.delete_past_bookings(db, before(settings.past_booking_days)),
        "unanswered": store.delete_unanswered(db, before(settings.unanswered_days)),
        "audit_log": store.delete_audit(db, before(settings.audit_days)),
        "processed_updates": store.delete_processed_updates(
            db, before(settings.processed_update_days)
        ),
    }


def _record_purge(db: Database, actor: str, counts: Mapping[str, int], now: dt.datetime) -> None:
    detail = ", ".join(f"{name}={count}" for name, count in counts.items())
    audit.record(db, actor, PURGE, now, detail=detail)


def purge(
    db: Database,
    settings: PrivacySettings,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    actor: str = "system",
) -> dict[str, int]:
    """Deletes what is older than its retention period; returns the rows deleted per
    table (cascaded rows not counted). A dry run counts the same and changes nothing."""
    counts: dict[str, int] = {}
    try:
        with transaction(db):
            counts = _purge(db, settings, now)
            if dry_run:
                raise _DryRun
            _record_purge(db, actor, counts, now)
    except _DryRun:
        pass
    if not dry_run and any(counts.values()):
        forget_wal(db)
    return counts


def purge_due(db: Database, settings: PrivacySettings, now: dt.datetime) -> dict[str, int] | None:
    """The daily retention run: purges unless a purge was recorded today (Europe/Berlin);
    None when it had run already. Check and purge share one transaction, so two
    processes never both run it."""
    with transaction(db):
        last = store.last_run(db, PURGE)
        if last is not None and _day(last) >= _day(now):
            return None
        counts = _purge(db, settings, now)
        _record_purge(db, "system", counts, now)
    if any(counts.values()):
        forget_wal(db)
    return counts
