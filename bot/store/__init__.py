"""Storage: one SQLite file through sqlite-utils, migrations applied on open."""

from bot.store.db import Checkpointer, forget_wal, open_db, transaction

__all__ = ["Checkpointer", "forget_wal", "open_db", "transaction"]
