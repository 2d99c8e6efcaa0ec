"""The SQLite store: migrations, WAL, one transaction per event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.clock import BERLIN
from bot.engine import ButtonPress, Start, TextInput
from bot.knowledge import KnowledgeBase
from bot.services.conversation import Conversations
from bot.store import open_db, transaction
from bot.store.conversations import family_id, load_state, save_state
from bot.store.migrations import migrations
from bot.types import State

NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=BERLIN)


def schema(path: Path) -> list[tuple[str, str]]:
    db = open_db(path)
    rows = db.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    db.close()
    return [(name, sql or "") for name, sql in rows]


def test_migrations_applied_twice_change_nothing(tmp_path: Path) -> None:
    path = tmp_path / "lotse.db"
    first = schema(path)
    db = open_db(path)
    applied = [(m.name, m.applied_at) for m in migrations.applied(db)]
    migrations.apply(db)  # a third time, explicitly
    assert [(m.name, m.applied_at) for m in migrations.applied(db)] == applied
    db.close()
    assert schema(path) == first
    assert {"families", "conversations", "_sqlite_migrations"} <= {name for name, _ in first}


def test_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = open_db(tmp_path / "lotse.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_failed_event_writes_nothing(tmp_path: Path) -> None:
    db = open_db(tmp_path / "lotse.db")
    with pytest.raises(RuntimeError), transaction(db):
        family_id(db, "console", "someone", NOW)
        raise RuntimeError("the engine failed half way")
    assert db.execute("SELECT count(*) FROM families").fetchone()[0] == 0


def test_conversation_survives_a_restart(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "lotse.db"
    first = Conversations(open_db(path), lambda: kb, clock=lambda: NOW)
    first.handle("console", "family-1", Start())
    first.handle("console", "family-1", ButtonPress("seiteneinstieg"))
    first.handle("console", "family-1", ButtonPress("se_age"))
    first.db.close()

    second = Conversations(open_db(path), lambda: kb, clock=lambda: NOW)
    replies = second.handle("console", "family-1", TextInput("11"))
    assert "Schulpflicht" in replies[0].text
    family = family_id(second.db, "console", "family-1", NOW)
    state = load_state(second.db, family)
    assert state.node == "se_school" and state.slots["child_age"] == 11
    # Another family is independent.
    other = second.handle("console", "family-2", TextInput("11"))
    assert "Datenschutz" in other[0].text  # its first contact: the privacy notice first
    assert "nicht verstanden" in other[1].text


def test_only_what_is_needed_is_stored(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = Conversations(open_db(tmp_path / "lotse.db"), lambda: kb, clock=lambda: NOW)
    conversations.handle("console", "family-1", Start())
    conversations.handle("console", "family-1", TextInput("my name is Amira, +49 170 1234567"))
    dump = "\n".join(conversations.db.iterdump())
    assert "Amira" not in dump and "1234567" not in dump  # typed text is not kept


def test_deleting_a_family_deletes_its_conversation(tmp_path: Path) -> None:
    """m005 rebuilt `conversations` with ON DELETE CASCADE."""
    db = open_db(tmp_path / "c.db")
    with transaction(db):
        family = family_id(db, "telegram", "42", NOW)
        save_state(db, family, State(node="main_menu"), NOW)
    with transaction(db):
        db.execute("DELETE FROM families WHERE id = ?", [family])
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0


def test_numbers_of_deleted_families_bookings_and_tickets_are_never_given_again(
    tmp_path: Path,
) -> None:
    """After a /delete the next family must not get the deleted one's number: the audit
    log and old staff posts ("/cancel 12") would point at it."""
    from bot.store import audit

    db = open_db(tmp_path / "n.db")
    with transaction(db):
        first = family_id(db, "telegram", "1", NOW)
        db.execute(
            "INSERT INTO tickets (id, family_id, status, title, card, opened_at)"
            " VALUES (7, ?, 'open', 't', 'c', 'x')",
            [first],
        )
        audit.record(db, "family", "delete", NOW, family=first)
        db.execute("DELETE FROM families WHERE id = ?", [first])
    with transaction(db):
        second = family_id(db, "telegram", "2", NOW)
    assert second == first + 1
    assert db.execute("SELECT last FROM id_counters WHERE name = 'tickets'").fetchone()[0] == 7
    # A database from before m006 keeps counting above what the audit log still names.
    path = tmp_path / "old.db"
    old = open_db(path)
    with transaction(old):
        family = family_id(old, "telegram", "3", NOW)
        audit.record(old, "family", "delete", NOW, family=family + 40)
    old.execute("DELETE FROM id_counters")
    old.execute("DELETE FROM _sqlite_migrations WHERE name = 'm006_numbers_never_reused'")
    old.execute("DROP TABLE id_counters")
    for table in ("families", "bookings", "tickets", "mediation_requests"):
        old.execute(f"DROP TRIGGER {table}_counter")
    old.conn.commit()
    old.close()
    again = open_db(path)
    with transaction(again):
        assert family_id(again, "telegram", "4", NOW) == family + 41


def test_the_checkpointer_empties_the_wal_off_the_writing_connection(tmp_path: Path) -> None:
    from bot.store import Checkpointer, transaction

    path = tmp_path / "wal.db"
    db = open_db(path)
    checkpointer = Checkpointer(path, interval=0.01)
    checkpointer.start(db)
    assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    before = path.stat().st_size  # the rows land in the WAL; only a checkpoint copies them
    for number in range(2000):
        with transaction(db):
            db.execute(
                "INSERT INTO processed_updates (channel, update_id, processed_at)"
                " VALUES ('t', ?, '2026-01-01T00:00:00+00:00')",
                [number],
            )
    checkpointer.stop()  # one last checkpoint on the way out
    assert checkpointer.runs >= 1
    assert path.stat().st_size > before  # copied back into the database file
    db.close()
