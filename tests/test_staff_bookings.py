"""The staff side of appointments end to end: bookings posted to the staff chat's general
topic, /today and /week, /cancel with a reason the family reads in its language, /noshow,
and the audit log — the real python-telegram-bot against the fake Bot API, a real SQLite
file, the bundled knowledge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bot.knowledge import KnowledgeBase
from bot.services import booking_posts
from bot.services.conversation import Conversations
from bot.store import audit, transaction
from bot.store import bookings as store
from bot.store.tickets import staff_pending
from tests.fake_bot_api import FakeBotAPI
from tests.test_booking import book as book_in_console
from tests.test_booking import chat
from tests.test_handoff import (
    BERLIN,
    MEDIATION_CHAT,
    STAFF,
    STAFF_CHAT,
    api,
    handed_over,
    kb,
    lotse_of,
    shown,
    staff_writes,
    staffed,
)
from tests.test_telegram import FAMILY, OTHER, Family, buttons

__all__ = ["api", "kb"]  # the fixtures

THIRD = 4444
TUESDAY = "2026-11-24"
WEDNESDAY = "2026-11-25"
THURSDAY = "2026-11-26"
# Slot buttons carry the start in UTC: 11:00 in Düsseldorf in November is 10:00 UTC.
TUE_11, TUE_13 = "20261124T1000", "20261124T1200"
WED_10, THU_10 = "20261125T0900", "20261126T0900"
ARABIC_NOVEMBER = "نوفمبر"


def general(api: FakeBotAPI) -> list[str]:
    """The bot's messages in the staff chat's general topic."""
    return [shown(m) for m in api.messages(STAFF_CHAT) if m.get("message_thread_id") is None]


async def staff_command(api: FakeBotAPI, text: str, expected: str) -> str:
    """Staff type a command in the general topic; returns the first new message there
    that contains `expected`."""
    before = len(general(api))
    await staff_writes(api, None, text)
    await api.wait_for(lambda: any(expected in t for t in general(api)[before:]))
    return next(t for t in general(api)[before:] if expected in t)


async def press(family: Family, data: str) -> list[dict[str, Any]]:
    """Presses a button the family was just shown (by its callback data)."""
    offered = buttons(family.seen()[-1]).values()
    assert data in offered, (data, list(offered))
    return await family.press(data)


async def book(
    family: Family, day: str, slot: str, *, lang: str = "de", mediator: str | None = None
) -> None:
    """The family books with buttons: type, day, time, 2 children, ages, mediator; the
    staff chat gets its post."""
    posts = sum("Neuer Termin" in t for t in general(family.api))
    await family.write("/start", lang)
    await press(family, "main_book")
    if "bk:consent:yes" in buttons(family.seen()[-1]).values():
        await press(family, "bk:consent:yes")
    for data in ("bk:type:se_on_site", f"bk:day:{day}", f"bk:time:{slot}", "bk:children:2"):
        await press(family, data)
    await family.write("6, 11", lang)
    if mediator is None:
        await press(family, "bk:mediator:no")
    else:
        await press(family, "bk:mediator:yes")
        await press(family, f"bk:lang:{mediator}")
    done = await press(family, "bk:confirm")
    assert any(m.get("document") for m in done)  # the calendar file: it is booked
    await family.api.wait_for(
        lambda: sum("Neuer Termin" in t for t in general(family.api)) == posts + 1
    )


async def topic_says(api: FakeBotAPI, thread: int, fragment: str) -> None:
    await api.wait_for(
        lambda: any(fragment in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
    )


def status(conversations: Conversations, booking: int) -> str:
    found = store.get(conversations.db, booking)
    assert found is not None
    return found.status


def actions(conversations: Conversations) -> list[tuple[str, str, int | None, str]]:
    """The audit log's entries by people in the staff chat (their Telegram ids), not the
    family's or the system's own."""
    return [
        (entry.actor, entry.action, entry.booking_id, entry.detail)
        for entry in audit.entries(conversations.db)
        if entry.actor.isdigit()
    ]


async def test_new_moved_and_cancelled_bookings_are_posted_to_the_general_topic(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb):
        thread = await handed_over(api, family, "ar")
        await book(family, TUESDAY, TUE_11, lang="ar", mediator="ar")
        await api.wait_for(lambda: any("Neuer Termin #1" in t for t in general(api)))
        post = next(t for t in general(api) if "Neuer Termin #1" in t)
        assert "Di., 24.11.2026, 11:00 Uhr · Seiteneinstiegsberatung im KI" in post
        assert "Kinder: 2 (Alter 6, 11)" in post
        assert "Sprachmittlung: Arabisch (ar)" in post
        assert "Sprache der Familie: Arabisch (ar)" in post
        assert f"Ticket #1 (offen) – Thema: https://t.me/c/1/{thread}" in post

        await press(family, "bk:list")
        await press(family, "bk:show:1")
        await press(family, "bk:move:1")
        await press(family, f"bk:day:{WEDNESDAY}")
        await press(family, f"bk:time:{WED_10}")
        await press(family, "bk:confirm")
        await api.wait_for(lambda: any("Termin #1 verschoben" in t for t in general(api)))
        post = next(t for t in general(api) if "verschoben" in t)
        assert "Neu: Mi., 25.11.2026, 10:00 Uhr" in post
        assert "Bisher: Di., 24.11.2026, 11:00 Uhr" in post
        assert "Sprachmittlung: Arabisch (ar)" in post

        await press(family, "bk:list")
        await press(family, "bk:show:1")
        await press(family, "bk:cancel:1")
        await press(family, "bk:cancelyes:1")
        await api.wait_for(lambda: any("abgesagt" in t for t in general(api)))
        post = next(t for t in general(api) if "abgesagt" in t)
        assert post.startswith("✖ Termin #1 abgesagt – von der Familie")
        assert "Mi., 25.11.2026, 10:00 Uhr" in post
        # posts in the general topic only; the family's topic keeps its own messages
        assert not any("Termin #1" in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
        assert api.messages(MEDIATION_CHAT)  # the mediator request of the booking, as before


def test_without_a_staff_chat_nothing_is_posted(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    replies = book_in_console(conversations, "1", "Montag, 23. November 2026", "10:00")
    assert "gebucht" in replies[0].text
    assert conversations.db.execute("SELECT COUNT(*) FROM staff_outbox").fetchone()[0] == 0


async def test_today_and_week_list_the_confirmed_appointments_in_order(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    early, late, thursday, gone = (Family(api, n) for n in (FAMILY, OTHER, THIRD, 4545))
    async with staffed(api, tmp_path / "lotse.db", lambda: kb) as app:
        conversations = lotse_of(app).conversations
        await book(late, TUESDAY, TUE_13)  # booking 1
        await book(early, TUESDAY, TUE_11, lang="ar", mediator="ar")  # booking 2
        await book(thursday, THURSDAY, THU_10)  # booking 3
        await book(gone, WEDNESDAY, WED_10)  # booking 4, cancelled below
        await press(gone, "bk:list")
        await press(gone, "bk:show:4")
        await press(gone, "bk:cancel:4")
        await press(gone, "bk:cancelyes:4")

        none_yet = await staff_command(api, "/today", "Termine heute")
        assert none_yet == "Termine heute, Montag, 23.11.2026: keine"

        conversations.clock = lambda: dt.datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)
        today = await staff_command(api, "/today", "Termine heute")
        assert today.startswith("Termine heute, Dienstag, 24.11.2026:")
        assert today.index("11:00 Uhr · Termin #2") < today.index("13:00 Uhr · Termin #1")
        assert "Kinder: 2 (Alter 6, 11) · Sprachmittlung: Arabisch (ar)" in today
        assert "Sprache der Familie: Arabisch (ar)" in today
        assert "Sprachmittlung: keine" in today
        assert "#3" not in today and "#4" not in today

        week = await staff_command(api, "/week", "Termine vom")
        assert week.startswith("Termine vom 24.11. bis 30.11.2026:")
        order = [
            "Dienstag, 24.11.2026",
            "11:00 Uhr · Termin #2",
            "13:00 Uhr · Termin #1",
            "Donnerstag, 26.11.2026",
            "10:00 Uhr · Termin #3",
        ]
        assert [week.index(part) for part in order] == sorted(week.index(p) for p in order)
        assert "Mittwoch" not in week and "#4" not in week  # cancelled: not listed

        conversations.clock = lambda: dt.datetime(2026, 11, 28, 9, 0, tzinfo=BERLIN)
        assert (await staff_command(api, "/week", "Termine vom")).endswith(": keine")
        assert [(a, action) for a, action, _b, _d in actions(conversations)] == [
            (str(STAFF), "today"),
            (str(STAFF), "today"),
            (str(STAFF), "week"),
            (str(STAFF), "week"),
        ]


async def test_staff_cancel_tells_the_family_in_arabic_and_frees_the_seat(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    arabic, other, waiting = Family(api), Family(api, OTHER), Family(api, THIRD)
    reason = "Die Beraterin ist krank."
    async with staffed(api, tmp_path / "lotse.db", lambda: kb) as app:
        conversations = lotse_of(app).conversations
        await book(arabic, TUESDAY, TUE_11, lang="ar", mediator="ar")  # booking 1
        await book(other, TUESDAY, TUE_11)  # booking 2: both seats of 11:00 taken
        await waiting.write("/start")
        for data in ("main_book", "bk:consent:yes", "bk:type:se_on_site", f"bk:day:{TUESDAY}"):
            await press(waiting, data)
        assert f"bk:time:{TUE_11}" not in buttons(waiting.seen()[-1]).values()

        hint = await staff_command(api, "/cancel 1", "So geht es")
        assert "/cancel NUMMER GRUND" in hint
        assert status(conversations, 1) == store.CONFIRMED  # no reason: nothing cancelled

        before = len(arabic.seen())
        done = await staff_command(api, f"/cancel 1 {reason}", "Die Familie ist informiert")
        assert done == "Termin #1 abgesagt. Die Familie ist informiert (Arabisch (ar))."
        told = await arabic.answer(before)
        text = "\n".join(shown(m) for m in told)
        assert reason in text  # as typed
        assert ARABIC_NOVEMBER in text  # the date in the family's locale
        choices = buttons(told[-1]).values()
        assert "bk:new" in choices and "nav:menu" in choices
        post = next(t for t in general(api) if "abgesagt – vom KI" in t)
        assert "Termin #1" in post and f"Grund: {reason}" in post

        assert status(conversations, 1) == store.CANCELLED
        reminders = conversations.db.execute(
            "SELECT COUNT(*) FROM reminders WHERE booking_id = 1 AND sent_at IS NULL"
        ).fetchone()[0]
        assert reminders == 0
        assert (str(STAFF), "cancel", 1, "/cancel") in actions(conversations)

        # the seat is free again: the waiting family gets 11:00
        await press(waiting, "bk:back")
        await press(waiting, f"bk:day:{TUESDAY}")
        for data in (f"bk:time:{TUE_11}", "bk:children:2"):
            await press(waiting, data)
        await waiting.write("8")
        await press(waiting, "bk:mediator:no")
        await press(waiting, "bk:confirm")
        await api.wait_for(lambda: any("Neuer Termin #3" in t for t in general(api)))
        assert status(conversations, 3) == store.CONFIRMED

        again = await staff_command(api, "/cancel 1 noch einmal", "Termin #1")
        assert again == "Termin #1 ist schon abgesagt."
        unknown = await staff_command(api, "/cancel 99 Grund", "Termin #99")
        assert unknown == "Termin #99 gibt es nicht."
        # the reason went to the family and the staff chat; none of it stays stored
        assert reason not in "\n".join(conversations.db.iterdump())


async def test_noshow_only_for_an_appointment_that_has_begun(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb) as app:
        conversations = lotse_of(app).conversations
        await book(family, TUESDAY, TUE_11)  # booking 1
        await book(family, THURSDAY, THU_10)  # booking 2
        conversations.clock = lambda: dt.datetime(2026, 11, 24, 12, 30, tzinfo=BERLIN)

        future = await staff_command(api, "/noshow 2", "Termin #2")
        assert "hat noch nicht begonnen" in future
        assert status(conversations, 2) == store.CONFIRMED
        past = await staff_command(api, "/noshow 1", "Termin #1")
        assert past == "Termin #1 (Di., 24.11.2026, 11:00 Uhr) als „nicht erschienen“ vermerkt."
        assert status(conversations, 1) == store.NO_SHOW
        assert (str(STAFF), "noshow", 1, "/noshow") in actions(conversations)
        twice = await staff_command(api, "/noshow 1", "Termin #1")
        assert "schon als „nicht erschienen“" in twice
        assert "So geht es" in await staff_command(api, "/noshow", "So geht es")

        conversations.clock = lambda: dt.datetime(2026, 11, 26, 10, 30, tzinfo=BERLIN)
        begun = await staff_command(api, "/cancel 2 zu spät", "Termin #2")
        assert "hat schon begonnen" in begun and "/noshow 2" in begun
        assert status(conversations, 2) == store.CONFIRMED
        assert [action for _a, action, _b, _d in actions(conversations)] == ["noshow"]


async def test_booking_commands_of_non_staff_members_change_nothing(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb) as app:
        conversations = lotse_of(app).conversations
        await book(family, TUESDAY, TUE_11)
        seen = len(family.seen())
        api.member_writes(STAFF_CHAT, 99, "/cancel 1 Ich bin nicht vom KI")
        api.member_writes(STAFF_CHAT, 99, "/today")
        # updates are handled in order: once staff's /week is answered, both were handled
        await staff_command(api, "/week", "Termine vom")
        assert status(conversations, 1) == store.CONFIRMED
        assert len(family.seen()) == seen
        assert not any("abgesagt" in t or "Termine heute" in t for t in general(api))
        assert [action for _a, action, _b, _d in actions(conversations)] == ["week"]


async def test_staff_actions_in_a_family_topic_are_audited_without_texts(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    async with staffed(api, tmp_path / "lotse.db", lambda: kb) as app:
        conversations = lotse_of(app).conversations
        thread = await handed_over(api, family)
        await staff_writes(api, thread, "Guten Tag, wir helfen gern.")
        await api.wait_for(lambda: any("Guten Tag" in shown(m) for m in family.seen()))
        for text, answer in (
            ("/send se_documents", "geschickt"),
            ("/book", "Terminbuchung angeboten"),
            ("/interpreter ar; 24.11. 10:00; KI; 60 Min.; Schule; normal", "Anfrage #1"),
            ("/close", "geschlossen"),
        ):
            await staff_writes(api, thread, text)
            await topic_says(api, thread, answer)
        entries = [e for e in audit.entries(conversations.db) if e.actor == str(STAFF)]
        assert [(e.actor, e.action) for e in entries] == [
            (str(STAFF), "reply"),
            (str(STAFF), "send"),
            (str(STAFF), "book"),
            (str(STAFF), "interpreter"),
            (str(STAFF), "close"),
        ]
        assert all(e.family_id == 1 for e in entries)
        assert entries[0].ticket_id == 1 and entries[-1].ticket_id == 1
        assert entries[1].detail == "se_documents"
        assert not any("Guten" in e.detail or "Schule" in e.detail for e in entries)


def test_bookings_cancelled_when_a_family_deletes_its_data_are_posted(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    book_in_console(conversations, "1", "Montag, 23. November 2026", "10:00")
    db = conversations.db
    now = conversations.clock()
    with transaction(db):  # what /delete does before the family's rows go
        done = store.cancel(db, 1, now, reason=booking_posts.DELETED)
        assert done is not None
        booking_posts.cancelled(db, kb, STAFF_CHAT, done, now, by=booking_posts.DELETED)
    (post,) = staff_pending(db)  # no family: the post outlives the family's rows
    assert (post.chat_id, post.thread_id, post.family_id) == (STAFF_CHAT, None, None)
    assert post.text.startswith("✖ Termin #1 abgesagt – die Familie hat ihre Daten gelöscht")
    assert "Mo., 23.11.2026, 10:00 Uhr" in post.text
    assert db.execute("SELECT COUNT(*) FROM booking_seats").fetchone()[0] == 0
