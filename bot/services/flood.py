"""Flood control: how fast one family may write before Lotse asks it to pause.

A token bucket per chat (the textbook algorithm): a chat starts with `burst` tokens, gets
`per_minute` tokens a minute back up to `burst`, and every update takes one. The first
update that finds the bucket empty gets one polite reply ("pause"); the ones after it are
dropped silently ("drop") until a token is back. A dropped update is still recorded as
handled (`skip`), so a re-delivery after a restart does not answer it late.

What is not a flood does not meet the strict bucket:
- An album (photos sent together, one `media_group_id`) arrives as up to ten updates; it
  takes one token, and its other items share the first one's verdict.
- Updates that are not typed at the bot alone go to a second, generous bucket per chat,
  `GENEROUS` times the burst at the same rate: messages of a family that talks to staff
  (an open ticket) and of a mediator on an open request, which people read and which the
  rate of a human never reaches; button presses, which answer what Lotse asked (the
  channel answers a press over that cap with a short notice and leaves it unhandled);
  and a backlog, updates written more than `BACKLOG_SECONDS` before they arrive (Lotse
  was down): the family's questions are answered, not paused away. The cap remains so
  that a script cannot flood the staff chat or the process. Its rate is `per_minute`:
  Telegram lets a bot post about 20 messages a minute into one group anyway.
- The channel takes no token for an update it handled before (a re-delivery).

The buckets live in this process's memory: a restart forgets them (a family gets a fresh
burst), and each process counts on its own. That is enough to keep one chat from tiring
one process, and nothing about a family is stored for it. Buckets that are full again are
forgotten once there are many, and albums after `ALBUM_SECONDS`, so memory stays bounded
by the chats active lately.

Why no library: aiolimiter (installed with PTB's rate limiter, which is for *outgoing*
calls) is a leaky bucket that makes callers wait on the event loop's clock; here an update
must be refused at once, and tests need their own clock.
"""

from __future__ import annotations

import collections
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlite_utils import Database

from bot.store import transaction
from bot.store.updates import handled, record_update

Verdict = Literal["ok", "pause", "drop"]
MAX_CHATS = 10_000  # above this many buckets, full ones are forgotten; as many albums kept
GENEROUS = 4  # the generous bucket holds this many times the burst
BACKLOG_SECONDS = 60.0  # an update written this long before it arrives is a backlog
ALBUM_SECONDS = 60.0  # an album's items arrive within a second; remembered this long
ALBUM_ITEMS = 10  # Telegram's most items in one album; more with one id count again


@dataclass
class _Bucket:
    tokens: float
    at: float  # when `tokens` was counted, on the gate's clock
    paused: bool = False  # the family was told to pause; further updates are dropped


@dataclass
class _Buckets:
    """One bucket per chat, all of the same size."""

    burst: float
    rate: float  # tokens a second
    max_chats: int
    chats: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, chat: str, now: float) -> Verdict:
        bucket = self.chats.get(chat)
        if bucket is None:
            if len(self.chats) >= self.max_chats:
                self._forget_full(now)
            bucket = self.chats[chat] = _Bucket(self.burst, now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.paused = False
            return "ok"
        if bucket.paused:
            return "drop"
        bucket.paused = True
        return "pause"

    def _forget_full(self, now: float) -> None:
        """Forgets the chats whose bucket has filled up again: they start afresh anyway."""
        for chat, bucket in list(self.chats.items()):
            if bucket.tokens + (now - bucket.at) * self.rate >= self.burst:
                del self.chats[chat]


@dataclass
class _Album:
    at: float  # its first item, on the gate's clock
    verdict: Verdict  # the first item's
    items: int = 1


class FloodGate:
    """`admit(chat)` for every update of a family: "ok", "pause" (tell it once), "drop"."""

    def __init__(
        self,
        burst: int,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = MAX_CHATS,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock  # for the buckets: monotonic
        self.wall = wall  # Unix time, to tell a backlog by the date Telegram gives
        rate = per_minute / 60.0
        self._strict = _Buckets(float(burst), rate, max_chats)
        self._generous = _Buckets(float(burst * GENEROUS), rate, max_chats)
        self._albums: collections.OrderedDict[tuple[str, str], _Album] = collections.OrderedDict()
        self.max_albums = max_chats

    def admit(
        self,
        chat: str,
        *,
        generous: bool = False,
        album: str | None = None,
        sent: float | None = None,
    ) -> Verdict:
        """`generous`: the chat talks to people, or a button was pressed; `album`: the
        update's media_group_id; `sent`: when it was written (Unix time), if known."""
        now = self.clock()
        if album is not None:
            self._forget_albums(now)
            seen = self._albums.get((chat, album))
            if seen is not None and seen.items < ALBUM_ITEMS:
                seen.items += 1
                return "ok" if seen.verdict == "ok" else "drop"
        backlog = sent is not None and self.wall() - sent > BACKLOG_SECONDS
        buckets = self._generous if generous or backlog else self._strict
        verdict = buckets.take(chat, now)
        if album is not None:
            self._albums.pop((chat, album), None)  # more than ALBUM_ITEMS: counted afresh
            self._albums[(chat, album)] = _Album(now, verdict)
            while len(self._albums) > self.max_albums:
                self._albums.popitem(last=False)
        return verdict

    def _forget_albums(self, now: float) -> None:
        """Albums are kept in the order they began: the oldest go first."""
        while self._albums:
            oldest = next(iter(self._albums.values()))
            if now - oldest.at < ALBUM_SECONDS:
                return
            self._albums.popitem(last=False)

    def __len__(self) -> int:
        """How many buckets the gate keeps now."""
        return len(self._strict.chats) + len(self._generous.chats)


def handled_before(db: Database, channel: str, update_id: int) -> bool:
    """Whether the update was handled (or skipped) before: a re-delivery takes no token."""
    return handled(db, channel, update_id)


def skip(db: Database, channel: str, update_id: int, now: dt.datetime) -> bool:
    """Records an update as handled without handling it; False if it was handled before."""
    with transaction(db):
        return record_update(db, channel, update_id, now)
