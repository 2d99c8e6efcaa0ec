"""Hostile input, end to end: the real python-telegram-bot against the fake Bot API, a
real SQLite file, the bundled knowledge. Floods, overlong texts and files, forged callback
data, staff commands from outsiders, HTML, control and bidi characters, SQL-looking
strings, a poisoned knowledge reload, and secrets or family texts in the logs."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from pydantic import SecretStr

from bot.channels.telegram import (
    CHANNEL,
    REDACTOR,
    Lotse,
    LotseApp,
    build_application,
    guard_logs,
    running,
)
from bot.channels.telegram_format import clean_text, split_text, utf16_length
from bot.config import LimitsSettings, StaffSettings
from bot.i18n import LRI, PDI, isolate_ltr
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.services.conversation import Conversations
from bot.services.flood import FloodGate
from bot.services.handoff import Handoff
from bot.services.live_knowledge import LiveKnowledge
from bot.services.outbox import Outbox
from bot.store import bookings, open_db, transaction
from bot.store.conversations import family_id, find_family, load_state
from tests.fake_bot_api import TOKEN, FakeBotAPI
from tests.test_handoff import MEDIATION_CHAT, STAFF, STAFF_CHAT, api, kb
from tests.test_telegram import FAMILY, Family, buttons, free_port, settings

__all__ = ["api", "kb"]  # the fixtures
OUTSIDER = 99
MEDIATOR = 5151
OTHER = 4343
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
HTML = '<b>Fett</b> & <a href="https://evil.example/">Klick</a> <script>x</script>'


@contextlib.asynccontextmanager
async def lotse(
    api: FakeBotAPI,
    db_path: Path,
    knowledge: Callable[[], KnowledgeBase],
    *,
    limits: LimitsSettings | None = None,
    reload: Callable[[], list[str]] | None = None,
    webhook: bool = False,
    **changes: Any,
) -> AsyncIterator[LotseApp]:
    """The bot with a staff chat, a coordination chat and one staff member."""
    db = open_db(db_path)
    staff = StaffSettings(
        chat_id=STAFF_CHAT, mediation_chat_id=MEDIATION_CHAT, user_ids=frozenset({STAFF})
    )
    handoff = Handoff(db, staff, reload=reload)
    conversations = Conversations(db, knowledge, clock=lambda: MONDAY_MORNING, handoff=handoff)
    config = settings(api, **changes)
    app = build_application(config, conversations, Outbox(db, CHANNEL), limits=limits)
    try:
        async with running(app, config, webhook=webhook, poll_timeout=2):
            yield app
    finally:
        db.close()


def lotse_of(app: LotseApp) -> Lotse:
    found = app.bot_data["lotse"]
    assert isinstance(found, Lotse)
    return found


def shown(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n---\n".join(shown(message) for message in messages)


async def connected(api: FakeBotAPI, family: Family, lang: str = "de") -> int:
    """The family asks for a person (and agrees if asked); returns its topic's thread."""
    await family.write("/start", lang)
    replies = await family.write("/human", lang)
    agree = [data for data in buttons(replies[-1]).values() if data.endswith(":yes")]
    if agree:
        await family.press(agree[0])
    await api.wait_for(lambda: any("Ticket #" in shown(m) for m in api.messages(STAFF_CHAT)))
    (thread,) = api.topics[STAFF_CHAT]
    return thread


async def send(
    api: FakeBotAPI, family: Family, kind: str, size: int | None
) -> list[dict[str, Any]]:
    """The family sends media whose file Telegram says is `size` bytes; the bot's answer."""
    before = len(family.seen())
    api.media_message(family.chat_id, kind, size=size)
    return await family.answer(before)


def handled(app: LotseApp) -> set[int]:
    db = lotse_of(app).conversations.db
    return {row[0] for row in db.execute("SELECT update_id FROM processed_updates")}


def open_tickets(app: LotseApp) -> int:
    db = lotse_of(app).conversations.db
    return int(db.execute("SELECT COUNT(*) FROM tickets WHERE status = 'open'").fetchone()[0])


def booking_of_another_family(db_path: Path) -> int:
    """A confirmed booking of family OTHER on Tuesday 13:00, made before the bot starts."""
    db = open_db(db_path)
    with transaction(db):
        other = family_id(db, CHANNEL, str(OTHER), MONDAY_MORNING)
        held = bookings.hold(
            db,
            family=other,
            kind="se_on_site",
            start=dt.datetime(2026, 11, 24, 13, 0, tzinfo=BERLIN),
            minutes=60,
            capacity=1,
            lang="de",
            now=MONDAY_MORNING,
            hold_minutes=10,
        )
        bookings.confirm(
            db,
            held,
            children=1,
            ages="7",
            mediator_lang=None,
            reminder_hours=(),
            now=MONDAY_MORNING,
        )
    db.close()
    return held


def booking_status(app: LotseApp, booking: int) -> str:
    found = bookings.get(lotse_of(app).conversations.db, booking)
    assert found is not None
    return found.status


# --- limits ------------------------------------------------------------------------------


def test_the_token_bucket_pauses_once_drops_and_refills() -> None:
    now = [0.0]
    gate = FloodGate(burst=3, per_minute=60, clock=lambda: now[0])  # one token a second
    assert [gate.admit("a") for _ in range(6)] == ["ok", "ok", "ok", "pause", "drop", "drop"]
    assert gate.admit("b") == "ok"  # every chat has its own bucket
    now[0] += 1.0
    assert [gate.admit("a") for _ in range(3)] == ["ok", "pause", "drop"]  # told again
    now[0] += 10.0
    assert [gate.admit("a") for _ in range(4)] == ["ok", "ok", "ok", "pause"]  # burst, no more


def test_the_token_bucket_forgets_chats_that_are_full_again() -> None:
    now = [0.0]
    gate = FloodGate(burst=2, per_minute=60, clock=lambda: now[0], max_chats=2)
    gate.admit("a")
    gate.admit("b")
    now[0] += 5.0  # both full again
    gate.admit("c")
    assert len(gate) == 1
    assert gate.admit("a") == "ok"  # a fresh bucket


async def test_a_flood_gets_one_pause_and_the_rest_is_dropped_for_good(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family, other = Family(api), Family(api, OTHER)
    limits = LimitsSettings(burst=3, per_minute=1)  # a token a minute: none comes back here
    db_path = tmp_path / "lotse.db"
    async with lotse(api, db_path, lambda: kb, limits=limits) as app:
        flood = [api.text(FAMILY, "/help") for _ in range(12)]
        ids = {update["update_id"] for update in flood}
        await api.wait_for(lambda: ids <= handled(app))  # all recorded as handled
        assert (await other.write("/start"))[-1]["text"] == "Wobei kann ich helfen?"
        answered = [m for m in family.seen() if "reply_markup" in m]
        assert len(answered) == 3
        assert sum("Einen Moment bitte" in shown(m) for m in family.seen()) == 1
        pause = next(m for m in family.seen() if "Einen Moment bitte" in shown(m))
        assert "reply_markup" not in pause
        # the bucket refills: the family is answered again (and could be told again)
        gate = lotse_of(app).gate
        assert gate is not None
        gate.clock = lambda: 1e9
        assert await family.write("/menu")
    seen = len(family.seen())
    async with lotse(api, db_path, lambda: kb, limits=limits):
        api.deliver(*flood)  # Telegram delivers the flood again after a restart
        assert (await other.write("/menu"))[-1]["text"] == "Wobei kann ich helfen?"
    assert len(family.seen()) == seen  # nothing answered late


def test_albums_count_once_and_people_presses_and_backlogs_meet_a_generous_cap() -> None:
    now, wall = [0.0], [1_800_000_000.0]
    gate = FloodGate(burst=2, per_minute=1, clock=lambda: now[0], wall=lambda: wall[0])
    assert [gate.admit("a", album="g1") for _ in range(10)] == ["ok"] * 10  # one token
    assert gate.admit("a", album="g1") == "ok"  # an 11th item with that id counts again
    assert gate.admit("a", album="g2") == "pause"  # the bucket is empty
    assert [gate.admit("a", album="g2") for _ in range(9)] == ["drop"] * 9  # as its first
    # presses and chats with people: 4 × the burst, a bucket of their own
    assert [gate.admit("a", generous=True) for _ in range(8)] == ["ok"] * 8
    assert [gate.admit("a", generous=True) for _ in range(2)] == ["pause", "drop"]
    # a backlog (written over a minute before it arrives) meets the generous bucket too
    assert [gate.admit("b", sent=wall[0] - 61) for _ in range(8)] == ["ok"] * 8
    assert gate.admit("b", sent=wall[0] - 61) == "pause"
    assert [gate.admit("b", sent=wall[0] - 1) for _ in range(3)] == ["ok", "ok", "pause"]
    # albums are forgotten after a minute, and beyond `max_chats` the oldest first
    now[0] += 61 * 60.0  # every bucket full again
    assert gate.admit("a", album="g1") == "ok"
    assert gate.admit("a", album="g1") == "ok"  # remembered: no token
    now[0] += 61.0  # the bucket is full again (a token a minute), the album forgotten
    assert gate.admit("a", album="g1") == "ok"  # a token
    assert gate.admit("a", album="g1") == "ok"  # its new first was "ok"
    assert [gate.admit("a") for _ in range(2)] == ["ok", "pause"]  # one token was left
    small = FloodGate(burst=1, per_minute=1, clock=lambda: now[0], max_chats=2)
    assert [small.admit(chat, album="g") for chat in ("x", "y", "z")] == ["ok"] * 3
    assert small.admit("z", album="g") == "ok"  # the newest album is kept
    assert small.admit("x", album="g") == "pause"  # the oldest was forgotten: it counts


async def test_an_album_counts_once_and_a_family_talking_to_staff_is_not_paused(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    limits = LimitsSettings(burst=2, per_minute=1)  # no token comes back during the test
    async with lotse(api, tmp_path / "lotse.db", lambda: kb, limits=limits) as app:
        await family.write("/start")
        before = len(family.seen())
        album = [api.media_message(FAMILY, "photo", album="a1") for _ in range(5)]
        ids = {update["update_id"] for update in album}
        await api.wait_for(lambda: ids <= handled(app))
        await api.wait_for(lambda: sum("reply_markup" in m for m in family.seen()[before:]) == 5)
        assert not any("Einen Moment" in shown(m) for m in family.seen())  # one token
        gate = lotse_of(app).gate
        assert gate is not None
        gate.clock = lambda: 1e9  # full again, and no token comes back from now on
        thread = await connected(api, family)  # /start, /human: the whole burst
        assert not any("Einen Moment" in shown(m) for m in family.seen())

        def relayed() -> list[dict[str, Any]]:
            return api.in_thread(STAFF_CHAT, thread)[1:]  # after the context card

        # with staff: an album (one token of 4 × 2, the press to agree took one), then text
        for _ in range(3):
            api.media_message(FAMILY, "photo", album="a2")
        words = [f"Frage {n}" for n in range(6)]
        for text in words:
            api.text(FAMILY, text)
        await api.wait_for(lambda: len(relayed()) == 9)
        assert [shown(m) for m in relayed()[3:]] == words
        assert not any("Einen Moment" in shown(m) for m in family.seen())
        # a script is still stopped: over 4 × the burst, one pause, nothing relayed
        script = [api.text(FAMILY, f"Spam {n}") for n in range(3)]
        ids = {update["update_id"] for update in script}
        await api.wait_for(lambda: ids <= handled(app))
        assert sum("Einen Moment" in shown(m) for m in family.seen()) == 1
        assert len(relayed()) == 9


async def test_a_button_press_is_never_paused_with_messages(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    limits = LimitsSettings(burst=2, per_minute=1)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb, limits=limits) as app:
        start = await family.write("/start")
        await family.write("/help")
        flood = [api.text(FAMILY, "/help") for _ in range(2)]  # the pause, then a drop
        ids = {update["update_id"] for update in flood}
        await api.wait_for(lambda: ids <= handled(app))
        assert sum("Einen Moment" in shown(m) for m in family.seen()) == 1
        school = buttons(start[-1])["Schule für mein Kind"]
        for _ in range(8):  # presses answer what Lotse asked: all of them are handled
            replies = await family.press(school, start[-1]["message_id"])
            assert "reply_markup" in replies[-1]
        answers = [c for c in api.calls if c.method == "answerCallbackQuery"]
        assert len(answers) == 8 and not any("text" in c.params for c in answers)
        # a script pressing past 4 × the burst: told on the button, the press not handled
        before = len(family.seen())
        query = api.press(FAMILY, school, start[-1]["message_id"])
        update_id = api.delivered[-1]
        await api.wait_for(lambda: query not in api.open_queries)
        last = [c for c in api.calls if c.method == "answerCallbackQuery"][-1]
        assert "Einen Moment" in last.params["text"]
        assert update_id not in handled(app)
        assert len(family.seen()) == before


async def test_a_backlog_after_downtime_is_answered_and_re_deliveries_take_no_token(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    limits = LimitsSettings(burst=2, per_minute=1)
    db_path = tmp_path / "lotse.db"
    async with lotse(api, db_path, lambda: kb, limits=limits):
        earlier = [api.text(FAMILY, "/start")]
        await family.answer(0)
        before = len(family.seen())
        earlier.append(api.text(FAMILY, "/help"))
        await family.answer(before)
    # Lotse was down; the family wrote four times, ten minutes ago (Telegram's date)
    backlog = [api.text(FAMILY, "/help", queue=False) for _ in range(4)]
    for update in backlog:
        update["message"]["date"] -= 600
    before = len(family.seen())
    async with lotse(api, db_path, lambda: kb, limits=limits) as app:
        api.deliver(*earlier, *backlog)  # handled before, then the backlog
        fresh = [api.text(FAMILY, "/menu"), api.text(FAMILY, "/help")]  # the whole burst
        ids = {update["update_id"] for update in [*backlog, *fresh]}
        await api.wait_for(lambda: ids <= handled(app))
        await api.wait_for(lambda: sum("reply_markup" in m for m in family.seen()[before:]) == 6)
        assert not any("Einen Moment" in shown(m) for m in family.seen())
        api.text(FAMILY, "/menu")  # the burst is spent now: the fresh messages took it
        await api.wait_for(lambda: any("Einen Moment" in shown(m) for m in family.seen()))


async def test_a_mediators_refused_file_is_told_to_the_mediator_and_makes_no_family(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family, mediator = Family(api), Family(api, MEDIATOR)
    api.private(MEDIATOR)  # Lotse keeps no row of the mediator (e.g. purged long ago)
    limits = LimitsSettings(max_file_bytes=1000, media_types=frozenset({"document"}))
    async with lotse(api, tmp_path / "lotse.db", lambda: kb, limits=limits) as app:
        db = lotse_of(app).conversations.db
        thread = await connected(api, family)
        api.member_writes(
            STAFF_CHAT,
            STAFF,
            "/interpreter ar; 24.11. 10:00; KI; 60 Min.; Schule; normal",
            thread_id=thread,
        )
        await api.wait_for(lambda: any("reply_markup" in m for m in api.messages(MEDIATION_CHAT)))
        post = next(m for m in api.messages(MEDIATION_CHAT) if "reply_markup" in m)
        api.member_presses(
            MEDIATION_CHAT, MEDIATOR, post["message_id"], buttons(post)["✅ Übernehmen"]
        )
        await api.wait_for(lambda: any("übernommen" in shown(m) for m in mediator.seen()))
        await api.wait_for(
            lambda: any("angenommen" in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
        )
        family_saw, topic = len(family.seen()), len(api.in_thread(STAFF_CHAT, thread))
        api.media_message(MEDIATOR, "document", size=5000)
        await api.wait_for(lambda: "zu groß" in shown(mediator.seen()[-1]))
        assert "weder an die Familie noch an das KI" in shown(mediator.seen()[-1])
        api.media_message(MEDIATOR, "sticker")
        await api.wait_for(lambda: "Diese Art von Nachricht" in shown(mediator.seen()[-1]))
        assert find_family(db, CHANNEL, str(MEDIATOR)) is None
        assert len(family.seen()) == family_saw
        assert len(api.in_thread(STAFF_CHAT, thread)) == topic
        api.media_message(MEDIATOR, "document", size=900)  # allowed: to the family
        await api.wait_for(lambda: "document" in family.seen()[-1])
        assert find_family(db, CHANNEL, str(MEDIATOR)) is None


async def test_a_100_kb_message_is_cut_and_the_family_told_once(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    family = Family(api)
    huge = "Bitte helfen Sie mir mit der Schule. " * 2800  # 100 KB; the fake lets it through
    caplog.set_level(logging.INFO)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb, limits=LimitsSettings()) as app:
        await family.write("/start")
        replies = await family.write(huge)
        assert "nur den Anfang gelesen" in shown(replies[0]) and "reply_markup" not in replies[0]
        assert sum("nur den Anfang" in shown(m) for m in family.seen()) == 1
        assert "Schule" in texts(replies[1:])  # the beginning was read and understood
        dump = "\n".join(lotse_of(app).conversations.db.iterdump())
        # while the family talks to staff, staff get all of it: no notice
        thread = await connected(api, family)
        before = len(family.seen())
        api.text(FAMILY, huge)
        await api.wait_for(lambda: len(api.in_thread(STAFF_CHAT, thread)) >= 2)
        assert shown(api.in_thread(STAFF_CHAT, thread)[-1]) == huge
        assert not any("nur den Anfang" in shown(m) for m in family.seen()[before:])
    assert "Bitte helfen Sie mir" not in dump and "Bitte helfen" not in caplog.text


async def test_only_allowed_media_up_to_the_size_limit_reach_staff(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    limits = LimitsSettings(
        max_file_bytes=1000, media_types=frozenset({"photo", "document"}), burst=100
    )
    async with lotse(api, tmp_path / "lotse.db", lambda: kb, limits=limits):
        await family.write("/start")
        alone = await send(api, family, "document", 5000)  # not with staff: the usual text
        assert "Dateien kann ich leider noch nicht öffnen" in shown(alone[0])
        thread = await connected(api, family)

        def relayed(kind: str) -> list[dict[str, Any]]:
            return [m for m in api.in_thread(STAFF_CHAT, thread) if kind in m]

        api.media_message(FAMILY, "photo", size=900)
        await api.wait_for(lambda: len(relayed("photo")) == 1)

        big = await send(api, family, "document", 1001)
        assert "zu groß" in shown(big[0])
        voice = await send(api, family, "voice", 10)
        assert "nicht an das Team" in shown(voice[0])
        sticker = await send(api, family, "sticker", None)
        assert "nicht an das Team" in shown(sticker[0])
        api.media_message(FAMILY, "document", size=1000)  # at the limit: relayed
        await api.wait_for(lambda: len(relayed("document")) == 1)
        assert not relayed("voice") and not relayed("sticker")
        assert [m["document"]["file_size"] for m in relayed("document")] == [1000]


# --- staff commands and forged buttons -----------------------------------------------------


async def test_staff_commands_from_outsiders_change_nothing(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    db_path = tmp_path / "lotse.db"
    booking = booking_of_another_family(db_path)
    reloads: list[int] = []

    def reload() -> list[str]:
        reloads.append(1)
        return []

    commands = ["/close", "/send se_documents", "/reload", f"/cancel {booking} krank", "/book"]
    async with lotse(api, db_path, lambda: kb, reload=reload) as app:
        thread = await connected(api, family)
        posts = len(api.messages(STAFF_CHAT))
        before = len(family.seen())
        for command in commands:  # a member of the staff group who is not staff
            api.member_writes(STAFF_CHAT, OUTSIDER, command, thread_id=thread)
            api.member_writes(STAFF_CHAT, OUTSIDER, command)
        for command in commands:  # the family itself, in its private chat (handled after)
            replies = await family.write(command)
            assert "reply_markup" in replies[-1]  # a kind answer with a way on
        assert open_tickets(app) == 1
        assert booking_status(app, booking) == bookings.CONFIRMED
        assert reloads == []
        family_saw = texts(family.seen()[before:])
        assert "Meldebescheinigung" not in family_saw  # /send did not send se_documents
        assert "Termin an" not in family_saw  # /book offered nothing
        assert len(api.messages(STAFF_CHAT)) == posts  # staff were not answered either
        # the real staff member still can
        api.member_writes(STAFF_CHAT, STAFF, "/close", thread_id=thread)
        await api.wait_for(lambda: open_tickets(app) == 0)


async def test_forged_callback_data_gets_a_friendly_answer_and_changes_nothing(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    db_path = tmp_path / "lotse.db"
    booking = booking_of_another_family(db_path)
    forged = [
        "qZ8#x!",
        f"bk:cancel:{booking}",
        f"bk:cancelyes:{booking}",
        f"bk:show:{booking}",
        f"bk:move:{booking}",
        "bk:cancelyes:-1",
        "bk:cancelyes:99999999999999999999",
        "bk:time:2026-11-24T13:00",
        "x" * 64,  # the longest data Telegram allows
        "ä" * 33,  # 66 bytes: longer than Telegram allows
        "nav:../../",
        "nav:",
        "../../etc/passwd",
        "ho:rate:1:5",  # a rating for a ticket that is not the family's
        "med:accept:1",  # a mediator's button, from a family's chat
        "👍🏽‮",
        "\x00",
    ]
    async with lotse(api, db_path, lambda: kb) as app:
        start = await family.write("/start")
        for data in forged:
            replies = await family.press(data)
            assert "reply_markup" in replies[-1], data
            assert "13:00" not in texts(replies), data  # nothing of the other family's
        again = await family.write("/menu")
        assert buttons(again[-1]) == buttons(start[-1])
        assert booking_status(app, booking) == bookings.CONFIRMED
        db = lotse_of(app).conversations.db
        assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
    assert not api.open_queries  # every press answered
    assert not [c for c in api.calls if c.error == 400 and c.method == "sendMessage"]


# --- what staff and families read -------------------------------------------------------


async def test_html_in_names_and_texts_reaches_no_one_unescaped(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    api.names[FAMILY] = HTML
    api.names[MEDIATOR] = HTML
    family, mediator = Family(api), Family(api, MEDIATOR)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):
        await mediator.write("/start")
        assert await family.write(f"{HTML} /start &amp; &#60;")
        thread = await connected(api, family)
        api.member_writes(
            STAFF_CHAT,
            STAFF,
            f"/interpreter ar; 24.11. 10:00; {HTML}; 60 Min.; Schule & Kita; normal",
            thread_id=thread,
        )
        await api.wait_for(lambda: any("reply_markup" in m for m in api.messages(MEDIATION_CHAT)))
        post = next(m for m in api.messages(MEDIATION_CHAT) if "reply_markup" in m)
        assert HTML in post["text"]  # shown as typed: every < > & escaped
        api.member_presses(
            MEDIATION_CHAT, MEDIATOR, post["message_id"], buttons(post)["✅ Übernehmen"]
        )
        await api.wait_for(
            lambda: any(HTML in shown(m) for m in api.in_thread(STAFF_CHAT, thread))
        )
    html_sends = [c for c in api.calls if c.params.get("parse_mode") == "HTML"]
    assert html_sends and all(c.error is None for c in html_sends)  # all parsed as Telegram does


async def test_control_and_bidi_characters_neither_crash_nor_break_right_to_left(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    hostile = [
        "\u202eمرحبا\u2066abc",  # an override and an isolate, never closed
        "\x00\x01\x07\x1b[31m",
        "\u200b\u200c\u200d\ufeff",
        "\u2067\u2068\u2069\u202a\u202b\u202c\u202d",
        "a\u0300\u0300\u0300\u0300\u0300" * 50,  # stacked combining marks
    ]
    async with lotse(api, tmp_path / "lotse.db", lambda: kb) as app:
        await family.write("/start", "ar")
        for text in hostile:
            assert await family.write(text, "ar")
        await family.press("seiteneinstieg")
        await family.press("se_age")
        api.text(FAMILY, "\u202e9\u202c", "ar")  # an override around the answer
        db = lotse_of(app).conversations.db

        def age() -> object:
            found = find_family(db, CHANNEL, str(FAMILY))
            return load_state(db, found).slots.get("child_age") if found else None

        await api.wait_for(lambda: age() == 9)  # read as 9 (some texts get two answers)
        await family.write("/menu", "ar")
    for message in family.seen():
        text = shown(message)
        assert not (BIDI_CONTROLS - {LRI, PDI}) & set(text), text
        depth = 0
        for char in text:  # every isolate Lotse opens is closed, in order
            depth += (char == LRI) - (char == PDI)
            assert depth >= 0, text
        assert depth == 0, text


def test_a_long_right_to_left_text_is_cut_outside_its_isolates() -> None:
    line = "يرجى إحضار Meldebescheinigung و Impfpass. " * 10
    pieces = split_text(isolate_ltr("\n".join([line] * 30)))
    assert len(pieces) > 1
    for piece in pieces:
        assert piece.count(LRI) == piece.count(PDI) and utf16_length(piece) <= 4096
    # one run longer than a message: cut inside it, closed and opened again
    run = isolate_ltr("كلمة " + "Seiteneinstiegsberatung " * 400)
    pieces = split_text(run, 1000)
    assert all(p.count(LRI) == p.count(PDI) and utf16_length(p) <= 1000 for p in pieces)
    assert (
        " ".join(pieces).replace(LRI, "").replace(PDI, "").split()
        == run.replace(LRI, "").replace(PDI, "").split()
    )


def test_typed_text_is_cleaned_of_controls_but_keeps_what_languages_need() -> None:
    assert clean_text("\u202eab\u2066c\u2069\x00d\x1b\r") == ("abcd", False)
    persian = "می\u200cخواهم"  # the zero-width non-joiner is part of Persian spelling
    assert clean_text(persian) == (persian, False)
    assert clean_text("eins\nzwei\tdrei") == ("eins\nzwei\tdrei", False)
    assert clean_text("x" * 60, 50) == ("x" * 50, True)


async def test_sql_looking_strings_are_stored_nowhere_and_harm_nothing(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    sql = "'; DROP TABLE families; --"
    api.names[FAMILY] = sql
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb) as app:
        await family.write("/start")
        await family.write(sql)
        await family.press(sql)
        await family.write(f"/start {sql}")
        await family.press("se_age")
        await family.write(f"9{sql}")
        db = lotse_of(app).conversations.db
        dump = "\n".join(db.iterdump())
        assert db.execute("SELECT COUNT(*) FROM families").fetchone()[0] == 1
    assert "DROP TABLE" not in dump


# --- knowledge reload and logs ------------------------------------------------------------


async def test_a_reload_with_a_python_tag_in_yaml_runs_nothing_and_keeps_the_good_version(
    api: FakeBotAPI, tmp_path: Path, knowledge_copy: Path
) -> None:
    live = LiveKnowledge(load_knowledge(knowledge_copy), knowledge_copy, None)
    family = Family(api)
    marker = tmp_path / "pwned"
    flow = knowledge_copy / "flows" / "sprachkurs.yaml"
    good = flow.read_text(encoding="utf-8")
    async with lotse(api, tmp_path / "lotse.db", live, reload=live.reload):
        flow.write_text(
            good + f'\nevil: !!python/object/apply:os.system ["touch {marker}"]\n',
            encoding="utf-8",
        )
        api.member_writes(STAFF_CHAT, OUTSIDER, "/reload")  # not staff: not even tried
        api.member_writes(STAFF_CHAT, STAFF, "/reload")
        await api.wait_for(lambda: any("abgelehnt" in shown(m) for m in api.messages(STAFF_CHAT)))
        refusals = [shown(m) for m in api.messages(STAFF_CHAT) if "abgelehnt" in shown(m)]
        assert len(refusals) == 1 and "sprachkurs.yaml:" in refusals[0]
        assert "letzten guten Fassung" in refusals[0]
        start = await family.write("/start")
        assert "Ich bin Lotse" in start[0]["text"]
    assert not marker.exists()


async def test_no_secret_and_no_family_text_in_the_logs_even_at_debug(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("telegram", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    family = Family(api)
    secret = "hook-secret_for-the-log-test"
    words = "Meine Tochter heißt Leyla Yilmaz"
    async with lotse(api, tmp_path / "lotse.db", lambda: kb):  # long polling
        caplog.set_level(logging.DEBUG, logger="httpx")  # build_application quiets it
        await family.write("/start")
        await family.write(words)
    port = free_port()
    changes: dict[str, Any] = {
        "webhook_url": "https://lotse.example.org/hook",
        "webhook_port": port,
        "webhook_secret": SecretStr(secret),
    }
    async with (
        lotse(api, tmp_path / "lotse.db", lambda: kb, webhook=True, **changes),
        aiohttp.ClientSession() as http,
    ):
        caplog.set_level(logging.DEBUG, logger="httpx")
        before = len(family.seen())
        update = api.text(FAMILY, words + " (webhook)", queue=False)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with http.post(f"http://127.0.0.1:{port}/hook", json=update, headers=headers):
            pass
        await family.answer(before)
    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert "Calling Bot API endpoint `sendMessage`" in logged  # DEBUG was on
    assert "HTTP Request: POST" in logged  # and so was httpx
    for leak in (TOKEN, TOKEN.split(":")[1], secret, "Leyla", "Tochter"):
        assert leak not in logged, leak


def test_the_redactor_hides_secrets_in_messages_arguments_and_tracebacks() -> None:
    guard_logs("42:super-secret-token")
    logger = logging.getLogger("telegram.ext.Updater")
    assert REDACTOR in logger.filters
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logger.addHandler(keep)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        logger.warning("url %s", "https://x/bot42:super-secret-token/getMe")
        logger.debug("update %s from %s", {"text": "Familientext"}, "sendMessage")
        try:
            raise RuntimeError("failed at /bot42:super-secret-token/x")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logger.removeHandler(keep)
        logger.setLevel(old_level)
    shown_ = [record.getMessage() + (record.exc_text or "") for record in records]
    assert "super-secret-token" not in "".join(shown_)
    assert shown_[0] == "url https://x/bot[redacted]/getMe"
    assert shown_[1] == "update [redacted] from sendMessage"
    assert "RuntimeError" in shown_[2]
