"""Runs one event for one family: load state, run the engine, save, in one transaction.

For a channel that delivers later (Telegram), the same transaction records the update id
and queues the replies in the outbox: a re-delivered update changes nothing, and a crash
after the commit loses no reply (see bot/services/outbox.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import i18n
from bot.engine import Button, Command, Event, Reply, State, handle
from bot.engine.dialogue import HOME
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.services import booking
from bot.store import transaction
from bot.store.conversations import family_id, find_family, load_state, save_state
from bot.store.outbox import enqueue
from bot.store.updates import record_update

BERLIN = ZoneInfo("Europe/Berlin")

# What a family may send that Lotse cannot read yet (the handoff issue passes it to staff).
MEDIA_KINDS = ("voice", "photo", "sticker", "location", "document", "other")


def berlin_now() -> dt.datetime:
    return dt.datetime.now(BERLIN)


_MEDIA_TEXTS = {
    "voice": _("Sprachnachrichten kann ich leider noch nicht anhören."),
    "photo": _(
        "Bilder und Videos kann ich leider noch nicht ansehen. Bitte schicken Sie hier keine "
        "Ausweise oder Zeugnisse – bringen Sie sie zur Beratung mit."
    ),
    "sticker": _("Danke für den Sticker! Lesen kann ich nur Text."),
    "location": _("Standorte kann ich leider noch nicht verwenden."),
    "document": _(
        "Dateien kann ich leider noch nicht öffnen. Bitte schicken Sie hier keine Ausweise "
        "oder Zeugnisse – bringen Sie sie zur Beratung mit."
    ),
    "other": _("Diese Nachricht kann ich leider noch nicht lesen."),
}
_APOLOGY = _(
    "Entschuldigung, da ist bei mir etwas schiefgegangen. Bitte versuchen Sie es noch "
    "einmal oder tippen Sie auf „Hauptmenü“."
)
_HOME = _("🏠 Hauptmenü")  # the engine's label of the same button


class Conversations:
    """The one place channels call; it knows no channel."""

    def __init__(
        self,
        db: Database,
        knowledge: Callable[[], KnowledgeBase],
        clock: Callable[[], dt.datetime] = berlin_now,
    ) -> None:
        self.db = db
        self.knowledge = knowledge  # a callable, so a reload swaps it without a restart
        self.clock = clock

    def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> list[Reply]:
        """The replies to one event. With an `update_id` the update is recorded and the
        replies are queued in the outbox, all in one transaction; an update id seen before
        changes nothing and returns no replies."""
        return self._turn(channel, external_id, event, update_id)

    def unsupported(
        self, channel: str, external_id: str, kind: str, *, update_id: int | None = None
    ) -> list[Reply]:
        """A friendly answer to a voice message, photo, sticker …: what Lotse cannot read,
        then help and the current step with its buttons, so the way forward stays clear."""
        return self._turn(channel, external_id, Command("help"), update_id, media=kind)

    def _turn(
        self,
        channel: str,
        external_id: str,
        event: Event,
        update_id: int | None,
        media: str | None = None,
    ) -> list[Reply]:
        now = self.clock()
        kb = self.knowledge()
        with transaction(self.db):
            if update_id is not None and not record_update(self.db, channel, update_id, now):
                return []
            family = family_id(self.db, channel, external_id, now)
            state, replies = self._run(kb, family, load_state(self.db, family), event, now)
            if media is not None and replies:
                t = i18n.ui(state.lang, kb.catalogs)
                notice = t.gettext(_MEDIA_TEXTS.get(media, _MEDIA_TEXTS["other"]))
                replies = (
                    replace(replies[0], text=f"{notice}\n\n{replies[0].text}"),
                    *replies[1:],
                )
            save_state(self.db, family, state, now)
            if update_id is not None:
                enqueue(self.db, family, replies, now)
        return list(replies)

    def _run(
        self, kb: KnowledgeBase, family: int, state: State, event: Event, now: dt.datetime
    ) -> tuple[State, tuple[Reply, ...]]:
        """The booking flow answers its own steps; everything else goes to the engine,
        whose effects (book, my appointments) hand over to the booking flow."""
        replies: list[Reply] = []
        rest: Event | None = event
        if kb.appointments is not None:
            turn = booking.Turn(self.db, kb, family, now, state, replies)
            rest = booking.handle(turn, event)
            state = turn.state
        if rest is not None:
            outcome = handle(state, rest, kb, today=now.date())
            state = outcome.state
            replies += outcome.replies
            for effect in outcome.effects:
                turn = booking.Turn(self.db, kb, family, now, state, replies)
                booking.start(turn, effect.kind, effect.flow)
                state = turn.state
        return state, tuple(replies)

    def send_reminders(self, channel: str) -> int:
        """Queue the appointment reminders that are due, in the families' languages."""
        from bot.services.reminders import send_due

        return send_due(self.db, self.knowledge(), channel, self.clock())

    def _catalogs(self) -> i18n.Catalogs | None:
        """The translations, or None (German) when even the knowledge fails: the apology
        must work when nothing else does."""
        try:
            return self.knowledge().catalogs
        except Exception:
            return None

    def language(self, channel: str, external_id: str) -> str:
        """The language the family reads (German for a family we do not know)."""
        family = find_family(self.db, channel, external_id)
        lang = load_state(self.db, family).lang if family is not None else i18n.SOURCE_LANGUAGE
        return i18n.shown_language(lang, self._catalogs())

    def apology(self, channel: str, external_id: str) -> Reply:
        """What a family reads when handling their message failed: sorry, and a way on."""
        lang = self.language(channel, external_id)
        t = i18n.ui(lang, self._catalogs())
        return Reply(t.gettext(_APOLOGY), (Button(HOME, t.gettext(_HOME)),), lang)
