"""Opens the SQLite file (WAL, foreign keys, busy timeout) and applies migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from bot.store.migrations import migrations

BUSY_TIMEOUT_MS = 5000


def open_db(path: Path | str) -> Database:
    """A ready database: file created if needed, WAL on, every migration applied."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # Deleted rows (a family's /delete, retention) are overwritten with zeros in the file,
    # not left readable in free pages until reused.
    db.execute("PRAGMA secure_delete = ON")
    if str(path) != ":memory:":
        db.enable_wal()
        # In WAL mode NORMAL keeps every commit safe from a crash of the bot process
        # (SIGKILL included); only a power loss of the machine may lose the last commits.
        # FULL would add an fsync to every event: about three times Lotse's cost per update.
        db.execute("PRAGMA synchronous = NORMAL")
    migrations.apply(db)
    return db


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One write transaction: BEGIN IMMEDIATE takes the write lock up front, so two
    processes never both read a state and then fail to write it. Nested sqlite-utils
    calls use savepoints inside it."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")
