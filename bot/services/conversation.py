"""Runs one event for one family: load state, run the engine, save, in one transaction.

For a channel that delivers later (Telegram), the same transaction records the update id
and queues the replies in the outbox: a re-delivered update changes nothing, and a crash
after the commit loses no reply (see bot/services/outbox.py). While a family talks to KI
staff (an open ticket), what it types or sends is relayed to its topic instead of the
engine (see bot/services/handoff.py).

Privacy (bot/services/privacy.py): the first reply carries the privacy notice; /mydata and
/delete are answered here before the engine; "talk to a person" asks the family's yes
before the first ticket. A confirmed /delete removes the family's rows, its outbox
included, so its goodbye is not queued: the channel takes it from `farewell` and sends it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import i18n
from bot.config import PrivacySettings
from bot.engine import Button, ButtonPress, Command, Event, Reply, State, handle
from bot.engine.dialogue import HOME
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.services import booking, mediation, privacy, unanswered
from bot.services.handoff import FamilyTurn, Handoff
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
        # (channel, external id) -> the goodbye after /delete, waiting for the channel
        self._farewells: dict[tuple[str, str], list[Reply]] = {}
        self._staged: dict[tuple[str, str], list[Reply]] = {}  # until the deletion commits

    def handle(
        self,
        channel: str,
        external_id: str,
        event: Event,
        *,
        update_id: int | None = None,
        message: tuple[int, int] | None = None,
    ) -> list[Reply]:
        """The replies to one event. With an `update_id` the update is recorded and the
        replies are queued in the outbox, all in one transaction; an update id seen before
        changes nothing and returns no replies. `message` (chat, message id) lets a typed
        message be relayed to staff while the family talks to a person."""
        return self._turn(channel, external_id, event, update_id, message=message)

    def unsupported(
        self,
        channel: str,
        external_id: str,
        kind: str,
        *,
        update_id: int | None = None,
        message: tuple[int, int] | None = None,
    ) -> list[Reply]:
        """A friendly answer to a voice message, photo, sticker …: what Lotse cannot read,
        then help and the current step with its buttons, so the way forward stays clear.
        While the family talks to a person, the message goes to staff instead."""
        return self._turn(
            channel, external_id, Command("help"), update_id, media=kind, message=message
        )

    def _turn(
        self,
        channel: str,
        external_id: str,
        event: Event,
        update_id: int | None,
        media: str | None = None,
        message: tuple[int, int] | None = None,
    ) -> list[Reply]:
        """One event; a goodbye after /delete is handed to the channel only once the
        deletion has committed (a failed commit must not say "all deleted")."""
        try:
            replies = self._event(channel, external_id, event, update_id, media, message)
        except BaseException:
            self._staged.clear()
            raise
        self._farewells.update(self._staged)
        self._staged.clear()
        return replies

    def _event(
        self,
        channel: str,
        external_id: str,
        event: Event,
        update_id: int | None,
        media: str | None = None,
        message: tuple[int, int] | None = None,
    ) -> list[Reply]:
        now = self.clock()
        kb = self.knowledge()
        with transaction(self.db):
            if update_id is not None and not record_update(self.db, channel, update_id, now):
                return []
            handoff = self.handoff
            relayable = media is not None or (
                message is not None and Handoff.relays(event, State(), media)
            )
            # A mediator on an open request writes to the family, not to the bot (no
            # `message`: the channel refused it, and the mediator is told).
            if (
                handoff is not None
                and relayable
                and external_id.lstrip("-").isdigit()
                and mediation.from_mediator(handoff, int(external_id), message, now, media)
            ):
                return []
            family = family_id(self.db, channel, external_id, now)
            state = load_state(self.db, family)
            ticket = handoff.ticket(family) if handoff is not None else None
            if (
                handoff is not None
                and ticket is not None
                and message is not None
                and Handoff.relays(event, state, media)
            ):  # staff handle the chat: the bot stays silent, the message goes to the topic
                turn = FamilyTurn(self.db, kb, family, now, state, [])
                handoff.relay(turn, ticket, message)
                if update_id is not None:
                    enqueue(self.db, family, tuple(turn.replies), now)
                return turn.replies
            if privacy.confirms_delete(event, state):  # /delete, and the family said yes
                turn = FamilyTurn(self.db, kb, family, now, state, [])
                staff = handoff.settings if handoff is not None else None
                goodbye = [privacy.delete_by_family(turn, staff)]
                if update_id is not None:  # its outbox rows are gone with the family
                    self._staged[(channel, external_id)] = goodbye
                return goodbye
            state, replies = self._run(kb, family, state, event, now)
            if media is not None and replies:
                t = i18n.ui(state.lang, kb.catalogs)
                notice = t.gettext(_MEDIA_TEXTS.get(media, _MEDIA_TEXTS["other"]))
                replies = (
                    replace(replies[0], text=f"{notice}\n\n{replies[0].text}"),
                    *replies[1:],
                )
            replies = privacy.with_notice(self.db, kb, family, state.lang, event, replies, now)
            save_state(self.db, family, state, now)
            if update_id is not None:
                enqueue(self.db, family, replies, now)
        return list(replies)

    def farewell(self, channel: str, external_id: str) -> list[Reply]:
        """The goodbye of a family that just deleted its data (once), for the channel to
        send directly: there is no outbox for a family Lotse no longer knows. Kept in
        memory only; a crash before it is sent loses the goodbye, never the deletion."""
        return self._farewells.pop((channel, external_id), [])

    def purge_due(self) -> dict[str, int] | None:
        """The daily retention run (bot/services/privacy.py); None if it ran today."""
        return privacy.purge_due(self.db, self.retention, self.clock())

    def _run(
        self, kb: KnowledgeBase, family: int, state: State, event: Event, now: dt.datetime
    ) -> tuple[State, tuple[Reply, ...]]:
        """The booking flow answers its own steps; everything else goes to the engine,
        whose effects (book, my appointments) hand over to the booking flow."""
        replies: list[Reply] = []
        rest: Event | None = event
        handoff = self.handoff

        def booking_turn(state: State) -> booking.Turn:
            """Booking changes are posted to the staff chat; a mediator request follows
            its booking (the coordination chat is told)."""
            return booking.Turn(
                self.db,
                kb,
                family,
                now,
                state,
                replies,
                staff_chat=handoff.staff_chat if handoff is not None else None,
                mediation_chat=handoff.settings.mediation_chat_id if handoff else None,
            )

        if handoff is not None and isinstance(event, ButtonPress):
            turn_ = FamilyTurn(self.db, kb, family, now, state, replies)
            if handoff.pressed(turn_, event.id):  # a rating after /close
                outcome = handle(state, Command("menu"), kb, today=now.date(), staff=True)
                return outcome.state, (*replies, *outcome.replies)
        if kb.appointments is not None:
            held = (state.booking or {}).get("hold")
            turn = booking_turn(state)
            rest = booking.handle(turn, event)
            state = turn.state
            if handoff is not None and isinstance(held, int):  # needs a mediator?
                mediation.from_booking(handoff, kb, family, held, now)
        if rest is not None and privacy.wants(rest):  # /mydata, /delete and their buttons
            turn_ = FamilyTurn(self.db, kb, family, now, state, replies)
            rest = privacy.handle(turn_, rest, handoff)
            state = turn_.state
        if rest is not None:
            outcome = handle(state, rest, kb, today=now.date(), staff=handoff is not None)
            state = outcome.state
            replies += outcome.replies
            for effect in outcome.effects:
                if effect.kind in unanswered.EFFECTS:  # questions kept for editors
                    state = unanswered.handle(self.db, kb, family, now, state, effect, replies)
                    continue
                if effect.kind == "handoff" and handoff is not None:
                    turn_ = FamilyTurn(self.db, kb, family, now, state, replies)
                    privacy.connect(turn_, handoff, effect.flow)  # asks the family's yes first
                    state = turn_.state
                    continue
                turn = booking_turn(state)
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
