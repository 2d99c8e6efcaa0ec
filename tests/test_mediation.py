"""Mediator requests end to end: staff ask the coordination chat from a family's topic,
a mediator accepts, the family is told, and the mediator sees the family's messages only
while the request is open."""

from __future__ import annotations

from pathlib import Path

from bot.config import StaffSettings
from bot.engine import ButtonPress, TextInput
from bot.knowledge import KnowledgeBase
from bot.services.conversation import Conversations
from bot.services.handoff import Handoff
from bot.store import open_db
from bot.store.tickets import staff_pending
from tests.fake_bot_api import FakeBotAPI
from tests.test_booking import SUNDAY, press_label, start_booking
from tests.test_handoff import (
    MEDIATION_CHAT,
    MEDIATOR,
    STAFF_CHAT,
    api,
    handed_over,
    kb,
    shown,
    staff_writes,
    staffed,
)
from tests.test_telegram import FAMILY, Family, buttons

__all__ = ["api", "kb"]  # the fixtures


async def test_a_mediator_request_is_accepted_and_the_mediator_sees_only_while_it_is_open(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    mediator = Family(api, MEDIATOR)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb):
        await mediator.write("/start")  # a mediator has a private chat with the bot
        thread = await handed_over(api, family, "ar")
        await staff_writes(
            api,
            thread,
            "/interpreter ar (syrisch); 24.11. 10:00; KI vor Ort; 60 Min.; Schulanmeldung; normal",
        )
        await api.wait_for(lambda: any("reply_markup" in m for m in api.messages(MEDIATION_CHAT)))
        post = next(m for m in api.messages(MEDIATION_CHAT) if "reply_markup" in m)
        assert "Sprache: Arabisch (ar) (syrisch)" in post["text"]
        assert "Wann: 24.11. 10:00" in post["text"] and "Dringlichkeit: normal" in post["text"]
        accept = buttons(post)["✅ Übernehmen"]

        before = len(family.seen())
        api.member_presses(MEDIATION_CHAT, MEDIATOR, post["message_id"], accept)
        told = await family.answer(before)
        assert "العربية" in told[-1]["text"]  # the language, named in its own script
        await api.wait_for(
            lambda: any("angenommen" in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
        )
        await api.wait_for(lambda: any("übernommen" in shown(m) for m in mediator.seen()))

        # while open: the family's messages reach the mediator, and the mediator's the family
        api.text(FAMILY, "مرحبا")
        await api.wait_for(lambda: shown(mediator.seen()[-1]) == "مرحبا")
        before = len(family.seen())
        api.text(MEDIATOR, "Ich übersetze gern.")
        await api.wait_for(lambda: len(family.seen()) > before)
        assert shown(family.seen()[-1]) == "Ich übersetze gern."
        await api.wait_for(
            lambda: shown(api.in_thread(STAFF_CHAT, thread)[-1]) == "Ich übersetze gern."
        )

        # closed: the mediator sees nothing more
        await staff_writes(api, thread, "/interpreter_done")
        await api.wait_for(lambda: "beendet" in shown(mediator.seen()[-1]))
        seen_by_mediator = len(mediator.seen())
        api.text(FAMILY, "Noch eine Frage")
        await api.wait_for(
            lambda: shown(api.in_thread(STAFF_CHAT, thread)[-1]) == "Noch eine Frage"
        )
        assert len(mediator.seen()) == seen_by_mediator
        # the mediator's own messages are theirs again: the bot answers them
        back = await mediator.write("/menu")
        assert back


async def test_a_declined_request_is_told_to_the_family_in_plain_words(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb):
        thread = await handed_over(api, family)
        await staff_writes(api, thread, "/interpreter fa; 25.11. 9:00; Telefon; 30 Min.; Kita")
        await api.wait_for(lambda: any("reply_markup" in m for m in api.messages(MEDIATION_CHAT)))
        post = next(m for m in api.messages(MEDIATION_CHAT) if "reply_markup" in m)
        before = len(family.seen())
        api.member_presses(MEDIATION_CHAT, 6262, post["message_id"], buttons(post)["❌ Ablehnen"])
        await api.wait_for(lambda: len(family.seen()) > before)
        assert "keine Sprachmittlung" in shown(family.seen()[-1])
        await api.wait_for(
            lambda: any("abgelehnt" in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
        )


def test_a_booking_that_needs_a_mediator_asks_the_coordination_chat_once(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    db = open_db(tmp_path / "c.db")
    staff = StaffSettings(chat_id=STAFF_CHAT, mediation_chat_id=MEDIATION_CHAT)
    conversations = Conversations(db, lambda: kb, clock=lambda: SUNDAY, handoff=Handoff(db, staff))
    shown = start_booking(conversations, "1", "Montag, 23. November 2026")
    shown = press_label(conversations, "1", shown, "10:00")
    shown = press_label(conversations, "1", shown, "1")
    conversations.handle("telegram", "1", TextInput("7"))
    conversations.handle("telegram", "1", ButtonPress("bk:mediator:yes"))
    shown = conversations.handle("telegram", "1", TextInput("Tigrinya"))
    press_label(conversations, "1", shown, "✅ Verbindlich buchen")
    conversations.handle("telegram", "1", TextInput("danke"))
    posts = [m for m in staff_pending(db) if m.chat_id == MEDIATION_CHAT]
    assert len(posts) == 1
    assert "Sprache: Tigrinya" in posts[0].text and "Wann: 23.11.2026 10:00" in posts[0].text
    assert "Aus einer Terminbuchung" in posts[0].text
    assert [b.label for b in posts[0].buttons] == ["✅ Übernehmen", "❌ Ablehnen"]
    # The family moves it: the coordination chat hears the new time.
    shown = conversations.handle("telegram", "1", ButtonPress("bk:move:1"))
    shown = press_label(conversations, "1", shown, "Mittwoch, 25. November 2026")
    shown = press_label(conversations, "1", shown, "11:00")
    press_label(conversations, "1", shown, "✅ Verbindlich buchen")
    texts = [m.text for m in staff_pending(db) if m.chat_id == MEDIATION_CHAT]
    assert texts[1:] == [
        "Termin #1 wurde verschoben: Sprachmittlung #1 neu am Mi., 25.11.2026, 11:00 Uhr."
    ]
    # The family cancels: the request ends and the coordination chat hears it once.
    shown = conversations.handle("telegram", "1", ButtonPress("bk:cancel:1"))
    press_label(conversations, "1", shown, "Ja, absagen")
    texts = [m.text for m in staff_pending(db) if m.chat_id == MEDIATION_CHAT]
    assert texts[2:] == ["Termin #1 wurde abgesagt: Sprachmittlung #1 entfällt."]
    status = db.execute("SELECT status FROM mediation_requests").fetchone()[0]
    assert status == "closed"
