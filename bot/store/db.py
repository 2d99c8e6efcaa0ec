"""Opens the SQLite file (WAL, foreign keys, busy timeout) and applies migrations."""

from __future__ import annotations

import sqlite3
import threading
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


def forget_wal(db: Database) -> bool:
    """After a family's data was deleted (committed): copies the WAL back and empties it.
    `secure_delete` zeroes deleted rows in the database file, but the WAL still holds the
    pages as they were before, readable in `lotse.db-wal` until SQLite overwrites them; a
    PASSIVE checkpoint copies them back without emptying the file. TRUNCATE waits for
    readers (up to the busy timeout) and cuts the WAL to zero bytes. False when another
    connection kept it busy: the next deletion or the daily retention run tries again."""
    row = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return row is not None and int(row[0]) == 0


QUEUES = ("outbox", "staff_outbox")  # tables of messages on their way out


def last_id(db: Database, queue: str) -> int:
    """The newest row's id of a queue (0 if none): a mark to send only what came after."""
    assert queue in QUEUES, queue  # never user input: a fixed table name
    row = db.execute(f"SELECT MAX(id) FROM {queue}").fetchone()
    return int(row[0] or 0)


def delete_ids(db: Database, queue: str, ids: list[int]) -> None:
    """Deletes the given rows of a queue (sent, or refused for good) in one statement."""
    assert queue in QUEUES, queue
    if ids:
        marks = ",".join("?" for _ in ids)
        db.execute(f"DELETE FROM {queue} WHERE id IN ({marks})", ids)


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


class Checkpointer:
    """Copies the WAL back into the database file from a thread of its own.

    SQLite's automatic checkpoint runs inside the commit that fills the WAL past 1000
    pages, with an fsync: on a long-running bot that is one event in a few hundred taking
    milliseconds on the event loop. A long-running process turns it off for its connection
    (`start`) and lets this thread run a PASSIVE checkpoint every `interval` seconds on a
    connection of its own: it never waits for a writer and never blocks one, so the bot's
    commits stay short. `stop` ends the thread after one last checkpoint."""

    def __init__(self, path: Path | str, interval: float = 5.0) -> None:
        self.path = str(path)
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self, db: Database) -> None:
        if self.path == ":memory:":
            return
        db.execute("PRAGMA wal_autocheckpoint = 0")
        self._thread = threading.Thread(target=self._run, name="lotse checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            while not self._stop.wait(self.interval):
                self.checkpoint(conn)
            self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.runs += 1
        except sqlite3.Error:  # busy or locked: the next run catches up
            pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
