"""Faults, end to end against the fake Bot API: the bot process killed mid-stream
(SIGKILL, then restarted), network timeouts, bursts of 5xx and storms of 429.

What holds, measured here:
- No update is lost: an update is confirmed to Telegram (the next getUpdates offset) only
  after it was handled (`HandledQueue`), so what a killed process had fetched is served
  again, and the recorded update id keeps it from being handled twice.
- No reply is sent twice and none is lost when the process dies before Telegram carried
  out a send (the kills below hold a request in flight and kill the process then): the
  reply waits in the outbox and goes out after the restart. One case cannot be closed by
  any bot: a process killed after Telegram carried out a send but before the outbox noted
  it sends that one message again (the Bot API has no idempotency key); likewise a send
  that timed out after Telegram had carried it out. `parts_sent` keeps this to one
  message per kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from pydantic import SecretStr

from bot.channels.telegram import CHANNEL, LotseApp, build_application, running
from bot.config import TelegramSettings
from bot.knowledge import KnowledgeBase
from bot.services.conversation import Conversations
from bot.services.outbox import Outbox
from bot.store import open_db
from tests.fake_bot_api import TOKEN, FakeBotAPI, Hold
from tests.test_telegram import Family, buttons

STAFF_CHAT = -1001
STAFF = 77


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@contextlib.asynccontextmanager
async def bot(
    api: FakeBotAPI,
    db_path: Path,
    kb: KnowledgeBase,
    *,
    timeout: float | None = None,
    poll_timeout: int = 2,
) -> AsyncIterator[LotseApp]:
    db = open_db(db_path)
    config = TelegramSettings(token=SecretStr(TOKEN), base_url=api.base_url, retry_seconds=0.05)
    app = build_application(
        config, Conversations(db, lambda: kb), Outbox(db, CHANNEL), timeout=timeout
    )
    try:
        async with running(app, config, poll_timeout=poll_timeout):
            yield app
    finally:
        db.close()


def shown(message: dict[str, Any]) -> tuple[object, ...]:
    """What a reader sees of a message: text or file, and its buttons."""
    return (
        message.get("text") or message.get("caption"),
        "document" in message,
        str(message.get("reply_markup")),
    )


def transcript(family: Family) -> list[tuple[object, ...]]:
    return [shown(message) for message in family.seen()]


async def test_an_update_is_confirmed_only_after_it_was_handled(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    first, second = Family(api, 501), Family(api, 502)
    async with bot(api, tmp_path / "lotse.db", kb):
        await first.write("/start")
        before = len(first.seen())
        hold = api.hold("sendMessage")
        update = api.text(501, "/help")
        await api.wait_for(lambda: hold.call is not None)
        api.text(502, "/start")  # arrives while the first is being handled
        await asyncio.sleep(0.3)  # time for a (wrong) early confirmation to show
        # Telegram forgets update u at an offset above u: none has been asked for yet.
        assert max(api.offsets) <= update["update_id"]
        assert update in api.updates
        hold.release()
        await first.answer(before)
        await second.answer(0)
        await api.wait_for(lambda: max(api.offsets) > update["update_id"] + 1)


async def test_timeouts_on_sends_and_polls_lose_nothing_and_repeat_nothing(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family, other = Family(api, 601), Family(api, 602)
    async with bot(api, tmp_path / "lotse.db", kb, timeout=0.3, poll_timeout=1) as app:
        reference = [shown(m) for m in await other.write("/start")]
        reference_menu = [shown(m) for m in await other.write("/menu")]
        api.delays["sendMessage"] = 1.0  # beyond the client's 0.3 s: the client gives up
        api.text(601, "/start")
        await api.wait_for(lambda: sum(c.error == 499 for c in api.calls) >= 2)
        del api.delays["sendMessage"]
        replies = await family.answer(0)
        assert [shown(m) for m in replies] == reference
        # a poll that times out: the update it would have carried comes with the next one
        api.delays["getUpdates"] = 1.6  # beyond 1 s poll + 0.3 s
        await api.wait_for(lambda: any(c.method == "getUpdates" and c.error for c in api.calls))
        before = len(family.seen())
        api.text(601, "/menu")
        del api.delays["getUpdates"]
        await family.answer(before)
        assert app.running
    assert transcript(family) == [*reference, *reference_menu]


async def test_twenty_502_in_a_row_then_each_reply_once(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    families = [Family(api, chat) for chat in (701, 702, 703)]
    async with bot(api, tmp_path / "lotse.db", kb) as app:
        reference = [shown(m) for m in await Family(api, 700).write("/start")]
        api.fail("sendMessage", 502, "Bad Gateway", times=20)
        for family in families:
            api.text(family.chat_id, "/start")
        answers = await asyncio.gather(*(family.answer(0) for family in families))
        assert app.running
    assert sum(c.error == 502 for c in api.calls) == 20
    for family, replies in zip(families, answers, strict=True):
        assert transcript(family) == [shown(m) for m in replies] == reference


async def test_a_storm_of_429_with_retry_after_then_each_reply_once(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family, other = Family(api, 801), Family(api, 802)
    async with bot(api, tmp_path / "lotse.db", kb) as app:
        reference = [shown(m) for m in await Family(api, 800).write("/start")]
        # more 429s than the rate limiter retries: the outbox's retry takes over
        api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=4)
        api.text(801, "/start")
        api.text(802, "/start")
        replies = await family.answer(0)
        others = await other.answer(0)
        assert app.running
    assert sum(c.error == 429 for c in api.calls) == 4
    assert transcript(family) == [shown(m) for m in replies] == reference
    assert transcript(other) == [shown(m) for m in others] == reference


# --- SIGKILL -----------------------------------------------------------------------------


class Process:
    """`python -m bot run` against the fake, configured as in Docker, killed at will."""

    def __init__(self, api: FakeBotAPI, tmp_path: Path) -> None:
        settings = tmp_path / "lotse.toml"
        settings.write_text(
            "[telegram]\nretry_seconds = 0.2\n"
            "[limits]\nburst = 200\nper_minute = 6000\n"
            f"[staff]\nchat_id = {STAFF_CHAT}\nuser_ids = [{STAFF}]\n",
            encoding="utf-8",
        )
        self.env = {
            **os.environ,
            "LOTSE_CONFIG": str(settings),
            "LOTSE_DB": str(tmp_path / "run.db"),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "LOTSE_TELEGRAM_BASE_URL": api.base_url,
        }
        self.log = tmp_path / "run.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, stdout=log, stderr=log
            )
        self.starts += 1

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int | None:
        if self.process is None or self.process.returncode is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)


async def through(
    family: Family, replies: list[dict[str, Any]], label: str
) -> list[dict[str, Any]]:
    """Presses the button `label` (or, for "*", the first button) of the last message."""
    choices = buttons(replies[-1])
    return await family.press(next(iter(choices.values())) if label == "*" else choices[label])


async def test_sigkill_mid_stream_loses_no_update_and_answers_each_once(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    api.forum(STAFF_CHAT)
    bot_process = Process(api, tmp_path)
    chatty = [Family(api, 1100 + n, timeout=30) for n in range(6)]
    booking = [Family(api, 1200 + n, timeout=30) for n in range(2)]
    person = Family(api, 1300, timeout=30)
    go: dict[str, asyncio.Event] = {"topic": asyncio.Event(), "document": asyncio.Event()}

    async def chat(family: Family) -> None:
        shown_ = await family.write("/start")
        shown_ = await through(family, shown_, "*")
        await family.write("/help")
        shown_ = await family.write("/menu")
        shown_ = await through(family, shown_, "*")
        await family.write("/menu")

    async def book(family: Family, wait: asyncio.Event | None) -> None:
        shown_ = await family.write("/start")
        for label in ("Termin buchen", "✅ Einverstanden", "Seiteneinstiegsberatung im KI"):
            shown_ = await through(family, shown_, label)
        shown_ = await through(family, shown_, "*")  # the first day
        shown_ = await through(family, shown_, "*")  # its first time
        shown_ = await through(family, shown_, "1")
        shown_ = await family.write("8")
        shown_ = await through(family, shown_, "Nein")
        if wait is not None:
            await wait.wait()
        shown_ = await through(family, shown_, "✅ Verbindlich buchen")
        assert any("document" in m for m in shown_)

    async def talk_to_a_person(family: Family) -> None:
        await family.write("/start")
        await go["topic"].wait()
        shown_ = await family.write("/human")
        consent = [data for data in buttons(shown_[-1]).values() if data.endswith(":yes")]
        if consent:  # the privacy step before staff see the chat
            await family.press(consent[0])
        api.text(family.chat_id, "Hallo Team")

    async def kill_at(hold: Hold, then: str | None = None) -> None:
        """Kills the process while the held call is in flight, then starts a new one."""
        if then is not None:
            go[then].set()
        await api.wait_for(lambda: hold.call is not None, 30)
        await bot_process.kill()
        hold.release(execute=False)  # the request died with the process
        await bot_process.start()

    await bot_process.start()
    try:
        scripts = asyncio.gather(
            *(chat(family) for family in chatty),
            book(booking[0], go["document"]),
            book(booking[1], None),
            talk_to_a_person(person),
        )
        # before a commit: a button's query is being answered
        await kill_at(api.hold("answerCallbackQuery"))
        # after a commit: a reply is on its way
        await kill_at(api.hold("sendMessage"))
        # on the staff side: the family's topic is being created
        await kill_at(api.hold("createForumTopic"), "topic")
        # mid-reply: the booking's text went out, its calendar file is on its way
        await kill_at(api.hold("sendDocument"), "document")
        await asyncio.wait_for(scripts, 60)
        unbroken = Family(api, 1199, timeout=30)  # the same script, after the last kill
        await chat(unbroken)
        await api.wait_for(
            lambda: any(m.get("text") == "Hallo Team" for m in api.messages(STAFF_CHAT)), 30
        )
    finally:
        returncode = await bot_process.stop()
    assert returncode == 0, bot_process.log.read_text()
    assert bot_process.starts == 5

    # every update handled, once
    db = open_db(tmp_path / "run.db")
    handled = {row[0] for row in db.execute("SELECT update_id FROM processed_updates")}
    assert set(api.delivered) <= handled
    assert [n for n in api.served.values() if n > 1], "no kill caught an update in flight"
    # every reply out, none twice
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM staff_outbox").fetchone()[0] == 0
    for family in chatty:  # the same steps: the same messages, none twice
        assert transcript(family) == transcript(unbroken), family.chat_id
    assert len(booking[0].seen()) == len(booking[1].seen())
    for family in booking:
        assert sum("document" in m for m in family.seen()) == 1
    assert not api.open_queries
    answered = [c.params["callback_query_id"] for c in api.succeeded("answerCallbackQuery")]
    assert len(answered) == len(set(answered))
    # no booking, ticket or topic lost or doubled
    confirmed = db.execute(
        "SELECT f.external_id FROM bookings b JOIN families f ON f.id = b.family_id"
        " WHERE b.status = 'confirmed'"
    ).fetchall()
    assert sorted(external for (external,) in confirmed) == ["1200", "1201"]
    tickets = db.execute(
        "SELECT f.external_id FROM tickets t JOIN families f ON f.id = t.family_id"
        " WHERE t.status = 'open'"
    ).fetchall()
    assert tickets == [("1300",)]
    assert (
        len(api.topics.get(STAFF_CHAT, {}))
        == db.execute("SELECT COUNT(*) FROM family_topics").fetchone()[0]
    )
    db.close()
    log = bot_process.log.read_text()
    assert TOKEN.split(":")[1] not in log and "Hallo Team" not in log
