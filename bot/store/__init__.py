"""Storage: one SQLite file through sqlite-utils, migrations applied on open."""

from bot.store.db import Checkpointer, open_db, transaction

__all__ = ["Checkpointer", "open_db", "transaction"]
