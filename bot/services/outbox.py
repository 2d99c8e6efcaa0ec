"""Replies on their way out: what a channel still has to send, and what it learnt while
sending (sent, undeliverable, the family blocked us). Knows no channel library."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlite_utils import Database

from bot.clock import berlin_now
from bot.store import outbox, transaction
from bot.store.conversations import find_family, set_inactive
from bot.store.outbox import Queued

__all__ = ["Outbox", "Queued"]


class Outbox:
    """The outbox of one channel."""

    def __init__(
        self, db: Database, channel: str, clock: Callable[[], dt.datetime] = berlin_now
    ) -> None:
        self.db = db
        self.channel = channel
        self.clock = clock

    def mark(self) -> int:
        """Where the outbox stands now: `pending(after=mark)` after an event gives the
        replies of just the chats that event wrote to."""
        return outbox.last_id(self.db)

    def pending(self, external_id: str | None = None, *, after: int | None = None) -> list[Queued]:
        """Waiting replies, oldest first; of one family when `external_id` is given; with
        `after`, of the families that got a reply since that mark (all of theirs, so a new
        reply never overtakes an older one)."""
        return outbox.pending(self.db, self.channel, external_id, after=after)

    def parts_sent(self, item: Queued, parts: int) -> None:
        """The first `parts` messages of a long reply are out; a retry starts after them."""
        outbox.mark_parts_sent(self.db, item.id, parts)

    def done(self, items: list[Queued]) -> None:
        """Replies sent, or refused for good (so they never block the ones after them).
        The channel calls it for each reply as soon as it is out: a crash before the
        delete sends that one reply again at the next start, never a whole round."""
        outbox.remove(self.db, [item.id for item in items])

    def blocked(self, external_id: str) -> None:
        """The family blocked the bot: inactive from now, and nothing waits for them."""
        with transaction(self.db):
            family = find_family(self.db, self.channel, external_id)
            if family is not None:
                set_inactive(self.db, family, self.clock())
                outbox.remove_family(self.db, family)

    def unblocked(self, external_id: str) -> None:
        with transaction(self.db):
            family = find_family(self.db, self.channel, external_id)
            if family is not None:
                set_inactive(self.db, family, None)
