"""Privacy: the notice at first contact, /mydata, /delete (end to end on Telegram),
the yes before staff read a family's messages, retention with fixed clocks, the CLI,
and the record of processing in docs/privacy.md. Real SQLite files, the bundled
knowledge, and for /delete the real python-telegram-bot against the fake Bot API."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlite_utils import Database

from bot import i18n
from bot.cli import cli
from bot.config import PrivacySettings, StaffSettings
from bot.engine import ButtonPress, Command, Reply, Start, State, TextInput
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.services import privacy
from bot.services.conversation import Conversations
from bot.services.handoff import CONSENT_NO, CONSENT_YES, Handoff
from bot.store import audit, open_db, ticket_log, tickets, transaction
from bot.store import bookings as booking_store
from bot.store.conversations import family_id, find_family, save_state
from bot.store.outbox import enqueue
from bot.store.tickets import staff_pending
from tests.conftest import KNOWLEDGE, ROOT
from tests.fake_bot_api import FakeBotAPI
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
    topics,
)
from tests.test_i18n import po
from tests.test_telegram import FAMILY, Family, buttons

__all__ = ["api", "kb"]  # the fixtures

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
CHAT = str(FAMILY)


def conversations_at(
    path: Path, knowledge: KnowledgeBase, now: dt.datetime = NOW, handoff: bool = False
) -> Conversations:
    db = open_db(path)
    staff = Handoff(db, StaffSettings(chat_id=STAFF_CHAT)) if handoff else None
    return Conversations(db, lambda: knowledge, clock=lambda: now, handoff=staff)


def notice_at(db: Database, chat: str = CHAT) -> Any:
    row = db.execute("SELECT notice_at FROM families WHERE external_id = ?", [chat]).fetchone()
    return row[0] if row else None


# --- the notice --------------------------------------------------------------------------


def test_the_notice_follows_the_welcome_once_and_keeps_the_steps_buttons(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = conversations_at(tmp_path / "lotse.db", kb)
    replies = conversations.handle("telegram", CHAT, Start(lang_hint="de"))
    assert "Ich bin Lotse" in replies[0].text
    notice = replies[1]
    assert notice.text.startswith("🔒 Datenschutz:") and "[[" not in notice.text
    assert "/mydata" in notice.text and "/delete" in notice.text and not notice.buttons
    assert replies[-1].text == "Wobei kann ich helfen?"
    assert "seiteneinstieg" in [button.id for button in replies[-1].buttons]
    assert notice_at(conversations.db) == NOW.isoformat()
    again = conversations.handle("telegram", CHAT, Start(lang_hint="de"))
    assert not any("Datenschutz" in reply.text for reply in again)
    # A family whose first message is typed text reads the notice first.
    other = conversations.handle("telegram", "other", TextInput("Hallo"))
    assert other[0].text.startswith("🔒 Datenschutz:") and other[-1].buttons


def test_the_notice_waits_for_the_language_and_is_shown_in_it(tmp_path: Path) -> None:
    translations = tmp_path / "translations"
    ukrainian = (
        "🔒 Захист даних ([[Datenschutz]]): Lotse зберігає лише вашу мову і те, де ви в "
        "розмові. /mydata показує ваші дані, /delete видаляє все."
    )
    po(translations, "uk", {(None, privacy.NOTICE): ukrainian}, i18n.REVIEWED)
    knowledge = load_knowledge(KNOWLEDGE, translations)
    conversations = conversations_at(tmp_path / "lotse.db", knowledge)
    asked = conversations.handle("telegram", CHAT, Start(lang_hint="xx"))  # not spoken here
    assert any(b.id == "lang:uk" for b in asked[-1].buttons)
    assert not any("Datenschutz" in reply.text for reply in asked)
    assert notice_at(conversations.db) is None
    chosen = conversations.handle("telegram", CHAT, ButtonPress("lang:uk"))
    assert "Українська" in chosen[0].text  # "Sprache: …" first, then the notice
    assert chosen[1].lang == "uk" and chosen[1].text.startswith("🔒 Захист даних (Datenschutz)")
    assert chosen[-1].buttons and notice_at(conversations.db) == NOW.isoformat()


# --- /mydata -------------------------------------------------------------------------------


def tables_about_a_family(db: Database) -> dict[str, set[str]]:
    """From the schema itself: every table with a foreign key to `families` (or to such a
    table) or a `family_id` column, with its columns."""
    names = [
        str(row[0])
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    ]
    columns = {
        name: {str(row[1]) for row in db.execute(f"PRAGMA table_info('{name}')").fetchall()}
        for name in names
    }
    linked = {"families"}
    grew = True
    while grew:
        grew = False
        for name in names:
            parents = {str(row[2]) for row in db.execute(f"PRAGMA foreign_key_list('{name}')")}
            if name not in linked and (parents & linked or "family_id" in columns[name]):
                linked.add(name)
                grew = True
    return {name: columns[name] for name in linked}


def a_family_in_every_table(db: Database, chat: str, thread: int, lang: str = "de") -> int:
    """A family with a row in every table that can hold something about it."""
    with transaction(db):
        family = family_id(db, "telegram", chat, NOW)
        save_state(db, family, State(node="main_menu", lang=lang).with_slot("age", 9), NOW)
        held = booking_store.hold(
            db,
            family=family,
            kind="se_on_site",
            start=NOW + dt.timedelta(days=2),
            minutes=60,
            capacity=2,
            lang=lang,
            now=NOW,
            hold_minutes=10,
        )
        booking_store.confirm(
            db, held, children=2, ages="7, 12", mediator_lang="ar", reminder_hours=[24], now=NOW
        )
        ticket = tickets.create_ticket(db, tickets.next_ticket_id(db), family, "#1", "Karte", NOW)
        tickets.save_topic(db, family, STAFF_CHAT, thread, NOW)
        tickets.create_request(db, family, "ar", "Sprache: Arabisch", NOW, booking=held)
        tickets.queue_text(db, "an das Thema", NOW, family=family)
        ticket_log.write(db, family, "family", "Frage an das Team", NOW)
        enqueue(db, family, (Reply("wartet"),), NOW)
        audit.record(db, 77, "reply", NOW, family=family, booking=held, ticket=ticket.id)
        db.execute(
            "INSERT INTO unanswered (family_id, text, lang, node, created_at)"
            " VALUES (?, 'Wo ist das [Name]?', ?, 'main_menu', ?)",
            [family, lang, NOW.isoformat()],
        )
    return family


def test_mydata_exports_every_column_of_every_table_about_the_family_and_nothing_else(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = conversations_at(tmp_path / "lotse.db", kb)
    db = conversations.db
    mine = a_family_in_every_table(db, CHAT, thread=7)
    other = a_family_in_every_table(db, "5555", thread=8, lang="ar")
    replies = conversations.handle("telegram", CHAT, Command("mydata"))
    (summary,) = [reply for reply in replies if reply.files]
    assert "Termine: 1" in summary.text and "Gespräche mit dem Team des KI: 1" in summary.text
    assert "Gespeicherte Fragen: 1" in summary.text and "Sprache: Deutsch" in summary.text
    assert [b.id for b in summary.buttons] == [privacy.DELETE, "nav:menu"]
    (file,) = summary.files
    assert file.name.endswith(".json") and file.mime == "application/json"
    data = json.loads(file.data.decode("utf-8"))
    expected = tables_about_a_family(db)
    assert set(data["tables"]) == set(expected)  # a new table about families must export
    for table, columns in expected.items():
        rows = data["tables"][table]
        assert rows, f"no {table} row in the test family: add one to a_family_in_every_table"
        for row in rows:
            assert set(row) == columns, table  # and so must every new column
    assert data["tables"]["families"][0]["external_id"] == CHAT
    assert data["tables"]["conversations"][0]["state"]["slots"] == {"age": 9}
    for table, rows in data["tables"].items():
        for row in rows:
            assert row.get("family_id", mine) == mine, table
    bookings_of_mine = {row["id"] for row in data["tables"]["bookings"]}
    assert {row["booking_id"] for row in data["tables"]["reminders"]} == bookings_of_mine
    assert "5555" not in file.data.decode("utf-8")
    assert [e.action for e in audit.entries(db, family=mine)][-1] == "export"
    assert other != mine


# --- /delete -------------------------------------------------------------------------------


def rows_naming(path: Path, needle: str) -> dict[str, int]:
    """table.column -> rows whose value (as text) contains `needle`, over every column of
    every table of the SQLite file."""
    conn = sqlite3.connect(path)
    try:
        found: dict[str, int] = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for column in conn.execute(f"PRAGMA table_info('{table}')").fetchall():
                count = conn.execute(
                    f'SELECT COUNT(*) FROM "{table}" WHERE CAST("{column[1]}" AS TEXT) LIKE ?',
                    [f"%{needle}%"],
                ).fetchone()[0]
                if count:
                    found[f"{table}.{column[1]}"] = count
        return found
    finally:
        conn.close()


async def test_delete_on_telegram_removes_every_trace_and_tells_staff_and_mediators(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    family = Family(api)
    mediator = Family(api, MEDIATOR)
    path = tmp_path / "lotse.db"
    async with staffed(api, path, lambda: kb) as app:
        db = app.bot_data["lotse"].conversations.db
        await mediator.write("/start")  # a mediator has a private chat with the bot
        # An appointment with a mediator: a request goes to the coordination chat.
        seen = await family.write("/start")
        seen = await family.press(buttons(seen[-1])["Termin buchen"])
        seen = await family.press(buttons(seen[-1])["✅ Einverstanden"])
        seen = await family.press(buttons(seen[-1])["Seiteneinstiegsberatung im KI"])
        seen = await family.press(next(iter(buttons(seen[-1]).values())))  # the first day
        seen = await family.press(next(iter(buttons(seen[-1]).values())))  # the first time
        seen = await family.press(buttons(seen[-1])["1"])
        seen = await family.write("8")
        seen = await family.press(buttons(seen[-1])["Ja"])
        seen = await family.press(buttons(seen[-1])["العربية"])
        seen = await family.press(buttons(seen[-1])["✅ Verbindlich buchen"])
        assert "Ihr Termin ist gebucht" in seen[0]["text"]
        # Talking to staff, with a topic and a mediator who accepted.
        thread = await handed_over(api, family)
        await staff_writes(api, thread, "/interpreter ar; 25.11. 10:00; KI; 60 Min.; Schule")
        await api.wait_for(
            lambda: sum("Übernehmen" in str(m) for m in api.messages(MEDIATION_CHAT)) == 2
        )
        post = next(m for m in api.messages(MEDIATION_CHAT) if "Wann: 25.11." in shown(m))
        api.member_presses(
            MEDIATION_CHAT, MEDIATOR, post["message_id"], buttons(post)["✅ Übernehmen"]
        )
        await api.wait_for(lambda: any("übernommen" in shown(m) for m in mediator.seen()))
        with transaction(db):
            known = find_family(db, "telegram", CHAT)
            assert known is not None
            db.execute(
                "INSERT INTO unanswered (family_id, text, lang, node, created_at)"
                " VALUES (?, 'Was kostet [Name]?', 'de', 'main_menu', ?)",
                [known, NOW.isoformat()],
            )
        before = rows_naming(path, CHAT)
        assert "families.external_id" in before  # the scan finds the chat id while it is there
        for table in ("reminders", "tickets", "family_topics", "mediation_requests", "unanswered"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] >= 1, table

        asked = await family.write("/delete")
        assert "nicht rückgängig" in asked[-1]["text"]
        assert set(buttons(asked[-1]).values()) == {privacy.DELETE_YES, privacy.DELETE_NO}
        bye = await family.press(privacy.DELETE_YES)
        assert "Alles ist gelöscht" in bye[-1]["text"]
        assert buttons(bye[-1]) == {"Neu beginnen": "nav:menu"}

        def general() -> list[str]:  # the staff chat's general topic
            return [shown(m) for m in api.messages(STAFF_CHAT) if "message_thread_id" not in m]

        await api.wait_for(
            lambda: any("abgesagt – die Familie hat ihre Daten gelöscht" in t for t in general())
        )
        await api.wait_for(lambda: any("Ticket #1 geschlossen" in t for t in general()))
        await api.wait_for(lambda: thread not in topics(api))
        assert len(api.succeeded("deleteForumTopic")) == 1
        await api.wait_for(lambda: "beendet" in shown(mediator.seen()[-1]))
        await api.wait_for(
            lambda: any("entfällt" in shown(m) for m in api.messages(MEDIATION_CHAT))
        )
        await api.wait_for(lambda: staff_pending(db) == [])
        deleted = [e for e in audit.entries(db, family=known) if e.action == "delete"]
        assert [(e.actor, e.family_id) for e in deleted] == [("family", known)]
    assert rows_naming(path, CHAT) == {}
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM families").fetchone()[0] == 1  # the mediator
    assert conn.execute("SELECT COUNT(*) FROM booking_seats").fetchone()[0] == 0  # slot free
    conn.close()


def test_delete_asks_first_no_keeps_everything_and_a_stale_yes_asks_again(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = conversations_at(tmp_path / "lotse.db", kb)
    db = conversations.db
    conversations.handle("telegram", CHAT, Start(), update_id=1)
    asked = conversations.handle("telegram", CHAT, TextInput("/delete@lotse_bot"), update_id=2)
    assert [b.id for b in asked[-1].buttons] == [privacy.DELETE_YES, privacy.DELETE_NO]
    kept = conversations.handle("telegram", CHAT, ButtonPress(privacy.DELETE_NO), update_id=3)
    assert "bleibt alles" in kept[-1].text and find_family(db, "telegram", CHAT) is not None
    stale = conversations.handle("telegram", CHAT, ButtonPress(privacy.DELETE_YES), update_id=4)
    assert "früheren Schritt" in stale[0].text and stale[-1].buttons[0].id == privacy.DELETE_YES
    assert find_family(db, "telegram", CHAT) is not None
    assert conversations.farewell("telegram", CHAT) == []
    bye = conversations.handle("telegram", CHAT, ButtonPress(privacy.DELETE_YES), update_id=5)
    assert "Alles ist gelöscht" in bye[0].text
    assert find_family(db, "telegram", CHAT) is None
    assert conversations.farewell("telegram", CHAT) == bye  # for the channel, once
    assert conversations.farewell("telegram", CHAT) == []
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    again = conversations.handle("telegram", CHAT, Start(), update_id=6)  # starts anew
    assert any("Datenschutz" in reply.text for reply in again)


# --- talking to a person -------------------------------------------------------------------


def test_staff_read_a_familys_messages_only_after_its_yes_asked_once(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = conversations_at(tmp_path / "lotse.db", kb, handoff=True)
    db = conversations.db
    conversations.handle("telegram", CHAT, Start())
    asked = conversations.handle("telegram", CHAT, Command("human"))
    assert "Einverstanden?" in asked[-1].text
    assert [b.id for b in asked[-1].buttons] == [
        CONSENT_YES,
        CONSENT_NO,
        "nav:menu",
    ]
    no = conversations.handle("telegram", CHAT, ButtonPress(CONSENT_NO))
    assert "Telefon" in no[-1].text and db.execute("SELECT * FROM tickets").fetchall() == []
    assert staff_pending(db) == []  # nothing went to staff
    conversations.handle("telegram", CHAT, Command("human"))
    yes = conversations.handle("telegram", CHAT, ButtonPress(CONSENT_YES))
    assert "mit dem Team des KI verbunden" in yes[-1].text
    family = find_family(db, "telegram", CHAT)
    assert family is not None
    (ticket,) = db.execute("SELECT id, status FROM tickets").fetchall()
    assert ticket[1] == "open" and any("Ticket #" in m.text for m in staff_pending(db))
    consent = [e for e in audit.entries(db, family=family) if e.action == "consent"]
    assert [(e.actor, e.detail) for e in consent] == [("family", "handoff")]
    with transaction(db):
        tickets.close_ticket(db, ticket[0], NOW)
    again = conversations.handle("telegram", CHAT, Command("human"))  # not asked twice
    assert "mit dem Team des KI verbunden" in again[-1].text


# --- retention -----------------------------------------------------------------------------

PURGE_NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=BERLIN)
PERIODS = PrivacySettings(
    idle_family_days=90,
    closed_ticket_days=30,
    past_booking_days=60,
    unanswered_days=180,
    audit_days=365,
    processed_update_days=7,
)
SECOND = dt.timedelta(seconds=1)


def ago(days: int, extra: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
    return PURGE_NOW - dt.timedelta(days=days) - extra


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _booking(
    db: Database, family: int, status: str, starts: dt.datetime, updated: dt.datetime
) -> int:
    cursor = db.execute(
        "INSERT INTO bookings (family_id, type, starts_at, minutes, status, lang, created_at,"
        " updated_at) VALUES (?, 'se_on_site', ?, 60, ?, 'de', ?, ?)",
        [family, booking_store.utc(starts), status, stamp(updated), stamp(updated)],
    )
    return int(cursor.lastrowid or 0)


def _ticket(db: Database, family: int, status: str, closed: dt.datetime | None) -> int:
    number = tickets.next_ticket_id(db)
    db.execute(
        "INSERT INTO tickets (id, family_id, status, title, card, opened_at, closed_at)"
        " VALUES (?, ?, ?, 't', 'c', ?, ?)",
        [number, family, status, stamp(ago(400)), stamp(closed) if closed else None],
    )
    return number


def _request(db: Database, family: int, status: str, when: dt.datetime) -> int:
    cursor = db.execute(
        "INSERT INTO mediation_requests (family_id, lang, details, status, created_at,"
        " decided_at, closed_at) VALUES (?, 'ar', 'd', ?, ?, ?, ?)",
        [
            family,
            status,
            stamp(ago(400)),
            stamp(when),
            stamp(when) if status == "closed" else None,
        ],
    )
    return int(cursor.lastrowid or 0)


def retention_fixture(db: Database) -> dict[str, int]:
    """Rows on both sides of every boundary; returns the ids of those that must stay."""
    keep: dict[str, int] = {}
    with transaction(db):
        old = family_id(db, "telegram", "old", ago(90, SECOND))
        tickets.save_topic(db, old, STAFF_CHAT, 41, ago(200))
        keep["edge"] = edge = family_id(db, "telegram", "edge", ago(90))
        keep["booked"] = booked = family_id(db, "telegram", "booked", ago(200))
        _booking(db, booked, "confirmed", PURGE_NOW + dt.timedelta(days=1), ago(200))
        keep["talking"] = talking = family_id(db, "telegram", "talking", ago(200))
        keep["open_ticket"] = _ticket(db, talking, "open", None)
        _ticket(db, edge, "closed", ago(30, SECOND))
        keep["closed_ticket"] = _ticket(db, edge, "closed", ago(30))
        _booking(db, edge, "confirmed", ago(60, SECOND), ago(90))
        _booking(db, edge, "no_show", ago(61), ago(61))
        _booking(db, edge, "cancelled", PURGE_NOW + dt.timedelta(days=9), ago(60, SECOND))
        keep["past_booking"] = _booking(db, edge, "confirmed", ago(60), ago(90))
        keep["cancelled"] = _booking(db, edge, "cancelled", ago(100), ago(60))
        _request(db, edge, "closed", ago(30, SECOND))
        keep["declined"] = _request(db, edge, "declined", ago(30))
        _request(db, edge, "requested", ago(30, SECOND))  # asked by staff, never taken up
        keep["requested"] = _request(db, edge, "requested", ago(30))
        # A family that still writes loses the topic of its long-closed ticket only.
        tickets.save_topic(db, edge, STAFF_CHAT, 43, ago(200))
        quiet = family_id(db, "telegram", "quiet", ago(1))
        tickets.save_topic(db, quiet, STAFF_CHAT, 42, ago(200))
        _ticket(db, quiet, "closed", ago(30, SECOND))
        # the desk's log goes with the family's last closed ticket, not with an open one
        for family in (talking, edge, quiet):
            ticket_log.write(db, family, "family", "eine Frage", ago(200))
        for created, name in ((ago(180, SECOND), "gone"), (ago(180), "kept")):
            db.execute(
                "INSERT INTO unanswered (family_id, text, lang, created_at)"
                " VALUES (?, ?, 'de', ?)",
                [edge, name, stamp(created)],
            )
        audit.record(db, "cli", "old", ago(365, SECOND))
        audit.record(db, "cli", "kept", ago(365))
        for update_id, processed in ((1, ago(7, SECOND)), (2, ago(7))):
            db.execute(
                "INSERT INTO processed_updates (channel, update_id, processed_at)"
                " VALUES ('telegram', ?, ?)",
                [update_id, booking_store.utc(processed)],  # UTC, as record_update writes it
            )
    return keep


def counts_of(db: Database) -> dict[str, int]:
    names = [n for n in db.table_names() if n != "_sqlite_migrations"]
    return {name: db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] for name in names}


EXPECTED = {
    "families": 1,
    "family_topics": 1,
    "ticket_log": 1,
    "tickets": 2,
    "mediation_requests": 2,
    "bookings": 3,
    "unanswered": 1,
    "audit_log": 1,
    "processed_updates": 1,
}


def test_purge_deletes_what_outlived_each_period_and_keeps_the_boundaries(tmp_path: Path) -> None:
    db = open_db(tmp_path / "lotse.db")
    keep = retention_fixture(db)
    before = counts_of(db)
    assert privacy.purge(db, PERIODS, PURGE_NOW, dry_run=True) == EXPECTED
    assert counts_of(db) == before  # a dry run changes nothing
    assert privacy.purge(db, PERIODS, PURGE_NOW) == EXPECTED
    names = {row[0] for row in db.execute("SELECT external_id FROM families").fetchall()}
    assert names == {"edge", "booked", "talking", "quiet"}  # a future appointment, an open ticket
    ticket_ids = {row[0] for row in db.execute("SELECT id FROM tickets").fetchall()}
    assert ticket_ids == {keep["open_ticket"], keep["closed_ticket"]}
    logged = {row[0] for row in db.execute("SELECT family_id FROM ticket_log").fetchall()}
    assert logged == {keep["talking"], keep["edge"]}
    booking_ids = {row[0] for row in db.execute("SELECT id FROM bookings").fetchall()}
    assert {keep["past_booking"], keep["cancelled"]} <= booking_ids and len(booking_ids) == 3
    requests = {row[0] for row in db.execute("SELECT id FROM mediation_requests").fetchall()}
    assert requests == {keep["declined"], keep["requested"]}
    assert db.execute("SELECT text FROM unanswered").fetchall() == [("kept",)]
    actions = [entry.action for entry in audit.entries(db)]
    assert actions == ["kept", "purge"]
    assert "families=1" in audit.entries(db)[-1].detail
    assert db.execute("SELECT update_id FROM processed_updates").fetchall() == [(2,)]
    # The forum topic of the family deleted for idleness goes too, and the one of the
    # family whose last ticket closed more than closed_ticket_days ago.
    gone = [(m.kind, m.chat_id, m.thread_id, m.family_id) for m in staff_pending(db)]
    assert gone == [("delete_topic", STAFF_CHAT, 41, None), ("delete_topic", STAFF_CHAT, 42, None)]
    topics = db.execute("SELECT thread_id FROM family_topics").fetchall()
    assert topics == [(43,)]


def test_the_daily_purge_runs_once_per_berlin_day(tmp_path: Path) -> None:
    db = open_db(tmp_path / "lotse.db")
    late = dt.datetime(2027, 3, 1, 23, 30, tzinfo=BERLIN)
    with transaction(db):
        family_id(db, "telegram", "idle", late - dt.timedelta(days=100))
    assert privacy.purge_due(db, PERIODS, late) == {**dict.fromkeys(EXPECTED, 0), "families": 1}
    assert privacy.purge_due(db, PERIODS, late + dt.timedelta(minutes=20)) is None  # 23:50
    with transaction(db):
        family_id(db, "telegram", "idle2", late - dt.timedelta(days=100))
    after_midnight = late + dt.timedelta(minutes=40)  # 00:10 the next day
    assert privacy.purge_due(db, PERIODS, after_midnight) is not None
    assert [e.actor for e in audit.entries(db) if e.action == "purge"] == ["system", "system"]
    assert db.execute("SELECT COUNT(*) FROM families").fetchone()[0] == 0


# --- the command line ----------------------------------------------------------------------


def test_cli_export_delete_and_purge(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "lotse.db"
    db = open_db(path)
    a_family_in_every_table(db, CHAT, thread=7)
    db.close()
    env = {"LOTSE_CONFIG": str(ROOT / "lotse.example.toml")}
    runner = CliRunner()
    exported = runner.invoke(cli, ["privacy", "export", CHAT, "--db", str(path)], env=env)
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["tables"]["families"][0]["external_id"] == CHAT
    missing = runner.invoke(cli, ["privacy", "export", "999", "--db", str(path)], env=env)
    assert missing.exit_code == 1 and "no family with chat id 999" in missing.output
    dry = runner.invoke(cli, ["privacy", "purge", "--dry-run", "--db", str(path)], env=env)
    assert dry.exit_code == 0 and "families: 0 would delete" in dry.output
    refused = runner.invoke(
        cli, ["privacy", "delete", CHAT, "--db", str(path)], env=env, input="n\n"
    )
    assert refused.exit_code == 1
    deleted = runner.invoke(cli, ["privacy", "delete", CHAT, "--db", str(path), "--yes"], env=env)
    assert deleted.exit_code == 0, deleted.output
    assert rows_naming(path, CHAT) == {}
    db = open_db(path)
    assert [(e.actor, e.action) for e in audit.entries(db)][-2:] == [
        ("cli", "export"),
        ("cli", "delete"),
    ]
    db.close()


# --- the record of processing --------------------------------------------------------------


def test_docs_privacy_lists_exactly_the_tables_of_a_fresh_database(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "privacy.md").read_text("utf-8")
    section = text.split("## 4.", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))
    db = open_db(tmp_path / "fresh.db")
    # Every table, the sqlite-utils migrations table included; only SQLite's own are not.
    tables = {
        str(row[0])
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    }
    assert documented == tables
    for key in PrivacySettings.model_fields:  # every retention period is explained
        assert f"`{key}`" in text, key


def test_mydata_names_staff_by_their_role_not_their_telegram_id(tmp_path: Path) -> None:
    """The audit log names a staff member by Telegram id; that id is the staff member's
    datum, so a family's export shows only "staff"."""
    db = open_db(tmp_path / "lotse.db")
    with transaction(db):
        family = family_id(db, "telegram", CHAT, NOW)
        audit.record(db, 424242, "reply", NOW, family=family)
        audit.record(db, "family", "export", NOW, family=family)
    exported = json.dumps(privacy.export(db, family, NOW))
    assert "424242" not in exported
    actors = [row["actor"] for row in privacy.export(db, family, NOW)["tables"]["audit_log"]]
    assert actors == ["staff", "family"]
