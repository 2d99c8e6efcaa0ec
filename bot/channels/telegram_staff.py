"""The staff side of the Telegram channel: the staff supergroup (one forum topic per
family), the mediator coordination chat, and messages to both.

Messages to staff chats wait in `staff_outbox` (written in the event's transaction) and
are sent here: a family's topic is created on first need under a per-family lock, the
mapping is saved with a unique constraint (a second process that lost the race deletes
its extra topic), and a topic deleted by staff is created again ("thread not found").
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlite_utils import Database
from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ExtBot

from bot.channels.telegram_delivery import (
    CHANNEL,
    Lotse,
    LotseContext,
    copy_source,
    deliver,
    ref_of,
)
from bot.channels.telegram_format import html_messages, keyboard
from bot.services import staff as staff_commands
from bot.services.handoff import Handoff
from bot.services.staff import StaffDesk
from bot.store import ticket_log, tickets, transaction
from bot.store.tickets import StaffMessage
from bot.types import Chat

log = logging.getLogger(__name__)

THREAD_GONE = "thread not found"


def _handoff(lotse: Lotse) -> Handoff:
    assert lotse.conversations.handoff is not None  # handlers are wired only with a staff chat
    return lotse.conversations.handoff


# --- sending -----------------------------------------------------------------------------


async def _send(
    bot: ExtBot[Any], db: Database, chat_id: int, thread_id: int | None, item: StaffMessage
) -> None:
    if item.kind == "copy" and item.copy_from is not None and item.copy_from.channel == CHANNEL:
        await bot.copy_message(chat_id, *copy_source(item.copy_from), message_thread_id=thread_id)
    elif item.kind == "copy":  # a message of a web family or the desk: its text is held
        assert item.copy_from is not None
        held = ticket_log.text_of(db, item.copy_from)
        for text in html_messages(held or ""):
            await bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, message_thread_id=thread_id
            )
    elif item.kind == "title":
        assert thread_id is not None
        await bot.edit_forum_topic(chat_id, thread_id, name=item.text)
    elif item.kind == "delete_topic":  # a family deleted its data (or it expired)
        assert thread_id is not None
        await bot.delete_forum_topic(chat_id, thread_id)
    else:
        texts = html_messages(item.text)
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            await bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id,
                reply_markup=keyboard(item.buttons) if last else None,
            )


async def _topic(bot: ExtBot[Any], lotse: Lotse, family: int, *, recreated: bool) -> int:
    """The family's topic in the staff chat, created if it has none. Call under the
    family's lock: in one process that lock, across processes the unique constraint,
    keeps it to one topic per family."""
    handoff = _handoff(lotse)
    db = handoff.db
    found = tickets.topic_of(db, family)
    if found is not None:
        return found[1]
    ticket = tickets.latest_ticket(db, family)
    title = ticket.title if ticket is not None else f"Familie {family}"
    topic = await bot.create_forum_topic(handoff.staff_chat, title)
    thread = topic.message_thread_id
    with transaction(db):
        saved = tickets.save_topic(
            db, family, handoff.staff_chat, thread, lotse.conversations.clock()
        )
    if not saved:  # another process was first: use its topic, remove ours
        try:
            await bot.delete_forum_topic(handoff.staff_chat, thread)
        except TelegramError as exc:
            log.warning("family %s: extra topic not deleted (%s)", family, exc)
        again = tickets.topic_of(db, family)
        assert again is not None
        return again[1]
    log.info("family %s: topic %s created", family, thread)
    if recreated and ticket is not None:  # staff deleted the old one: context again
        await bot.send_message(
            handoff.staff_chat,
            html_messages("Neues Thema: das alte wurde gelöscht.\n\n" + ticket.card)[0],
            parse_mode=ParseMode.HTML,
            message_thread_id=thread,
        )
    return thread


async def deliver_topic(bot: ExtBot[Any], lotse: Lotse, family: int) -> None:
    """Sends what waits for one family's topic, oldest first, under the family's lock."""
    handoff = _handoff(lotse)
    lock = lotse.topic_locks.setdefault(family, asyncio.Lock())
    async with lock:
        items = tickets.staff_pending(handoff.db, family)
        await _topic_items(bot, lotse, handoff, family, items)


async def _topic_items(
    bot: ExtBot[Any],
    lotse: Lotse,
    handoff: Handoff,
    family: int,
    items: list[StaffMessage],
) -> None:
    """Each message is deleted from the staff outbox once sent (as in `deliver`)."""
    recreated = False
    for item in items:
        for _attempt in range(2):
            try:
                thread = await _topic(bot, lotse, family, recreated=recreated)
                await _send(bot, handoff.db, handoff.staff_chat, thread, item)
            except BadRequest as exc:
                if THREAD_GONE in str(exc).lower() and not recreated:
                    log.warning("family %s: topic gone; creating it again", family)
                    found = tickets.topic_of(handoff.db, family)
                    with transaction(handoff.db):
                        if found is not None:
                            tickets.forget_topic(handoff.db, family, found[1])
                    recreated = True
                    continue
                log.error("staff message %s refused (%s); dropped", item.id, exc)
                tickets.staff_sent(handoff.db, [item.id])
                break
            except TelegramError as exc:
                log.warning("staff message %s not sent yet (%s); will retry", item.id, exc)
                return
            else:
                tickets.staff_sent(handoff.db, [item.id])
                break


async def deliver_staff(bot: ExtBot[Any], lotse: Lotse, *, after: int | None = None) -> None:
    """Sends what waits for staff chats: families' topics, then other chats; with
    `after` (tickets.staff_last_id), only of the topics and chats written to since."""
    handoff = lotse.conversations.handoff
    if handoff is None or not handoff.settings.enabled:  # the desk only: nothing to send
        return
    waiting = tickets.staff_pending(handoff.db, after=after)
    families = dict.fromkeys(
        item.family_id for item in waiting if item.chat_id is None and item.family_id is not None
    )
    for family in families:
        assert family is not None
        await deliver_topic(bot, lotse, family)
    async with lotse.staff_sending:
        for item in tickets.staff_pending(handoff.db, after=after):
            if item.chat_id is None:
                continue
            try:
                await _send(bot, handoff.db, item.chat_id, item.thread_id, item)
            except (BadRequest, Forbidden) as exc:  # e.g. a mediator who never started
                log.error("staff message %s refused (%s); dropped", item.id, exc)
            except TelegramError as exc:
                log.warning("staff message %s not sent yet (%s); will retry", item.id, exc)
                return
            tickets.staff_sent(handoff.db, [item.id])


async def set_staff_commands(bot: ExtBot[Any], lotse: Lotse) -> None:
    """The command menu of the staff chat, in German."""
    handoff = lotse.conversations.handoff
    if handoff is None or not handoff.settings.enabled:
        return
    commands = [BotCommand(c.name, c.menu) for c in staff_commands.COMMANDS]
    await bot.set_my_commands(commands, scope=BotCommandScopeChat(handoff.staff_chat))


# --- handlers ----------------------------------------------------------------------------


def _desk(lotse: Lotse) -> StaffDesk:
    assert lotse.staff is not None  # handlers are wired only with a staff chat
    return lotse.staff


async def on_staff_message(update: Update, context: LotseContext) -> None:
    """A message in the staff supergroup: from configured staff only."""
    message = update.effective_message
    user = update.effective_user
    if message is None:
        return
    lotse = context.lotse
    handoff = _handoff(lotse)
    if user is None or user.id not in handoff.settings.user_ids:
        log.info("update %s: staff chat message from a non-staff user ignored", update.update_id)
        return
    thread = message.message_thread_id if message.is_topic_message else None
    marks = lotse.outbox.mark(), tickets.staff_last_id(handoff.db)
    _desk(lotse).message(
        lotse.conversations.knowledge(),
        str(user.id),
        update.update_id,
        thread,
        ref_of(message.chat_id, message.message_id),
        message.text if message.text is not None else message.caption,
        lotse.conversations.clock(),
    )
    await deliver(context.bot, lotse, after=marks[0])
    await deliver_staff(context.bot, lotse, after=marks[1])


async def on_mediation_button(update: Update, context: LotseContext) -> None:
    """Accept / decline under a request in the coordination chat. Whoever presses is the
    mediator: their private chat with the bot (its id is their user id) gets the family's
    messages while the request runs."""
    query = update.callback_query
    assert query is not None
    lotse = context.lotse
    handoff = lotse.conversations.handoff
    chat = update.effective_chat
    if handoff is None or chat is None or chat.id != handoff.settings.mediation_chat_id:
        log.info("update %s: mediation button outside the coordination chat", update.update_id)
        return
    try:
        await query.answer()
    except TelegramError as exc:
        log.warning("update %s: callback not answered (%s)", update.update_id, exc)
    marks = lotse.outbox.mark(), tickets.staff_last_id(handoff.db)
    _desk(lotse).mediation_button(
        lotse.conversations.knowledge(),
        update.update_id,
        query.data or "",
        Chat(CHANNEL, str(query.from_user.id)),
        query.from_user.full_name,
        lotse.conversations.clock(),
    )
    await deliver(context.bot, lotse, after=marks[0])
    await deliver_staff(context.bot, lotse, after=marks[1])


async def on_other_chat(update: Update, context: LotseContext) -> None:
    """A message from a group or channel Lotse does not serve: logged without content."""
    chat = update.effective_chat
    log.info(
        "update %s: message from unknown chat %s ignored",
        update.update_id,
        chat.id if chat else None,
    )
