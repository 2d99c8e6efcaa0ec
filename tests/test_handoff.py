"""Handing a family over to KI staff, end to end: the real python-telegram-bot against the
fake Bot API, a staff supergroup with forum topics, a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from bot.channels.telegram import CHANNEL, Lotse, LotseApp, build_application, running
from bot.channels.telegram_staff import deliver_staff
from bot.config import StaffSettings
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.services.conversation import Conversations
from bot.services.handoff import CONSENT_YES, Handoff
from bot.services.live_knowledge import LiveKnowledge
from bot.services.outbox import Outbox
from bot.store import open_db
from tests.conftest import KNOWLEDGE, ROOT
from tests.fake_bot_api import FakeBotAPI
from tests.test_telegram import FAMILY, Family, buttons, settings

STAFF_CHAT = -1001
MEDIATION_CHAT = -1002
STAFF = 77
MEDIATOR = 5151
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
SATURDAY = dt.datetime(2026, 11, 28, 11, 0, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The bundled knowledge with every language."""
    return load_knowledge(KNOWLEDGE, ROOT / "translations")


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        fake.forum(STAFF_CHAT)
        fake.group(MEDIATION_CHAT, "Koordination")
        yield fake


@contextlib.asynccontextmanager
async def staffed(
    api: FakeBotAPI,
    db_path: Path,
    knowledge: Callable[[], KnowledgeBase],
    *,
    reload: Callable[[], list[str]] | None = None,
    now: dt.datetime = MONDAY_MORNING,
) -> AsyncIterator[LotseApp]:
    """The bot with a staff chat, a coordination chat and one staff member."""
    db = open_db(db_path)
    staff = StaffSettings(
        chat_id=STAFF_CHAT, mediation_chat_id=MEDIATION_CHAT, user_ids=frozenset({STAFF})
    )
    handoff = Handoff(db, staff, reload=reload)
    conversations = Conversations(db, knowledge, clock=lambda: now, handoff=handoff)
    config = settings(api)
    app = build_application(config, conversations, Outbox(db, CHANNEL))
    try:
        async with running(app, config, poll_timeout=2):
            yield app
    finally:
        db.close()


def lotse_of(app: LotseApp) -> Lotse:
    lotse = app.bot_data["lotse"]
    assert isinstance(lotse, Lotse)
    return lotse


def topics(api: FakeBotAPI) -> dict[int, str]:
    return api.topics.get(STAFF_CHAT, {})


def only_topic(api: FakeBotAPI) -> int:
    assert len(topics(api)) == 1, topics(api)
    return next(iter(topics(api)))


def shown(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def handed_over(api: FakeBotAPI, family: Family, lang: str = "de") -> int:
    """The family starts, asks for a person, and its topic gets the context card."""
    await family.write("/start", lang)
    await family.write("/human", lang)
    await family.press(CONSENT_YES)  # the family agrees that staff read its messages
    await api.wait_for(lambda: any("Ticket #" in shown(m) for m in api.messages(STAFF_CHAT)))
    return only_topic(api)


async def staff_writes(api: FakeBotAPI, thread: int | None, text: str, **kind: Any) -> None:
    api.member_writes(STAFF_CHAT, STAFF, text, thread_id=thread, **kind)


async def test_handoff_opens_one_topic_with_a_context_card_under_concurrent_messages(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    api.delays["createForumTopic"] = 0.3  # slow enough for every sender to overlap
    async with staffed(api, tmp_path / "lotse.db", lambda: kb) as app:
        lotse = lotse_of(app)
        await family.write("/start")
        school = await family.press(buttons(family.seen()[-1])["Schule für mein Kind"])
        assert school
        asked = await family.press("nav:human")  # the button under every answer
        assert buttons(asked[-1])["✅ Ja, verbinden"] == CONSENT_YES
        assert not lotse.conversations.db.execute("SELECT 1 FROM tickets").fetchall()
        confirm = await family.press(CONSENT_YES)
        assert "mit dem Team des KI verbunden" in confirm[-1]["text"]
        assert "24 Stunden" in confirm[-1]["text"]
        api.text(FAMILY, "Erste Frage")  # before the topic exists
        api.text(FAMILY, "Zweite Frage")
        await asyncio.gather(deliver_staff(app.bot, lotse), deliver_staff(app.bot, lotse))
        await api.wait_for(lambda: sum("Frage" in shown(m) for m in api.messages(STAFF_CHAT)) == 2)
        assert len(api.succeeded("createForumTopic")) == 1
        thread = only_topic(api)
        assert topics(api)[thread].startswith("#1 · de · ")
        posts = [shown(m) for m in api.in_thread(STAFF_CHAT, thread)]
        card = posts[0]
        assert "Ticket #1" in card and "Sprache: Deutsch (de)" in card
        assert "Pfad: main_menu → se_start" in card
        assert "Notizregel" in card and "#" in card
        assert posts[1:] == ["Erste Frage", "Zweite Frage"]  # in order, after the card
        assert (
            lotse.conversations.db.execute("SELECT COUNT(*) FROM family_topics").fetchone()[0] == 1
        )


async def test_relay_both_ways_with_media_and_notes_stay_internal(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb) as app:
        lotse = lotse_of(app)
        thread = await handed_over(api, family)
        before = len(family.seen())
        kinds = ["photo", "document", "voice", "video", "location"]
        for kind in kinds:
            api.media_message(FAMILY, kind)
        api.text(FAMILY, "Hier sind die Unterlagen")
        await api.wait_for(lambda: len(api.in_thread(STAFF_CHAT, thread)) == 1 + len(kinds) + 1)
        relayed = api.in_thread(STAFF_CHAT, thread)[1:]
        for kind, message in zip(kinds, relayed, strict=False):
            assert kind in message, (kind, message)
        assert relayed[-1]["text"] == "Hier sind die Unterlagen"
        assert len(family.seen()) == before  # the bot stays silent while staff handle it

        await staff_writes(api, thread, "# intern: Vater wirkt unsicher")
        await staff_writes(api, thread, "Danke, wir schauen es uns an.")
        await staff_writes(api, thread, "Das Formular", kind="document")
        await api.wait_for(lambda: any("document" in m for m in family.seen()[before:]))
        arrived = [shown(m) for m in family.seen()[before:]]
        assert arrived == ["Danke, wir schauen es uns an.", "Das Formular"]
        assert not any("intern" in text for text in arrived)
        # the texts passed through; none is stored
        dump = "\n".join(lotse.conversations.db.iterdump())
        assert "Unterlagen" not in dump and "unsicher" not in dump and "Danke, wir" not in dump


async def test_send_arrives_in_arabic_and_close_returns_to_the_bot_with_one_rating(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb) as app:
        lotse = lotse_of(app)
        thread = await handed_over(api, family, "ar")
        assert "Sprache: Arabisch (ar)" in shown(api.in_thread(STAFF_CHAT, thread)[0])
        before = len(family.seen())
        await staff_writes(api, thread, "/send se_documents")
        sent = await family.answer(before)
        arabic = "".join(m["text"] for m in sent)
        assert any("\u0600" <= char <= "\u06ff" for char in arabic)
        await api.wait_for(
            lambda: any("(Sprache: ar)" in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
        )

        before = len(family.seen())
        await staff_writes(api, thread, "/close")
        closed = await family.answer(before)
        rating = buttons(closed[-1])
        assert [rating[str(n)] for n in range(1, 6)] == [f"ho:rate:1:{n}" for n in range(1, 6)]
        thanks = await family.press("ho:rate:1:5")
        assert len(thanks) >= 2  # thanks, then the main menu
        await family.press("ho:rate:1:2")  # asked once: a second press changes nothing
        await api.wait_for(
            lambda: any("Bewertung der Familie: 5/5" in shown(m) for m in api.messages(STAFF_CHAT))
        )
        rated = lotse.conversations.db.execute("SELECT rating FROM tickets").fetchall()
        assert rated == [(5,)]

        posts = len(api.in_thread(STAFF_CHAT, thread))
        answer = await family.write("9")  # the bot answers again, nothing goes to staff
        assert answer
        assert sum("Bewertung" in shown(m) for m in api.messages(STAFF_CHAT)) == 1
        assert len(api.in_thread(STAFF_CHAT, thread)) == posts


async def test_a_family_that_blocks_the_bot_is_shown_in_its_topic(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb):
        thread = await handed_over(api, family)
        api.membership(FAMILY, "kicked")
        await api.wait_for(
            lambda: any("blockiert" in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
        )


async def test_unknown_groups_and_non_staff_are_ignored_and_logged_without_content(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    family = Family(api)
    api.group(-999, "Fremde Gruppe")
    caplog.set_level(logging.INFO)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb):
        thread = await handed_over(api, family)
        before = len(family.seen())
        api.member_writes(-999, 1, "geheimer Text")
        api.member_writes(STAFF_CHAT, 99, "kein Staff", thread_id=thread)
        await staff_writes(api, thread, "Staff antwortet")
        await api.wait_for(lambda: len(family.seen()) > before)
        assert [shown(m) for m in family.seen()[before:]] == ["Staff antwortet"]
        assert api.messages(-999) == []
    assert "unknown chat -999 ignored" in caplog.text
    assert "non-staff user ignored" in caplog.text
    assert "geheimer" not in caplog.text and "kein Staff" not in caplog.text


async def test_a_deleted_topic_is_created_again_with_its_context(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb):
        old = await handed_over(api, family)
        api.delete_topic(STAFF_CHAT, old)
        api.text(FAMILY, "Noch da?")
        await api.wait_for(lambda: len(topics(api)) == 1 and old not in topics(api))
        new = only_topic(api)
        await api.wait_for(
            lambda: [shown(m) for m in api.in_thread(STAFF_CHAT, new)][-1:] == ["Noch da?"]
        )
        assert "das alte wurde gelöscht" in shown(api.in_thread(STAFF_CHAT, new)[0])


async def test_outside_office_hours_an_honest_reply_at_most_once_a_day(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb, now=SATURDAY):
        await family.write("/start")
        await family.press("main_human")  # the handoff step of the main menu
        replies = await family.press(CONSENT_YES)
        assert "mit dem Team des KI verbunden" in replies[-1]["text"]
        assert sum("Büro geschlossen" in m["text"] for m in replies) == 1
        assert "Mo.–Fr. 08:30–16:00" in replies[-1]["text"]
        thread = only_topic(api) if topics(api) else None
        api.text(FAMILY, "Am Wochenende")
        await api.wait_for(
            lambda: any(shown(m) == "Am Wochenende" for m in api.messages(STAFF_CHAT))
        )
        assert sum("Büro geschlossen" in m["text"] for m in family.seen()) == 1
        assert thread is None or thread in topics(api)


async def test_reload_with_a_broken_knowledge_file_keeps_the_last_good_version(
    api: FakeBotAPI, tmp_path: Path, knowledge_copy: Path
) -> None:
    live = LiveKnowledge(load_knowledge(knowledge_copy), knowledge_copy, None)
    family = Family(api)
    ki = knowledge_copy / "ki.yaml"
    good = ki.read_text(encoding="utf-8")
    async with staffed(api, tmp_path / "lotse.db", live, reload=live.reload):
        ki.write_text(good.replace("root: main_menu", "root: [broken"), encoding="utf-8")
        await staff_writes(api, None, "/reload")
        await api.wait_for(lambda: any("abgelehnt" in shown(m) for m in api.messages(STAFF_CHAT)))
        refusal = next(shown(m) for m in api.messages(STAFF_CHAT) if "abgelehnt" in shown(m))
        assert "ki.yaml:" in refusal
        start = await family.write("/start")
        assert "Ich bin Lotse" in start[0]["text"]  # still the last good version

        ki.write_text(good.replace("Ich bin Lotse", "Ich bin der neue Lotse"), encoding="utf-8")
        await staff_writes(api, None, "/reload")
        await api.wait_for(
            lambda: any("neu geladen" in shown(m) for m in api.messages(STAFF_CHAT))
        )
        start = await family.write("/start")
        assert "Ich bin der neue Lotse" in start[0]["text"]


def test_staff_settings_come_from_the_environment() -> None:
    from bot.config import ConfigError, load_settings

    settings = load_settings(
        {
            "LOTSE_CONFIG": str(ROOT / "lotse.example.toml"),
            "LOTSE_STAFF_CHAT_ID": "-1001",
            "LOTSE_MEDIATION_CHAT_ID": "-1002",
            "LOTSE_STAFF_USER_IDS": "11, 22,33",
        }
    )
    assert settings.staff.chat_id == -1001 and settings.staff.enabled
    assert settings.staff.mediation_chat_id == -1002
    assert settings.staff.user_ids == frozenset({11, 22, 33})
    assert not load_settings({"LOTSE_CONFIG": str(ROOT / "lotse.example.toml")}).staff.enabled
    with pytest.raises(ConfigError, match=r"staff\.user_ids"):
        load_settings(
            {"LOTSE_CONFIG": str(ROOT / "lotse.example.toml"), "LOTSE_STAFF_USER_IDS": "anna"}
        )


async def test_book_offers_the_family_the_booking_flow(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb):
        thread = await handed_over(api, family)
        before = len(family.seen())
        await staff_writes(api, thread, "/book")
        offer = await family.answer(before)
        assert "bietet Ihnen einen Termin an" in offer[0]["text"]
        assert any(data.startswith("bk:") for data in buttons(offer[-1]).values())
        await api.wait_for(
            lambda: any("Terminbuchung angeboten" in shown(m) for m in api.messages(STAFF_CHAT))
        )
