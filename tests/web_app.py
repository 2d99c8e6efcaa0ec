"""The web app as `lotse web` builds it, on a real SQLite file and the real knowledge, with
one desk account: for the HTTP tests (Starlette's TestClient) and the browser tests
(uvicorn on 127.0.0.1 in a thread)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from bot.channels import web, web_desk
from bot.clock import berlin_now
from bot.config import LimitsSettings, StaffSettings, WebSettings
from bot.knowledge import KnowledgeBase
from bot.services import accounts
from bot.services.conversation import Conversations
from bot.services.handoff import Handoff
from bot.store import open_db

STAFF_NAME = "anna"
STAFF_PASSWORD = "ein sehr langes Passwort"


def build(
    path: Path,
    kb: KnowledgeBase,
    clock: Callable[[], dt.datetime] = berlin_now,
    *,
    settings: WebSettings | None = None,
    limits: LimitsSettings | None = None,
    desk: bool = True,
) -> Starlette:
    db = open_db(path)
    if desk:
        accounts.add(db, STAFF_NAME, STAFF_PASSWORD, clock())
    handoff = Handoff(db, StaffSettings(answer_hours=24)) if desk else None
    conversations = Conversations(db, lambda: kb, clock=clock, handoff=handoff)
    app = web.create_app(conversations, settings, limits)
    if handoff is not None:
        web_desk.install(app, handoff)
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Starlette, port: int | None = None) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1; yields its base address."""
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
