"""Storage: one SQLite file through sqlite-utils, migrations applied on open."""

from bot.store.db import open_db, transaction

__all__ = ["open_db", "transaction"]
