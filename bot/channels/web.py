"""The web channel: a family chat in the browser (`/`, `/widget.js`) and the staff desk
(`/desk`, bot/channels/web_desk.py), one ASGI app (Starlette) run by `lotse web`.

A family is a session: an opaque random token in an HttpOnly, SameSite cookie, no
account. Lotse stores only a hash of the token as the family's chat id (channel "web"), so
the database alone does not let anyone continue a family's chat. Every event goes through
`Conversations.handle` with an update id, like Telegram's: its replies wait in the outbox
until the browser has them. The page fetches them with the answer to its request, and
gets what staff write later over Server-Sent Events (`/api/stream`); it acknowledges what
it has shown (`ack`), and only then are the rows deleted. One poller per process watches
the outbox and the ticket log, so a reply written by another process (the Telegram bot's
reminders, a staff member in the Telegram topic) reaches the page too.

Security: every POST carries a CSRF token (an HMAC of the session, in a header for the
chat API, in a form field on the desk); a strict Content-Security-Policy (no inline script
or style, nothing from elsewhere); texts escaped on the server (bot/channels/web_format.py)
and put into the page as text; request bodies capped; rate limits per session and per
address (the flood buckets of bot/services/flood.py); no access log and no message text in
any log (addresses are personal data, too).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import i18n
from bot.channels import web_format
from bot.channels.text import clean_text
from bot.config import LimitsSettings, WebSettings
from bot.i18n import _
from bot.services import flood
from bot.services.conversation import Conversations
from bot.services.outbox import Outbox, Queued
from bot.store import ticket_log, transaction
from bot.store.outbox import last_id as outbox_last_id
from bot.types import ButtonPress, Command, Event, Reply, Start, TextInput

CHANNEL = "web"
HERE = Path(__file__).resolve().parent
ASSETS = HERE / "web_assets"
TEMPLATES = HERE / "web_templates"
CHAT_COOKIE = "lotse_chat"
MAX_UPDATE_ID = 2**53  # what a browser's Number holds exactly
POLL_SECONDS = 0.5  # how often the poller looks for new rows
KEEPALIVE_SECONDS = 15.0
CHORE_ROUNDS = 120  # reminders and retention every 120 polls (a minute)
COMMANDS = frozenset({"menu", "language", "human", "mydata", "delete", "help", "back", "start"})
CHAT_COOKIE_DAYS = 90  # like `idle_family_days`: after that the family is gone anyway

log = logging.getLogger(__name__)

LABELS = {
    "title": _("Lotse – Beratung des Kommunalen Integrationszentrums"),
    "log": _("Unterhaltung"),
    "input": _("Ihre Nachricht"),
    "send": _("Senden"),
    "menu": _("🏠 Hauptmenü"),
    "language": _("Sprache wählen"),
    "person": _("🙋 Mit einer Person sprechen"),
    "offline": _(
        "Keine Verbindung. Ihre Nachricht wird gesendet, sobald die Verbindung wieder da ist."
    ),
    "error": _("Das hat nicht geklappt. Bitte versuchen Sie es noch einmal."),
    "team": _("KI-Team"),
    "you": _("Sie"),
    "lotse": "Lotse",
    "download": _("Herunterladen"),
    "busy": _("Lotse schreibt …"),
}


# --- signing and limits ------------------------------------------------------------------


class Keys:
    """The key that signs CSRF tokens: random, made once, kept in the database (so tokens
    survive a restart and every process of one Lotse agrees)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def of(cls, conversations: Conversations) -> Keys:
        db = conversations.db
        with transaction(db):
            row = db.execute("SELECT value FROM web_keys WHERE name = 'csrf'").fetchone()
            if row is None:
                value = secrets.token_hex(32)
                db.execute("INSERT INTO web_keys (name, value) VALUES ('csrf', ?)", [value])
            else:
                value = str(row[0])
        return cls(bytes.fromhex(value))

    def sign(self, purpose: str, token: str) -> str:
        return hmac.new(self._key, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()

    def check(self, purpose: str, token: str, signature: str | None) -> bool:
        return signature is not None and hmac.compare_digest(self.sign(purpose, token), signature)


class Limits:
    """Requests per session and per client address, in token buckets (bot/services/
    flood.py): a burst, then a steady rate. Over it, 429."""

    def __init__(self, limits: LimitsSettings, web: WebSettings) -> None:
        # a chat event is a family's message: the family's own limits, generous (buttons)
        self.session = flood.FloodGate(limits.burst * 2, limits.per_minute * 2)
        self.address = flood.FloodGate(max(10, web.per_minute_ip // 4), web.per_minute_ip)
        self.login = flood.FloodGate(10, 10)  # login attempts per address (the lockout: 5)

    @staticmethod
    def ok(gate: flood.FloodGate, key: str) -> bool:
        return gate.admit(key) == "ok"


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "-"


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past `limit` bytes (also when no length was sent)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413)
    return bytes(body)


# --- the poller --------------------------------------------------------------------------


class Poller:
    """Wakes the streams when the outbox or the ticket log got rows, from this process or
    another: one cheap query per `POLL_SECONDS` for all streams together."""

    def __init__(self, conversations: Conversations, *, drop_staff_outbox: bool) -> None:
        self.conversations = conversations
        self.drop_staff_outbox = drop_staff_outbox
        self._changed = asyncio.Event()
        self._seen = (-1, -1)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.poke()  # streams waiting now end

    def poke(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    def check(self) -> None:
        db = self.conversations.db
        if self.drop_staff_outbox:  # no Telegram staff chat: what waits for it goes
            with transaction(db):
                db.execute("DELETE FROM staff_outbox")
        seen = (outbox_last_id(db), ticket_log.last_id(db))
        if seen != self._seen:
            self._seen = seen
            self.poke()

    def chores(self) -> None:
        """What the Telegram bot's job queue does for its families: reminders that are due
        (for web families), and the daily retention run (once a day, whichever process)."""
        queued = self.conversations.send_reminders(CHANNEL)
        if queued:
            log.info("%s reminder(s) queued", queued)
        purged = self.conversations.purge_due()
        if purged is not None:
            log.info("retention run: %s", purged)

    async def _run(self) -> None:
        rounds = 0
        while True:
            try:
                if rounds % CHORE_ROUNDS == 0:
                    self.chores()
                self.check()
            except Exception:  # a busy database: next round
                log.exception("poller round failed")
            rounds += 1
            await asyncio.sleep(POLL_SECONDS)


# --- the family chat ---------------------------------------------------------------------


def family_id_of(token: str) -> str:
    """The family's chat id on this channel: a hash of its session token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()[:40]


def best_language(header: str | None) -> str:
    """The first language of Accept-Language that Lotse speaks (German otherwise)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:20]):
        code, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        lang = i18n.normalize_language(code)
        if lang in i18n.LANGUAGES and quality > 0:
            weighted.append((-quality, index, lang))
    return min(weighted)[2] if weighted else i18n.SOURCE_LANGUAGE


@dataclass
class Web:
    """What the routes share."""

    conversations: Conversations
    settings: WebSettings
    limits: LimitsSettings
    keys: Keys
    poller: Poller
    templates: Environment
    outbox: Outbox = field(init=False)
    gates: Limits = field(init=False)
    stopping: bool = False  # the server shuts down: streams end

    def __post_init__(self) -> None:
        self.outbox = Outbox(self.conversations.db, CHANNEL, self.conversations.clock)
        self.gates = Limits(self.limits, self.settings)

    def render(self, name: str, **values: Any) -> str:
        return self.templates.get_template(name).render(**values)

    def cookie(self, response: Response, name: str, value: str, **options: Any) -> None:
        response.set_cookie(
            name,
            value,
            httponly=True,
            secure=self.settings.behind_proxy,
            **{"samesite": "lax", "path": "/", **options},
        )

    def labels(self, lang: str) -> dict[str, str]:
        catalogs = self.conversations.knowledge().catalogs
        t = i18n.ui(lang, catalogs)
        return {key: t.gettext(text) for key, text in LABELS.items()}

    # --- the outbox of one family ------------------------------------------------------

    def ack(self, external_id: str, upto: object) -> None:
        if not isinstance(upto, int) or isinstance(upto, bool) or upto <= 0:
            return
        shown = [item for item in self.outbox.pending(external_id) if item.id <= upto]
        if shown:
            with transaction(self.conversations.db):
                self.outbox.done(shown)

    def messages(self, external_id: str, after: int = 0) -> list[dict[str, Any]]:
        return [
            shown
            for item in self.outbox.pending(external_id)
            if item.id > after and (shown := self.message(item)) is not None
        ]

    def message(self, item: Queued) -> dict[str, Any] | None:
        ref = item.copy_from
        if ref is None:
            return web_format.message(item.id, item.reply)
        if ref.channel != ticket_log.HELD:  # never queued for this channel (bot/services/relay.py)
            log.error("outbox %s: a copy from %s cannot be shown here; skipped", item.id, ref)
            return None
        text = ticket_log.text_of(self.conversations.db, ref)
        if text is None:
            return None
        return web_format.message(item.id, Reply(text, lang=item.reply.lang), "staff")


def _web(request: Request) -> Web:
    web = request.app.state.web
    assert isinstance(web, Web)
    return web


def _session(request: Request) -> str | None:
    token = request.cookies.get(CHAT_COOKIE)
    if token is None or not (20 <= len(token) <= 100) or not token.isascii():
        return None
    return token


def _event(data: dict[str, Any], lang: str, limits: LimitsSettings) -> Event:
    kind = data.get("type")
    if kind == "start":
        hint = data.get("lang")
        return Start(lang_hint=hint if isinstance(hint, str) and len(hint) <= 10 else lang)
    if kind == "text" and isinstance(data.get("text"), str):
        text, _cut = clean_text(data["text"], limits.max_text_chars)
        return TextInput(text)
    if kind == "button" and isinstance(data.get("id"), str) and len(data["id"]) <= 64:
        return ButtonPress(data["id"])
    if kind == "command" and data.get("name") in COMMANDS:
        return Command(str(data["name"]))
    raise HTTPException(400, "unknown event")


async def chat_page(request: Request) -> Response:
    web = _web(request)
    token = _session(request)
    new = token is None
    if token is None:
        token = secrets.token_urlsafe(32)
    external = family_id_of(token)
    lang = (
        web.conversations.language(CHANNEL, external)
        if not new and web.conversations.knows(CHANNEL, external)
        else best_language(request.headers.get("accept-language"))
    )
    page = web.render(
        "chat.html",
        lang=lang,
        dir="rtl" if i18n.is_rtl(lang) else "ltr",
        csrf=web.keys.sign("chat", token),
        base=request.scope.get("root_path", "") + "/",
        embed=request.query_params.get("embed") == "1",
        labels=web.labels(lang),
    )
    response = HTMLResponse(page)
    if new:
        web.cookie(response, CHAT_COOKIE, token, max_age=CHAT_COOKIE_DAYS * 86400)
    return response


def _chat_session(request: Request) -> tuple[Web, str]:
    """The family's chat id of a request to the chat API; 403 without a valid session
    and (for POST) CSRF token; 429 over the limits."""
    web = _web(request)
    token = _session(request)
    if token is None:
        raise HTTPException(403, "no session")
    if request.method == "POST" and not web.keys.check(
        "chat", token, request.headers.get("x-csrf-token")
    ):
        raise HTTPException(403, "bad token")
    external = family_id_of(token)
    if not Limits.ok(web.gates.address, client_address(request)) or not Limits.ok(
        web.gates.session, external
    ):
        raise HTTPException(429, "too many requests")
    return web, external


async def api_event(request: Request) -> Response:
    web, external = _chat_session(request)
    try:
        data = json.loads(await read_body(request, web.settings.max_body_bytes))
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "not an object")
    conversations = web.conversations
    web.ack(external, data.get("ack"))
    event = _event(data, best_language(request.headers.get("accept-language")), web.limits)
    update = data.get("update")
    if not isinstance(update, int) or isinstance(update, bool) or not 0 < update < MAX_UPDATE_ID:
        update = secrets.randbelow(MAX_UPDATE_ID - 1) + 1
    try:
        conversations.handle(CHANNEL, external, event, update_id=update)
    except Exception:
        log.exception("web event failed")  # the traceback holds no message text
        reply = conversations.apology(CHANNEL, external)
        return JSONResponse({"messages": [web_format.message(0, reply)]})
    goodbye = [web_format.message(0, r) for r in conversations.farewell(CHANNEL, external)]
    web.poller.poke()
    return JSONResponse({"messages": [*web.messages(external), *goodbye]})


async def api_messages(request: Request) -> Response:
    web, external = _chat_session(request)
    ack = request.query_params.get("ack", "")
    web.ack(external, int(ack) if ack.isdigit() else None)
    return JSONResponse({"messages": web.messages(external)})


async def api_stream(request: Request) -> Response:
    web, external = _chat_session(request)
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isdigit() else 0

    async def events() -> AsyncIterator[str]:
        after = start
        web.ack(external, after)
        yield "retry: 3000\n\n"
        while not await request.is_disconnected() and not web.stopping:
            for message in web.messages(external, after):
                after = max(after, message["id"])
                data = json.dumps(message, ensure_ascii=False)
                yield f"event: message\nid: {message['id']}\ndata: {data}\n\n"
            await web.poller.wait(KEEPALIVE_SECONDS)
            yield ": keepalive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def widget(request: Request) -> Response:
    return Response(
        (ASSETS / "widget.js").read_bytes(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


# --- the app -----------------------------------------------------------------------------


class SecurityHeaders:
    """A strict CSP and the usual hardening headers on every answer (plain ASGI, so that
    streamed answers stay streamed)."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        ancestors = " ".join(["'self'", *settings.embed_origins])
        csp = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
            " connect-src 'self'; form-action 'self'; base-uri 'none';"
            f" frame-ancestors {ancestors}"
        )
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if settings.behind_proxy:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = str(scope.get("path", "")).startswith(("/api/", "/desk"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.append(name.decode(), value.decode())
                if private and "cache-control" not in headers:
                    headers.append("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    conversations: Conversations,
    settings: WebSettings | None = None,
    limits: LimitsSettings | None = None,
    *,
    telegram_staff_chat: bool = False,
) -> Starlette:
    """The ASGI app of the family chat (the desk adds itself: bot/channels/web_desk.py).
    `telegram_staff_chat`: a Telegram bot sends what waits for the staff chat (otherwise
    the poller drops it: the ticket log has it)."""
    settings = settings or WebSettings()
    templates = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    poller = Poller(
        conversations,
        drop_staff_outbox=conversations.handoff is not None and not telegram_staff_chat,
    )
    web = Web(
        conversations,
        settings,
        limits or LimitsSettings(),
        Keys.of(conversations),
        poller,
        templates,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        web.stopping = False
        poller.start()
        yield
        web.stopping = True
        await poller.stop()

    routes: list[BaseRoute] = [
        Route("/", chat_page),
        Route("/widget.js", widget),
        Route("/healthz", health),
        Route("/api/event", api_event, methods=["POST"]),
        Route("/api/messages", api_messages),
        Route("/api/stream", api_stream),
        Mount("/assets", StaticFiles(directory=ASSETS), name="assets"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders, settings=settings)],
        lifespan=lifespan,
        exception_handlers={HTTPException: _error},
    )
    app.state.web = web
    return app


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 401 and request.url.path.startswith("/desk"):
        return RedirectResponse("/desk/login", status_code=303)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return PlainTextResponse(exc.detail, status_code=exc.status_code)
