"""The staff desk in the browser (`/desk`): login, the open tickets, and a ticket's view
with its context card, the conversation (live, over Server-Sent Events) and one box for
replies, `#` notes and the same staff commands as the Telegram staff group — all of it
through `StaffDesk` (bot/services/staff.py), so a command is declared once for both.

Accounts: `lotse staff add NAME` (bot/services/accounts.py: Argon2, lockout). The desk's
session cookie is HttpOnly, SameSite=Strict, path /desk (Secure behind a proxy); every
form carries a CSRF token signed for the session (the login form one for a random
pre-login cookie). Every action is written to the audit log as `desk:NAME`, opening a
ticket's view included (reading a family's messages is an access to its data).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from bot.channels.text import clean_text
from bot.channels.web import KEEPALIVE_SECONDS, Limits, Web, client_address, read_body
from bot.clock import BERLIN
from bot.knowledge.models import AnswerNode
from bot.services import accounts, statistics, statistics_html
from bot.services.handoff import Handoff
from bot.services.staff import COMMANDS, StaffDesk
from bot.store import audit, ticket_log, tickets, transaction
from bot.types import State

DESK_COOKIE = "lotse_desk"
LOGIN_COOKIE = "lotse_login"
CHANNEL = "desk"
MAX_FORM_BYTES = 16_384
MAX_REPLY_CHARS = 4000
STATS_CSS = "/desk/stats.css"
AUTHORS = {"family": "Familie", "staff": "KI-Team", "note": "Notiz", "lotse": "Lotse"}


def _web(request: Request) -> Web:
    web = request.app.state.web
    assert isinstance(web, Web)
    return web


def _desk(request: Request) -> StaffDesk:
    desk = request.app.state.desk
    assert isinstance(desk, StaffDesk)
    return desk


def _now(web: Web) -> dt.datetime:
    return web.conversations.clock()


def _account(request: Request) -> tuple[accounts.Account, str] | None:
    web = _web(request)
    token = request.cookies.get(DESK_COOKIE)
    account = accounts.session(web.conversations.db, token, _now(web))
    return (account, token) if account is not None and token is not None else None


def _member(account: accounts.Account) -> str:
    return f"desk:{account.name}"


async def _form(request: Request) -> dict[str, str]:
    """A url-encoded form, size-capped (the desk sends nothing else)."""
    body = await read_body(request, MAX_FORM_BYTES)
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "bad form") from None
    return {key: values[0] for key, values in fields.items()}


def _page(web: Web, name: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(web.render(name, **values))


# --- login -------------------------------------------------------------------------------


async def login_page(request: Request, *, failed: bool = False, status: int = 200) -> Response:
    web = _web(request)
    pre = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = _page(web, "desk_login.html", csrf=web.keys.sign("login", pre), failed=failed)
    response.status_code = status
    web.cookie(response, LOGIN_COOKIE, pre, path="/desk", samesite="strict", max_age=3600)
    return response


async def login(request: Request) -> Response:
    web = _web(request)
    form = await _form(request)
    pre = request.cookies.get(LOGIN_COOKIE, "")
    if not pre or not web.keys.check("login", pre, form.get("csrf")):
        raise HTTPException(403, "Formular abgelaufen. Bitte die Seite neu laden.")
    if not Limits.ok(web.gates.login, client_address(request)):
        raise HTTPException(429, "Zu viele Versuche. Bitte in einer Minute noch einmal.")
    found = accounts.login(
        web.conversations.db, form.get("name", ""), form.get("password", ""), _now(web)
    )
    if found is None:
        return await login_page(request, failed=True, status=401)
    _signed, token = found
    response = RedirectResponse("/desk", status_code=303)
    web.cookie(
        response,
        DESK_COOKIE,
        token,
        path="/desk",
        samesite="strict",
        max_age=int(accounts.SESSION.total_seconds()),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/desk")
    return response


def _signed_in(request: Request) -> tuple[Web, accounts.Account, str]:
    found = _account(request)
    if found is None:
        raise HTTPException(401)
    return _web(request), found[0], found[1]


async def _checked_form(request: Request) -> tuple[Web, accounts.Account, dict[str, str]]:
    web, account, token = _signed_in(request)
    form = await _form(request)
    if not web.keys.check("desk", token, form.get("csrf")):
        raise HTTPException(403, "Formular abgelaufen. Bitte die Seite neu laden.")
    return web, account, form


async def logout(request: Request) -> Response:
    web, _who, token = _signed_in(request)
    form = await _form(request)
    if not web.keys.check("desk", token, form.get("csrf")):
        raise HTTPException(403)
    accounts.logout(web.conversations.db, token, _now(web))
    response = RedirectResponse("/desk/login", status_code=303)
    response.delete_cookie(DESK_COOKIE, path="/desk")
    return response


# --- the tickets -------------------------------------------------------------------------


def _since(stamp: str | None, now: dt.datetime) -> str:
    if stamp is None:
        return "beantwortet"
    minutes = int((now - dt.datetime.fromisoformat(stamp)).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} Min."
    if minutes < 48 * 60:
        return f"{minutes // 60} Std. {minutes % 60} Min."
    return f"{minutes // (24 * 60)} Tage"


async def ticket_list(request: Request) -> Response:
    found = _account(request)
    if found is None:
        return RedirectResponse("/desk/login", status_code=303)
    web = _web(request)
    now = _now(web)
    rows = []
    for waiting in tickets.open_tickets(web.conversations.db):
        state = State.from_json(waiting.state)
        kb = web.conversations.knowledge()
        flow = kb.node_flow.get(state.node or "", "")
        rows.append(
            {
                "family": waiting.ticket.family_id,
                "number": waiting.ticket.id,
                "lang": state.lang,
                "channel": waiting.channel,
                "journey": kb.flows[flow].title if flow in kb.flows else "—",
                "waiting": _since(waiting.waiting_since, now),
                "answered": waiting.waiting_since is None,
            }
        )
    return _page(
        web,
        "desk_list.html",
        rows=rows,
        account=found[0].name,
        csrf=web.keys.sign("desk", found[1]),
    )


def _family_of(request: Request, web: Web) -> tuple[int, tickets.Ticket]:
    family = int(request.path_params["family"])
    ticket = tickets.latest_ticket(web.conversations.db, family)
    if ticket is None:  # only families that talked to a person are on the desk
        raise HTTPException(404, "Kein Ticket")
    return family, ticket


def _entry(entry: ticket_log.Entry) -> dict[str, Any]:
    moment = dt.datetime.fromisoformat(entry.at).astimezone(BERLIN)
    return {
        "id": entry.id,
        "author": entry.author,
        "who": AUTHORS.get(entry.author, entry.author)
        + (f" ({entry.member.removeprefix('desk:')})" if entry.member else ""),
        "text": entry.text,
        "at": moment.strftime("%d.%m. %H:%M"),
    }


async def ticket_view(request: Request) -> Response:
    found = _account(request)
    if found is None:
        return RedirectResponse("/desk/login", status_code=303)
    account, token = found
    web = _web(request)
    db = web.conversations.db
    family, ticket = _family_of(request, web)
    entries = [_entry(entry) for entry in ticket_log.entries(db, family)]
    with transaction(db):
        audit.record(db, _member(account), "view", _now(web), family=family, ticket=ticket.id)
    kb = web.conversations.knowledge()
    answers = sorted(node_id for node_id, node in kb.nodes.items() if isinstance(node, AnswerNode))
    return _page(
        web,
        "desk_ticket.html",
        account=account.name,
        csrf=web.keys.sign("desk", token),
        family=family,
        ticket=ticket,
        is_open=ticket.status == tickets.OPEN,
        entries=entries,
        last=entries[-1]["id"] if entries else 0,
        answers=answers,
        commands=[c for c in COMMANDS if c.where == "topic"],
        mediation=web.conversations.handoff is not None
        and web.conversations.handoff.settings.mediation_chat_id is not None,
    )


async def ticket_write(request: Request) -> Response:
    """A reply, a `#` note or a staff command, typed (or chosen) in a ticket's view."""
    web, account, form = await _checked_form(request)
    family, _ticket = _family_of(request, web)
    text, _cut = clean_text(form.get("text", "").strip(), MAX_REPLY_CHARS)
    if text:
        _desk(request).message(
            web.conversations.knowledge(),
            _member(account),
            None,
            None,
            None,
            text,
            _now(web),
            family=family,
        )
        web.poller.poke()
    return RedirectResponse(f"/desk/ticket/{family}", status_code=303)


async def ticket_stream(request: Request) -> Response:
    """New entries of a ticket's log, as they are written (by any process)."""
    web, _who, _token = _signed_in(request)
    family, _ticket = _family_of(request, web)
    last = request.headers.get("last-event-id") or request.query_params.get("after", "")
    start = int(last) if last.isdigit() else 0

    async def events() -> AsyncIterator[str]:
        after = start
        yield "retry: 3000\n\n"
        while not await request.is_disconnected() and not web.stopping:
            for entry in ticket_log.entries(web.conversations.db, family, after=after):
                after = entry.id
                data = json.dumps(_entry(entry), ensure_ascii=False)
                yield f"event: entry\nid: {entry.id}\ndata: {data}\n\n"
            await web.poller.wait(KEEPALIVE_SECONDS)
            yield ": keepalive\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"}
    )


# --- the statistics ----------------------------------------------------------------------


async def stats_page(request: Request) -> Response:
    """The anonymous statistics (bot/services/statistics.py) of a period, as a page with
    charts or as a download (`format`: html, csv, json): the same as `lotse report
    stats`. The counters are read here; the charts are drawn in a worker thread."""
    found = _account(request)
    if found is None:
        return RedirectResponse("/desk/login", status_code=303)
    web = _web(request)
    db = web.conversations.db
    today = _now(web).date()
    first, last = statistics.default_period(db, today)
    fmt = request.query_params.get("format", "page")
    if fmt not in (*statistics_html.FORMATS, "page"):
        raise HTTPException(400, "unknown format")
    kb = web.conversations.knowledge()
    problem = None
    try:
        start = _day(request.query_params.get("from"), first)
        end = _day(request.query_params.get("to"), last)
        report = statistics.build(db, kb, start, end, today)
    except ValueError as exc:
        problem = str(exc)
        report = statistics.build(db, kb, first, last, today)
    if fmt == "page":
        text = await run_in_threadpool(
            statistics_html.render, report, css_href=STATS_CSS, desk=True, problem=problem
        )
        return HTMLResponse(text, status_code=200 if problem is None else 400)
    body = await run_in_threadpool(statistics_html.document, report, fmt)
    name = statistics_html.filename(report, fmt)
    return Response(
        body,
        media_type=statistics_html.FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _day(text: str | None, default: dt.date) -> dt.date:
    return statistics.parse_day(text) if text else default


async def stats_css(request: Request) -> Response:
    return Response(statistics_html.CSS.read_bytes(), media_type="text/css")


def install(app: Starlette, handoff: Handoff) -> None:
    """Adds the desk to the web app (bot/channels/web.py create_app)."""
    app.state.desk = StaffDesk(handoff, CHANNEL)
    app.router.routes.extend(routes())


def routes() -> list[BaseRoute]:
    return [
        Route("/desk", ticket_list),
        Route("/desk/login", login_page, methods=["GET"]),
        Route("/desk/login", login, methods=["POST"]),
        Route("/desk/logout", logout, methods=["POST"]),
        Route("/desk/ticket/{family:int}", ticket_view, methods=["GET"]),
        Route("/desk/ticket/{family:int}", ticket_write, methods=["POST"]),
        Route("/desk/ticket/{family:int}/stream", ticket_stream),
        Route("/desk/stats", stats_page),
        Route(STATS_CSS, stats_css),
    ]
