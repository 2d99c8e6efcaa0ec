"""The `lotse` command line: thin wrappers that call into the rest and print one line
per problem, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.config import ConfigError, Settings, load_settings
from bot.engine import Event, Reply
from bot.knowledge import KnowledgeBase, KnowledgeError, Problem, check_knowledge, load_knowledge
from bot.knowledge.loader import json_schemas

if TYPE_CHECKING:
    from sqlite_utils import Database


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _open(db_path: Path | None) -> Database:
    from bot.store import open_db

    return open_db(db_path or _settings().db)


def _print_problems(problems: list[Problem], *, excerpts: bool) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
        if excerpts and (excerpt := problem.excerpt()):
            click.echo(excerpt, err=True)


INTENTS_DIR = Path(__file__).resolve().parent.parent / "bench" / "intents"


def _knowledge(directory: Path, translations: Path | None = None) -> KnowledgeBase:
    """The knowledge (with the translation catalogs, if given) or one readable error."""
    try:
        return load_knowledge(directory, translations)
    except KnowledgeError as exc:
        _print_problems(exc.problems, excerpts=False)
        raise click.ClickException(
            f"the knowledge in {directory} has problems; run: lotse knowledge check {directory}"
        ) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="lotse")
def cli() -> None:
    """Lotse: advisory chat bot of the Kommunales Integrationszentrum."""


@cli.command()
@click.option("--lang", default=None, help="Language of the family, e.g. de or ar.")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite file.")
@click.option(
    "--knowledge", "knowledge_dir", type=click.Path(path_type=Path), help="Knowledge folder."
)
@click.option("--user", default="local", show_default=True, help="Who is chatting (an id).")
@click.option("--jsonl", is_flag=True, help="Machine interface: JSON events in, JSON out.")
def chat(
    lang: str | None,
    db_path: Path | None,
    knowledge_dir: Path | None,
    user: str,
    jsonl: bool,
) -> None:
    """Talk to Lotse in the terminal as a family would."""
    from bot.channels import console
    from bot.engine.examples import warm
    from bot.services.conversation import Conversations
    from bot.store import open_db

    settings = _settings()
    kb = _knowledge(knowledge_dir or settings.knowledge, settings.translations)
    warm(kb)  # the second opinion is built while the family reads the welcome
    db = open_db(db_path or settings.db)
    conversations = Conversations(db, lambda: kb)

    def handler(event: Event) -> list[Reply]:
        return conversations.handle(console.CHANNEL, user, event)

    try:
        if jsonl:
            console.jsonl(handler, sys.stdin, sys.stdout, lang)
        else:
            console.interactive(handler, sys.stdin, sys.stdout, lang)
    except KeyboardInterrupt:
        click.echo("")
    finally:
        db.close()


@cli.command()
@click.option("--webhook", is_flag=True, help="Receive updates by webhook, not long polling.")
def run(webhook: bool) -> None:
    """Start the Telegram bot (needs TELEGRAM_BOT_TOKEN); stops on Ctrl-C or SIGTERM."""
    import logging

    from bot.channels import telegram
    from bot.services.conversation import Conversations
    from bot.services.outbox import Outbox
    from bot.store import Checkpointer, open_db

    settings = _settings()
    if settings.telegram.token is None:
        raise click.ClickException("TELEGRAM_BOT_TOKEN is not set; run `lotse doctor`")
    if webhook and not settings.telegram.webhook_url:
        raise click.ClickException(
            "--webhook needs telegram.webhook_url (LOTSE_TELEGRAM_WEBHOOK_URL)"
        )
    kb = _knowledge(settings.knowledge, settings.translations)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    database = open_db(settings.db)
    checkpointer = Checkpointer(settings.db)  # the WAL checkpoint off the event loop
    checkpointer.start(database)
    try:
        from bot.services.handoff import Handoff
        from bot.services.live_knowledge import LiveKnowledge
        from bot.store.ticket_log import desk_in_use

        live = LiveKnowledge(kb, settings.knowledge, settings.translations)
        handoff = None
        if settings.staff.enabled or desk_in_use(database):  # a staff chat, or the desk
            handoff = Handoff(database, settings.staff, reload=live.reload)
        conversations = Conversations(database, live, handoff=handoff, retention=settings.privacy)
        outbox = Outbox(database, telegram.CHANNEL)
        app = telegram.build_application(
            settings.telegram, conversations, outbox, limits=settings.limits
        )
        telegram.run(app, settings.telegram, webhook=webhook)
    except telegram.StartError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        checkpointer.stop()
        database.close()


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: [web] host).")
@click.option("--port", type=int, default=None, help="Port (default: [web] port, 8000).")
@click.option(
    "--behind-proxy",
    is_flag=True,
    default=None,
    help="Behind an https reverse proxy: Secure cookies, client address from X-Forwarded-For.",
)
def web(host: str | None, port: int | None, behind_proxy: bool | None) -> None:
    """Start the web chat for families (/) and the staff desk (/desk)."""
    import logging

    import uvicorn

    from bot.channels import web as web_channel
    from bot.channels import web_desk
    from bot.services.conversation import Conversations
    from bot.services.handoff import Handoff
    from bot.services.live_knowledge import LiveKnowledge
    from bot.store import Checkpointer, open_db
    from bot.store.ticket_log import desk_in_use

    settings = _settings()
    changes: dict[str, object] = {"host": host, "port": port, "behind_proxy": behind_proxy}
    web_settings = settings.web.model_copy(
        update={key: value for key, value in changes.items() if value is not None}
    )
    kb = _knowledge(settings.knowledge, settings.translations)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    database = open_db(settings.db)
    checkpointer = Checkpointer(settings.db)
    checkpointer.start(database)
    try:
        live = LiveKnowledge(kb, settings.knowledge, settings.translations)
        handoff = None
        if settings.staff.enabled or desk_in_use(database):
            handoff = Handoff(database, settings.staff, reload=live.reload)
        conversations = Conversations(database, live, handoff=handoff, retention=settings.privacy)
        app = web_channel.create_app(
            conversations,
            web_settings,
            settings.limits,
            telegram_staff_chat=settings.staff.enabled,
        )
        if handoff is not None:
            web_desk.install(app, handoff)
        else:
            click.echo("no staff desk: create an account with `lotse staff add NAME`", err=True)
        uvicorn.run(
            app,
            host=web_settings.host,
            port=web_settings.port,
            access_log=False,  # addresses and paths of families are nobody's business
            proxy_headers=web_settings.behind_proxy,
            forwarded_allow_ips=web_settings.forwarded_allow_ips,
            timeout_graceful_shutdown=3,
        )
    finally:
        checkpointer.stop()
        database.close()


@cli.group()
def staff() -> None:
    """Accounts of the staff desk in the browser."""


@staff.command("add")
@click.argument("name")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None)
def staff_add(name: str, db_path: Path | None) -> None:
    """Create a desk account; asks for its password (twice), or reads LOTSE_STAFF_PASSWORD."""
    import os

    from bot.clock import berlin_now
    from bot.services import accounts

    password = os.environ.get("LOTSE_STAFF_PASSWORD") or click.prompt(
        f"Passwort für {name}", hide_input=True, confirmation_prompt=True
    )
    database = _open(db_path)
    try:
        account = accounts.add(database, name, password, berlin_now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        database.close()
    click.echo(f"Konto „{account.name}“ angelegt. Anmelden unter /desk.")


@staff.command("remove")
@click.argument("name")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None)
def staff_remove(name: str, db_path: Path | None) -> None:
    """Delete a desk account (its sessions end)."""
    from bot.clock import berlin_now
    from bot.services import accounts

    database = _open(db_path)
    try:
        removed = accounts.remove(database, name, berlin_now())
    finally:
        database.close()
    if not removed:
        raise click.ClickException(f"kein Konto „{name}“")
    click.echo(f"Konto „{name}“ gelöscht.")


@staff.command("list")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None)
def staff_list(db_path: Path | None) -> None:
    """The desk's accounts."""
    from bot.services import accounts

    database = _open(db_path)
    try:
        for name in accounts.names(database):
            click.echo(name)
    finally:
        database.close()


@cli.command()
@click.option("--webhook", is_flag=True, help="Also check what `lotse run --webhook` needs.")
def doctor(webhook: bool) -> None:
    """Check settings, knowledge and database, without network; exit 1 on a problem."""
    from bot.doctor import examine

    findings = examine(webhook=webhook)
    for finding in findings:
        click.echo(str(finding))
    problems = sum(1 for finding in findings if not finding.ok)
    if problems:
        raise click.ClickException(f"{problems} problem(s)")


@cli.group()
def knowledge() -> None:
    """Check and describe the knowledge folder."""


@knowledge.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--quiet", is_flag=True, help="Only file:line:column lines, no source excerpts.")
def knowledge_check(directory: Path | None, quiet: bool) -> None:
    """Report every problem as file:line:column: message; exit 1 if there are errors."""
    directory = directory or _settings().knowledge
    kb, problems = check_knowledge(directory)
    _print_problems(problems, excerpts=not quiet)
    if kb is None:
        errors = sum(1 for problem in problems if problem.severity == "error")
        raise click.ClickException(f"{errors} error(s) in {directory}")
    click.echo(
        f"{directory}: {len(kb.flows)} flows, {len(kb.nodes)} nodes, "
        f"{len(kb.warnings)} warning(s), no errors"
    )


@knowledge.command("test")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def knowledge_test(directory: Path | None) -> None:
    """Replay the transcript tests in DIRECTORY/tests/*.yaml through the engine."""
    import datetime as dt

    from bot.services.transcripts import run_transcripts

    directory = directory or _settings().knowledge
    kb = _knowledge(directory)
    results, problems = run_transcripts(kb, directory, dt.date.today())
    _print_problems(problems, excerpts=True)
    failed = [result for result in results if result.failure is not None]
    for result in failed:
        click.echo(str(result), err=True)
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or problems:
        raise click.ClickException("transcript tests failed")


@knowledge.command("graph")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--flow", default=None, help="Only the nodes of this flow.")
def knowledge_graph(directory: Path | None, flow: str | None) -> None:
    """Print the decision tree as a Mermaid flowchart (paste into any Mermaid viewer)."""
    from bot.knowledge.graph import mermaid

    kb = _knowledge(directory or _settings().knowledge)
    if flow is not None and flow not in kb.flows:
        raise click.ClickException(f"no flow '{flow}'; flows: {', '.join(sorted(kb.flows))}")
    click.echo(mermaid(kb, flow), nl=False)


@knowledge.command("schema")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def knowledge_schema(directory: Path | None) -> None:
    """Write JSON Schemas for editors to DIRECTORY/schema/ (flow and organisation)."""
    target = (directory or _settings().knowledge) / "schema"
    target.mkdir(parents=True, exist_ok=True)
    for name, schema in json_schemas().items():
        path = target / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", "utf-8")
        click.echo(str(path))


@cli.group()
def i18n() -> None:
    """Translation catalogs: extract, update, status."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Write the German texts of the code and the knowledge to translations/lotse.pot."""
    from bot.catalogs import extract

    settings = _settings()
    click.echo(str(extract(_knowledge(settings.knowledge), settings.translations)))


@i18n.command("update")
@click.option("--lang", "languages", multiple=True, help="Only these languages.")
def i18n_update(languages: tuple[str, ...]) -> None:
    """Create or update every language's catalog from the current German texts;
    changed German texts mark their translations outdated (fuzzy)."""
    from bot.catalogs import update
    from bot.i18n import LANGUAGES

    settings = _settings()
    kb = _knowledge(settings.knowledge)
    for path in update(kb, settings.translations, languages or LANGUAGES):
        click.echo(str(path))


@i18n.command("status")
@click.option("--check", is_flag=True, help="Exit 1 unless every language is complete.")
def i18n_status(check: bool) -> None:
    """Per language: translated, outdated, missing, broken, and the review state."""
    from bot.catalogs import broken_entries, status

    settings = _settings()
    rows = status(_knowledge(settings.knowledge), settings.translations)
    click.echo(
        f"{'lang':<5} {'translated':>10} {'outdated':>8} {'missing':>7} {'broken':>6}  review"
    )
    for row in rows:
        click.echo(
            f"{row.lang:<5} {row.translated:>4}/{row.total:<5} {row.outdated:>8} "
            f"{row.missing:>7} {row.broken:>6}  {row.review}"
        )
        for where, why in broken_entries(settings.translations, row.lang):
            click.echo(f"      {row.lang} {where}: {why}", err=True)
    if check and not all(row.complete for row in rows):
        raise click.ClickException("some translations are missing, outdated or broken")


@cli.group()
def bookings() -> None:
    """Appointments booked in the chat."""


@bookings.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["ics", "csv"]), default="ics", show_default=True
)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (today).")
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True)
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite file.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File (default: stdout).")
def bookings_export(
    fmt: str, start: dt.datetime | None, days: int, db_path: Path | None, output: Path | None
) -> None:
    """Write the confirmed appointments of a period for the office calendar."""
    from bot.services.export import export
    from bot.store import open_db

    settings = _settings()
    kb = _knowledge(settings.knowledge, settings.translations)
    database = open_db(db_path or settings.db)
    try:
        data = export(database, kb, (start or dt.datetime.now()).date(), days, fmt)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        database.close()
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        output.write_bytes(data)
        click.echo(str(output))


@cli.group("eval")
def evaluation() -> None:
    """Measure how well Lotse understands what families type."""


@evaluation.command("intents")
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="JSONL file(s); default: bench/intents/*.jsonl.",
)
@click.option(
    "--set",
    "only",
    multiple=True,
    help="Only these example sets (knowledge/examples/<set>); default: every one.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
def eval_intents(data: tuple[Path, ...], only: tuple[str, ...], as_json: bool) -> None:
    """Per language and overall: correct, abstained, wrong, and p50/p99 time per message.
    Each example set is judged by the knowledge without its own examples (a model is
    trained per set, some seconds each)."""
    from bot.services.evaluation import (
        SITUATION_SETS,
        evaluate,
        load_cases,
        table,
    )

    settings = _settings()
    kb = _knowledge(settings.knowledge, settings.translations)
    paths = list(data) or sorted(INTENTS_DIR.glob("*.jsonl"))
    if not paths:
        raise click.ClickException(f"no evaluation data in {INTENTS_DIR}")
    # Without --data also the whole situations: first messages, judged through the dialogue.
    sets = {found.folder: found for found in SITUATION_SETS}
    if unknown := sorted(set(only) - set(sets)):
        raise click.ClickException(f"no such example set: {', '.join(unknown)}")
    if only:
        sets = {name: found for name, found in sets.items() if name in only}
    try:
        results = evaluate(kb, load_cases(paths))
        whole = {  # each set judged by the knowledge without its own examples
            name: evaluate(found.knowledge(kb), cases, found.judge)
            for name, found in ([] if data else sets.items())
            if (cases := found.cases(kb))
        }
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({**results, **whole}, ensure_ascii=False))
        return
    click.echo(table(results))
    for name, figures in whole.items():
        click.echo(f"\n{sets[name].title}, {sets[name].history}:")
        click.echo(table(figures))


@cli.group()
def report() -> None:
    """Reports for editors and for the KI's own reporting."""


@report.command("unanswered")
@click.option("--days", type=click.IntRange(1, 3660), default=None, help="Only the last N days.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of a table.")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite file.")
def report_unanswered(days: int | None, as_json: bool, db_path: Path | None) -> None:
    """Questions Lotse could not place (kept with the families' yes), grouped by
    similarity, largest group first: count, languages, steps, examples."""
    from bot.clock import berlin_now
    from bot.services.unanswered import report as unanswered_report
    from bot.services.unanswered import table
    from bot.store import open_db

    settings = _settings()
    kb = _knowledge(settings.knowledge, settings.translations)
    since = berlin_now() - dt.timedelta(days=days) if days is not None else None
    database = open_db(db_path or settings.db)
    try:
        groups = unanswered_report(database, kb, since)
    finally:
        database.close()
    if as_json:
        data = {"groups": [group.as_json() for group in groups]}
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        click.echo(table(groups))


@report.command("stats")
@click.option(
    "--from", "start", help="First day (2026-11-01 or 01.11.2026); default: the first counted."
)
@click.option("--to", "end", help="Last day, included; default: today.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "csv", "json"]),
    default="html",
    show_default=True,
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="File (default: standard output)."
)
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite file.")
def report_stats(
    start: str | None, end: str | None, fmt: str, output: Path | None, db_path: Path | None
) -> None:
    """Anonymous statistics of a period for the KI's reports (e.g. to the
    Integrationsrat): conversations, journeys, answers, bookings, handoffs, mediation;
    HTML with charts, or CSV/JSON with the same numbers. Counts of 1 to 4 show as "< 5"."""
    from bot.clock import berlin_now
    from bot.services import statistics, statistics_html

    settings = _settings()
    kb = _knowledge(settings.knowledge, settings.translations)
    database = _open(db_path)
    try:
        today = berlin_now().date()
        first, last = statistics.default_period(database, today)
        try:
            period = (
                statistics.parse_day(start) if start else first,
                statistics.parse_day(end) if end else last,
            )
            made = statistics.build(database, kb, *period, today)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    finally:
        database.close()
    text = statistics_html.document(made, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{output}: {made.period}", err=True)


@cli.group()
def db() -> None:
    """The SQLite database."""


@db.command("migrate")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite file.")
def db_migrate(db_path: Path | None) -> None:
    """Create the database file if needed and apply every pending migration."""
    from bot.store import open_db
    from bot.store.migrations import migrations

    path = db_path or _settings().db
    database = open_db(path)
    applied = [migration.name for migration in migrations.applied(database)]
    database.close()
    click.echo(f"{path}: {len(applied)} migration(s) applied, latest {applied[-1]}")


@cli.group()
def privacy() -> None:
    """Families' data: retention, and written requests for a copy or for deletion."""


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite file.")
def privacy_purge(dry_run: bool, db_path: Path | None) -> None:
    """Delete what is older than its retention period ([privacy] in lotse.toml)."""
    from bot.clock import berlin_now
    from bot.services.privacy import purge
    from bot.store import open_db

    settings = _settings()
    database = open_db(db_path or settings.db)
    try:
        counts = purge(database, settings.privacy, berlin_now(), dry_run=dry_run, actor="cli")
    finally:
        database.close()
    verb = "would delete" if dry_run else "deleted"
    for table, count in counts.items():
        click.echo(f"{table}: {count} {verb}")


def _family_row(database: Database, channel: str, chat_id: str) -> int:
    from bot.store.conversations import find_family

    family = find_family(database, channel, chat_id)
    if family is None:
        raise click.ClickException(f"no family with chat id {chat_id} on {channel}")
    return family


@privacy.command("export")
@click.argument("chat_id")
@click.option("--channel", default="telegram", show_default=True)
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite file.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="File (default: stdout).")
def privacy_export(chat_id: str, channel: str, db_path: Path | None, output: Path | None) -> None:
    """Everything stored about one family as JSON, to answer a written request."""
    from bot.clock import berlin_now
    from bot.services.privacy import export_file
    from bot.store import audit, open_db, transaction

    settings = _settings()
    database = open_db(db_path or settings.db)
    try:
        with transaction(database):
            family = _family_row(database, channel, chat_id)
            data = export_file(database, family, berlin_now())
            audit.record(database, "cli", "export", berlin_now(), family=family)
    finally:
        database.close()
    if output is None:
        click.echo(data.decode("utf-8"))
    else:
        output.write_bytes(data)
        click.echo(str(output))


@privacy.command("delete")
@click.argument("chat_id")
@click.option("--channel", default="telegram", show_default=True)
@click.option("--db", "db_path", type=click.Path(path_type=Path), help="SQLite file.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_delete(chat_id: str, channel: str, db_path: Path | None, yes: bool) -> None:
    """Delete everything about one family, as /delete does; staff are told when the bot
    runs next (the family is not)."""
    from bot.clock import berlin_now
    from bot.services.privacy import delete
    from bot.store import forget_wal, open_db, transaction

    settings = _settings()
    kb = _knowledge(settings.knowledge, settings.translations)
    database = open_db(db_path or settings.db)
    try:
        if not yes:
            _family_row(database, channel, chat_id)
            click.confirm(f"Delete everything about chat {chat_id}?", abort=True)
        with transaction(database):
            family = _family_row(database, channel, chat_id)
            delete(database, kb, family, berlin_now(), staff=settings.staff, actor="cli")
        forget_wal(database)
    finally:
        database.close()
    click.echo(f"deleted everything about chat {chat_id}")


def main() -> None:
    cli(prog_name="lotse")
