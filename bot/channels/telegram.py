"""The Telegram channel (python-telegram-bot): updates in, replies out, nothing else.

Families write in private chats. Each update runs through `Conversations` with its update
id, which records the id and queues the replies in the outbox in one SQLite transaction;
the outbox is then sent (see `deliver`). So an update is handled at most once, and a reply
committed before a crash is sent after the restart. Dialogue state is ours, in SQLite.
Updates are handled one after the other (PTB's default), which keeps a family's messages
in order. With a staff chat configured, the staff and coordination chats are served by
`telegram_staff`; any other group is ignored and logged without content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    ChatMemberUpdated,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot import i18n
from bot.channels.telegram_format import button_press, html_messages, keyboard
from bot.config import TelegramSettings
from bot.engine import Command, Event, Reply, Start, TextInput
from bot.i18n import _
from bot.services.conversation import Conversations
from bot.services.outbox import Outbox, Queued

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MENU_COMMANDS = ("start", "menu", "language", "help", "human")  # shown by setMyCommands
ENGINE_COMMANDS = ("menu", "back", "help", "human", "language")
RATE_LIMIT_RETRIES = 3  # a 429 waits retry_after and tries again, this many times
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_LOTSE = "lotse"

log = logging.getLogger(__name__)


COMMAND_DESCRIPTIONS = {
    "start": _("Neu beginnen"),
    "menu": _("Hauptmenü"),
    "language": _("Sprache wählen"),
    "help": _("Hilfe"),
    "human": _("Mit einer Person sprechen"),
}


@dataclass
class Lotse:
    """What the handlers need; kept in bot_data and read through `LotseContext.lotse`."""

    conversations: Conversations
    outbox: Outbox
    retry_seconds: float
    sending: asyncio.Lock = field(default_factory=asyncio.Lock)
    retrier: asyncio.Task[None] | None = None
    staff_sending: asyncio.Lock = field(default_factory=asyncio.Lock)
    topic_locks: dict[int, asyncio.Lock] = field(default_factory=dict)  # family -> its lock


class LotseContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The handlers' context, with Lotse's services as a property."""

    @property
    def lotse(self) -> Lotse:
        return _lotse(self.bot_data)


LotseApp = Application[
    ExtBot[Any], LotseContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]


# --- sending -----------------------------------------------------------------------------


async def _send(
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
    """Sends one outbox row, noting each message that got out, so a retry repeats none."""
    if item.copy_from is not None:  # a staff or mediator message, copied by its id
        await bot.copy_message(int(item.external_id), *item.copy_from)
        outbox.sent(item)
        return
    await _send(
        bot,
        int(item.external_id),
        item.reply,
        first_part=item.sent_parts,
        part_sent=lambda parts: outbox.parts_sent(item, parts),
    )
    outbox.sent(item)


async def deliver(bot: ExtBot[Any], lotse: Lotse, external_id: str | None = None) -> None:
    """Sends what waits in the outbox (for one family, or for all), oldest first.

    A family that blocked the bot is marked inactive and its replies dropped; a reply
    Telegram refuses for good is dropped and logged; on a network error or a 429 that
    outlasted the rate limiter's retries, that family's replies wait for the next try
    (the next update, the retry timer, or the next start).
    """
    async with lotse.sending:
        waiting: set[str] = set()
        for item in lotse.outbox.pending(external_id):
            if item.external_id in waiting:
                continue
            try:
                await _send_queued(bot, lotse.outbox, item)
            except Forbidden:
                log.info("outbox %s: the family blocked the bot; marked inactive", item.id)
                _blocked(lotse, item.external_id, blocked=True)
                waiting.add(item.external_id)
            except BadRequest as exc:
                log.error("outbox %s: Telegram refused the reply (%s); dropped", item.id, exc)
                lotse.outbox.undeliverable(item)
            except TelegramError as exc:
                log.warning("outbox %s: not sent yet (%s); will retry", item.id, exc)
                waiting.add(item.external_id)


async def _retry_forever(app: LotseApp) -> None:
    """Every few seconds: queues due appointment reminders, then sends what waits."""
    lotse = _lotse(app.bot_data)
    while True:
        await asyncio.sleep(lotse.retry_seconds)
        try:
            lotse.conversations.send_reminders(CHANNEL)
        except Exception:  # a broken reminder must not stop the outbox retries
            log.exception("queueing reminders failed")
        try:
            await deliver(app.bot, lotse)
        except Exception:
            log.exception("retrying the outbox failed")
        if lotse.conversations.handoff is not None:
            from bot.channels.telegram_staff import deliver_staff

            try:
                await deliver_staff(app.bot, lotse)
            except Exception:
                log.exception("retrying the staff outbox failed")


def _blocked(lotse: Lotse, external_id: str, *, blocked: bool) -> None:
    """Notes that a family blocked the bot (or allowed it again), and tells its topic."""
    if blocked:
        lotse.outbox.blocked(external_id)
    else:
        lotse.outbox.unblocked(external_id)
    handoff = lotse.conversations.handoff
    if handoff is not None:
        handoff.family_blocked(external_id, blocked, lotse.conversations.clock())


async def _deliver_all(bot: ExtBot[Any], lotse: Lotse, family: str | None) -> None:
    """The family's replies, then (with a staff chat) what waits for staff chats and for
    other families (a mediator's message goes to the family it mediates for)."""
    if lotse.conversations.handoff is None:
        await deliver(bot, lotse, family)
        return
    from bot.channels.telegram_staff import deliver_staff

    await deliver(bot, lotse)
    await deliver_staff(bot, lotse)


# --- handlers ----------------------------------------------------------------------------


def _family(update: Update) -> str | None:
    """The family's id on this channel: the private chat's id; None for any other chat."""
    chat = update.effective_chat
    return str(chat.id) if chat is not None and chat.type == ChatType.PRIVATE else None


async def _converse(update: Update, context: LotseContext, event: Event) -> None:
    family = _family(update)
    if family is None:
        return
    lotse = context.lotse
    message = update.message  # a typed message may be relayed to staff by its id
    ref = (message.chat_id, message.message_id) if message is not None else None
    lotse.conversations.handle(CHANNEL, family, event, update_id=update.update_id, message=ref)
    await _deliver_all(context.bot, lotse, family)


async def on_start(update: Update, context: LotseContext) -> None:
    """/start: a fresh conversation, in the family's Telegram language when Lotse has it."""
    user = update.effective_user
    await _converse(update, context, Start(lang_hint=user.language_code if user else None))


async def on_command(update: Update, context: LotseContext) -> None:
    """/menu /back /help /human /language: the engine's commands."""
    message = update.effective_message
    assert message is not None and message.text is not None  # CommandHandler guarantees it
    name = message.text.split()[0][1:].split("@")[0].casefold()
    await _converse(update, context, Command(name))


async def on_text(update: Update, context: LotseContext) -> None:
    """Typed text, including /commands the engine answers itself (unknown ones kindly)."""
    message = update.effective_message
    assert message is not None and message.text is not None  # filters.TEXT guarantees it
    await _converse(update, context, TextInput(message.text))


async def on_button(update: Update, context: LotseContext) -> None:
    """A pressed button: answered at once, then its data read as untrusted input."""
    query = update.callback_query
    assert query is not None
    try:
        await query.answer()
    except TelegramError as exc:  # e.g. too old; the press still counts
        log.warning("update %s: callback not answered (%s)", update.update_id, exc)
    await _converse(update, context, button_press(query.data))


async def _on_other_chat(update: Update, context: LotseContext) -> None:
    """A message from a group: Lotse serves private chats only; logged without content."""
    chat = update.effective_chat
    log.info("update %s: message from chat %s ignored", update.update_id, chat and chat.id)


def media_kind(message: Message) -> str:
    """What kind of non-text message this is, in the words of `Conversations.unsupported`."""
    if message.voice or message.audio or message.video_note:
        return "voice"
    if message.photo or message.video or message.animation:
        return "photo"
    if message.sticker or message.dice:
        return "sticker"
    if message.location or message.venue:
        return "location"
    if message.document:
        return "document"
    return "other"


async def on_media(update: Update, context: LotseContext) -> None:
    """Voice, photo, sticker, location, document …: what Lotse cannot read, and the way on."""
    family = _family(update)
    message = update.effective_message
    if family is None or message is None:
        return
    lotse = context.lotse
    lotse.conversations.unsupported(
        CHANNEL,
        family,
        media_kind(message),
        update_id=update.update_id,
        message=(message.chat_id, message.message_id),
    )
    await _deliver_all(context.bot, lotse, family)


async def on_membership(update: Update, context: LotseContext) -> None:
    """The family blocked the bot (inactive from now) or allowed it again."""
    family = _family(update)
    change: ChatMemberUpdated | None = update.my_chat_member
    if family is None or change is None:
        return
    if change.new_chat_member.status == ChatMemberStatus.BANNED:
        _blocked(context.lotse, family, blocked=True)
    elif change.new_chat_member.status == ChatMemberStatus.MEMBER:
        _blocked(context.lotse, family, blocked=False)
    else:
        return
    if context.lotse.conversations.handoff is not None:
        from bot.channels.telegram_staff import deliver_staff

        await deliver_staff(context.bot, context.lotse)


async def on_error(update: object, context: LotseContext) -> None:
    """Logs without message texts; 403 marks the family inactive; else an apology."""
    error = context.error
    family = _family(update) if isinstance(update, Update) else None
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("update %s: the family blocked the bot; marked inactive", update_id)
        if family is not None:
            _blocked(context.lotse, family, blocked=True)
        return
    if isinstance(error, NetworkError | RetryAfter):  # PTB retries polling; the outbox, sends
        log.warning("update %s: Telegram not reachable (%s)", update_id, error)
        return
    if isinstance(error, Conflict):
        log.error("another process is receiving this bot's updates (%s)", error)
        return
    log.error("update %s failed", update_id, exc_info=error)
    if family is not None:
        reply = context.lotse.conversations.apology(CHANNEL, family)
        try:
            await _send(context.bot, int(family), reply)
        except TelegramError as exc:
            log.warning("update %s: apology not sent (%s)", update_id, exc)


# --- wiring and running ------------------------------------------------------------------


def _lotse(bot_data: dict[Any, Any]) -> Lotse:
    lotse = bot_data[_LOTSE]
    assert isinstance(lotse, Lotse)
    return lotse


async def set_commands(app: LotseApp) -> None:
    """The command menu, once per language Lotse speaks, and in German for all others."""
    catalogs = _lotse(app.bot_data).conversations.knowledge().catalogs
    scope = BotCommandScopeAllPrivateChats()
    for lang in (None, *i18n.available_languages(catalogs)):
        t = i18n.ui(lang or i18n.SOURCE_LANGUAGE, catalogs)
        commands = [
            BotCommand(name, t.gettext(COMMAND_DESCRIPTIONS[name])) for name in MENU_COMMANDS
        ]
        await app.bot.set_my_commands(commands, scope=scope, language_code=lang)


async def _startup(app: LotseApp) -> None:
    """After connecting, before updates: the command menu, then replies left from before."""
    lotse = _lotse(app.bot_data)
    from bot.channels.telegram_staff import deliver_staff, set_staff_commands

    try:
        await set_commands(app)
        await set_staff_commands(app.bot, lotse)
    except TelegramError as exc:
        log.warning("command menu not set (%s)", exc)
    await deliver_staff(app.bot, lotse)  # what waited for staff chats before a restart
    await deliver(app.bot, lotse)
    lotse.retrier = asyncio.create_task(_retry_forever(app), name="lotse outbox retry")


async def _shutdown(app: LotseApp) -> None:
    """Stops the retry timer; what is still waiting is sent at the next start."""
    lotse = _lotse(app.bot_data)
    if lotse.retrier is not None:
        lotse.retrier.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lotse.retrier
        lotse.retrier = None


def build_application(
    settings: TelegramSettings,
    conversations: Conversations,
    outbox: Outbox,
    *,
    rate_limited: bool = True,
) -> LotseApp:
    """The PTB application with every handler; the one place where wiring happens.
    `rate_limited=False` only for benchmarks, which measure Lotse's own cost rather than
    Telegram's 30 messages per second."""
    if settings.token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    # httpx logs every request URL at INFO, and the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    builder: Any = (  # PTB's builder changes its generic type with each option
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
    )
    if rate_limited:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
    app: LotseApp = (
        builder.context_types(ContextTypes(context=LotseContext))
        .job_queue(None)
        .post_init(_startup)
        .post_stop(_shutdown)
        .build()
    )
    app.bot_data[_LOTSE] = Lotse(conversations, outbox, settings.retry_seconds)
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    handoff = conversations.handoff
    if handoff is not None:  # the staff side first: its chats never reach the family handlers
        from bot.channels import telegram_staff as staff

        staff_chats = [handoff.staff_chat]
        if handoff.settings.mediation_chat_id is not None:
            staff_chats.append(handoff.settings.mediation_chat_id)
        app.add_handler(
            MessageHandler(
                filters.Chat(handoff.staff_chat)
                & filters.UpdateType.MESSAGE
                & ~filters.StatusUpdate.ALL,
                staff.on_staff_message,
            )
        )
        app.add_handler(CallbackQueryHandler(staff.on_mediation_button, pattern=r"^med:"))
        app.add_handler(
            MessageHandler(
                ~filters.ChatType.PRIVATE & ~filters.Chat(staff_chats), staff.on_other_chat
            )
        )
    else:
        app.add_handler(MessageHandler(~filters.ChatType.PRIVATE, _on_other_chat))
    media = (
        filters.VOICE
        | filters.AUDIO
        | filters.VIDEO_NOTE
        | filters.PHOTO
        | filters.VIDEO
        | filters.ANIMATION
        | filters.Sticker.ALL
        | filters.Dice.ALL
        | filters.LOCATION
        | filters.VENUE
        | filters.Document.ALL
        | filters.CONTACT
        | filters.POLL
    )
    app.add_handler(CommandHandler("start", on_start, filters=private))
    app.add_handler(CommandHandler(list(ENGINE_COMMANDS), on_command, filters=private))
    app.add_handler(MessageHandler(private & filters.TEXT, on_text))
    app.add_handler(MessageHandler(private & media, on_media))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)
    return app


def webhook_secret(settings: TelegramSettings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or a fresh random one: setWebhook sends it at every start."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    return secrets.token_urlsafe(32)


def _webhook_arguments(settings: TelegramSettings) -> dict[str, Any]:
    if not settings.webhook_url:
        raise ValueError("the webhook needs telegram.webhook_url (LOTSE_TELEGRAM_WEBHOOK_URL)")
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": settings.webhook_path,
        "webhook_url": settings.webhook_url,
        "secret_token": webhook_secret(settings),
        "allowed_updates": ALLOWED_UPDATES,
    }


class StartError(Exception):
    """The bot cannot start (e.g. Telegram refuses the token); the message says why."""


def run(app: LotseApp, settings: TelegramSettings, *, webhook: bool = False) -> None:
    """Runs until SIGINT or SIGTERM: long polling, or PTB's webhook server."""
    # Retry forever at start-up: a bot that boots before the network waits for it.
    try:
        if webhook:
            app.run_webhook(**_webhook_arguments(settings), bootstrap_retries=-1)
        else:
            app.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=-1)
    except InvalidToken as exc:
        raise StartError(f"Telegram refuses the token ({exc}); check TELEGRAM_BOT_TOKEN") from exc


@contextlib.asynccontextmanager
async def running(
    app: LotseApp, settings: TelegramSettings, *, webhook: bool = False, poll_timeout: int = 10
) -> AsyncIterator[LotseApp]:
    """What `run` does, in the order PTB's run_polling/run_webhook do it, but inside a
    running event loop and without signal handling: for tests and for embedding."""
    assert app.updater is not None
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    if webhook:
        await app.updater.start_webhook(**_webhook_arguments(settings))
    else:

        def polling_error(exc: TelegramError) -> None:
            app.create_task(app.process_error(error=exc, update=None))

        await app.updater.start_polling(
            timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES, error_callback=polling_error
        )
    await app.start()
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
