"""Families on both channels, staff in both places: the desk in the browser answers a
Telegram family, the Telegram staff group answers a web family, and each sees what the
other wrote. The real python-telegram-bot against the fake Bot API, one SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.channels import web
from bot.channels.telegram_delivery import deliver
from bot.channels.telegram_staff import deliver_staff
from bot.knowledge import KnowledgeBase
from bot.services import accounts
from bot.services.handoff import CONSENT_YES
from bot.services.outbox import Outbox
from bot.services.staff import StaffDesk
from bot.store import ticket_log
from bot.store.conversations import find_family
from bot.types import ButtonPress, Command, Start, TextInput
from tests.fake_bot_api import FakeBotAPI
from tests.test_handoff import (
    MEDIATION_CHAT,
    MONDAY_MORNING,
    STAFF_CHAT,
    handed_over,
    lotse_of,
    shown,
    staff_writes,
    staffed,
)
from tests.test_telegram import FAMILY, Family


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        fake.forum(STAFF_CHAT)
        fake.group(MEDIATION_CHAT, "Koordination")
        yield fake


async def test_the_desk_answers_a_telegram_family_and_the_topic_shows_it(
    api: FakeBotAPI, tmp_path: Path, translated: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: translated) as app:
        lotse = lotse_of(app)
        db = lotse.conversations.db
        accounts.add(db, "anna", "ein sehr langes Passwort", MONDAY_MORNING)  # a desk in use
        thread = await handed_over(api, family)
        api.text(FAMILY, "Wann ist die Beratung?")
        await api.wait_for(
            lambda: any("Wann ist" in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
        )
        number = find_family(db, "telegram", str(FAMILY))
        assert number is not None
        assert "Wann ist die Beratung?" in [e.text for e in ticket_log.entries(db, number)]
        assert lotse.conversations.handoff is not None
        before = len(family.seen())
        StaffDesk(lotse.conversations.handoff, "desk").message(
            translated,
            "desk:anna",
            None,
            None,
            None,
            "Dienstag um 10 Uhr.",
            MONDAY_MORNING,
            family=number,
        )
        await deliver(app.bot, lotse)
        await deliver_staff(app.bot, lotse)
        await api.wait_for(lambda: len(family.seen()) > before)
        assert shown(family.seen()[-1]) == "Dienstag um 10 Uhr."  # as text, from the bot
        assert "Dienstag um 10 Uhr." in [shown(m) for m in api.in_thread(STAFF_CHAT, thread)]


async def test_the_telegram_staff_group_answers_a_web_family(
    api: FakeBotAPI, tmp_path: Path, translated: KnowledgeBase
) -> None:
    async with staffed(api, tmp_path / "lotse.db", lambda: translated) as app:
        lotse = lotse_of(app)
        conversations = lotse.conversations
        browser = "a3f"  # a web family's chat id (a hash of its cookie)
        for event in (Start(), Command("human"), ButtonPress(CONSENT_YES)):
            conversations.handle(web.CHANNEL, browser, event, update_id=None)
        conversations.handle(web.CHANNEL, browser, TextInput("Hallo aus dem Browser"))
        await deliver_staff(app.bot, lotse)
        topic = [m for m in api.messages(STAFF_CHAT) if "Hallo aus dem Browser" in shown(m)]
        assert topic, "a web family's message reaches its Telegram topic as text"
        thread = topic[0]["message_thread_id"]
        await staff_writes(api, thread, "Guten Tag, wie können wir helfen?")
        outbox = Outbox(conversations.db, web.CHANNEL)
        await api.wait_for(lambda: bool(outbox.pending(browser)))
        (waiting,) = outbox.pending(browser)
        assert waiting.copy_from is not None and waiting.copy_from.channel == ticket_log.HELD
        assert ticket_log.text_of(conversations.db, waiting.copy_from) == (
            "Guten Tag, wie können wir helfen?"
        )
