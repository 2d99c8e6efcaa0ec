"""The anonymous statistics: a scripted month of conversations on the real knowledge and a
real SQLite file gives exactly the expected counters; they stay after /delete and
retention and name no family; the report (CSV, JSON, HTML) shows the same numbers, small
ones as "< 5"; `lotse report stats` and `/desk/stats` give it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from bot.cli import cli
from bot.clock import BERLIN
from bot.config import PrivacySettings, StaffSettings
from bot.knowledge import KnowledgeBase
from bot.services import statistics, statistics_html
from bot.services.conversation import Conversations
from bot.services.handoff import CONSENT_YES, Handoff
from bot.services.mediation import decide
from bot.services.staff import StaffDesk
from bot.store import open_db, stats, transaction
from bot.store.conversations import find_family
from bot.types import ButtonPress, Chat, Command, Start, TextInput
from tests import web_app
from tests.test_booking import book, press_label
from tests.test_web import desk_login

MEDIATION_CHAT = -900
STAFF = "desk:anna"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BERLIN)

    def __call__(self) -> dt.datetime:
        return self.now

    def day(self, day: int, hour: int = 9, minute: int = 0) -> None:
        self.now = dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)

    def later(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)


def month(path: Path, kb: KnowledgeBase) -> tuple[Conversations, StaffDesk, Clock]:
    """November 2026 as the counters should see it (expected in EXPECTED)."""
    clock = Clock()
    db = open_db(path)
    handoff = Handoff(db, StaffSettings(answer_hours=24, mediation_chat_id=MEDIATION_CHAT))
    lotse = Conversations(db, lambda: kb, clock=clock, handoff=handoff)
    desk = StaffDesk(handoff, "desk")

    # 2 Nov: six Arabic families on Telegram ask about school for a 9-year-old.
    for n in range(6):
        who = f"ar{n}"
        lotse.handle("telegram", who, Start("ar"))
        lotse.handle("telegram", who, ButtonPress("seiteneinstieg"))
        lotse.handle("telegram", who, ButtonPress("se_age"))
        lotse.handle("telegram", who, TextInput("9"))  # understood: the answer se_school
    # 3 Nov: two Ukrainian families in the web chat read about the Integrationskurs.
    clock.day(3)
    for n in range(2):
        who = f"web-uk{n}"
        lotse.handle("web", who, Start("uk"))
        lotse.handle("web", who, ButtonPress("sprachkurs"))
        lotse.handle("web", who, ButtonPress("sk_what"))
    # 4 Nov: a German family types what Lotse cannot place, then a wrong age.
    clock.day(4)
    lotse.handle("telegram", "de0", Start("de"))
    lotse.handle("telegram", "de0", TextInput("xqzv blorp"))  # unanswered
    lotse.handle("telegram", "de0", ButtonPress("seiteneinstieg"))
    lotse.handle("telegram", "de0", ButtonPress("se_age"))
    lotse.handle("telegram", "de0", TextInput("weiß nicht genau"))  # the hint: asked back

    # 9 Nov: five families ask for a person; staff answer after 10, 20, 30, 40 and 600 min.
    clock.day(9)
    waits = (10, 20, 30, 40, 600)
    for n in range(5):
        who = f"human{n}"
        lotse.handle("telegram", who, Start("de"))
        lotse.handle("telegram", who, Command("human"))
        lotse.handle("telegram", who, ButtonPress(CONSENT_YES))
    for n, wait in enumerate(waits):
        family = find_family(db, "telegram", f"human{n}")
        assert family is not None
        clock.day(9, 9, wait) if wait < 60 else clock.day(9, 19)
        desk.message(kb, STAFF, None, None, None, "Guten Tag!", clock.now, family=family)
        desk.message(kb, STAFF, None, None, None, "Noch etwas.", clock.now, family=family)
    # Staff ask for a Tigrinya mediator for one of them; the coordination chat declines.
    clock.day(10)
    first = find_family(db, "telegram", "human0")
    assert first is not None
    order = "/interpreter ti; 25.11. 10:00; KI; 60 Min.; Schule"
    desk.message(kb, STAFF, None, None, None, order, clock.now, family=first)
    with transaction(db):
        decide(db, kb, MEDIATION_CHAT, "med:dec:1", Chat("telegram", "55"), "Mo", clock.now)

    # 22 Nov (a Sunday): three bookings; one is moved, one cancelled; one is a no-show.
    clock.day(22, 10)
    for who, time in (("b0", "10:00"), ("b1", "11:00"), ("b2", "13:00")):
        assert "gebucht" in book(lotse, who, "Montag, 23. November 2026", time)[0].text
    shown = lotse.handle("telegram", "b1", ButtonPress("bk:list"))
    shown = press_label(lotse, "b1", shown, "Montag, 23. November 2026, 11:00")
    shown = press_label(lotse, "b1", shown, "🕑 Verschieben")
    shown = press_label(lotse, "b1", shown, "Mittwoch, 25. November 2026")
    shown = press_label(lotse, "b1", shown, "11:00")
    press_label(lotse, "b1", shown, "✅ Verbindlich buchen")
    shown = lotse.handle("telegram", "b2", ButtonPress("bk:cancel:3"))
    assert "abgesagt" in press_label(lotse, "b2", shown, "Ja, absagen")[0].text
    clock.day(23, 12)
    b0 = find_family(db, "telegram", "b0")
    assert b0 is not None
    desk.message(kb, STAFF, None, None, None, "/noshow 1", clock.now, family=b0)
    return lotse, desk, clock


def totals(db_path: Path) -> dict[tuple[str, str, str], int]:
    db = open_db(db_path)
    rows = db.execute("SELECT metric, key, lang, SUM(n) FROM stats_daily GROUP BY 1, 2, 3")
    found = {(metric, key, lang): int(n) for metric, key, lang, n in rows.fetchall()}
    db.close()
    return found


EXPECTED = {
    ("conversation", "telegram", "ar"): 6,
    ("conversation", "web", "uk"): 2,
    ("conversation", "telegram", "de"): 9,  # de0, human0-4, b0-2
    ("journey", "seiteneinstieg", "ar"): 6,
    ("journey", "seiteneinstieg", "de"): 1,
    ("journey", "sprachkurs", "uk"): 2,
    ("answer", "se_school", "ar"): 6,
    ("answer", "sk_what", "uk"): 2,
    ("text", "understood", "ar"): 6,
    ("text", "unanswered", "de"): 1,
    ("text", "asked_back", "de"): 1,
    ("handoff", "main", "de"): 5,
    ("first_answer", "10", "de"): 1,
    ("first_answer", "20", "de"): 1,
    ("first_answer", "30", "de"): 1,
    ("first_answer", "40", "de"): 1,
    ("first_answer", "600", "de"): 1,
    ("mediation.requested", "ti", ""): 1,
    ("mediation.declined", "ti", ""): 1,
    ("booking.made", "se_on_site", "de"): 3,
    ("booking.moved", "se_on_site", "de"): 1,
    ("booking.cancelled", "se_on_site", "de"): 1,
    ("booking.no_show", "se_on_site", "de"): 1,
}


def test_a_scripted_month_gives_exactly_the_expected_counts(
    tmp_path: Path, translated: KnowledgeBase
) -> None:
    path = tmp_path / "lotse.db"
    month(path, translated)
    assert totals(path) == EXPECTED
    db = open_db(path)
    days = {row[0] for row in db.execute("SELECT DISTINCT day FROM stats_daily").fetchall()}
    assert days == {"2026-11-02", "2026-11-03", "2026-11-04", "2026-11-09", "2026-11-10",
                    "2026-11-22", "2026-11-23"}  # fmt: skip


def test_a_redelivered_update_and_a_rolled_back_event_count_nothing(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    path = tmp_path / "lotse.db"
    clock = Clock()
    lotse = Conversations(open_db(path), lambda: kb, clock=clock)
    lotse.handle("telegram", "1", Start("de"), update_id=1)
    lotse.handle("telegram", "1", ButtonPress("seiteneinstieg"), update_id=2)
    lotse.handle("telegram", "1", ButtonPress("seiteneinstieg"), update_id=2)  # again
    lotse.handle("telegram", "1", TextInput("xqzv"), update_id=3)
    before = totals(path)
    assert before[("journey", "seiteneinstieg", "de")] == 1
    assert before[("conversation", "telegram", "de")] == 1

    def broken(*_args: object) -> None:
        raise RuntimeError("the disk is full")

    lotse.flows.owners["unanswered"].effect = broken  # type: ignore[method-assign, assignment]
    with pytest.raises(RuntimeError):  # "unanswered" fails after the engine counted
        lotse.handle("telegram", "1", TextInput("xqzv"), update_id=4)
    assert totals(path) == before


def test_counts_stay_after_delete_and_retention_and_name_nobody(
    tmp_path: Path, translated: KnowledgeBase
) -> None:
    path = tmp_path / "lotse.db"
    lotse, desk, clock = month(path, translated)
    db = lotse.db
    clock.day(30)
    for n in range(5):  # staff close the tickets (a family with an open one is kept)
        family = find_family(db, "telegram", f"human{n}")
        desk.message(translated, STAFF, None, None, None, "/close", clock.now, family=family)
    ids = {str(row[0]) for row in db.execute("SELECT id FROM families").fetchall()}
    chats = {str(row[0]) for row in db.execute("SELECT external_id FROM families").fetchall()}
    for who in ("ar0", "web-uk0", "b1"):
        channel = "web" if who.startswith("web") else "telegram"
        shown = lotse.handle(channel, who, Command("delete"))
        yes = next(b for b in shown[-1].buttons if b.id.endswith("yes"))
        lotse.handle(channel, who, ButtonPress(yes.id))
        assert find_family(db, channel, who) is None
    clock.now = dt.datetime(2027, 6, 1, 9, 0, tzinfo=BERLIN)  # long after everything
    Conversations(db, lambda: translated, clock=clock, retention=PrivacySettings()).purge_due()
    assert db.execute("SELECT COUNT(*) FROM families").fetchone()[0] == 0
    assert totals(path) == EXPECTED  # b1's booking was in the past: /delete cancels none
    columns = [row[1] for row in db.execute("PRAGMA table_info(stats_daily)").fetchall()]
    assert columns == ["day", "metric", "key", "lang", "n"]
    for day, metric, key, lang, _n in db.execute("SELECT * FROM stats_daily").fetchall():
        assert len(day) == 10  # a day, no time
        assert not {key, lang, metric} & (chats | ids - {"10", "20", "30", "40"})
    foreign = db.execute("PRAGMA foreign_key_list(stats_daily)").fetchall()
    assert foreign == []  # nothing links a counter to a family


def test_a_typed_mediator_language_is_counted_as_other(tmp_path: Path, kb: KnowledgeBase) -> None:
    assert stats.language_key("Tigrinya") == stats.OTHER
    assert stats.language_key(" TI ") == "ti"
    assert stats.language_key("prs") == "prs"  # Dari: an alias Lotse knows


# --- the report --------------------------------------------------------------------------


@pytest.fixture
def report(tmp_path: Path, translated: KnowledgeBase) -> statistics.Report:
    path = tmp_path / "lotse.db"
    month(path, translated)
    db = open_db(path)
    return statistics.build(
        db, translated, dt.date(2026, 11, 1), dt.date(2026, 11, 30), dt.date(2026, 12, 6)
    )


def rows(report: statistics.Report, key: str) -> dict[str, list[statistics.Shown]]:
    return dict(report.table(key).shown_rows())


def test_the_report_sums_the_period_and_hides_small_counts(report: statistics.Report) -> None:
    assert rows(report, "conversations_by_language") == {
        "Deutsch": [9],
        "Arabisch": [6],
        "Ukrainisch": ["< 5"],
    }
    assert rows(report, "journeys") == {
        "Schule für mein Kind": [7],
        "Deutschkurs für mich": ["< 5"],
    }
    assert rows(report, "texts") == {
        "verstanden": [6],
        "nachgefragt": ["< 5"],
        "nicht verstanden": ["< 5"],
    }
    assert rows(report, "bookings") == {
        "Seiteneinstiegsberatung im KI": ["< 5", "< 5", "< 5", "< 5"]
    }
    assert rows(report, "handoffs") == {"Hauptmenü": [5]}
    assert rows(report, "mediation") == {"Tigrinya": ["< 5", 0, "< 5"]}
    answers = rows(report, "answers")
    assert answers["Schule für mein Kind: Ihr Kind muss zur Schule. Das heißt Sch…"] == [6]
    over_time = rows(report, "conversations_over_time")
    assert len(over_time) == 30  # a row for every day, the quiet ones too
    assert over_time["02.11."] == [6, 0, 6] and over_time["09.11."] == [5, 0, 5]
    assert over_time["22.11."] == ["< 5", 0, "< 5"]
    assert report.waiting == statistics.Waiting(answers=5, median=30, p90=600)


def test_a_longer_period_is_shown_by_weeks_and_months(
    tmp_path: Path, translated: KnowledgeBase
) -> None:
    path = tmp_path / "lotse.db"
    month(path, translated)
    db = open_db(path)
    weeks = statistics.build(
        db, translated, dt.date(2026, 10, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)
    )
    table = weeks.table("conversations_over_time")
    assert table.label == "Woche ab"
    assert dict(table.shown_rows())["09.11."] == [5, 0, 5]
    year = statistics.build(
        db, translated, dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)
    )
    by_month = dict(year.table("conversations_over_time").shown_rows())
    assert len(by_month) == 12 and by_month["11/2026"] == [15, "< 5", 17]


def test_csv_json_and_html_show_the_same_numbers(report: statistics.Report) -> None:
    text = statistics_html.document(report, "csv")
    assert text.startswith("\ufeff")
    lines = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    data = json.loads(statistics_html.document(report, "json"))
    page = statistics_html.document(report, "html")
    for table, section in zip(report.tables, data["abschnitte"], strict=True):
        assert section["titel"] == table.title
        for (name, values), row in zip(table.shown_rows(), section["zeilen"], strict=True):
            assert row == {"name": name, "werte": values}
            for column, value in zip(table.columns, values, strict=True):
                found = [
                    line["Wert"]
                    for line in lines
                    if (line["Abschnitt"], line["Zeile"], line["Spalte"])
                    == (table.title, name, column)
                ]
                assert found == [str(value)]
        assert table.title in page
    assert data["wartezeit"] == {
        "titel": statistics.WAITING_TITLE,
        "erste_antworten": 5,
        "median_minuten": 30,
        "p90_minuten": 600,
    }
    assert "&lt; 5" in page and "30 Min." in page and "10 Std. 0 Min." in page
    assert page.count('src="data:image/svg+xml;base64,') == 8  # all but the per-language table
    assert "http://" not in page and "https://" not in page  # nothing from the network


def test_the_waiting_time_needs_five_answers(tmp_path: Path, kb: KnowledgeBase) -> None:
    db = open_db(tmp_path / "lotse.db")
    now = dt.datetime(2026, 11, 2, 9, tzinfo=BERLIN)
    for minutes in (5, 7, 9, 11):
        stats.count(db, now, stats.FIRST_ANSWER, str(minutes), "de")
    day = now.date()
    made = statistics.build(db, kb, day, day, day)
    assert made.waiting == statistics.Waiting(4, None, None)
    assert "–" in statistics_html.render(made)
    with pytest.raises(ValueError, match="vor seinem Beginn"):
        statistics.build(db, kb, day, day - dt.timedelta(days=1), day)


def test_lotse_report_stats_writes_the_files(
    tmp_path: Path, translated: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lotse.db"
    month(path, translated)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    out = tmp_path / "report.html"
    done = runner.invoke(
        cli,
        ["report", "stats", "--db", str(path), "--from", "01.11.2026", "--to", "2026-11-30",
         "-o", str(out)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "01.11.2026 bis 30.11.2026" in out.read_text(encoding="utf-8")
    done = runner.invoke(cli, ["report", "stats", "--db", str(path), "--format", "json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["zeitraum"]["von"] == "2026-11-02"  # from the first counted day
    done = runner.invoke(cli, ["report", "stats", "--db", str(path), "--from", "gestern"])
    assert done.exit_code != 0 and "kein Datum" in done.output


def test_the_desk_shows_the_report_to_staff_only(
    tmp_path: Path, translated: KnowledgeBase
) -> None:
    path = tmp_path / "lotse.db"
    month(path, translated)
    app = web_app.build(path, translated, lambda: dt.datetime(2026, 12, 6, 9, tzinfo=BERLIN))
    with TestClient(app) as client:
        page = client.get("/desk/stats", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/desk/login"
        assert client.get("/desk/stats?format=csv", follow_redirects=False).status_code == 303
        assert desk_login(client).status_code == 303
        page = client.get("/desk/stats?from=2026-11-01&to=2026-11-30")
        assert page.status_code == 200
        assert "01.11.2026 bis 30.11.2026" in page.text and "<style>" not in page.text
        assert client.get("/desk/stats.css").headers["content-type"].startswith("text/css")
        made = client.get("/desk/stats?from=2026-11-01&to=2026-11-30&format=csv")
        assert made.headers["content-disposition"].endswith(
            'filename="lotse-statistik-2026-11-01-bis-2026-11-30.csv"'
        )
        kb_report = statistics.build(
            open_db(path), translated, dt.date(2026, 11, 1), dt.date(2026, 11, 30),
            dt.date(2026, 12, 6),
        )  # fmt: skip
        assert made.text == statistics_html.document(kb_report, "csv")
        wrong = client.get("/desk/stats?from=2026-11-30&to=2026-11-01")
        assert wrong.status_code == 400 and "vor seinem Beginn" in wrong.text
        assert client.get("/desk/stats?format=exe").status_code == 400
