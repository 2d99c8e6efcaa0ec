"""`make bench`: Lotse's speed and memory, printed as one table and written to
bench/results.json. Not part of `make test`: figures, never pass/fail.

- engine: one event through the conversation service (state load, engine, state save in
  one SQLite transaction on disk), over scripted journeys through the real knowledge;
- matcher: free-text understanding over the evaluation set bench/intents/*.jsonl and the
  held-out set bench/intents/heldout/*.jsonl (never tuned on);
- e2e: families against the fake Bot API on loopback with the real python-telegram-bot,
  and a minimal python-telegram-bot echo bot on the same fake server in the same run; the
  ratio is Lotse's time per update divided by the echo bot's (Telegram's own rate limit is
  switched off in both: it is not Lotse's cost);
- start-up: import, knowledge and the twelve catalogs, in a fresh interpreter;
- memory: peak RSS of a process serving a database with 10,000 stored families, with the
  keyword index of every language built.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler  # noqa: E402
from telegram.ext import filters as tg_filters  # noqa: E402

from bot.channels.telegram import CHANNEL, build_application, running  # noqa: E402
from bot.clock import BERLIN  # noqa: E402
from bot.config import BUNDLED_KNOWLEDGE, BUNDLED_TRANSLATIONS, TelegramSettings  # noqa: E402
from bot.engine import ButtonPress, Command, Event, Start, TextInput  # noqa: E402
from bot.engine.understanding import understand  # noqa: E402
from bot.knowledge import KnowledgeBase, load_knowledge  # noqa: E402
from bot.services.conversation import Conversations  # noqa: E402
from bot.services.evaluation import (  # noqa: E402
    SITUATION_SETS,
    evaluate,
    load_cases,
)
from bot.services.outbox import Outbox  # noqa: E402
from bot.store import Checkpointer, open_db  # noqa: E402
from tests.fake_bot_api import TOKEN, FakeBotAPI  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)

# A family's way through the tree, as events (button ids are the knowledge's own).
JOURNEY: list[Event] = [
    Start(),
    ButtonPress("seiteneinstieg"),
    ButtonPress("se_age"),
    TextInput("9"),
    ButtonPress("se_documents"),
    Command("back"),
    ButtonPress("se_counselling"),
    Command("menu"),
    ButtonPress("sprachkurs"),
    ButtonPress("sk_status"),
    ButtonPress("sk_ukraine"),
    Command("menu"),
    ButtonPress("sprachmittlung"),
    ButtonPress("sm_institution"),
    TextInput("zurück"),
    Command("menu"),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_engine(kb: KnowledgeBase, families: int = 150, *, real: bool = True) -> dict[str, float]:
    """`real`: the path of `lotse run` per update: the update id recorded and the replies
    queued in the outbox in the event's transaction, then each reply deleted from the
    outbox once "sent", with the WAL checkpoint in its own thread (bot/store/db.py).
    Otherwise the conversation alone (state, flows, engine, state saved)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.db"
        db = open_db(path)
        checkpointer = Checkpointer(path, interval=1.0)
        if real:
            checkpointer.start(db)
        conversations = Conversations(db, lambda: kb, lambda: NOW)
        outbox = Outbox(db, "bench", lambda: NOW)
        times: list[float] = []
        update = 0
        started = time.perf_counter()
        for family in range(families):
            for event in JOURNEY:
                update += 1
                before = time.perf_counter()
                if real:
                    mark = outbox.mark()
                    conversations.handle("bench", str(family), event, update_id=update)
                    for item in outbox.pending(after=mark):
                        outbox.done([item])
                else:
                    conversations.handle("bench", str(family), event)
                times.append(time.perf_counter() - before)
        total = time.perf_counter() - started
        checkpointer.stop()
        db.close()
    return {
        "events": len(times),
        "events_per_s": len(times) / total,
        "p50_ms": percentile(times, 0.50) * 1000,
        "p99_ms": percentile(times, 0.99) * 1000,
        "max_ms": max(times) * 1000,
    }


def bench_matcher(kb: KnowledgeBase) -> dict[str, float]:
    """Free-text understanding over the evaluation set (bench/intents/*.jsonl)."""
    cases = load_cases(sorted((ROOT / "bench" / "intents").glob("*.jsonl")))
    results = evaluate(kb, cases)
    overall = results["overall"]
    heldout = evaluate(
        kb, load_cases(sorted((ROOT / "bench" / "intents" / "heldout").glob("*.jsonl")))
    )
    whole = {
        found.key: evaluate(found.knowledge(kb), found.cases(kb), found.judge)["overall"]
        for found in SITUATION_SETS
    }
    return {
        "messages": overall["n"],
        "p50_ms": overall["p50_ms"],
        "p99_ms": overall["p99_ms"],
        "correct_share": overall["correct"] / overall["n"],
        "wrong_share": overall["wrong"] / overall["n"],
        # the held-out set was never tuned on: the honest figure
        "heldout_messages": heldout["overall"]["n"],
        "heldout_correct_share": heldout["overall"]["correct"] / heldout["overall"]["n"],
        "heldout_wrong_share": heldout["overall"]["wrong"] / heldout["overall"]["n"],
        # whole situations, first messages through the dialogue (two held-out sets)
        **{
            f"{key}_{figure}": value
            for key, found in whole.items()
            for figure, value in (
                ("messages", found["n"]),
                ("correct_share", found["correct"] / found["n"]),
                ("wrong_share", found["wrong"] / found["n"]),
            )
        },
    }


def bench_long_texts(kb: KnowledgeBase, samples: int = 60) -> dict[str, float]:
    """Free text of 1,000 and 4,000 characters (pieces of the evaluation messages in
    every language, one after the other): the matcher reads only its beginning
    (bot/engine/understanding.py, MAX_READ_CHARS), so the cost stops growing."""
    cases = load_cases(sorted((ROOT / "bench" / "intents").glob("*.jsonl")))
    for case in cases[::10]:  # each language's index is built on its first message
        understand(kb, case.text, case.lang)
    figures: dict[str, float] = {}
    for size in (1000, 4000):
        times: list[float] = []
        for sample in range(samples):
            chosen = [c for i, c in enumerate(cases) if i % samples == sample]
            text = " ".join(case.text for case in chosen) * (1 + size // 2000)
            text = text[:size]
            before = time.perf_counter()
            understand(kb, text, chosen[0].lang)
            times.append(time.perf_counter() - before)
        figures[f"p50_ms_{size}"] = percentile(times, 0.50) * 1000
        figures[f"p99_ms_{size}"] = percentile(times, 0.99) * 1000
    return figures


Answered = Callable[[FakeBotAPI, int, int], bool]


def lotse_answered(api: FakeBotAPI, chat: int, before: int) -> bool:
    """Lotse's answer to an update is complete when its last message carries buttons."""
    messages = api.messages(chat)
    return len(messages) > before and "reply_markup" in messages[-1]


def echo_answered(api: FakeBotAPI, chat: int, before: int) -> bool:
    return len(api.messages(chat)) > before


async def drive(api: FakeBotAPI, families: int, base: int, answered: Answered) -> dict[str, float]:
    """Every family sends the same five updates (/start, two button presses, an age,
    /menu), one round at a time for all families. Latencies come from single updates
    sent one after the other at the end."""
    chats = [base + family for family in range(families)]
    anchors: dict[int, int] = {}  # a message of the family's, for button presses
    rounds: list[Callable[[int], Any]] = [
        lambda chat: anchors.__setitem__(chat, api.text(chat, "/start")["message"]["message_id"]),
        lambda chat: api.press(chat, "seiteneinstieg", anchors[chat]),
        lambda chat: api.press(chat, "se_age", anchors[chat]),
        lambda chat: api.text(chat, "9"),
        lambda chat: api.text(chat, "/menu"),
    ]
    elapsed = 0.0
    messages_before = len(api.succeeded("sendMessage"))
    for send in rounds:
        before = {chat: len(api.messages(chat)) for chat in chats}
        started = time.perf_counter()
        for chat in chats:
            send(chat)
        # Updates are handled in order: the last family answered means all were. (Checking
        # every chat on every change would make this harness the bottleneck.)
        await api.wait_for(functools.partial(answered, api, chats[-1], before[chats[-1]]), 600)
        elapsed += time.perf_counter() - started
        assert all(answered(api, chat, before[chat]) for chat in chats)
    count = len(rounds) * len(chats)
    messages = len(api.succeeded("sendMessage")) - messages_before
    latencies: list[float] = []
    for chat in chats[:50]:
        before_count = len(api.messages(chat))
        sent = time.perf_counter()
        api.text(chat, "/menu")
        await api.wait_for(functools.partial(answered, api, chat, before_count), 30)
        latencies.append(time.perf_counter() - sent)
    return {
        "updates": count,
        "updates_per_s": count / elapsed,
        "ms_per_update": elapsed / count * 1000,
        "messages_per_update": messages / count,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


async def bench_e2e_lotse(kb: KnowledgeBase, families: int) -> dict[str, float]:
    async with FakeBotAPI() as api:
        with tempfile.TemporaryDirectory() as folder:
            db = open_db(Path(folder) / "e2e.db")
            checkpointer = Checkpointer(Path(folder) / "e2e.db")  # as `lotse run` does
            checkpointer.start(db)
            settings = TelegramSettings(
                token=SecretStr(TOKEN), base_url=api.base_url, retry_seconds=30
            )
            app = build_application(
                settings, Conversations(db, lambda: kb), Outbox(db, CHANNEL), rate_limited=False
            )
            async with running(app, settings, poll_timeout=1):
                figures = await drive(api, families, 10_000, lotse_answered)
            checkpointer.stop()
            db.close()
    return figures


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The floor: answer a text with itself."""
    assert update.effective_chat is not None and update.effective_message is not None
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "")


async def _echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The floor for a button: answer the callback and send its data back."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    await query.answer()
    await context.bot.send_message(update.effective_chat.id, query.data or "")


async def bench_e2e_echo(families: int) -> dict[str, float]:
    async with FakeBotAPI() as api:
        app = Application.builder().token(TOKEN).base_url(api.base_url).job_queue(None).build()
        app.add_handler(MessageHandler(tg_filters.TEXT, _echo))
        app.add_handler(CallbackQueryHandler(_echo_button))
        assert app.updater is not None
        await app.initialize()
        await app.updater.start_polling(timeout=1)
        await app.start()
        try:
            figures = await drive(api, families, 20_000, echo_answered)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
    return figures


def in_fresh_python(code: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    return result.stdout.strip()


STARTUP_CODE = """
import time; t = time.perf_counter()
from bot.knowledge import load_knowledge
from bot.config import BUNDLED_KNOWLEDGE, BUNDLED_TRANSLATIONS
kb = load_knowledge(BUNDLED_KNOWLEDGE, BUNDLED_TRANSLATIONS)
assert len(kb.catalogs.available) == 12, kb.catalogs.available
{then}
print(time.perf_counter() - t)
"""


def bench_startup(runs: int = 5) -> dict[str, float]:
    def timed(then: str, times: int) -> list[float]:
        code = STARTUP_CODE.format(then=then)
        return [float(in_fresh_python(code)) for _ in range(times)]

    times = timed("", runs)
    # and the second opinion learnt from the examples, built before the first family
    with_model = timed("from bot.engine.examples import model; model(kb)", max(1, runs // 2))
    return {
        "median_s": statistics.median(times),
        "max_s": max(times),
        "with_model_median_s": statistics.median(with_model),
    }


RSS_CODE = """
import datetime as dt, random, resource, tempfile
from pathlib import Path
from bot.config import BUNDLED_KNOWLEDGE, BUNDLED_TRANSLATIONS
from bot.engine import ButtonPress, State
from bot.knowledge import load_knowledge
from bot.clock import BERLIN
from bot.services.conversation import Conversations
from bot.store import open_db, transaction
db = open_db(Path(tempfile.mkdtemp()) / "big.db")
now = "2026-11-23T10:00:00+01:00"
state = State(
    node="se_school", history=("main_menu", "se_start", "se_age"), slots={"child_age": 9}
).to_json()
with transaction(db):
    for n in range(10_000):
        db.execute(
            "INSERT INTO families (channel, external_id, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?)",
            ["telegram", str(n), now, now],
        )
    db.execute(
        "INSERT INTO conversations (family_id, state, updated_at) SELECT id, ?, ? FROM families",
        [state, now],
    )
kb = load_knowledge(BUNDLED_KNOWLEDGE, BUNDLED_TRANSLATIONS)
from bot.engine.examples import model
model(kb)  # the second opinion, as `lotse run` and `lotse web` build it at start-up
conversations = Conversations(db, lambda: kb, lambda: dt.datetime(2026, 11, 23, 10, tzinfo=BERLIN))
for n in random.Random(1).sample(range(10_000), 500):
    conversations.handle("telegram", str(n), ButtonPress("se_documents"))
# A server hears every language: each one's keyword index is built at its first message.
from bot.engine.understanding import understand
from bot.i18n import LANGUAGES
for lang in LANGUAGES:
    understand(kb, "Mein Sohn ist 13, welche Unterlagen brauche ich für die Schule?", lang)
# The peak resident set of this process (Linux: VmHWM). Not ru_maxrss: on Linux it keeps the
# peak of the process that started this one (the bench, with every language's index built),
# which made this figure read about 200 MB when the families' process took 72.
try:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak / 1024)
"""


def bench_memory() -> dict[str, float]:
    return {"rss_mb": float(in_fresh_python(RSS_CODE))}


def bench_statistics(kb: KnowledgeBase, days: int = 365) -> dict[str, float]:
    """A busy KI's year of counters (every metric, 12 languages, most answer steps, every
    day), then the report of the year: summing (build), CSV, and the HTML with its charts."""
    from bot.services import statistics as report_stats
    from bot.services import statistics_html
    from bot.store import stats, transaction

    answers = [node for node, flow in kb.node_flow.items() if flow != "main"][:30]
    langs = ["de", "ar", "uk", "fa", "tr", "ru", "en", "ro", "bg", "pl", "ps", "ku"]
    start = NOW.date() - dt.timedelta(days=days - 1)
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "s.db")
        with transaction(db):
            for offset in range(days):
                moment = NOW - dt.timedelta(days=offset)
                for index, lang in enumerate(langs):
                    stats.count(db, moment, stats.CONVERSATION, "telegram", lang, 3 + index)
                    stats.count(db, moment, stats.JOURNEY, "seiteneinstieg", lang, 2)
                    stats.count(db, moment, stats.TEXT, stats.UNDERSTOOD, lang, 4)
                    stats.count(db, moment, stats.ANSWER, answers[(offset + index) % 30], lang)
                stats.count(db, moment, "booking.made", "se_on_site", "ar", 2)
                stats.count(db, moment, stats.FIRST_ANSWER, str(offset % 400), "de")
                stats.count(db, moment, "mediation.requested", "ti")
        counters = db.execute("SELECT COUNT(*) FROM stats_daily").fetchone()[0]
        before = time.perf_counter()
        report = report_stats.build(db, kb, start, NOW.date(), NOW.date())
        built = time.perf_counter()
        statistics_html.document(report, "csv")
        as_csv = time.perf_counter()
        page = statistics_html.document(report, "html")
        as_html = time.perf_counter()
        db.close()
    return {
        "counters": counters,
        "build_ms": (built - before) * 1000,
        "csv_ms": (as_csv - built) * 1000,
        "html_ms": (as_html - as_csv) * 1000,
        "html_kb": len(page.encode("utf-8")) / 1024,
    }


def table(rows: list[tuple[str, str, str]]) -> str:
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [" | ".join(cell.ljust(width[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in width))
    return "\n".join(lines)


def main() -> None:
    families = int(os.environ.get("BENCH_FAMILIES", "100"))
    kb = load_knowledge(BUNDLED_KNOWLEDGE, BUNDLED_TRANSLATIONS)
    measure: list[tuple[str, Callable[[], dict[str, float]]]] = [
        ("engine", lambda: bench_engine(kb)),
        ("engine_alone", lambda: bench_engine(kb, real=False)),
        ("matcher", lambda: bench_matcher(kb)),
        ("long_texts", lambda: bench_long_texts(kb)),
        ("e2e_lotse", lambda: asyncio.run(bench_e2e_lotse(kb, families))),
        ("e2e_echo", lambda: asyncio.run(bench_e2e_echo(families))),
        ("statistics", lambda: bench_statistics(kb)),
        ("startup", bench_startup),
        ("memory", bench_memory),
    ]
    figures: dict[str, dict[str, float]] = {}
    for name, run in measure:
        print(f"measuring {name} …", file=sys.stderr, flush=True)
        figures[name] = run()
    ratio = figures["e2e_lotse"]["ms_per_update"] / figures["e2e_echo"]["ms_per_update"]
    results = {
        "engine_p99_ms": round(figures["engine"]["p99_ms"], 3),
        "matcher_p99_ms": round(figures["matcher"]["p99_ms"], 4),
        "e2e_updates_per_s": round(figures["e2e_lotse"]["updates_per_s"], 1),
        "e2e_ratio_to_echo": round(ratio, 2),
        "startup_s": round(figures["startup"]["median_s"], 3),
        "rss_mb": round(figures["memory"]["rss_mb"], 1),
        "details": figures,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    engine, lotse, echo = figures["engine"], figures["e2e_lotse"], figures["e2e_echo"]
    alone = figures["engine_alone"]
    rows = [
        ("figure", "measured", "target"),
        (
            "engine, real path: events/s, p50 / p99 (update id, outbox)",
            f"{engine['events_per_s']:.0f}/s, {engine['p50_ms']:.2f} / {engine['p99_ms']:.2f} ms",
            "p99 < 2 ms",
        ),
        (
            "engine alone: events/s, p50 / p99 (state, flows, engine)",
            f"{alone['events_per_s']:.0f}/s, {alone['p50_ms']:.2f} / {alone['p99_ms']:.2f} ms",
            "",
        ),
        (
            f"matcher: p50 / p99 per message ({figures['matcher']['messages']:.0f} messages)",
            f"{figures['matcher']['p50_ms']:.3f} / {figures['matcher']['p99_ms']:.3f} ms",
            "p99 < 5 ms",
        ),
        (
            "matcher: p50 / p99 at 1,000 and at 4,000 characters",
            f"{figures['long_texts']['p50_ms_1000']:.2f} / "
            f"{figures['long_texts']['p99_ms_1000']:.2f} ms, "
            f"{figures['long_texts']['p50_ms_4000']:.2f} / "
            f"{figures['long_texts']['p99_ms_4000']:.2f} ms",
            "p99 < 5 ms",
        ),
        (
            "matcher: correct / confidently wrong (tuning set)",
            f"{100 * figures['matcher']['correct_share']:.0f} % / "
            f"{100 * figures['matcher']['wrong_share']:.1f} %",
            ">= 90 % / <= 2 %",
        ),
        (
            f"matcher: the same, held-out set ({figures['matcher']['heldout_messages']:.0f},"
            " never tuned on)",
            f"{100 * figures['matcher']['heldout_correct_share']:.0f} % / "
            f"{100 * figures['matcher']['heldout_wrong_share']:.1f} %",
            ">= 90 % / <= 2 %",
        ),
        *(
            (
                f"{found.title[0].lower()}{found.title[1:]}"
                f" ({figures['matcher'][found.key + '_messages']:.0f}, {found.history})",
                f"{100 * figures['matcher'][found.key + '_correct_share']:.0f} % / "
                f"{100 * figures['matcher'][found.key + '_wrong_share']:.1f} %",
                "" if found.folder == "situations" else ">= 90 % / <= 2 %",
            )
            for found in SITUATION_SETS
        ),
        (
            f"e2e: {families} families, updates/s (p50 / p99 update->reply)",
            f"{lotse['updates_per_s']:.0f}/s ({lotse['p50_ms']:.1f} / {lotse['p99_ms']:.1f} ms)",
            ">= 300/s",
        ),
        (
            "e2e echo bot floor, updates/s (p50 / p99)",
            f"{echo['updates_per_s']:.0f}/s ({echo['p50_ms']:.1f} / {echo['p99_ms']:.1f} ms)",
            "",
        ),
        ("e2e: Lotse cost per update / echo", f"{ratio:.2f}x", "<= 1.5x"),
        (
            "e2e: messages sent per update, Lotse / echo",
            f"{lotse['messages_per_update']:.1f} / {echo['messages_per_update']:.1f}",
            "",
        ),
        (
            f"statistics: a year ({figures['statistics']['counters']:.0f} counters): "
            "sum / CSV / HTML with charts",
            f"{figures['statistics']['build_ms']:.0f} / {figures['statistics']['csv_ms']:.0f} / "
            f"{figures['statistics']['html_ms']:.0f} ms "
            f"({figures['statistics']['html_kb']:.0f} KB)",
            "",
        ),
        ("start-up: knowledge + 12 catalogs", f"{results['startup_s']:.2f} s", "< 1.5 s"),
        (
            "start-up: and the second opinion's model (bot.engine.examples)",
            f"{figures['startup']['with_model_median_s']:.2f} s",
            "",
        ),
        (
            "memory: RSS with 10,000 families (and the model)",
            f"{results['rss_mb']:.0f} MB",
            "< 200 MB",
        ),
    ]
    print(table(rows))
    print(f"machine: {results['machine']}")


if __name__ == "__main__":
    main()
