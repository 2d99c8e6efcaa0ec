"""The Telegram channel (python-telegram-bot): updates in, replies out, nothing else.

Families write in private chats. Each update runs through `Conversations` with its update
id, which records the id and queues the replies in the outbox in one SQLite transaction;
the outbox is then sent (see `deliver`). So an update is handled at most once, and a reply
committed before a crash is sent after the restart. Dialogue state is ours, in SQLite.
Updates are handled one after the other (PTB's default), which keeps a family's messages
in order. With a staff chat configured, the staff and coordination chats are served by
`telegram_staff`; any other group is ignored and logged without content.

An update is confirmed to Telegram (the next getUpdates offset, or the webhook's answer)
only after it was handled (`HandledQueue`): a process killed mid-update gets it again at
the next start, and the recorded update id keeps it from being handled twice.

[limits] (see bot/config.py) guard the process from one chat: a token bucket per family
(bot/services/flood.py: albums count once; presses, a backlog and chats with people meet
a generous cap only), typed text cut to `max_text_chars` before the engine reads it,
and only `media_types` up to `max_file_bytes` relayed to staff. Logs never show the token,
the webhook secret or what families write (`Redactor`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    ChatMemberUpdated,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import (
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot import i18n
from bot.channels import telegram_staff as staff
from bot.channels.telegram_delivery import (
    CHANNEL,
    Lotse,
    LotseApp,
    LotseContext,
    blocked,
    deliver,
    keep,
    lotse_of,
    ref_of,
    send,
)
from bot.channels.telegram_format import button_press, clean_text
from bot.channels.telegram_staff import deliver_staff, set_staff_commands
from bot.config import LimitsSettings, TelegramSettings
from bot.i18n import _
from bot.services import flood
from bot.services.conversation import Conversations
from bot.services.outbox import Outbox
from bot.services.staff import StaffDesk
from bot.store import tickets
from bot.types import Command, Event, Media, MediaKind, Refusal, Reply, Start, TextInput

__all__ = ["CHANNEL", "Lotse", "LotseApp", "LotseContext", "build_application", "deliver", "run"]

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MENU_COMMANDS = ("start", "menu", "language", "help", "human", "mydata", "delete")  # setMyCommands
ENGINE_COMMANDS = ("menu", "back", "help", "human", "language")
RATE_LIMIT_RETRIES = 3  # a 429 waits retry_after and tries again, this many times

log = logging.getLogger(__name__)


_PAUSE = _(
    "Einen Moment bitte … Das waren viele Nachrichten auf einmal. Ich antworte gleich "
    "wieder. Schicken Sie Ihre Frage dann bitte noch einmal."
)
_PRESS_WAIT = _("Einen Moment bitte … Tippen Sie gleich noch einmal.")
_CUT = _("Ihre Nachricht war sehr lang. Ich habe nur den Anfang gelesen.")

COMMAND_DESCRIPTIONS = {
    "start": _("Neu beginnen"),
    "menu": _("Hauptmenü"),
    "language": _("Sprache wählen"),
    "help": _("Hilfe"),
    "human": _("Mit einer Person sprechen"),
    "mydata": _("Meine Daten ansehen"),
    "delete": _("Alle meine Daten löschen"),
}


# --- sending -----------------------------------------------------------------------------


async def _retry_forever(app: LotseApp) -> None:
    """Every few seconds: queues due appointment reminders, then sends what waits."""
    lotse = lotse_of(app.bot_data)
    while True:
        await asyncio.sleep(lotse.retry_seconds)
        try:
            lotse.conversations.send_reminders(CHANNEL)
        except Exception:  # a broken reminder must not stop the outbox retries
            log.exception("queueing reminders failed")
        try:
            lotse.conversations.purge_due()  # retention, at most once a day
        except Exception:
            log.exception("the daily privacy purge failed")
        try:
            await deliver(app.bot, lotse)
        except Exception:
            log.exception("retrying the outbox failed")
        if lotse.conversations.handoff is not None:
            try:
                await deliver_staff(app.bot, lotse)
            except Exception:
                log.exception("retrying the staff outbox failed")


async def _deliver_after(bot: ExtBot[Any], lotse: Lotse, marks: tuple[int, int | None]) -> None:
    """Sends what the last event queued: the replies of the chats it wrote to (a family's,
    or the family a mediator or staff wrote to), then staff chats' messages."""
    await deliver(bot, lotse, after=marks[0])
    if marks[1] is not None:
        await deliver_staff(bot, lotse, after=marks[1])


def _marks(lotse: Lotse) -> tuple[int, int | None]:
    """Where the outboxes stand before an event (see Outbox.mark)."""
    handoff = lotse.conversations.handoff
    staff = tickets.staff_last_id(handoff.db) if handoff is not None else None
    return lotse.outbox.mark(), staff


# --- handlers ----------------------------------------------------------------------------


def _family(update: Update) -> str | None:
    """The family's id on this channel: the private chat's id; None for any other chat."""
    chat = update.effective_chat
    return str(chat.id) if chat is not None and chat.type == ChatType.PRIVATE else None


def _say(lotse: Lotse, family: str, text: str) -> Reply:
    """A UI string for the family, in its language (laid out right to left where needed)."""
    conversations = lotse.conversations
    lang = conversations.language(CHANNEL, family)
    try:
        catalogs: i18n.Catalogs | None = conversations.knowledge().catalogs
    except Exception:  # a notice must get out when the knowledge cannot be read
        catalogs = None
    shown = i18n.ui(lang, catalogs).gettext(text)
    return Reply(i18n.isolate_ltr(shown) if i18n.is_rtl(lang) else shown, (), lang)


async def _tell(bot: ExtBot[Any], family: str, reply: Reply, update_id: int) -> None:
    """A short notice, sent at once: lost, not repeated, if Telegram cannot be reached."""
    try:
        await send(bot, int(family), reply)
    except TelegramError as exc:
        log.warning("update %s: notice not sent (%s)", update_id, exc)


def _verdict(update: Update, lotse: Lotse, family: str, *, press: bool = False) -> flood.Verdict:
    """What flood control (bot/services/flood.py) says to this update of a private chat.
    A re-delivered update takes no token (the conversation ignores it anyway). Presses,
    the messages of a chat that talks to people, and a backlog meet the generous bucket;
    an album counts once."""
    gate = lotse.gate
    if gate is None or flood.handled_before(lotse.conversations.db, CHANNEL, update.update_id):
        return "ok"
    message = update.message
    return gate.admit(
        family,
        generous=press or _talks_to_staff(lotse, family),
        album=message.media_group_id if message is not None else None,
        sent=message.date.timestamp() if message is not None else None,
    )


async def _admitted(update: Update, context: LotseContext, family: str) -> bool:
    """Flood control for a message: False for one over the family's limit. The first of
    those gets one request to pause; each is recorded as handled, so none is answered later."""
    lotse = context.lotse
    verdict = _verdict(update, lotse, family)
    if verdict == "ok":
        return True
    conversations = lotse.conversations
    new = flood.skip(conversations.db, CHANNEL, update.update_id, conversations.clock())
    if verdict == "pause" and new:
        log.info("update %s: the family writes too fast; asked to pause", update.update_id)
        await _tell(context.bot, family, _say(lotse, family, _PAUSE), update.update_id)
    else:
        log.debug("update %s: over the family's limit; dropped", update.update_id)
    return False


def _talks_to_staff(lotse: Lotse, external_id: str) -> bool:
    """Whether the chat talks to people (a ticket, or a mediator on a request)."""
    return lotse.conversations.talks_to_people(CHANNEL, external_id)


async def _converse(
    update: Update,
    context: LotseContext,
    event: Event,
    *,
    cut: bool = False,
    admitted: bool = False,
) -> None:
    """One event of a family: flood control (unless already `admitted`), the conversation,
    then the replies. `cut`: the engine read only the beginning of a long text (staff get
    all of it: no notice)."""
    family = _family(update)
    if family is None or not (admitted or await _admitted(update, context, family)):
        return
    lotse = context.lotse
    tell_cut = cut and not _talks_to_staff(lotse, family)
    marks = _marks(lotse)
    replies = lotse.conversations.handle(CHANNEL, family, event, update_id=update.update_id)
    if tell_cut and replies:  # no replies: handled before (a re-delivery)
        await _tell(context.bot, family, _say(lotse, family, _CUT), update.update_id)
    for goodbye in lotse.conversations.farewell(CHANNEL, family):  # /delete: no outbox left
        await _tell(context.bot, family, goodbye, update.update_id)
    await _deliver_after(context.bot, lotse, marks)


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
    """Typed text, including /commands the engine answers itself (unknown ones kindly);
    control characters removed, and cut to [limits] max_text_chars."""
    message = update.effective_message
    assert message is not None and message.text is not None  # filters.TEXT guarantees it
    limits = context.lotse.limits
    text, cut = clean_text(message.text, limits.max_text_chars if limits else None)
    ref = ref_of(message.chat_id, message.message_id)  # staff may get it by its id
    await _converse(update, context, TextInput(text, ref), cut=cut)


async def on_button(update: Update, context: LotseContext) -> None:
    """A pressed button: answered at once, then its data read as untrusted input.

    Presses are never paused with typed messages: they answer what Lotse asked, and a
    booking's "confirm" must not do nothing. They count in the generous bucket only; a
    press past it (a script) gets a short notice on the button and is left unhandled."""
    query = update.callback_query
    assert query is not None
    family = _family(update)
    lotse = context.lotse
    over = family is not None and _verdict(update, lotse, family, press=True) != "ok"
    notice = _say(lotse, family, _PRESS_WAIT).text if family is not None and over else None
    try:
        await query.answer(notice)
    except TelegramError as exc:  # e.g. too old; the press still counts
        log.warning("update %s: callback not answered (%s)", update.update_id, exc)
    if over:
        log.info("update %s: buttons pressed too fast; not handled", update.update_id)
        return
    await _converse(update, context, button_press(query.data), admitted=True)


async def _on_mediation_button(update: Update, context: LotseContext) -> None:
    """A mediator's accept/decline button; pressed (or forged) in a family's private chat
    it is just a button the engine does not know, answered kindly."""
    if _family(update) is not None:
        await on_button(update, context)
    else:
        await staff.on_mediation_button(update, context)


async def _on_other_chat(update: Update, context: LotseContext) -> None:
    """A message from a group: Lotse serves private chats only; logged without content."""
    chat = update.effective_chat
    log.info("update %s: message from chat %s ignored", update.update_id, chat and chat.id)


def media_kind(message: Message) -> MediaKind:
    """What kind of non-text message this is."""
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


def file_size(message: Message) -> int | None:
    """The size Telegram gives for the message's file (the largest photo size), if any."""
    files = (
        message.document,
        message.video,
        message.animation,
        message.voice,
        message.audio,
        message.video_note,
        message.sticker,
        *message.photo[-1:],
    )
    sizes = [item.file_size for item in files if item is not None and item.file_size is not None]
    return max(sizes, default=None)


def refused(limits: LimitsSettings | None, message: Message) -> Refusal | None:
    """Why a message may not go to staff under [limits]: "not_allowed" (its kind is not in
    media_types), "too_large" (a file over max_file_bytes), or None."""
    if limits is None:
        return None
    if media_kind(message) not in limits.media_types:
        return "not_allowed"
    size = file_size(message)
    if size is not None and size > limits.max_file_bytes:
        return "too_large"
    return None


async def on_media(update: Update, context: LotseContext) -> None:
    """Voice, photo, sticker, location, document …: what Lotse cannot read, and the way on.
    While the family talks to staff it goes to its topic, unless [limits] refuse it: then
    the family is told why the team did not get it (a mediator, why no one got it)."""
    family = _family(update)
    message = update.effective_message
    if family is None or message is None or not await _admitted(update, context, family):
        return
    lotse = context.lotse
    why = refused(lotse.limits, message)
    ref = ref_of(message.chat_id, message.message_id) if why is None else None
    marks = _marks(lotse)
    event = Media(media_kind(message), ref, why)
    lotse.conversations.handle(CHANNEL, family, event, update_id=update.update_id)
    await _deliver_after(context.bot, lotse, marks)


async def on_membership(update: Update, context: LotseContext) -> None:
    """The family blocked the bot (inactive from now) or allowed it again."""
    family = _family(update)
    change: ChatMemberUpdated | None = update.my_chat_member
    if family is None or change is None:
        return
    if change.new_chat_member.status == ChatMemberStatus.BANNED:
        blocked(context.lotse, family, blocked=True)
    elif change.new_chat_member.status == ChatMemberStatus.MEMBER:
        blocked(context.lotse, family, blocked=False)
    else:
        return
    if context.lotse.conversations.handoff is not None:
        await deliver_staff(context.bot, context.lotse)


async def on_error(update: object, context: LotseContext) -> None:
    """Logs without message texts; 403 marks the family inactive; else an apology."""
    error = context.error
    family = _family(update) if isinstance(update, Update) else None
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("update %s: the family blocked the bot; marked inactive", update_id)
        if family is not None:
            blocked(context.lotse, family, blocked=True)
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
            await send(context.bot, int(family), reply)
        except TelegramError as exc:
            log.warning("update %s: apology not sent (%s)", update_id, exc)


# --- wiring and running ------------------------------------------------------------------


class HandledQueue(asyncio.Queue[object]):
    """PTB's update queue, but `put` returns only once the application has handled the
    update (its `task_done`). So the Updater asks for the next updates, which confirms the
    last ones to Telegram, only after they were handled, and the webhook answers Telegram
    only then: updates that a killed process had fetched are delivered again. Items are
    handled one after the other in order (PTB's default), so the n-th `task_done` is the
    n-th item's."""

    def __init__(self) -> None:
        super().__init__()
        self._handled: collections.deque[asyncio.Future[None]] = collections.deque()

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        self._handled.append(asyncio.get_running_loop().create_future())

    async def put(self, item: object) -> None:
        await super().put(item)  # unbounded: no wait, so the last future is this item's
        await self._handled[-1]

    def task_done(self) -> None:
        super().task_done()
        if self._handled:
            handled = self._handled.popleft()
            if not handled.done():  # cancelled: the putter stopped waiting
                handled.set_result(None)


_REDACTED = "[redacted]"
_PLAIN_ARGUMENT = re.compile(r"[\w.-]{0,64}")  # an endpoint name, a number: no content
LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore")


def _plain(value: object) -> bool:
    if isinstance(value, bool | int | float) or value is None:
        return True
    if isinstance(value, list | tuple):  # e.g. the update ids of a getUpdates answer
        return all(isinstance(item, int) for item in value)
    return isinstance(value, str) and _PLAIN_ARGUMENT.fullmatch(value) is not None


class Redactor(logging.Filter):
    """Keeps secrets and what families write out of the logs of PTB and httpx.

    The bot token is part of every request URL (httpx logs it at INFO, PTB its base URL at
    DEBUG), and PTB's DEBUG records carry whole updates and request parameters. This filter
    replaces the token and the webhook secret wherever they appear (message and traceback),
    and, below INFO, every argument that is more than a name or a number."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, secret: str) -> None:
        self.secrets.add(secret)
        if ":" in secret:  # a bot token: its secret half, alone, is a secret too
            self.secrets.add(secret.split(":", 1)[1])

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, _REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and record.args:
            if isinstance(record.args, Mapping):
                record.args = {
                    key: value if _plain(value) else _REDACTED
                    for key, value in record.args.items()
                }
            else:
                record.args = tuple(value if _plain(value) else _REDACTED for value in record.args)
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


REDACTOR = Redactor()


def guard_logs(*secrets_: str) -> None:
    """Installs `REDACTOR` on PTB's and httpx's loggers, now known and to come by name,
    and adds these secrets to what it hides. A logger filter sees only its own logger's
    records, so every logger of those libraries gets it."""
    for secret in secrets_:
        REDACTOR.add(secret)
    known = [name for name in logging.Logger.manager.loggerDict if isinstance(name, str)]
    for name in {*LIBRARY_LOGGERS, *known}:
        if name.split(".")[0] not in LIBRARY_LOGGERS:
            continue
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)


async def set_commands(app: LotseApp) -> None:
    """The command menu, once per language Lotse speaks, and in German for all others."""
    catalogs = lotse_of(app.bot_data).conversations.knowledge().catalogs
    scope = BotCommandScopeAllPrivateChats()
    for lang in (None, *i18n.available_languages(catalogs)):
        t = i18n.ui(lang or i18n.SOURCE_LANGUAGE, catalogs)
        commands = [
            BotCommand(name, t.gettext(COMMAND_DESCRIPTIONS[name])) for name in MENU_COMMANDS
        ]
        await app.bot.set_my_commands(commands, scope=scope, language_code=lang)


async def _startup(app: LotseApp) -> None:
    """After connecting, before updates: the command menu, then replies left from before."""
    lotse = lotse_of(app.bot_data)

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
    lotse = lotse_of(app.bot_data)
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
    limits: LimitsSettings | None = None,
    rate_limited: bool = True,
    timeout: float | None = None,
) -> LotseApp:
    """The PTB application with every handler; the one place where wiring happens.
    `limits`: what one family may send (`lotse run` passes [limits]; None: no limits).
    `rate_limited=False` only for benchmarks, which measure Lotse's own cost rather than
    Telegram's 30 messages per second. `timeout`: seconds to wait for one answer of
    Telegram (None: PTB's 5 s; long polls get their poll time on top)."""
    if settings.token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    guard_logs(settings.token.get_secret_value())  # before PTB logs its base URL
    # httpx logs every request URL at INFO; redacted, but noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    builder: Any = (  # PTB's builder changes its generic type with each option
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .update_queue(HandledQueue())
    )
    if timeout is not None:
        for option in ("connect", "read", "write", "pool"):
            builder = getattr(builder, f"{option}_timeout")(timeout)
            builder = getattr(builder, f"get_updates_{option}_timeout")(timeout)
    if rate_limited:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
    app: LotseApp = (
        builder.context_types(ContextTypes(context=LotseContext))
        .job_queue(None)
        .post_init(_startup)
        .post_stop(_shutdown)
        .build()
    )
    gate = flood.FloodGate(limits.burst, limits.per_minute) if limits is not None else None
    handoff = conversations.handoff
    desk = StaffDesk(handoff, CHANNEL) if handoff is not None else None
    keep(app.bot_data, Lotse(conversations, outbox, settings.retry_seconds, limits, gate, desk))
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    # The staff side first: its chats never reach the family handlers. A handoff without a
    # Telegram staff chat is answered on the desk in the browser (bot/channels/web_desk.py).
    if handoff is not None and handoff.settings.enabled:
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
        app.add_handler(CallbackQueryHandler(_on_mediation_button, pattern=r"^med:"))
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
    secret = (
        settings.webhook_secret.get_secret_value()
        if settings.webhook_secret is not None
        else secrets.token_urlsafe(32)
    )
    guard_logs(secret)
    return secret


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
