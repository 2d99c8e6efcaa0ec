"""Flood control: how fast one family may write before Lotse asks it to pause.

A token bucket per chat (the textbook algorithm): a chat starts with `burst` tokens, gets
`per_minute` tokens a minute back up to `burst`, and every update takes one. The first
update that finds the bucket empty gets one polite reply ("pause"); the ones after it are
dropped silently ("drop") until a token is back. A dropped update is still recorded as
handled (`skip`), so a re-delivery after a restart does not answer it late.

The buckets live in this process's memory: a restart forgets them (a family gets a fresh
burst), and each process counts on its own. That is enough to keep one chat from tiring
one process, and nothing about a family is stored for it. Buckets that are full again are
forgotten once there are many, so memory stays bounded by the chats active lately.

Why no library: aiolimiter (installed with PTB's rate limiter, which is for *outgoing*
calls) is a leaky bucket that makes callers wait on the event loop's clock; here an update
must be refused at once, and tests need their own clock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlite_utils import Database

from bot.store import transaction
from bot.store.updates import record_update

Verdict = Literal["ok", "pause", "drop"]
MAX_CHATS = 10_000  # above this many buckets, full ones are forgotten


@dataclass
class _Bucket:
    tokens: float
    at: float  # when `tokens` was counted, on the gate's clock
    paused: bool = False  # the family was told to pause; further updates are dropped


class FloodGate:
    """`admit(chat)` for every update of a family: "ok", "pause" (tell it once), "drop"."""

    def __init__(
        self,
        burst: int,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = MAX_CHATS,
    ) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self.max_chats = max_chats
        self._buckets: dict[str, _Bucket] = {}

    def admit(self, chat: str) -> Verdict:
        now = self.clock()
        bucket = self._buckets.get(chat)
        if bucket is None:
            if len(self._buckets) >= self.max_chats:
                self._forget_full(now)
            bucket = self._buckets[chat] = _Bucket(self.burst, now)
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
        for chat, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.at) * self.rate >= self.burst:
                del self._buckets[chat]

    def __len__(self) -> int:
        return len(self._buckets)


def skip(db: Database, channel: str, update_id: int, now: dt.datetime) -> bool:
    """Records an update as handled without handling it; False if it was handled before."""
    with transaction(db):
        return record_update(db, channel, update_id, now)
