"""The statistics report: the anonymous daily counters (bot/store/stats.py) of a period,
summed into tables a KI can give the Integrationsrat, as CSV and JSON for the office
(`lotse report stats`) and as HTML with charts (bot/services/statistics_html.py, also
at `/desk/stats`). All three show the same numbers, because all are made from one
`Report`.

Small numbers: every count from 1 to 4 is shown as "< 5" (a rare language on one day
must not point to a family). Totals are summed from the exact counts and then shown by
the same rule. The waiting time until staff's first answer (median, 90th percentile,
nearest rank over the period's whole minutes) is shown only from 5 answers on.

Texts are German: the report is for the KI and its committees.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from babel import Locale
from sqlite_utils import Database

from bot.engine.dialogue import node_label
from bot.knowledge import KnowledgeBase
from bot.store import stats
from bot.store.stats import Counter

SMALL = 5  # counts below this are shown as "< 5"
HIDDEN = f"< {SMALL}"
Shown = int | str  # a count as shown: the number, or HIDDEN
CHANNELS = {"telegram": "Telegram", "web": "Web-Chat", "console": "Terminal"}
TEXT_NAMES = {
    stats.UNDERSTOOD: "verstanden",
    stats.ASKED_BACK: "nachgefragt",
    stats.UNANSWERED: "nicht verstanden",
}
BOOKING_NAMES = {
    "made": "gebucht",
    "moved": "verschoben",
    "cancelled": "abgesagt",
    "no_show": "nicht erschienen",
}
MEDIATION_NAMES = {"requested": "angefragt", "accepted": "angenommen", "declined": "abgelehnt"}
_GERMAN = Locale("de")


def shown(n: int) -> Shown:
    """A count as a report shows it: 1 to 4 become "< 5"."""
    return HIDDEN if 0 < n < SMALL else n


@dataclass(frozen=True)
class Table:
    """One section of the report: rows of counts under named columns."""

    key: str  # a stable name for CSV/JSON and tests
    title: str
    label: str  # what a row is (the first column's heading)
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[int, ...]], ...]  # (row name, exact counts)
    chart: str | None = None  # "bars" (one column), "grouped", "line" (over time), None
    note: str = ""

    def shown_rows(self) -> list[tuple[str, list[Shown]]]:
        return [(name, [shown(n) for n in values]) for name, values in self.rows]


@dataclass(frozen=True)
class Waiting:
    """Minutes until staff's first answer to a family's ticket, over the period."""

    answers: int
    median: int | None  # None: fewer than SMALL answers
    p90: int | None


@dataclass(frozen=True)
class Report:
    organisation: str
    start: dt.date
    end: dt.date
    made: dt.date
    tables: tuple[Table, ...]
    waiting: Waiting

    def table(self, key: str) -> Table:
        return next(table for table in self.tables if table.key == key)

    @property
    def period(self) -> str:
        return f"{self.start:%d.%m.%Y} bis {self.end:%d.%m.%Y}"


def default_period(db: Database, today: dt.date) -> tuple[dt.date, dt.date]:
    """Without --from/--to: everything counted so far, up to today."""
    first = stats.first_day(db) or today
    return min(first, today), today


def build(db: Database, kb: KnowledgeBase, start: dt.date, end: dt.date, today: dt.date) -> Report:
    """The report of the days `start` to `end` (both included)."""
    if end < start:
        raise ValueError(
            f"Der Zeitraum endet ({end:%d.%m.%Y}) vor seinem Beginn ({start:%d.%m.%Y})."
        )
    found = stats.counters(db, start, end)
    return Report(
        organisation=kb.organisation.name,
        start=start,
        end=end,
        made=today,
        tables=(
            _over_time(found, start, end),
            _conversations_by_language(found),
            _journeys(found, kb),
            _answers(found, kb),
            _texts(found),
            _bookings(found, kb),
            _handoffs(found, kb),
            _mediation(found),
            _by_language(found),
        ),
        waiting=_waiting(found),
    )


# --- the sections ------------------------------------------------------------------------


def _sums(found: Iterable[Counter], metric: str, by: Callable[[Counter], str]) -> Tally[str]:
    sums: Tally[str] = Tally()
    for counter in found:
        if counter.metric == metric:
            sums[by(counter)] += counter.n
    return sums


def _largest_first(
    sums: Tally[str], name: Callable[[str], str]
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    ordered = sorted(sums.items(), key=lambda item: (-item[1], name(item[0])))
    return tuple((name(key), (n,)) for key, n in ordered if n)


def language_name(code: str) -> str:
    """'ar' -> 'Arabisch'; the family's language or a mediator language, in German."""
    if not code:
        return "unbekannt"
    if code == stats.OTHER:
        return "andere (getippt)"
    return _GERMAN.languages.get(code) or code


def _buckets(start: dt.date, end: dt.date) -> tuple[str, Callable[[dt.date], dt.date], str]:
    """How a period is cut for the chart over time: days, weeks or months."""
    days = (end - start).days + 1
    if days <= 31:
        return "Tag", lambda day: day, "%d.%m."
    if days <= 190:
        return "Woche ab", lambda day: day - dt.timedelta(days=day.weekday()), "%d.%m."
    return "Monat", lambda day: day.replace(day=1), "%m/%Y"


def _over_time(found: Sequence[Counter], start: dt.date, end: dt.date) -> Table:
    label, bucket, form = _buckets(start, end)
    channels = sorted({c.key for c in found if c.metric == stats.CONVERSATION})
    counts: dict[dt.date, Tally[str]] = {}
    day = start
    while day <= end:
        counts.setdefault(bucket(day), Tally())
        day += dt.timedelta(days=1)
    for counter in found:
        if counter.metric == stats.CONVERSATION:
            counts[bucket(counter.day)][counter.key] += counter.n
    rows = tuple(
        (
            f"{when:{form}}",
            (*(sums[channel] for channel in channels), sum(sums.values())),
        )
        for when, sums in sorted(counts.items())
    )
    return Table(
        "conversations_over_time",
        "Neue Gespräche im Zeitraum",
        label,
        (*(CHANNELS.get(channel, channel) for channel in channels), "zusammen"),
        rows,
        chart="line",
        note="Ein neues Gespräch: ein Chat, den Lotse noch nicht kannte, schreibt zum ersten "
        "Mal (nach einer Löschung wieder neu).",
    )


def _conversations_by_language(found: Sequence[Counter]) -> Table:
    sums = _sums(found, stats.CONVERSATION, lambda c: c.lang)
    return Table(
        "conversations_by_language",
        "Neue Gespräche nach Sprache",
        "Sprache",
        ("Gespräche",),
        _largest_first(sums, language_name),
        chart="bars",
        note="Die Sprache, in der die Familie am Ende ihrer ersten Nachricht liest.",
    )


def _flow_name(kb: KnowledgeBase) -> Callable[[str], str]:
    return lambda flow: kb.flows[flow].title if flow in kb.flows else flow


def _journeys(found: Sequence[Counter], kb: KnowledgeBase) -> Table:
    sums = _sums(found, stats.JOURNEY, lambda c: c.key)
    return Table(
        "journeys",
        "Themen: wie oft ein Weg begonnen wurde",
        "Weg",
        ("begonnen",),
        _largest_first(sums, _flow_name(kb)),
        chart="bars",
    )


def _answers(found: Sequence[Counter], kb: KnowledgeBase) -> Table:
    sums = _sums(found, stats.ANSWER, lambda c: c.key)
    flow = _flow_name(kb)

    def name(node: str) -> str:
        if node not in kb.nodes:  # removed from the knowledge since
            return f"{node} (nicht mehr im Wissen)"
        return f"{flow(kb.node_flow.get(node, ''))}: {node_label(kb, node)}"

    return Table(
        "answers",
        "Gezeigte Antworten",
        "Antwort (Weg: Schritt)",
        ("gezeigt",),
        _largest_first(sums, name),
        chart="bars",
        note="Wie oft eine Antwort gezeigt wurde, auch mehrmals im selben Gespräch.",
    )


def _texts(found: Sequence[Counter]) -> Table:
    sums = _sums(found, stats.TEXT, lambda c: c.key)
    return Table(
        "texts",
        "Getippte Nachrichten an Lotse",
        "Ergebnis",
        ("Nachrichten",),
        tuple((TEXT_NAMES[key], (sums[key],)) for key in stats.TEXT_OUTCOMES),
        chart="bars",
        note="Verstanden: eine Antwort auf die Frage, ein Knopf oder ein Thema erkannt. "
        "Nachgefragt: „Meinten Sie …?“ oder die Frage noch einmal mit Hinweis. Nicht "
        "verstanden: Lotse bot die Knöpfe an. Nachrichten an Mitarbeitende zählen nicht.",
    )


def _outcomes(
    found: Sequence[Counter], metric: str, outcomes: Sequence[str], name: Callable[[str], str]
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Rows of "metric.outcome" counters: per key (sorted by name), a count per outcome."""
    keys: dict[str, Tally[str]] = {}
    for counter in found:
        prefix, _sep, outcome = counter.metric.partition(".")
        if prefix == metric and outcome in outcomes:
            keys.setdefault(counter.key, Tally())[outcome] += counter.n
    rows = [(name(key), tuple(sums[o] for o in outcomes)) for key, sums in keys.items()]
    return tuple(sorted(rows))


def _bookings(found: Sequence[Counter], kb: KnowledgeBase) -> Table:
    types = kb.appointments.types if kb.appointments is not None else {}

    def name(kind: str) -> str:
        return kb.fill(str(types[kind].name)) if kind in types else kind

    return Table(
        "bookings",
        "Beratungstermine nach Art",
        "Terminart",
        tuple(BOOKING_NAMES[outcome] for outcome in stats.BOOKING_OUTCOMES),
        _outcomes(found, stats.BOOKING, stats.BOOKING_OUTCOMES, name),
        chart="grouped",
        note="Abgesagt: von der Familie, vom KI oder weil die Familie ihre Daten gelöscht hat.",
    )


def _handoffs(found: Sequence[Counter], kb: KnowledgeBase) -> Table:
    sums = _sums(found, stats.HANDOFF, lambda c: c.key)
    return Table(
        "handoffs",
        "Gespräche mit dem KI-Team (Übergaben)",
        "aus dem Weg",
        ("Übergaben",),
        _largest_first(sums, _flow_name(kb)),
        chart="bars",
        note="Eine Familie bat im Chat um eine Person, und ein Ticket wurde geöffnet.",
    )


def _mediation(found: Sequence[Counter]) -> Table:
    return Table(
        "mediation",
        "Anfragen zur Sprachmittlung nach Sprache",
        "Sprache",
        tuple(MEDIATION_NAMES[outcome] for outcome in stats.MEDIATION_OUTCOMES),
        _outcomes(found, stats.MEDIATION, stats.MEDIATION_OUTCOMES, language_name),
        chart="grouped",
        note="Aus Terminbuchungen und von Mitarbeitenden (/interpreter); angenommen oder "
        "abgelehnt im Koordinations-Chat.",
    )


def _by_language(found: Sequence[Counter]) -> Table:
    columns = {
        stats.CONVERSATION: "neue Gespräche",
        stats.ANSWER: "Antworten gezeigt",
        stats.TEXT: "Nachrichten getippt",
        f"{stats.BOOKING}.made": "Termine gebucht",
        stats.HANDOFF: "Übergaben",
    }
    order = list(columns)
    langs: dict[str, list[int]] = {}
    for counter in found:
        if counter.lang and counter.metric in columns:
            langs.setdefault(counter.lang, [0] * len(order))[order.index(counter.metric)] += (
                counter.n
            )
    rows = tuple(
        (language_name(lang), tuple(values))
        for lang, values in sorted(langs.items(), key=lambda item: (-item[1][0], item[0]))
    )
    return Table(
        "by_language",
        "Alles nach Sprache der Familie",
        "Sprache",
        tuple(columns.values()),
        rows,
    )


def _waiting(found: Sequence[Counter]) -> Waiting:
    minutes = sorted(
        (int(c.key), c.n) for c in found if c.metric == stats.FIRST_ANSWER and c.key.isdigit()
    )
    answers = sum(n for _minute, n in minutes)
    if answers < SMALL:
        return Waiting(answers, None, None)
    return Waiting(answers, _rank(minutes, answers, 0.5), _rank(minutes, answers, 0.9))


def _rank(minutes: Sequence[tuple[int, int]], total: int, share: float) -> int:
    """The nearest-rank percentile of a histogram of (minutes, how many)."""
    wanted = max(1, math.ceil(share * total))
    seen = 0
    for minute, n in minutes:
        seen += n
        if seen >= wanted:
            return minute
    return minutes[-1][0]  # pragma: no cover - seen reaches total


def duration(minutes: int | None) -> str:
    """'95' -> '1 Std. 35 Min.'; None -> '–'."""
    if minutes is None:
        return "–"
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours / 24:.1f} Tage".replace(".", ",")
    return f"{hours} Std. {rest} Min." if hours else f"{rest} Min."


# --- CSV and JSON ------------------------------------------------------------------------


def _waiting_rows(report: Report) -> list[tuple[str, Shown | str]]:
    waiting = report.waiting
    return [
        ("erste Antworten", shown(waiting.answers)),
        ("Median (Minuten)", waiting.median if waiting.median is not None else "–"),
        ("90. Perzentil (Minuten)", waiting.p90 if waiting.p90 is not None else "–"),
    ]


WAITING_TITLE = "Wartezeit bis zur ersten Antwort des KI-Teams"


def to_csv(report: Report) -> str:
    """One row per number: section, row, column, value (semicolons, as German office
    programs expect; the value as in the HTML report, "< 5" included)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Zeitraum", "Abschnitt", "Zeile", "Spalte", "Wert"])
    period = f"{report.start.isoformat()}/{report.end.isoformat()}"
    for table in report.tables:
        for name, values in table.shown_rows():
            for column, value in zip(table.columns, values, strict=True):
                writer.writerow([period, table.title, name, column, value])
    for name, value in _waiting_rows(report):
        writer.writerow([period, WAITING_TITLE, name, "", value])
    return out.getvalue()


def to_json(report: Report) -> str:
    data = {
        "organisation": report.organisation,
        "zeitraum": {"von": report.start.isoformat(), "bis": report.end.isoformat()},
        "erstellt": report.made.isoformat(),
        "hinweis": f"Zahlen von 1 bis 4 stehen als „{HIDDEN}“.",
        "abschnitte": [
            {
                "schluessel": table.key,
                "titel": table.title,
                "zeile": table.label,
                "spalten": list(table.columns),
                "zeilen": [{"name": name, "werte": values} for name, values in table.shown_rows()],
            }
            for table in report.tables
        ],
        "wartezeit": {
            "titel": WAITING_TITLE,
            "erste_antworten": shown(report.waiting.answers),
            "median_minuten": report.waiting.median,
            "p90_minuten": report.waiting.p90,
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def parse_day(text: str) -> dt.date:
    """A day as typed: 2026-11-30 or 30.11.2026."""
    text = text.strip()
    for form in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError(f"kein Datum: {text!r} (so: 2026-11-30 oder 30.11.2026)")
