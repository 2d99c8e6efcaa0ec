"""What the Telegram handlers share: Lotse's services in PTB's context, and sending the
families' outbox. Both the family side (telegram.py) and the staff side
(telegram_staff.py) build on this module; neither imports the other's handlers back.

Only the channel reads Telegram ids: a family's `external_id` is its private chat id, a
`MessageRef` of this channel is (chat id, message id) for copyMessage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import InputFile, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot

from bot.channels.telegram_format import html_messages, keyboard
from bot.config import LimitsSettings
from bot.services import flood
from bot.services.conversation import Conversations
from bot.services.outbox import Outbox, Queued
from bot.services.staff import StaffDesk
from bot.store import ticket_log
from bot.types import Chat, MessageRef, Reply

CHANNEL = "telegram"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_LOTSE = "lotse"

log = logging.getLogger(__name__)


@dataclass
class Lotse:
    """What the handlers need; kept in bot_data and read through `LotseContext.lotse`."""

    conversations: Conversations
    outbox: Outbox
    retry_seconds: float
    limits: LimitsSettings | None = None  # None: no limits (tests that are not about them)
    gate: flood.FloodGate | None = None  # flood control per family
    staff: StaffDesk | None = None  # None: no staff chat
    sending: asyncio.Lock = field(default_factory=asyncio.Lock)
    retrier: asyncio.Task[None] | None = None
    staff_sending: asyncio.Lock = field(default_factory=asyncio.Lock)
    topic_locks: dict[int, asyncio.Lock] = field(default_factory=dict)  # family -> its lock


class LotseContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with Lotse's services as a property."""

    @property
    def lotse(self) -> Lotse:
        return lotse_of(self.bot_data)


LotseApp = Application[
    ExtBot[Any], LotseContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]


def lotse_of(bot_data: dict[Any, Any]) -> Lotse:
    lotse = bot_data[_LOTSE]
    assert isinstance(lotse, Lotse)
    return lotse


def keep(bot_data: dict[Any, Any], lotse: Lotse) -> None:
    bot_data[_LOTSE] = lotse


def ref_of(chat_id: int, message_id: int) -> MessageRef:
    """A Telegram message as the services know it."""
    return MessageRef(CHANNEL, str(chat_id), str(message_id))


def copy_source(ref: MessageRef) -> tuple[int, int]:
    """(chat id, message id) of a reference to copy; only this channel's refs exist here."""
    assert ref.channel == CHANNEL, ref.channel
    return int(ref.chat), int(ref.id)


# --- sending -----------------------------------------------------------------------------


async def send(
    bot: ExtBot[Any],
    chat_id: int,
    reply: Reply,
    *,
    first_part: int = 0,
    part_sent: Callable[[int], None] | None = None,
) -> None:
    """One reply as one or more messages, then its files (the buttons go with the last
    part), starting at `first_part`; `part_sent(n)` is told after each part but the last."""
    texts = html_messages(reply.text)
    markup = keyboard(reply.buttons)
    parts = len(texts) + len(reply.files)
    for index in range(first_part, parts):
        last = index == parts - 1
        if index < len(texts):
            await bot.send_message(
                chat_id,
                texts[index],
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
                link_preview_options=NO_PREVIEW,
            )
        else:
            attachment = reply.files[index - len(texts)]
            await bot.send_document(
                chat_id,
                InputFile(attachment.data, filename=attachment.name),
                reply_markup=markup if last else None,
            )
        if part_sent is not None and not last:
            part_sent(index + 1)


async def _send_queued(bot: ExtBot[Any], outbox: Outbox, item: Queued) -> None:
    """Sends one outbox row, noting each part of a long reply that got out, so a retry
    repeats none."""
    reply = item.reply
    if item.copy_from is not None and item.copy_from.channel == CHANNEL:
        # a staff or mediator message in Telegram, copied by its id
        await bot.copy_message(int(item.external_id), *copy_source(item.copy_from))
        return
    if item.copy_from is not None:  # written on the desk: its text is held for us
        text = ticket_log.text_of(outbox.db, item.copy_from)
        if text is None:  # deleted meanwhile (retention)
            return
        reply = Reply(text, lang=reply.lang)
    await send(
        bot,
        int(item.external_id),
        reply,
        first_part=item.sent_parts,
        part_sent=lambda parts: outbox.parts_sent(item, parts),
    )


async def deliver(
    bot: ExtBot[Any],
    lotse: Lotse,
    external_id: str | None = None,
    *,
    after: int | None = None,
) -> None:
    """Sends what waits in the outbox, oldest first: for one family, for the families
    that got replies since the mark `after` (Outbox.mark), or for all. Sent rows are
    deleted together at the end of the round.

    A family that blocked the bot is marked inactive and its replies dropped; a reply
    Telegram refuses for good is dropped and logged; on a network error or a 429 that
    outlasted the rate limiter's retries, that family's replies wait for the next try
    (the next update, the retry timer, or the next start).

    Each row is deleted as soon as Telegram has it, not in a batch at the end of the
    round: a crash in between would send it again, and a family would read it twice. That
    costs one short commit per message (measured in `make bench`, with the WAL
    checkpoint in its own thread: see bot/store/db.py).
    """
    async with lotse.sending:
        waiting: set[str] = set()
        for item in lotse.outbox.pending(external_id, after=after):
            if item.external_id in waiting:
                continue
            try:
                await _send_queued(bot, lotse.outbox, item)
            except Forbidden:
                log.info("outbox %s: the family blocked the bot; marked inactive", item.id)
                blocked(lotse, item.external_id, blocked=True)
                waiting.add(item.external_id)
            except BadRequest as exc:
                log.error("outbox %s: Telegram refused the reply (%s); dropped", item.id, exc)
                lotse.outbox.done([item])
            except TelegramError as exc:
                log.warning("outbox %s: not sent yet (%s); will retry", item.id, exc)
                waiting.add(item.external_id)
            else:
                lotse.outbox.done([item])


def blocked(lotse: Lotse, external_id: str, *, blocked: bool) -> None:
    """Notes that a family blocked the bot (or allowed it again), and tells its topic."""
    if blocked:
        lotse.outbox.blocked(external_id)
    else:
        lotse.outbox.unblocked(external_id)
    handoff = lotse.conversations.handoff
    if handoff is not None:
        handoff.family_blocked(Chat(CHANNEL, external_id), blocked, lotse.conversations.clock())
