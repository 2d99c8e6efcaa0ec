"""A fake Telegram Bot API on 127.0.0.1 for end-to-end tests of the real python-telegram-bot.

It speaks the wire format of api.telegram.org: `POST /bot<token>/<method>` with form-encoded,
multipart or JSON bodies (nested values are JSON strings in forms), answers
`{"ok": true, "result": …}` or `{"ok": false, "error_code": …, "description": …,
"parameters": {"retry_after": …}}`, long-polls getUpdates with offset and timeout, and
checks what real Telegram checks where a bot could get it wrong: HTML entities, the
4096-character limit, callback data of 1–64 bytes, answered callback queries.

A test plays the family (`text`, `press`, `media`, `deliver` for raw or re-delivered
updates, `block`, `names` for first names), plays staff in a forum supergroup or a
coordination group (`forum`, `group`, `member_writes` with a topic's `thread_id`,
`member_presses`, `delete_topic`), injects faults (`fail`), slow answers (`delays`: a call
whose client gave up meanwhile is not carried out, as when a request never arrived) and
calls held until released (`hold`, e.g. to kill the bot while its request is in flight),
reads what the bot did (`calls`, `messages`, `in_thread`, `topics`, `offsets`, `served`)
and waits on a condition with a bounded timeout (`wait_for`), never on a fixed sleep.
Sends into a topic that does not exist fail with "message thread not found", as on
Telegram. getUpdates forgets an update only when a later offset confirms it, as Telegram
does, so updates a killed bot had fetched are served again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
BOT = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Lotse (Test)",
    "username": "lotse_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}
JSON_FIELDS = {
    "reply_markup",
    "commands",
    "scope",
    "allowed_updates",
    "entities",
    "link_preview_options",
    "reply_parameters",
}
INT_FIELDS = {
    "chat_id",
    "from_chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "message_thread_id",
    "icon_color",
    "max_connections",
}
BOOL_FIELDS = {"show_alert", "drop_pending_updates", "disable_notification"}
HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
TAG = re.compile(r"<(/?)([a-z-]+)(\s[^<>]*)?>")
MEDIA: dict[str, dict[str, Any]] = {
    "voice": {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 3}},
    "photo": {"photo": [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]},
    "sticker": {
        "sticker": {
            "file_id": "s1",
            "file_unique_id": "us1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "location": {"location": {"latitude": 51.2277, "longitude": 6.7735}},
    "document": {"document": {"file_id": "d1", "file_unique_id": "ud1", "file_name": "x.pdf"}},
}


class ApiError(Exception):
    """An error answer, exactly as Telegram words it."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class Call:
    """One request the bot made, and what it was answered."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    error: int | None = None  # the error code answered, None for success
    result: Any = None


@dataclass
class Fault:
    code: int
    description: str
    retry_after: int | None
    times: int | None  # None: until healed


@dataclass
class Hold:
    """The next call of `method` waits until `release`: `call` is set once it arrived."""

    method: str
    call: Call | None = None
    execute: bool = True
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self, *, execute: bool = True) -> None:
        """Lets the call go on; `execute=False`: it is answered 502 and not carried out
        (the bot that made it was killed: the request never reached Telegram)."""
        self.execute = execute
        self.released.set()


def parse_html(text: str) -> str:
    """The text a reader sees, or ApiError as Telegram raises it for bad HTML."""
    shown: list[str] = []
    open_tags: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            match = TAG.match(text, position)
            if not match or match.group(2) not in HTML_TAGS:
                offset = len(text[:position].encode())
                raise ApiError(
                    400,
                    "Bad Request: can't parse entities: Unsupported start tag "
                    f'"{text[position + 1 : position + 10]}" at byte offset {offset}',
                )
            closing, name = match.group(1), match.group(2)
            if closing:
                if not open_tags or open_tags.pop() != name:
                    raise ApiError(400, f'Bad Request: can\'t parse entities: end tag "{name}"')
            else:
                open_tags.append(name)
            position = match.end()
        elif char == "&":
            match = ENTITY.match(text, position)
            if not match:
                raise ApiError(400, "Bad Request: can't parse entities: unescaped &")
            shown.append(html.unescape(match.group(0)))
            position = match.end()
        elif char == ">":
            raise ApiError(400, "Bad Request: can't parse entities: unescaped >")
        else:
            shown.append(char)
            position += 1
    if open_tags:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed {open_tags[-1]}")
    return "".join(shown)


def _sized(content: dict[str, Any], size: int | None) -> dict[str, Any]:
    """A copy of MEDIA content whose file(s) report `size` bytes (None: as it is)."""
    content = copy.deepcopy(content)
    if size is not None:
        for value in content.values():
            for item in value if isinstance(value, list) else [value]:
                if "file_id" in item:
                    item["file_size"] = size
    return content


def _content(message: dict[str, Any]) -> dict[str, Any]:
    """What a copy or a forward takes over from a message."""
    return {k: v for k, v in message.items() if k not in ("message_id", "date", "chat", "from")}


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeBotAPI:
    """The fake server. Use as `async with FakeBotAPI() as api:` inside a test's loop."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {}
        self.blocked: set[int] = set()
        self.chats: dict[int, dict[str, Any]] = {}
        self.stored: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, message id) -> message
        self.sent: dict[int, list[dict[str, Any]]] = {}  # chat -> the bot's messages, in order
        self.open_queries: set[str] = set()
        self.faults: dict[str, list[Fault]] = {}
        self._update_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._topic_ids = itertools.count(2)
        self.topics: dict[int, dict[int, str]] = {}  # forum chat -> thread id -> name
        self.delays: dict[str, float] = {}  # method -> seconds it takes (races, timeouts)
        self.holds: dict[str, Hold] = {}  # method -> its next call waits (see `hold`)
        self.names: dict[int, str] = {}  # user or chat id -> first name (default "F")
        self.offsets: list[int] = []  # the offset of every getUpdates call, in order
        self.served: collections.Counter[int] = collections.Counter()  # update id -> times
        self.delivered: list[int] = []  # the id of every update queued, in order
        self._tick = asyncio.Event()  # set and replaced on every change; waiters re-check
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- running -------------------------------------------------------------------

    async def __aenter__(self) -> FakeBotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._endpoint)
        # no access log: its request lines name the token, which tests look for in logs
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        self._notify()  # long polls return at once
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """The value for LOTSE_TELEGRAM_BASE_URL: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    def _notify(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def _until(
        self, condition: Callable[[], bool], timeout: float, recheck: float = 0.05
    ) -> bool:
        """Waits until `condition()` holds or `timeout` passes; says whether it holds.
        It is checked at every change here, and every `recheck` seconds for conditions
        on other things (the bot's database)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick.wait(), min(remaining, recheck))
        return True

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Returns once `condition()` holds; fails the test after `timeout` seconds."""
        if not await self._until(condition, timeout):
            recent = "\n".join(f"  {c.method} {c.error or 'ok'}" for c in self.calls[-15:])
            raise AssertionError(f"condition not met within {timeout} s; last calls:\n{recent}")

    # --- the family's side ----------------------------------------------------------

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return self.chats.setdefault(
            chat_id, {"id": chat_id, "type": "private", "first_name": self.names.get(chat_id, "F")}
        )

    def _user(self, chat_id: int, language_code: str) -> dict[str, Any]:
        return {
            "id": abs(chat_id),
            "is_bot": False,
            "first_name": self.names.get(abs(chat_id), "F"),
            "language_code": language_code,
        }

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _message(self, chat_id: int, language_code: str, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(chat_id, language_code),
            **content,
        }
        self.stored[(chat_id, message["message_id"])] = message
        return message

    def private(self, chat_id: int) -> None:
        """A person who started the bot some time ago: the bot may write to them."""
        self._chat(chat_id)

    def deliver(self, *updates: dict[str, Any]) -> None:
        """Queues raw updates as they are, also one with an id handled before (a re-delivery)."""
        self.updates.extend(updates)
        self.delivered.extend(update["update_id"] for update in updates)
        self._notify()

    def new_update(self, **content: Any) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), **content}

    def text(
        self, chat_id: int, text: str, language_code: str = "de", *, queue: bool = True
    ) -> dict[str, Any]:
        """The family writes `text` (a /command gets its bot_command entity); returns the
        update, queued for getUpdates unless `queue` is false (for a webhook test)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        update = self.new_update(message=self._message(chat_id, language_code, **content))
        if queue:
            self.deliver(update)
        return update

    def media(self, chat_id: int, kind: str, size: int | None = None) -> dict[str, Any]:
        """The family sends a voice message, photo, sticker, location or document; `size`
        is the file_size Telegram reports for its file."""
        update = self.new_update(message=self._message(chat_id, "de", **_sized(MEDIA[kind], size)))
        self.deliver(update)
        return update

    def press(self, chat_id: int, data: str | None, message_id: int | None = None) -> str:
        """The family presses a button (of the newest keyboard unless `message_id` is given);
        `data` is sent as given, so a test can forge it. Returns the callback query id."""
        if message_id is None:
            message_id = max(
                m["message_id"] for m in self.messages(chat_id) if "reply_markup" in m
            )
        query_id = str(next(self._query_ids))
        query: dict[str, Any] = {
            "id": query_id,
            "from": self._user(chat_id, "de"),
            "message": self.stored[(chat_id, message_id)],
            "chat_instance": f"instance-{chat_id}",
        }
        if data is not None:
            query["data"] = data
        self.open_queries.add(query_id)
        self.deliver(self.new_update(callback_query=query))
        return query_id

    def membership(self, chat_id: int, status: str) -> None:
        """The family blocks ("kicked") or restarts ("member") the bot in Telegram."""
        if status == "kicked":
            self.blocked.add(chat_id)
        else:
            self.blocked.discard(chat_id)
        change = {
            "chat": self._chat(chat_id),
            "from": self._user(chat_id, "de"),
            "date": int(time.time()),
            "old_chat_member": {"user": BOT, "status": "member"},
            "new_chat_member": {"user": BOT, "status": status, "until_date": 0},
        }
        if status == "member":
            change["old_chat_member"] = {"user": BOT, "status": "kicked", "until_date": 0}
        self.deliver(self.new_update(my_chat_member=change))

    def forum(self, chat_id: int) -> None:
        """A staff supergroup with topics that the bot is in (chat ids of groups are < 0)."""
        self.chats[chat_id] = {
            "id": chat_id,
            "type": "supergroup",
            "title": "KI",
            "is_forum": True,
        }

    def group(self, chat_id: int, title: str = "Gruppe") -> None:
        """A group or supergroup without topics that the bot is in."""
        self.chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}

    def member_writes(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        thread_id: int | None = None,
        kind: str | None = None,
    ) -> dict[str, Any]:
        """A person writes in a group (in a forum topic with `thread_id`): text, or media
        of `kind` (see MEDIA) with `text` as its caption."""
        content: dict[str, Any] = {}
        if kind is not None:
            content.update(MEDIA[kind])
            if text is not None:
                content["caption"] = text
        elif text is not None:
            content["text"] = text
            if text.startswith("/"):
                content["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
        if thread_id is not None:
            content["message_thread_id"] = thread_id
            content["is_topic_message"] = True
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self.chats[chat_id],
            "from": self._member(user_id),
            **content,
        }
        self.stored[(chat_id, message["message_id"])] = message
        update = self.new_update(message=message)
        self.deliver(update)
        return update

    def member_presses(self, chat_id: int, user_id: int, message_id: int, data: str) -> str:
        """A person in a group presses a button of the bot's message there."""
        query_id = str(next(self._query_ids))
        query = {
            "id": query_id,
            "from": self._member(user_id),
            "message": self.stored[(chat_id, message_id)],
            "chat_instance": f"instance-{chat_id}",
            "data": data,
        }
        self.open_queries.add(query_id)
        self.deliver(self.new_update(callback_query=query))
        return query_id

    def _member(self, user_id: int) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": self.names.get(user_id, f"U{user_id}"),
        }

    def media_message(
        self, chat_id: int, kind: str, size: int | None = None, *, album: str | None = None
    ) -> dict[str, Any]:
        """Like `media`, for kinds the family may send to staff (also "video"); `album`:
        the media_group_id that the items of one album share."""
        extra = {
            "video": {
                "video": {
                    "file_id": "vid1",
                    "file_unique_id": "uvid1",
                    "width": 10,
                    "height": 10,
                    "duration": 2,
                }
            }
        }
        content = _sized({**MEDIA, **extra}[kind], size)
        if album is not None:
            content["media_group_id"] = album
        update = self.new_update(message=self._message(chat_id, "de", **content))
        self.deliver(update)
        return update

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Staff delete a topic: later sends into it fail with "message thread not found"."""
        self.topics.get(chat_id, {}).pop(thread_id, None)

    def in_thread(self, chat_id: int, thread_id: int) -> list[dict[str, Any]]:
        """The bot's messages in one forum topic."""
        return [m for m in self.messages(chat_id) if m.get("message_thread_id") == thread_id]

    def block(self, chat_id: int) -> None:
        """The family blocked the bot without Telegram telling it yet: sends get 403."""
        self.blocked.add(chat_id)

    def fail(
        self,
        method: str,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int | None = 1,
    ) -> None:
        """The next `times` calls of `method` (all until `heal`, for None) get this error."""
        self.faults.setdefault(method, []).append(Fault(code, description, retry_after, times))

    def heal(self) -> None:
        self.faults.clear()

    def hold(self, method: str) -> Hold:
        """The next call of `method` waits until the returned hold is released."""
        hold = self.holds[method] = Hold(method)
        return hold

    # --- what the bot did ------------------------------------------------------------

    def succeeded(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method and call.error is None]

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to the chat, as they stand now (edits applied), in order."""
        return list(self.sent.get(chat_id, []))  # kept per chat: cheap to ask often

    # --- the API ---------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        raw: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            raw = dict(await request.json())
        elif request.method == "POST" and request.can_read_body:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    raw[key] = value
        raw.update(request.query)
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if not isinstance(value, str):
                params[key] = value
            elif key in JSON_FIELDS:
                params[key] = json.loads(value)
            elif key in INT_FIELDS:
                params[key] = int(value) if re.fullmatch(r"-?\d+", value) else value
            elif key in BOOL_FIELDS:
                params[key] = value.lower() == "true"
            else:
                params[key] = value
        return params, files

    async def _endpoint(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        params, files = await self._params(request)
        call = Call(method, params, files)
        handler = getattr(self, f"_api_{method.lower()}", None)
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            await self._slow(method, call, request)
            self._maybe_fail(method)
            call.result = await handler(params, files)
        except ApiError as exc:
            call.error = exc.code
            response = self._error(exc)
        else:
            response = web.json_response({"ok": True, "result": call.result})
        if method != "getUpdates" or call.error or call.result:
            self.calls.append(call)
            self._notify()
        return response

    async def _slow(self, method: str, call: Call, request: web.Request) -> None:
        """A held or delayed call: carried out later, or not at all if its client is gone."""
        hold = self.holds.get(method)
        if hold is not None and hold.call is None:
            hold.call = call
            self._notify()
            await hold.released.wait()
            del self.holds[method]
            if not hold.execute:
                raise ApiError(502, "Bad Gateway")
        delay = self.delays.get(method)
        if delay:

            def gone() -> bool:
                return request.transport is None or request.transport.is_closing()

            await self._until(gone, delay, recheck=0.02)
            if gone():  # the client timed out: as if the request never arrived
                raise ApiError(499, "Client Closed Request")

    def _maybe_fail(self, method: str) -> None:
        faults = self.faults.get(method)
        if not faults:
            return
        fault = faults[0]
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
        raise ApiError(fault.code, fault.description, fault.retry_after)

    @staticmethod
    def _error(exc: ApiError) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": exc.code,
            "description": exc.description,
        }
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        return web.json_response(body, status=exc.code)

    def _writable_chat(self, params: dict[str, Any], key: str = "chat_id") -> int:
        chat_id = params.get(key)
        if not isinstance(chat_id, int) or chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    @staticmethod
    def _shown_text(params: dict[str, Any]) -> str:
        text = str(params.get("text", ""))
        if params.get("parse_mode") == "HTML":
            text = parse_html(text)
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in rows:
            for button in row:
                data = button.get("callback_data")
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup if rows else None

    def _thread(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        """The message_thread_id of a send into a forum topic, checked as Telegram does."""
        thread = params.get("message_thread_id")
        if thread is None:
            return {}
        if thread not in self.topics.get(chat_id, {}):
            raise ApiError(400, "Bad Request: message thread not found")
        return {"message_thread_id": thread, "is_topic_message": True}

    def _bot_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": BOT,
            **{key: value for key, value in content.items() if value is not None},
        }
        self.stored[(chat_id, message["message_id"])] = message
        self.sent.setdefault(chat_id, []).append(message)
        return message

    def _stored(self, params: dict[str, Any], chat_key: str = "chat_id") -> dict[str, Any]:
        message = self.stored.get((params.get(chat_key, 0), params.get("message_id", 0)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    async def _api_getme(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return BOT

    async def _api_deletewebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _api_setwebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if not str(params.get("url", "")).startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self.webhook = params
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def _api_getupdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        timeout = float(params.get("timeout", 0))
        self.offsets.append(offset)
        if offset > 0:  # confirms every update before it: Telegram forgets them
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

        def batch() -> list[dict[str, Any]]:
            return [u for u in self.updates if u["update_id"] >= offset][:limit]

        await self._until(lambda: bool(batch()) or self._closing, timeout, recheck=timeout)
        served = batch()
        self.served.update(update["update_id"] for update in served)
        return served

    async def _api_sendmessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._writable_chat(params)
        text = self._shown_text(params)
        thread = self._thread(chat_id, params)
        return self._bot_message(chat_id, text=text, reply_markup=self._markup(params), **thread)

    async def _api_editmessagetext(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        message = self._stored(params)
        text, markup = self._shown_text(params), self._markup(params)
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    async def _api_editmessagereplymarkup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        message = self._stored(params)
        markup = self._markup(params)
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    async def _api_answercallbackquery(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self.open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self.open_queries.discard(query_id)
        return True

    async def _api_setmycommands(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command"))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        scope = params.get("scope") or {"type": "default"}
        self.commands[(scope["type"], params.get("language_code", ""))] = commands
        return True

    async def _api_senddocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._writable_chat(params)
        if "document" not in files and not params.get("document"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        size = len(files.get("document", b""))
        document = {"file_id": f"doc{size}", "file_unique_id": f"udoc{size}", "file_size": size}
        return self._bot_message(
            chat_id,
            document=document,
            caption=params.get("caption"),
            reply_markup=self._markup(params),
        )

    async def _api_copymessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        source = self._stored(params, "from_chat_id")
        chat_id = self._writable_chat(params)
        thread = self._thread(chat_id, params)
        content = {
            k: v
            for k, v in _content(source).items()
            if k not in ("message_thread_id", "is_topic_message", "entities")
        }
        copy = self._bot_message(chat_id, **content, **thread)
        return {"message_id": copy["message_id"]}

    async def _api_forwardmessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        source = self._stored(params, "from_chat_id")
        chat_id = self._writable_chat(params)
        origin = {"type": "user", "date": source["date"], "sender_user": source["from"]}
        return self._bot_message(chat_id, forward_origin=origin, **_content(source))

    async def _api_createforumtopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._writable_chat(params)
        if not self.chats[chat_id].get("is_forum"):
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = str(params.get("name", ""))
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        thread = next(self._topic_ids)
        self.topics.setdefault(chat_id, {})[thread] = name
        return {
            "message_thread_id": thread,
            "name": name,
            "icon_color": params.get("icon_color", 7322096),
        }

    async def _api_editforumtopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._writable_chat(params)
        thread = params.get("message_thread_id")
        topics = self.topics.get(chat_id, {})
        if thread not in topics:
            raise ApiError(400, "Bad Request: message thread not found")
        if "name" in params:
            topics[thread] = str(params["name"])
        return True

    async def _api_deleteforumtopic(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        chat_id = self._writable_chat(params)
        if self.topics.get(chat_id, {}).pop(params.get("message_thread_id", 0), None) is None:
            raise ApiError(400, "Bad Request: message thread not found")
        return True
