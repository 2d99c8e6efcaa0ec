"""The Telegram channel end to end: the real python-telegram-bot, over HTTP, against the
fake Bot API on 127.0.0.1, with a real SQLite file and the bundled knowledge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pydantic import SecretStr

from bot.channels.telegram import CHANNEL, LotseApp, build_application, running
from bot.config import TelegramSettings
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.services.conversation import Conversations
from bot.services.outbox import Outbox
from bot.store import open_db
from tests.conftest import MINIMAL_FLOW, ROOT, write_knowledge
from tests.fake_bot_api import TOKEN, FakeBotAPI

FAMILY = 4242
OTHER = 4343


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


def settings(api: FakeBotAPI, **changes: Any) -> TelegramSettings:
    return TelegramSettings(
        token=SecretStr(TOKEN), base_url=api.base_url, retry_seconds=0.2, **changes
    )


@contextlib.asynccontextmanager
async def lotse(
    api: FakeBotAPI,
    db_path: Path,
    knowledge: Callable[[], KnowledgeBase],
    *,
    webhook: bool = False,
    **changes: Any,
) -> AsyncIterator[LotseApp]:
    """One run of the bot process: its own database connection and PTB application."""
    db = open_db(db_path)
    config = settings(api, **changes)
    app = build_application(config, Conversations(db, knowledge), Outbox(db, CHANNEL))
    try:
        async with running(app, config, webhook=webhook, poll_timeout=2):
            yield app
    finally:
        db.close()


class Family:
    """One family's side of the chat: writes, presses, and waits for the bot's answer."""

    def __init__(self, api: FakeBotAPI, chat_id: int = FAMILY, timeout: float = 10.0) -> None:
        self.api = api
        self.chat_id = chat_id
        self.timeout = timeout

    def seen(self) -> list[dict[str, Any]]:
        return self.api.messages(self.chat_id)

    async def answer(self, before: int) -> list[dict[str, Any]]:
        """The bot's new messages, once the last of them carries buttons: every batch of
        replies ends with a keyboard."""

        def complete() -> bool:
            new = self.seen()[before:]
            return bool(new) and "reply_markup" in new[-1]

        await self.api.wait_for(complete, self.timeout)
        return self.seen()[before:]

    async def write(self, text: str, language_code: str = "de") -> list[dict[str, Any]]:
        before = len(self.seen())
        self.api.text(self.chat_id, text, language_code)
        return await self.answer(before)

    async def press(self, data: str | None, message_id: int | None = None) -> list[dict[str, Any]]:
        before = len(self.seen())
        query = self.api.press(self.chat_id, data, message_id)
        replies = await self.answer(before)
        await self.api.wait_for(lambda: query not in self.api.open_queries)
        return replies

    async def send(self, kind: str) -> list[dict[str, Any]]:
        before = len(self.seen())
        self.api.media(self.chat_id, kind)
        return await self.answer(before)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label -> callback data of a message's keyboard."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n---\n".join(message["text"] for message in messages)


# --- scenarios ---------------------------------------------------------------------------


async def test_a_family_completes_a_journey_with_buttons(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        start = await family.write("/start")
        assert "Ich bin Lotse" in start[0]["text"]
        assert start[-1]["text"] == "Wobei kann ich helfen?"
        assert buttons(start[-1])["Schule für mein Kind"] == "seiteneinstieg"

        school = await family.press(buttons(start[-1])["Schule für mein Kind"])
        age = await family.press(buttons(school[-1])["Muss mein Kind zur Schule?"])
        assert "Wie alt ist Ihr Kind?" in age[-1]["text"]
        duty = await family.write("9")
        assert "Schulpflicht" in texts(duty)
        assert "Stand: " in duty[-1]["text"]
        documents = await family.press(buttons(duty[-1])["Welche Unterlagen brauche ich?"])
        assert "Meldebescheinigung" in texts(documents)
        home = await family.press(buttons(documents[-1])["🏠 Hauptmenü"])
        assert home[-1]["text"] == "Wobei kann ich helfen?"

    sends = api.succeeded("sendMessage")
    assert sends and all(call.params["parse_mode"] == "HTML" for call in sends)
    assert all(call.params["link_preview_options"] == {"is_disabled": True} for call in sends)
    # Every callback query was answered, exactly once.
    assert len(api.succeeded("answerCallbackQuery")) == 4 and not api.open_queries
    # The command menu, for every language Lotse speaks and as the default.
    assert set(api.commands) == {("all_private_chats", ""), ("all_private_chats", "de")}
    menu = [command["command"] for command in api.commands[("all_private_chats", "de")]]
    assert menu == ["start", "menu", "language", "help", "human", "mydata", "delete"]


async def test_a_restart_mid_conversation_continues_where_the_family_was(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    db_path = tmp_path / "lotse.db"
    async with lotse(api, db_path, lambda: kb):
        start = await family.write("/start")
        school = await family.press(buttons(start[-1])["Schule für mein Kind"])
        age = await family.press(buttons(school[-1])["Muss mein Kind zur Schule?"])
        assert "Wie alt ist Ihr Kind?" in age[-1]["text"]

    # A new process (new application, new connection) on the same database file.
    async with lotse(api, db_path, lambda: kb):
        duty = await family.write("9")
        assert "Schulpflicht" in texts(duty)
        # A button of a message the first process sent still works.
        back = await family.press(buttons(duty[-1])["◀ Zurück"])
        assert "Wie alt ist Ihr Kind?" in back[-1]["text"]


async def test_an_update_delivered_twice_gets_one_reply(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        await family.write("/start")
        update = api.text(FAMILY, "/help", queue=False)
        before = len(family.seen())
        api.deliver(update, update)  # the same update twice in one getUpdates answer
        first = await family.answer(before)
        # Updates are handled in order: once this one is answered, the copy was handled.
        ping = await family.write("/menu")
    assert "/menu" in texts(first) and ping[-1]["text"] == "Wobei kann ich helfen?"
    assert len(family.seen()) == before + len(first) + len(ping)


async def test_a_reply_stuck_at_a_crash_is_sent_once_after_the_restart(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    """The update is handled and committed, but Telegram cannot be reached to send the
    reply; the process stops, and Telegram delivers the update again to the next one."""
    family = Family(api)
    db_path = tmp_path / "lotse.db"
    api.fail("sendMessage", 502, "Bad Gateway", times=None)
    async with lotse(api, db_path, lambda: kb):
        update = api.text(FAMILY, "/start")
        await api.wait_for(lambda: any(c.method == "sendMessage" for c in api.calls))
    assert family.seen() == []
    api.heal()
    api.deliver(update)  # never confirmed before the crash: Telegram sends it again
    async with lotse(api, db_path, lambda: kb):
        replies = await family.answer(0)  # the outbox, sent at start-up
        ping = await family.write("/menu")
    assert "Ich bin Lotse" in replies[0]["text"]
    assert replies[-1]["text"] == "Wobei kann ich helfen?"
    assert len(family.seen()) == len(replies) + len(ping)  # the re-delivery added nothing


async def test_a_network_error_is_retried_until_the_reply_is_out(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    api.fail("sendMessage", 502, "Bad Gateway", times=2)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        replies = await family.write("/start")  # the retry timer sends it
    assert replies[-1]["text"] == "Wobei kann ich helfen?"
    assert [c.error for c in api.calls if c.method == "sendMessage"][:3] == [502, 502, None]
    assert "Ich bin Lotse" in replies[0]["text"]


async def test_a_429_with_retry_after_still_delivers(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        replies = await family.write("/start")
    sends = [c for c in api.calls if c.method == "sendMessage"]
    assert sends[0].error == 429 and sends[1].error is None
    assert sends[0].params["text"] == sends[1].params["text"]  # the same message, once
    assert "Ich bin Lotse" in replies[0]["text"] and len(replies) == 3  # welcome, privacy, menu


async def test_a_403_marks_the_family_inactive_without_a_crash(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family, other = Family(api), Family(api, OTHER)
    db_path = tmp_path / "lotse.db"
    async with lotse(api, db_path, lambda: kb) as app:
        await family.write("/start")
        api.block(FAMILY)  # blocked, and the bot does not know yet
        api.text(FAMILY, "/help")
        await api.wait_for(lambda: any(c.error == 403 for c in api.calls))
        assert (await other.write("/start"))[-1]["text"] == "Wobei kann ich helfen?"
        assert app.running
    db = open_db(db_path)
    rows = db.execute("SELECT external_id, inactive_at FROM families ORDER BY id").fetchall()
    assert [(external_id, bool(inactive)) for external_id, inactive in rows] == [
        (str(FAMILY), True),
        (str(OTHER), False),
    ]
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    db.close()


async def test_blocking_and_unblocking_in_telegram_is_noted(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    db_path = tmp_path / "lotse.db"

    def inactive() -> bool:
        db = open_db(db_path)
        try:
            return db.execute("SELECT inactive_at FROM families").fetchone()[0] is not None
        finally:
            db.close()

    async with lotse(api, db_path, lambda: kb):
        await family.write("/start")
        api.membership(FAMILY, "kicked")
        await api.wait_for(inactive)
        api.membership(FAMILY, "member")
        await api.wait_for(lambda: not inactive())
        assert (await family.write("/menu"))[-1]["text"] == "Wobei kann ich helfen?"


@pytest.mark.parametrize(
    "data",
    [
        "'; DROP TABLE families; --",  # not a button at all
        "se_documents",  # a real node, but not a button of the current step
        "x" * 200,  # longer than Telegram allows
        None,  # a callback query without data (games)
    ],
)
async def test_forged_callback_data_gets_a_friendly_answer(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, data: str | None
) -> None:
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        start = await family.write("/start")
        replies = await family.press(data)
    assert "Hier sind wir gerade" in texts(replies)
    assert replies[-1]["text"] == "Wobei kann ich helfen?"
    assert buttons(replies[-1]) == buttons(start[-1])
    assert not api.open_queries  # answered all the same


@pytest.mark.parametrize("kind", ["voice", "photo", "sticker", "location", "document"])
async def test_other_message_kinds_get_a_friendly_way_forward(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, kind: str
) -> None:
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        start = await family.write("/start")
        age = await family.press(buttons(start[-1])["Schule für mein Kind"])
        age = await family.press(buttons(age[-1])["Muss mein Kind zur Schule?"])
        replies = await family.send(kind)
        assert "leider" in replies[0]["text"] or "Sticker" in replies[0]["text"]
        assert "Wie alt ist Ihr Kind?" in replies[-1]["text"]  # the way forward
        assert buttons(replies[-1]) == buttons(age[-1])
        duty = await family.write("9")  # and the question is still open
    assert "Schulpflicht" in texts(duty)


async def test_long_texts_are_split_at_sentences_and_html_is_escaped(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    sentence = "Bring <Zeugnisse> & Pässe mit, ja? "
    long_text = sentence * 200  # 7000 characters
    knowledge = write_knowledge(
        tmp_path / "knowledge",
        {"main.yaml": MINIMAL_FLOW.replace("text: Klein.", f"text: {long_text.strip()!r}")},
    )
    kb = load_knowledge(knowledge)
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        await family.write("/start")
        await family.press("age")
        replies = await family.write("3")
    parts = [message["text"] for message in replies]
    assert len(parts) == 2 and all(len(part) <= 4096 for part in parts)
    assert all(part.endswith(("ja?", "Stand: November 2026")) for part in parts)
    assert " ".join(parts).startswith(long_text.strip())
    assert "reply_markup" not in replies[0] and "reply_markup" in replies[1]


async def test_a_failing_update_gets_an_apology_and_the_bot_goes_on(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    broken = {"now": False}

    def knowledge() -> KnowledgeBase:
        if broken["now"]:
            raise RuntimeError("the knowledge could not be read")
        return kb

    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", knowledge):
        await family.write("/start")
        broken["now"] = True
        with caplog.at_level(logging.INFO):
            apology = await family.write("Mein Name ist Amira")
        broken["now"] = False
        again = await family.write("/menu")
    assert "Entschuldigung" in apology[0]["text"]
    assert again[-1]["text"] == "Wobei kann ich helfen?"
    assert "failed" in caplog.text and "RuntimeError" in caplog.text
    assert "Amira" not in caplog.text and TOKEN not in caplog.text


async def test_webhook_mode_checks_the_secret_and_handles_an_update_once(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    port = free_port()
    secret = "s3cret-token_for-tests"
    changes = {
        "webhook_url": "https://lotse.example.org/telegram/hook",
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
        "webhook_secret": SecretStr(secret),
    }
    family = Family(api)
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with (
        lotse(api, tmp_path / "lotse.db", lambda: kb, webhook=True, **changes),
        aiohttp.ClientSession() as http,
    ):

        async def post(update: dict[str, Any], token: str = secret) -> int:
            headers = {"X-Telegram-Bot-Api-Secret-Token": token}
            async with http.post(url, json=update, headers=headers) as response:
                return response.status

        assert api.webhook["url"] == changes["webhook_url"]
        assert api.webhook["secret_token"] == secret
        start = api.text(FAMILY, "/start", queue=False)
        assert await post(start, token="forged") == 403
        assert await post(start) == 200
        assert await post(start) == 200  # Telegram re-sends when it misses our answer
        replies = await family.answer(0)
        assert await post(api.text(FAMILY, "/menu", queue=False)) == 200
        ping = await family.answer(len(replies))
    assert replies[-1]["text"] == "Wobei kann ich helfen?"
    assert ping[-1]["text"] == "Wobei kann ich helfen?"
    assert len(family.seen()) == len(replies) + len(ping)


def free_port() -> int:
    """A port nobody listens on now (PTB's webhook server takes a port number)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_lotse_run_answers_and_stops_cleanly_on_sigterm(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    """The real command, configured only by the environment, as in Docker."""
    env = {
        **os.environ,
        "LOTSE_CONFIG": str(ROOT / "lotse.example.toml"),
        "LOTSE_DB": str(tmp_path / "run.db"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "LOTSE_TELEGRAM_BASE_URL": api.base_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        replies = await Family(api, timeout=60).write("/start")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert replies[-1]["text"] == "Wobei kann ich helfen?"
    assert process.returncode == 0, output.decode()
    assert "Application started" in output.decode()
    assert TOKEN not in output.decode() and TOKEN.split(":")[1] not in output.decode()


async def test_a_family_books_an_appointment_and_gets_the_calendar_file(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    kb = load_knowledge(ROOT / "knowledge")
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        shown = await family.write("/start")
        shown = await family.press(buttons(shown[-1])["Termin buchen"])
        shown = await family.press(buttons(shown[-1])["✅ Einverstanden"])
        shown = await family.press(buttons(shown[-1])["Seiteneinstiegsberatung im KI"])
        first_day = next(iter(buttons(shown[-1]).values()))
        shown = await family.press(first_day)
        first_time = next(iter(buttons(shown[-1]).values()))
        shown = await family.press(first_time)
        shown = await family.press(buttons(shown[-1])["1"])
        shown = await family.write("8")
        shown = await family.press(buttons(shown[-1])["Nein"])
        assert "Bitte prüfen Sie" in shown[-1]["text"]
        shown = await family.press(buttons(shown[-1])["✅ Verbindlich buchen"])
        assert "Ihr Termin ist gebucht" in shown[0]["text"]
        documents = [message for message in shown if "document" in message]
        assert len(documents) == 1 and documents[0]["document"]["file_size"] > 200
        assert "📋 Meine Termine" in buttons(shown[-1])  # the keyboard goes with the file
