"""Questions Lotse could not place, kept for editors, and each family's answer on keeping
them (families.keep_questions: NULL not asked, 0 no, 1 yes).

Only scrubbed texts arrive here (bot/services/scrub.py); rows go with their family.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True)
class Question:
    id: int
    family_id: int
    text: str
    lang: str
    node: str | None
    created_at: str


def keep_questions(db: Database, family: int) -> bool | None:
    """The family's answer: None while it was never given."""
    row = db.execute("SELECT keep_questions FROM families WHERE id = ?", [family]).fetchone()
    return None if row is None or row[0] is None else bool(row[0])


def set_keep_questions(db: Database, family: int, keep: bool) -> None:
    db.execute("UPDATE families SET keep_questions = ? WHERE id = ?", [int(keep), family])


def add(
    db: Database, family: int, text: str, lang: str, node: str | None, now: dt.datetime
) -> int:
    cursor = db.execute(
        "INSERT INTO unanswered (family_id, text, lang, node, created_at) VALUES (?, ?, ?, ?, ?)",
        [family, text, lang, node, now.isoformat(timespec="seconds")],
    )
    return int(cursor.lastrowid or 0)


def delete_for(db: Database, family: int) -> int:
    """Removes the family's kept questions (it said no); how many there were."""
    return db.execute("DELETE FROM unanswered WHERE family_id = ?", [family]).rowcount


def questions(
    db: Database, *, since: dt.datetime | None = None, family: int | None = None
) -> list[Question]:
    """Kept questions, oldest first: all, those created at or after `since`, or those of
    one family."""
    sql = "SELECT id, family_id, text, lang, node, created_at FROM unanswered WHERE 1 = 1"
    params: list[object] = []
    if since is not None:
        sql += " AND created_at >= ?"
        params.append(since.isoformat(timespec="seconds"))
    if family is not None:
        sql += " AND family_id = ?"
        params.append(family)
    rows = db.execute(sql + " ORDER BY created_at, id", params).fetchall()
    return [Question(int(r[0]), int(r[1]), str(r[2]), str(r[3]), r[4], str(r[5])) for r in rows]
