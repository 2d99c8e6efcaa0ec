"""`lotse doctor`: checks settings, knowledge and database before a start, without network.

Each check gives one line; nothing secret is printed (the token only by its bot id).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from bot.config import ConfigError, Settings, load_settings
from bot.knowledge import KnowledgeError, load_knowledge
from bot.store.migrations import migrations


@dataclass(frozen=True)
class Finding:
    ok: bool
    topic: str
    message: str

    def __str__(self) -> str:
        return f"{'ok     ' if self.ok else 'PROBLEM'}  {self.topic}: {self.message}"


def examine(environ: dict[str, str] | None = None, *, webhook: bool = False) -> list[Finding]:
    """Every finding, problems included; stops early only when settings cannot be read."""
    try:
        settings = load_settings(environ)
    except ConfigError as exc:
        return [Finding(False, "settings", str(exc))]
    env = os.environ if environ is None else environ
    source = env.get("LOTSE_CONFIG", "lotse.toml")
    where = source if Path(source).is_file() else "no settings file; defaults"
    return [
        Finding(True, "settings", f"read ({where} and the environment)"),
        *_telegram(settings, webhook=webhook),
        _knowledge(settings),
        *_appointments(settings),
        _database(settings.db),
    ]


def _telegram(settings: Settings, *, webhook: bool) -> list[Finding]:
    telegram = settings.telegram
    found = []
    if telegram.token is None:
        found.append(Finding(False, "telegram", "TELEGRAM_BOT_TOKEN is not set"))
    else:
        bot_id = telegram.token.get_secret_value().split(":")[0]
        found.append(Finding(True, "telegram", f"token of bot {bot_id} is set"))
    found.append(Finding(True, "telegram", f"Bot API at {telegram.base_url}"))
    if webhook or telegram.webhook_url:
        if not telegram.webhook_url:
            found.append(
                Finding(
                    False, "webhook", "no webhook_url (LOTSE_TELEGRAM_WEBHOOK_URL) for --webhook"
                )
            )
        else:
            secret = "from TELEGRAM_WEBHOOK_SECRET" if telegram.webhook_secret else "random"
            found.append(
                Finding(
                    True,
                    "webhook",
                    f"{telegram.webhook_url} -> {telegram.webhook_listen}:"
                    f"{telegram.webhook_port}/{telegram.webhook_path}, secret {secret}",
                )
            )
    return found


def _knowledge(settings: Settings) -> Finding:
    try:
        kb = load_knowledge(settings.knowledge)
    except KnowledgeError as exc:
        return Finding(
            False,
            "knowledge",
            f"{len(exc.problems)} problem(s) in {settings.knowledge};"
            f" run: lotse knowledge check {settings.knowledge}",
        )
    return Finding(
        True,
        "knowledge",
        f"{settings.knowledge}: {len(kb.flows)} flows, {len(kb.nodes)} nodes,"
        f" {len(kb.warnings)} warning(s)",
    )


def _appointments(settings: Settings) -> list[Finding]:
    """Booking in the chat needs real opening hours, not the bundled examples."""
    try:
        kb = load_knowledge(settings.knowledge)
    except KnowledgeError:
        return []  # reported by the knowledge check
    if kb.appointments is None:
        return [Finding(True, "appointments", "not configured: families book by phone")]
    if kb.appointments.example:
        return [
            Finding(
                False,
                "appointments",
                "appointments.yaml has EXAMPLE hours (example: true); set the KI's real hours",
            )
        ]
    findings = [Finding(True, "appointments", f"{len(kb.appointments.types)} appointment type(s)")]
    # Capacity counts per type: types with the same contact (the same counsellors) can be
    # booked at the same time up to the sum of their capacities. Say so, with the figure.
    by_contact: dict[str, list[tuple[str, int]]] = {}
    for type_id, kind in kb.appointments.types.items():
        by_contact.setdefault(kind.contact, []).append((type_id, kind.capacity))
    for contact, kinds in by_contact.items():
        if len(kinds) > 1:
            parts = " + ".join(f"{type_id} {capacity}" for type_id, capacity in kinds)
            total = sum(capacity for _type, capacity in kinds)
            findings.append(
                Finding(
                    True,
                    "appointments",
                    f"capacity counts per type: {parts} = up to {total} appointments at the same"
                    f" time with {contact}; make sure that many counsellors are there",
                )
            )
    return findings


def _database(path: Path) -> Finding:
    """Read-only: a missing file is created at the first start, if its folder allows."""
    if not path.exists():
        folder = path.parent if str(path.parent) else Path(".")
        existing = next((p for p in [folder, *folder.parents] if p.exists()), Path("."))
        if os.access(existing, os.W_OK):
            return Finding(True, "database", f"{path} will be created at the first start")
        return Finding(False, "database", f"{path} cannot be created: {existing} is read-only")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            db = Database(conn)
            pending = len(migrations.pending(db))
            tables = set(db.table_names())
            waiting = (
                conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
                if "outbox" in tables
                else 0
            )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Finding(False, "database", f"{path}: {exc}")
    if check != "ok":
        return Finding(False, "database", f"{path}: integrity check says {check}")
    if not os.access(path, os.W_OK):
        return Finding(False, "database", f"{path} is not writable")
    return Finding(
        True,
        "database",
        f"{path}: {pending} migration(s) to apply at start; replies waiting to be sent: {waiting}",
    )
