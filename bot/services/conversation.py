"""Runs one event for one family: load state, run the engine, save, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot.engine import Event, Reply, handle
from bot.knowledge import KnowledgeBase
from bot.store import transaction
from bot.store.conversations import family_id, load_state, save_state

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_now() -> dt.datetime:
    return dt.datetime.now(BERLIN)


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

    def handle(self, channel: str, external_id: str, event: Event) -> list[Reply]:
        now = self.clock()
        kb = self.knowledge()
        with transaction(self.db):
            family = family_id(self.db, channel, external_id, now)
            outcome = handle(load_state(self.db, family), event, kb, today=now.date())
            save_state(self.db, family, outcome.state, now)
        return list(outcome.replies)
