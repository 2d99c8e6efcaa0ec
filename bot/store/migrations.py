"""Schema changes, in order. Each runs once, in its own transaction (sqlite-utils)."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.db import Table
from sqlite_utils.migrations import Migrations

migrations = Migrations("lotse")


def _table(db: Database, name: str) -> Table:
    table = db[name]
    assert isinstance(table, Table)
    return table


@migrations()
def m001_families_and_conversations(db: Database) -> None:
    """A family is one chat on one channel; its conversation state is one row."""
    families = _table(db, "families")
    families.create(
        {"id": int, "channel": str, "external_id": str, "created_at": str, "last_seen_at": str},
        pk="id",
        not_null={"channel", "external_id", "created_at", "last_seen_at"},
    )
    families.create_index(["channel", "external_id"], unique=True)
    _table(db, "conversations").create(
        {"family_id": int, "state": str, "updated_at": str},
        pk="family_id",
        not_null={"state", "updated_at"},
        foreign_keys=[("family_id", "families", "id")],
    )


@migrations()
def m002_telegram_delivery(db: Database) -> None:
    """Update ids handled once, replies waiting to be sent, families that blocked the bot."""
    _table(db, "families").add_column("inactive_at", str)
    # Raw SQL for the cascades: deleting a family deletes what waits for it.
    db.execute(
        "CREATE TABLE processed_updates ("
        " channel TEXT NOT NULL, update_id INTEGER NOT NULL, processed_at TEXT NOT NULL,"
        " PRIMARY KEY (channel, update_id))"
    )
    db.execute("CREATE INDEX processed_updates_processed_at ON processed_updates (processed_at)")
    db.execute(
        "CREATE TABLE outbox ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER NOT NULL REFERENCES families (id) ON DELETE CASCADE,"
        " text TEXT NOT NULL, buttons TEXT NOT NULL, lang TEXT NOT NULL,"
        " sent_parts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX outbox_family_id ON outbox (family_id)")


@migrations()
def m003_bookings(db: Database) -> None:
    """Appointments, the seats that enforce capacity, reminders, consent, attachments."""
    _table(db, "families").add_column("consent_at", str)
    db.execute(
        "CREATE TABLE bookings ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER NOT NULL REFERENCES families (id) ON DELETE CASCADE,"
        " type TEXT NOT NULL, starts_at TEXT NOT NULL, minutes INTEGER NOT NULL,"
        " status TEXT NOT NULL"
        "  CHECK (status IN ('held', 'confirmed', 'cancelled', 'expired', 'no_show')),"
        " hold_until TEXT, children INTEGER, ages TEXT, mediator_lang TEXT,"
        " lang TEXT NOT NULL, sequence INTEGER NOT NULL DEFAULT 0, cancel_reason TEXT,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX bookings_family ON bookings (family_id, status)")
    db.execute("CREATE INDEX bookings_starts_at ON bookings (starts_at)")
    # The capacity guard: one row per occupied seat; the primary key forbids a second.
    db.execute(
        "CREATE TABLE booking_seats ("
        " type TEXT NOT NULL, starts_at TEXT NOT NULL, seat INTEGER NOT NULL CHECK (seat >= 1),"
        " booking_id INTEGER NOT NULL UNIQUE REFERENCES bookings (id) ON DELETE CASCADE,"
        " PRIMARY KEY (type, starts_at, seat))"
    )
    db.execute(
        "CREATE TABLE reminders ("
        " id INTEGER PRIMARY KEY,"
        " booking_id INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,"
        " hours INTEGER NOT NULL, due_at TEXT NOT NULL, sent_at TEXT,"
        " UNIQUE (booking_id, hours))"
    )
    db.execute("CREATE INDEX reminders_due ON reminders (sent_at, due_at)")
    _table(db, "outbox").add_column("files", str)


@migrations()
def m004_handoff_and_mediation(db: Database) -> None:
    """Tickets (a family talking to staff), the family's forum topic, messages on their
    way to staff chats, relayed copies in the family outbox, mediator requests."""
    db.execute(
        "CREATE TABLE tickets ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER NOT NULL REFERENCES families (id) ON DELETE CASCADE,"
        " status TEXT NOT NULL CHECK (status IN ('open', 'closed')),"
        " title TEXT NOT NULL, card TEXT NOT NULL,"
        " opened_at TEXT NOT NULL, closed_at TEXT, rating INTEGER, after_hours_on TEXT)"
    )
    # At most one open ticket per family, also across processes.
    db.execute("CREATE UNIQUE INDEX tickets_one_open ON tickets (family_id) WHERE status = 'open'")
    # One forum topic per family: the primary key and the unique pair forbid a second.
    db.execute(
        "CREATE TABLE family_topics ("
        " family_id INTEGER PRIMARY KEY REFERENCES families (id) ON DELETE CASCADE,"
        " chat_id INTEGER NOT NULL, thread_id INTEGER NOT NULL, created_at TEXT NOT NULL,"
        " UNIQUE (chat_id, thread_id))"
    )
    # Messages to chats that are not a family's: the family's topic (family_id, no chat_id),
    # or a given chat (coordination chat, a mediator, the staff chat's general topic).
    # kind: text (our own words), copy (a message copied by id; its text is not stored),
    # title (rename the family's topic).
    db.execute(
        "CREATE TABLE staff_outbox ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER REFERENCES families (id) ON DELETE CASCADE,"
        " chat_id INTEGER, thread_id INTEGER,"
        " kind TEXT NOT NULL CHECK (kind IN ('text', 'copy', 'title')),"
        " text TEXT NOT NULL DEFAULT '', buttons TEXT NOT NULL DEFAULT '[]',"
        " copy_chat_id INTEGER, copy_message_id INTEGER, created_at TEXT NOT NULL)"
    )
    _table(db, "outbox").add_column("copy_chat_id", int)
    _table(db, "outbox").add_column("copy_message_id", int)
    db.execute(
        "CREATE TABLE mediation_requests ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER NOT NULL REFERENCES families (id) ON DELETE CASCADE,"
        " lang TEXT NOT NULL, details TEXT NOT NULL,"
        " status TEXT NOT NULL"
        "  CHECK (status IN ('requested', 'accepted', 'declined', 'closed')),"
        " mediator_id INTEGER, created_at TEXT NOT NULL, decided_at TEXT, closed_at TEXT,"
        " booking_id INTEGER UNIQUE REFERENCES bookings (id) ON DELETE CASCADE)"
    )
    db.execute("CREATE INDEX mediation_mediator ON mediation_requests (mediator_id, status)")


@migrations()
def m005_privacy(db: Database) -> None:
    """Privacy: the notice shown, the family's answer on keeping unanswered questions, the
    questions kept, an audit log of staff actions, conversations deleted with their family,
    and a staff-outbox kind that deletes a family's forum topic (/delete)."""
    families = _table(db, "families")
    families.add_column("notice_at", str)  # when the privacy notice was shown
    families.add_column("keep_questions", int)  # NULL: not asked, 0: no, 1: yes
    # m001 made conversations without a cascade; rebuild it with one.
    db.execute(
        "CREATE TABLE conversations_new ("
        " family_id INTEGER PRIMARY KEY REFERENCES families (id) ON DELETE CASCADE,"
        " state TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    db.execute(
        "INSERT INTO conversations_new SELECT family_id, state, updated_at FROM conversations"
    )
    db.execute("DROP TABLE conversations")
    db.execute("ALTER TABLE conversations_new RENAME TO conversations")
    db.execute("CREATE INDEX conversations_updated_at ON conversations (updated_at)")
    # Questions Lotse could not place, kept only with the family's yes, already scrubbed of
    # names, numbers and e-mail addresses; deleted with the family.
    db.execute(
        "CREATE TABLE unanswered ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER NOT NULL REFERENCES families (id) ON DELETE CASCADE,"
        " text TEXT NOT NULL, lang TEXT NOT NULL, node TEXT, created_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX unanswered_created_at ON unanswered (created_at)")
    # Who did what when; never message content. `actor` is the staff member's Telegram
    # user id (or 'cli', 'system'); `family_id` is Lotse's internal number, no foreign key:
    # the entry outlives a deleted family and then points at nobody.
    db.execute(
        "CREATE TABLE audit_log ("
        " id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
        " action TEXT NOT NULL, family_id INTEGER, booking_id INTEGER, ticket_id INTEGER,"
        " detail TEXT NOT NULL DEFAULT '')"
    )
    db.execute("CREATE INDEX audit_log_at ON audit_log (at)")
    db.execute(
        "CREATE TABLE staff_outbox_new ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER REFERENCES families (id) ON DELETE CASCADE,"
        " chat_id INTEGER, thread_id INTEGER,"
        " kind TEXT NOT NULL CHECK (kind IN ('text', 'copy', 'title', 'delete_topic')),"
        " text TEXT NOT NULL DEFAULT '', buttons TEXT NOT NULL DEFAULT '[]',"
        " copy_chat_id INTEGER, copy_message_id INTEGER, created_at TEXT NOT NULL)"
    )
    db.execute("INSERT INTO staff_outbox_new SELECT * FROM staff_outbox")
    db.execute("DROP TABLE staff_outbox")
    db.execute("ALTER TABLE staff_outbox_new RENAME TO staff_outbox")


# Numbers people see or that outlive a row: a family's internal number (in the audit log),
# booking, ticket and mediator request numbers (in staff posts, buttons and /cancel N).
NUMBERED = {
    "families": ("family_id",),
    "bookings": ("booking_id",),
    "tickets": ("ticket_id",),
    "mediation_requests": (),
}


@migrations()
def m006_numbers_never_reused(db: Database) -> None:
    """SQLite gives a new row the highest id + 1, so after a /delete or a purge the next
    family, booking or ticket would get the number of the one just deleted: an old audit
    entry or staff post ("/cancel 12") would then point at someone else. A counter per
    table remembers the highest number ever given (also those the audit log still names);
    inserts take the next one (bot/store/ids.py) and a trigger keeps the counter up when a
    row is inserted with its own id."""
    db.execute("CREATE TABLE id_counters (name TEXT PRIMARY KEY, last INTEGER NOT NULL)")
    for table, audit_columns in NUMBERED.items():
        highest = [f"(SELECT MAX(id) FROM {table})"]
        highest += [f"(SELECT MAX({column}) FROM audit_log)" for column in audit_columns]
        db.execute(
            "INSERT INTO id_counters (name, last) VALUES"
            f" (?, MAX({', '.join(f'COALESCE({h}, 0)' for h in highest)}, 0))",
            [table],
        )
        db.execute(
            f"CREATE TRIGGER {table}_counter AFTER INSERT ON {table} BEGIN"
            f" UPDATE id_counters SET last = MAX(last, NEW.id) WHERE name = '{table}'; END"
        )


@migrations()
def m007_channel_neutral_references(db: Database) -> None:
    """Messages passed on by reference and mediators name their channel, so that a second
    channel plugs in without the services reading a Telegram id; an index on every
    family_id column, so that a family's rows (/mydata, /delete, its tickets) are found
    without a table scan."""
    for table in ("outbox", "staff_outbox"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN copy_channel TEXT")
        db.execute(f"UPDATE {table} SET copy_channel = 'telegram' WHERE copy_chat_id IS NOT NULL")
    db.execute("ALTER TABLE mediation_requests ADD COLUMN mediator_channel TEXT")
    db.execute(
        "UPDATE mediation_requests SET mediator_channel = 'telegram' WHERE mediator_id IS NOT NULL"
    )
    db.execute("DROP INDEX IF EXISTS mediation_mediator")
    db.execute(
        "CREATE INDEX mediation_mediator"
        " ON mediation_requests (mediator_channel, mediator_id, status)"
    )
    for table in ("tickets", "staff_outbox", "mediation_requests", "unanswered", "audit_log"):
        db.execute(f"CREATE INDEX {table}_family_id ON {table} (family_id)")
    db.execute("CREATE INDEX staff_outbox_copy ON staff_outbox (copy_channel, copy_chat_id)")


@migrations()
def m008_web_channel_and_desk(db: Database) -> None:
    """The web channel and the staff desk: a key for signing its tokens, staff accounts
    and their sessions, and the ticket log (what staff see of a family's conversation with
    a person, for the desk; see bot/store/ticket_log.py)."""
    db.execute("CREATE TABLE web_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE staff_accounts ("
        " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,"
        " created_at TEXT NOT NULL, failed_logins INTEGER NOT NULL DEFAULT 0,"
        " locked_until TEXT, last_login_at TEXT)"
    )
    db.execute(
        "CREATE TABLE staff_sessions ("
        " token_hash TEXT PRIMARY KEY,"
        " account_id INTEGER NOT NULL REFERENCES staff_accounts(id) ON DELETE CASCADE,"
        " created_at TEXT NOT NULL, expires_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE ticket_log ("
        " id INTEGER PRIMARY KEY,"
        " family_id INTEGER NOT NULL REFERENCES families(id) ON DELETE CASCADE,"
        " author TEXT NOT NULL, member TEXT, text TEXT NOT NULL, at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX ticket_log_family_id ON ticket_log (family_id, id)")
    # A browser acknowledges replies by their id: ids must only grow, also after every row
    # was deleted (a plain rowid would start again at 1). AUTOINCREMENT never reuses one.
    db.execute(
        "CREATE TABLE outbox_new ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " family_id INTEGER NOT NULL REFERENCES families (id) ON DELETE CASCADE,"
        " text TEXT NOT NULL, buttons TEXT NOT NULL, lang TEXT NOT NULL,"
        " sent_parts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, files TEXT,"
        " copy_chat_id INTEGER, copy_message_id INTEGER, copy_channel TEXT)"
    )
    db.execute(
        "INSERT INTO outbox_new SELECT id, family_id, text, buttons, lang, sent_parts,"
        " created_at, files, copy_chat_id, copy_message_id, copy_channel FROM outbox"
    )
    db.execute("DROP TABLE outbox")
    db.execute("ALTER TABLE outbox_new RENAME TO outbox")
    db.execute("CREATE INDEX outbox_family_id ON outbox (family_id)")


@migrations()
def m009_anonymous_statistics(db: Database) -> None:
    """Anonymous daily counters (bot/store/stats.py), and when staff first answered a
    ticket (for the waiting time in the statistics). Tickets that exist already count as
    answered: whether and when staff answered them before is not known, so they are left
    out of the waiting times rather than counted wrong."""
    db.execute(
        "CREATE TABLE stats_daily ("
        " day TEXT NOT NULL, metric TEXT NOT NULL, key TEXT NOT NULL DEFAULT '',"
        " lang TEXT NOT NULL DEFAULT '', n INTEGER NOT NULL,"
        " PRIMARY KEY (day, metric, key, lang)) WITHOUT ROWID"
    )
    db.execute("ALTER TABLE tickets ADD COLUMN answered_at TEXT")
    db.execute("UPDATE tickets SET answered_at = opened_at")
