"""Runs one event of one chat through the flows, in one transaction: the one place every
channel calls, knowing none of them.

For a channel that delivers later (Telegram), the same transaction records the update id
and queues the replies in the outbox: a re-delivered update changes nothing, and a crash
after the commit loses no reply (see bot/services/outbox.py). What the event does is
decided by the flows (bot/services/flows.py), in this order: a mediator's message to the
family it mediates for (mediation), a family's message to staff while it talks to a person
(handoff), the booking dialogue, /mydata and /delete (privacy), the knowledge engine; the
engine's effects go to the flow that does them (booking, handoff, unanswered questions).

Privacy (bot/services/privacy.py): the first reply carries the privacy notice. A
confirmed /delete removes the family's rows, its outbox included, so its goodbye is not
queued: the channel takes it from `farewell` and sends it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlite_utils import Database

from bot import i18n
from bot.clock import berlin_now
from bot.config import PrivacySettings
from bot.engine.dialogue import HOME
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.services import privacy, reminders
from bot.services.booking import BookingFlow
from bot.services.flows import ALL_EFFECTS, EngineFlow, Flow, Flows
from bot.services.handoff import Handoff, HandoffFlow
from bot.services.mediation import MediatorFlow
from bot.services.privacy import PrivacyFlow
from bot.services.turn import Turn
from bot.services.unanswered import UnansweredFlow
from bot.store import forget_wal, stats, tickets, transaction
from bot.store.conversations import find_family, load_state, save_state
from bot.store.outbox import enqueue
from bot.store.updates import record_update
from bot.types import Button, Chat, Event, Media, Reply

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
    # refused by [limits] while the family talks to staff (decided in the channel)
    "too_large": _("Diese Datei ist zu groß. Das Team des KI hat sie nicht bekommen."),
    "not_allowed": _(
        "Diese Art von Nachricht kann ich nicht an das Team des KI weitergeben. Bitte "
        "schreiben Sie Ihre Frage als Text."
    ),
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
        handoff: Handoff | None = None,
        retention: PrivacySettings | None = None,
    ) -> None:
        self.db = db
        self.knowledge = knowledge  # a callable, so a reload swaps it without a restart
        self.clock = clock
        self.handoff = handoff  # None: no staff chat; "talk to a person" gives the contact
        self.retention = retention or PrivacySettings()
        staff = handoff.settings if handoff is not None else None
        people: list[Flow] = [MediatorFlow(), HandoffFlow(handoff)] if handoff else []
        self.flows = Flows(
            [
                *people,
                BookingFlow(),
                PrivacyFlow(staff),
                EngineFlow(staff=handoff is not None),
                UnansweredFlow(),
            ],
            asks=ALL_EFFECTS if handoff is not None else ALL_EFFECTS - {"handoff"},
        )
        # (channel, external id) -> the goodbye after /delete, waiting for the channel
        self._farewells: dict[tuple[str, str], list[Reply]] = {}
        self._staged: dict[tuple[str, str], list[Reply]] = {}  # until the deletion commits
        self._deleted = False  # the event deleted a family (its WAL pages go after it)

    def handle(
        self, channel: str, external_id: str, event: Event, *, update_id: int | None = None
    ) -> list[Reply]:
        """The replies to one event. With an `update_id` the update is recorded and the
        replies are queued in the outbox, all in one transaction; an update id seen before
        changes nothing and returns no replies. A goodbye after /delete is handed to the
        channel only once the deletion has committed (a failed commit must not say "all
        deleted")."""
        self._deleted = False
        try:
            replies = self._event(Chat(channel, external_id), event, update_id)
        except BaseException:
            self._staged.clear()
            raise
        self._farewells.update(self._staged)
        self._staged.clear()
        if self._deleted:  # what the WAL still holds of the family goes too
            forget_wal(self.db)
        return replies

    def _event(self, chat: Chat, event: Event, update_id: int | None) -> list[Reply]:
        now = self.clock()
        kb = self.knowledge()
        staff = self.handoff.settings if self.handoff is not None else None
        with transaction(self.db):
            if update_id is not None and not record_update(self.db, chat.channel, update_id, now):
                return []
            turn = Turn(self.db, kb, now, chat=chat, staff=staff)
            fresh = not turn.stored
            self.flows.run(turn, event)
            if turn.gone is not None:  # its outbox rows are gone with the family
                self._deleted = turn.known
                if update_id is not None:
                    self._staged[(chat.channel, chat.id)] = [turn.gone]
                return [turn.gone]
            if turn.relayed and not turn.known:  # a mediator's message, passed on
                return []
            if isinstance(event, Media) and not turn.relayed:
                refused = event.refused is not None and self._with_staff(turn.family)
                notice = _MEDIA_TEXTS[event.refused if refused and event.refused else event.kind]
                turn.prepend(turn.label(notice))
            privacy.add_notice(turn, event)
            if fresh and turn.known:  # a new conversation (a mediator's chat is none)
                stats.count(self.db, now, stats.CONVERSATION, chat.channel, turn.lang)
            save_state(self.db, turn.family, turn.state, now)
            if update_id is not None:
                enqueue(self.db, turn.family, tuple(turn.replies), now)
        return list(turn.replies)

    def _with_staff(self, family: int) -> bool:
        return self.handoff is not None and self.handoff.ticket(family) is not None

    def talks_to_people(self, channel: str, external_id: str) -> bool:
        """Whether the chat talks to people: a family with an open ticket (its messages go
        to staff as they are), or a mediator on an open request (theirs go to the family).
        Channels are more generous with such chats (flood control, long texts)."""
        if self.handoff is None:
            return False
        family = find_family(self.db, channel, external_id)
        if family is not None and self._with_staff(family):
            return True
        return tickets.family_of_mediator(self.db, Chat(channel, external_id)) is not None

    def farewell(self, channel: str, external_id: str) -> list[Reply]:
        """The goodbye of a family that just deleted its data (once), for the channel to
        send directly: there is no outbox for a family Lotse no longer knows. Kept in
        memory only; a crash before it is sent loses the goodbye, never the deletion."""
        return self._farewells.pop((channel, external_id), [])

    def purge_due(self) -> dict[str, int] | None:
        """The daily retention run (bot/services/privacy.py); None if it ran today."""
        return privacy.purge_due(self.db, self.retention, self.clock())

    def send_reminders(self, channel: str) -> int:
        """Queue the appointment reminders that are due, in the families' languages."""
        return reminders.send_due(self.db, self.knowledge(), channel, self.clock())

    def _catalogs(self) -> i18n.Catalogs | None:
        """The translations, or None (German) when even the knowledge fails: the apology
        must work when nothing else does."""
        try:
            return self.knowledge().catalogs
        except Exception:
            return None

    def knows(self, channel: str, external_id: str) -> bool:
        """Whether Lotse stores anything of this chat (it wrote before, and did not delete)."""
        return find_family(self.db, channel, external_id) is not None

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
