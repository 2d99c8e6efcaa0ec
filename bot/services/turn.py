"""One event of one chat, as every flow of the conversation service sees it: where it runs
(database, knowledge, time, settings), whose it is (the chat, its family and state), and
what it says back (`say`, the one way a service speaks to a family).

The family row and its state are read only when a flow needs them: a mediator's message
is passed on without making the mediator a family. Everything runs in the caller's
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from babel import Locale
from sqlite_utils import Database

from bot.config import StaffSettings
from bot.engine.dialogue import HOME
from bot.i18n import _
from bot.knowledge import KnowledgeBase
from bot.store import tickets
from bot.store.conversations import family_id, find_family, load_state
from bot.types import Attachment, Button, Chat, Effect, Reply, State

_HOME = _("🏠 Hauptmenü")


class Turn:
    """One event's context and the replies it collects."""

    def __init__(
        self,
        db: Database,
        kb: KnowledgeBase,
        now: dt.datetime,
        *,
        chat: Chat | None = None,
        family: int | None = None,
        state: State | None = None,
        staff: StaffSettings | None = None,
        replies: list[Reply] | None = None,
    ) -> None:
        assert chat is not None or family is not None, "a turn belongs to a chat or a family"
        self.db = db
        self.kb = kb
        self.now = now
        self.chat = chat
        self.staff = staff  # None: no staff chat (no handoff, no posts about bookings)
        self.replies: list[Reply] = [] if replies is None else replies
        self._family = family
        self._state = state
        self.fallback: str | None = None  # the language a UI string of the next reply is in
        self.effects: list[Effect] = []  # the engine's requests, for the flows that claim them
        # The family deleted its data in this turn: its goodbye, sent without the outbox.
        self.gone: Reply | None = None
        self.relayed = False  # the event went to staff as it is: the bot stays silent

    # --- whose turn -------------------------------------------------------------------

    @property
    def known(self) -> bool:
        """Whether the family row was read (or made) in this turn."""
        return self._family is not None

    @property
    def family(self) -> int:
        """The family's number, its row made on first contact (see family_id)."""
        if self._family is None:
            assert self.chat is not None
            self._family = family_id(self.db, self.chat.channel, self.chat.id, self.now)
        return self._family

    @property
    def stored(self) -> bool:
        """Whether Lotse knows this chat's family, without making it known."""
        if self._family is not None:
            return True
        assert self.chat is not None
        return find_family(self.db, self.chat.channel, self.chat.id) is not None

    @property
    def state(self) -> State:
        """The family's state; a fresh one for a chat Lotse does not know, which reading
        does not store (only `family`, which the service asks for to save, does)."""
        if self._state is None:
            known = self._family
            if known is None:
                assert self.chat is not None
                known = find_family(self.db, self.chat.channel, self.chat.id)
            self._state = load_state(self.db, known) if known is not None else State()
        return self._state

    @state.setter
    def state(self, value: State) -> None:
        self._state = value

    @property
    def lang(self) -> str:
        return self.state.lang

    @property
    def staff_chat(self) -> int | None:
        return self.staff.chat_id if self.staff is not None else None

    @property
    def mediation_chat(self) -> int | None:
        return self.staff.mediation_chat_id if self.staff is not None else None

    # --- saying -----------------------------------------------------------------------

    def ui(self, message: str) -> str:
        """A UI string in the family's language, or in the chain's next: then the next
        `say` marks its reply and says which language it is in."""
        found = self.kb.catalogs.text(self.lang, None, message)
        if found.lang != self.lang:
            self.fallback = found.lang
        return found.text

    def label(self, message: str) -> str:
        """A button label in the family's language (the chain's next, unmarked)."""
        return self.kb.catalogs.gettext(self.lang, message)

    def say(
        self,
        text: str,
        buttons: Sequence[Button] = (),
        files: tuple[Attachment, ...] = (),
        *,
        expects: str | None = None,
        tail: str = "",
    ) -> Reply:
        """One reply, built from `ui` strings (and `tail`, shown as it is): filled, marked
        when a string fell back, laid out right to left where needed."""
        shown_lang = self.fallback or self.lang
        self.fallback = None
        shown = self.kb.render(text, self.lang, shown_lang, tail=tail)
        reply = Reply(shown, tuple(buttons), shown_lang, expects or self.expects(), files)
        self.replies.append(reply)
        return reply

    def expects(self) -> str | None:
        """What a typed answer to the next reply is parsed as; a flow that asks sets it."""
        return None

    def tell(
        self,
        message: str,
        buttons: Sequence[Button] = (),
        files: tuple[Attachment, ...] = (),
        /,
        **values: object,
    ) -> Reply:
        """`say` of one UI string, its {fields} filled with `values`."""
        text = self.ui(message)
        return self.say(text.format(**values) if values else text, buttons, files)

    def home(self) -> Button:
        return Button(HOME, self.label(_HOME))

    def to_topic(self, text: str) -> None:
        """A message (German, for staff) to the family's topic in the staff chat."""
        tickets.queue_text(self.db, text, self.now, family=self.family)

    def prepend(self, text: str) -> None:
        """Puts a short notice in front of the first reply of this turn."""
        if self.replies:
            first = self.replies[0]
            self.replies[0] = replace(first, text=f"{text}\n\n{first.text}")


def german_language(code: str) -> str:
    """A language for staff, in German: 'Arabisch (ar)'; an unknown code as it is."""
    name = Locale("de").languages.get(code)
    return f"{name} ({code})" if name else code


def german_language_of(value: str) -> str:
    """'ar (syrisch)' -> 'Arabisch (ar) (syrisch)': a typed language with a note."""
    code, _sep, rest = value.partition(" ")
    return f"{german_language(code.casefold())} {rest}".strip()
