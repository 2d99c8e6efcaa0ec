"""Exactly once, without Telegram: update ids and outbox rows commit with the event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import get_args

import pytest

from bot.clock import BERLIN
from bot.engine import Button, Command, Reply, Start, TextInput
from bot.knowledge import KnowledgeBase
from bot.services.conversation import Conversations
from bot.services.outbox import Outbox
from bot.store import open_db
from bot.store.updates import KEEP
from bot.types import Media, MediaKind

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=BERLIN)
FAMILY = "4242"


@pytest.fixture
def conversations(tmp_path: Path, kb: KnowledgeBase) -> Conversations:
    return Conversations(open_db(tmp_path / "lotse.db"), lambda: kb, clock=lambda: NOW)


def count(conversations: Conversations, table: str) -> int:
    return int(conversations.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_an_update_queues_its_replies_in_the_outbox(conversations: Conversations) -> None:
    replies = conversations.handle("telegram", FAMILY, Start(), update_id=7)
    outbox = Outbox(conversations.db, "telegram")
    pending = outbox.pending(FAMILY)
    assert [item.reply for item in pending] == replies
    assert outbox.pending("someone else") == [] and outbox.pending() == pending
    outbox.done(pending)
    assert outbox.pending() == []


def test_a_second_delivery_of_an_update_changes_nothing(conversations: Conversations) -> None:
    conversations.handle("telegram", FAMILY, Start(), update_id=7)
    state = conversations.db.execute("SELECT state FROM conversations").fetchone()
    queued = count(conversations, "outbox")
    assert conversations.handle("telegram", FAMILY, Command("help"), update_id=7) == []
    assert conversations.db.execute("SELECT state FROM conversations").fetchone() == state
    assert count(conversations, "outbox") == queued
    # The same number on another channel is another update.
    assert conversations.handle("web", FAMILY, Start(), update_id=7) != []


def test_the_console_neither_records_nor_queues(conversations: Conversations) -> None:
    assert conversations.handle("console", "local", Start())
    assert count(conversations, "processed_updates") == 0
    assert count(conversations, "outbox") == 0


def test_a_failed_event_records_no_update_and_queues_nothing(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    calls = []

    def knowledge() -> KnowledgeBase:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("broken")
        return kb

    conversations = Conversations(open_db(tmp_path / "lotse.db"), knowledge, clock=lambda: NOW)
    conversations.handle("telegram", FAMILY, Start(), update_id=1)
    before = (count(conversations, "outbox"), count(conversations, "processed_updates"))
    with pytest.raises(RuntimeError):
        conversations.handle("telegram", FAMILY, Command("help"), update_id=2)
    assert (count(conversations, "outbox"), count(conversations, "processed_updates")) == before
    # Telegram delivers it again, and now it works.
    assert conversations.handle("telegram", FAMILY, Command("help"), update_id=2)


def test_old_update_ids_are_forgotten(tmp_path: Path, kb: KnowledgeBase) -> None:
    moment = {"now": NOW}
    conversations = Conversations(
        open_db(tmp_path / "lotse.db"), lambda: kb, clock=lambda: moment["now"]
    )
    conversations.handle("telegram", FAMILY, Start(), update_id=1)
    moment["now"] = NOW + KEEP + dt.timedelta(minutes=1)
    conversations.handle("telegram", FAMILY, Start(), update_id=2)
    rows = conversations.db.execute("SELECT update_id FROM processed_updates").fetchall()
    assert rows == [(2,)]


def test_long_replies_remember_how_far_they_got(conversations: Conversations) -> None:
    conversations.handle("telegram", FAMILY, Start(), update_id=1)
    outbox = Outbox(conversations.db, "telegram")
    first = outbox.pending()[0]
    outbox.parts_sent(first, 2)
    assert outbox.pending()[0].sent_parts == 2


def test_a_blocked_family_is_inactive_until_it_writes_again(
    conversations: Conversations,
) -> None:
    conversations.handle("telegram", FAMILY, Start(), update_id=1)
    outbox = Outbox(conversations.db, "telegram", clock=lambda: NOW)
    outbox.blocked(FAMILY)
    assert outbox.pending() == []
    inactive = "SELECT inactive_at FROM families"
    assert conversations.db.execute(inactive).fetchone()[0] == NOW.isoformat()
    conversations.handle("telegram", FAMILY, TextInput("Hallo"), update_id=2)
    assert conversations.db.execute(inactive).fetchone()[0] is None
    outbox.blocked("nobody we know")  # no error


@pytest.mark.parametrize("kind", get_args(MediaKind))
def test_unsupported_messages_keep_the_step_and_show_the_way_on(
    conversations: Conversations, kind: MediaKind
) -> None:
    shown = conversations.handle("telegram", FAMILY, Start(), update_id=1)
    state = conversations.db.execute("SELECT state FROM conversations").fetchone()
    replies = conversations.handle("telegram", FAMILY, Media(kind), update_id=2)
    assert "/menu" in replies[0].text  # help, after the notice
    assert replies[-1].buttons == shown[-1].buttons
    assert conversations.db.execute("SELECT state FROM conversations").fetchone() == state
    assert conversations.handle("telegram", FAMILY, Media(kind), update_id=2) == []


def test_the_apology_is_in_the_familys_language(conversations: Conversations) -> None:
    apology = conversations.apology("telegram", "never seen")
    assert apology.lang == "de" and "Entschuldigung" in apology.text
    assert apology.buttons == (Button("nav:menu", "🏠 Hauptmenü"),)


def test_the_outbox_keeps_no_family_text(conversations: Conversations) -> None:
    conversations.handle("telegram", FAMILY, Start(), update_id=1)
    conversations.handle("telegram", FAMILY, TextInput("Ich heiße Amira"), update_id=2)
    dump = "\n".join(conversations.db.iterdump())
    assert "Amira" not in dump
    assert isinstance(Outbox(conversations.db, "telegram").pending()[-1].reply, Reply)
