"""Staff accounts of the desk in the browser: passwords hashed with Argon2 (argon2-cffi,
its recommended parameters), a lockout after repeated failures, and sessions kept only as
a hash of their random token. Created with `lotse staff add NAME`.

A failed login counts against the account; after `MAX_FAILURES` in a row the account is
locked for `LOCKOUT` (the right password does not open it meanwhile), so guessing costs
days. Unknown names are answered like wrong passwords, after the same hashing work."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from bot.store import audit, transaction

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION = dt.timedelta(hours=12)
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # Argon2 takes any length; a bound keeps the work per request bounded
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A name or password that cannot be used (the message says why, in German)."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not (2 <= len(cleaned) <= 40) or not all(c.isalnum() or c in "._-" for c in cleaned):
        raise AccountError("Name: 2 bis 40 Zeichen, Buchstaben, Ziffern, . _ -")
    return cleaned


def add(db: Database, name: str, password: str, now: dt.datetime) -> Account:
    name = check_name(name)
    if not (MIN_PASSWORD <= len(password) <= MAX_PASSWORD):
        raise AccountError(f"Das Passwort braucht mindestens {MIN_PASSWORD} Zeichen.")
    with transaction(db):
        if db.execute("SELECT 1 FROM staff_accounts WHERE name = ?", [name]).fetchone():
            raise AccountError(f"Das Konto „{name}“ gibt es schon.")
        cursor = db.execute(
            "INSERT INTO staff_accounts (name, password_hash, created_at) VALUES (?, ?, ?)",
            [name, _hasher.hash(password), _stamp(now)],
        )
        audit.record(db, "cli", "staff_add", now, detail=name)
    return Account(int(cursor.lastrowid or 0), name)


def remove(db: Database, name: str, now: dt.datetime) -> bool:
    with transaction(db):
        cursor = db.execute("DELETE FROM staff_accounts WHERE name = ?", [name])
        if cursor.rowcount:
            audit.record(db, "cli", "staff_remove", now, detail=name)
    return bool(cursor.rowcount)


def names(db: Database) -> list[str]:
    return [str(row[0]) for row in db.execute("SELECT name FROM staff_accounts ORDER BY name")]


def login(db: Database, name: str, password: str, now: dt.datetime) -> tuple[Account, str] | None:
    """The account and a new session token, or None (wrong, unknown or locked)."""
    row = db.execute(
        "SELECT id, name, password_hash, failed_logins, locked_until FROM staff_accounts"
        " WHERE name = ?",
        [name.strip()],
    ).fetchone()
    password = password[:MAX_PASSWORD]
    if row is None:
        with contextlib.suppress(VerificationError):  # the same work as for an account:
            _hasher.verify(_DUMMY, password)  # the answer time tells nothing
        return None
    account_id, account_name, hashed, _failures, locked_until = row
    locked = locked_until is not None and dt.datetime.fromisoformat(locked_until) > now
    try:
        ok = _hasher.verify(hashed, password) and not locked
    except (VerificationError, InvalidHashError):
        ok = False
    with transaction(db):
        if not ok:
            if not locked:
                db.execute(
                    "UPDATE staff_accounts SET failed_logins = failed_logins + 1,"
                    " locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? END WHERE id = ?",
                    [MAX_FAILURES, _stamp(now + LOCKOUT), account_id],
                )
                failures = _failures + 1
                if failures >= MAX_FAILURES:
                    audit.record(db, f"desk:{account_name}", "locked", now)
                    db.execute(
                        "UPDATE staff_accounts SET failed_logins = 0 WHERE id = ?", [account_id]
                    )
            audit.record(db, f"desk:{account_name}", "login_failed", now)
            return None
        token = secrets.token_urlsafe(32)
        db.execute(
            "UPDATE staff_accounts SET failed_logins = 0, locked_until = NULL,"
            " last_login_at = ? WHERE id = ?",
            [_stamp(now), account_id],
        )
        db.execute(
            "DELETE FROM staff_sessions WHERE julianday(expires_at) < julianday(?)", [_stamp(now)]
        )
        db.execute(
            "INSERT INTO staff_sessions (token_hash, account_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            [_token_hash(token), account_id, _stamp(now), _stamp(now + SESSION)],
        )
        if _hasher.check_needs_rehash(hashed):
            db.execute(
                "UPDATE staff_accounts SET password_hash = ? WHERE id = ?",
                [_hasher.hash(password), account_id],
            )
        audit.record(db, f"desk:{account_name}", "login", now)
    return Account(int(account_id), str(account_name)), token


def session(db: Database, token: str | None, now: dt.datetime) -> Account | None:
    """The account of a session token that has not expired."""
    if not token:
        return None
    row = db.execute(
        "SELECT staff_accounts.id, name FROM staff_sessions JOIN staff_accounts"
        " ON staff_accounts.id = staff_sessions.account_id"
        " WHERE token_hash = ? AND julianday(expires_at) > julianday(?)",
        [_token_hash(token), _stamp(now)],
    ).fetchone()
    return Account(int(row[0]), str(row[1])) if row is not None else None


def logout(db: Database, token: str, now: dt.datetime) -> None:
    with transaction(db):
        account = session(db, token, now)
        db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", [_token_hash(token)])
        if account is not None:
            audit.record(db, f"desk:{account.name}", "logout", now)
