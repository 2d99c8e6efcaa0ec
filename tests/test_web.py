"""The web channel over HTTP (Starlette's TestClient against the real app, knowledge and
SQLite file): the family chat API, sessions, security, and the staff desk."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.channels import web
from bot.clock import BERLIN
from bot.config import LimitsSettings, WebSettings
from bot.knowledge import KnowledgeBase
from bot.services import accounts
from bot.services.handoff import CONSENT_YES
from bot.store import Checkpointer, audit
from tests.test_forget import leftovers
from tests.web_app import STAFF_NAME, STAFF_PASSWORD, build

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)  # a Monday, office hours


class Family:
    """A browser tab of a family: its cookie, its CSRF token, what it was shown."""

    def __init__(self, client: TestClient, lang: str = "de") -> None:
        self.client = client
        page = client.get("/", headers={"Accept-Language": lang})
        assert page.status_code == 200
        self.page = page
        found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert found, "the page carries its CSRF token"
        self.csrf = found.group(1)
        self.shown: list[dict[str, Any]] = []
        self.last = 0

    def post(self, event: dict[str, Any], **headers: str) -> Any:
        return self.client.post(
            "/api/event",
            content=json.dumps({**event, "ack": self.last}),
            headers={"X-CSRF-Token": self.csrf, "Content-Type": "application/json", **headers},
        )

    def send(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.post(event)
        assert response.status_code == 200, response.text
        return self._took(response.json()["messages"])

    def _took(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        new = [m for m in messages if m["id"] == 0 or m["id"] > self.last]
        self.last = max([self.last, *(m["id"] for m in new)])
        self.shown += new
        return new

    def waiting(self) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/messages?ack={self.last}")
        assert response.status_code == 200
        return self._took(response.json()["messages"])

    def press(self, label_part: str) -> list[dict[str, Any]]:
        for message in reversed(self.shown):
            for button in message["buttons"]:
                if label_part in button["label"]:
                    return self.send({"type": "button", "id": button["id"]})
        raise AssertionError(f"no button with {label_part!r} shown")


def db_of(client: TestClient) -> Database:
    app = client.app
    assert isinstance(app, Starlette)
    db = app.state.web.conversations.db
    assert isinstance(db, Database)
    return db


def text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["html"] for m in messages)


@pytest.fixture
def client(tmp_path: Path, translated: KnowledgeBase) -> Any:
    with TestClient(build(tmp_path / "lotse.db", translated, lambda: NOW)) as client:
        yield client


def desk_login(client: TestClient, password: str = STAFF_PASSWORD) -> Any:
    page = client.get("/desk/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    return client.post(
        "/desk/login",
        data={"csrf": csrf.group(1), "name": STAFF_NAME, "password": password},
        follow_redirects=False,
    )


def desk_csrf(client: TestClient, path: str = "/desk") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


# --- the family chat ---------------------------------------------------------------------


def test_the_page_sets_a_private_session_cookie_and_strict_headers(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{web.CHAT_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    assert "frame-ancestors 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="de" dir="ltr"' in page.text
    assert "<script>" not in page.text.replace('<script type="application/json"', "")


def test_accept_language_picks_arabic_and_the_page_reads_right_to_left(
    client: TestClient,
) -> None:
    family = Family(client, "fr-FR, ar;q=0.8, en;q=0.5")
    assert '<html lang="ar" dir="rtl"' in family.page.text
    first = family.send({"type": "start", "lang": "ar"})  # as chat.js sends the page's
    assert first[0]["lang"] == "ar" and first[0]["dir"] == "rtl"
    assert "<bdi" in text(first)  # German terms and numbers stay readable in RTL


def test_a_family_goes_through_the_school_journey_and_resumes_after_a_reload(
    client: TestClient,
) -> None:
    family = Family(client)
    greeting = family.send({"type": "start"})
    assert "Datenschutz" in text(greeting)
    family.press("Schule für mein Kind")
    family.press("Muss mein Kind zur Schule?")
    answer = family.send({"type": "text", "text": "9"})
    assert "Schulpflicht" in text(answer) or "Schule" in text(answer)
    # a reload: the same cookie, the same conversation, nothing lost
    again = Family(client)
    assert again.csrf == family.csrf
    assert '<html lang="de"' in again.page.text
    again.last = family.last
    resumed = again.send({"type": "command", "name": "back"})
    assert resumed and "Wie alt ist Ihr Kind" in text(resumed)


def test_replies_wait_until_the_page_acknowledges_them(client: TestClient) -> None:
    family = Family(client)
    response = family.post({"type": "start"})
    ids = [m["id"] for m in response.json()["messages"]]
    assert ids and all(i > 0 for i in ids)
    # not acknowledged yet: a reload gets them again
    assert [m["id"] for m in client.get("/api/messages").json()["messages"]] == ids
    assert client.get(f"/api/messages?ack={ids[-1]}").json()["messages"] == []


def test_without_token_or_session_nothing_happens(client: TestClient, tmp_path: Path) -> None:
    family = Family(client)
    assert family.post({"type": "start"}, **{"X-CSRF-Token": "forged"}).status_code == 403
    stranger = TestClient(client.app)
    refused = stranger.post("/api/event", content='{"type":"start"}')
    assert refused.status_code == 403
    assert refused.json() == {"error": "no session"}


def test_bad_requests_get_clear_answers(client: TestClient) -> None:
    family = Family(client)
    big = family.post({"type": "text", "text": "x" * 20_000})
    assert big.status_code == 413
    broken = client.post("/api/event", content=b"{nope", headers={"X-CSRF-Token": family.csrf})
    assert broken.status_code == 400
    assert family.post({"type": "command", "name": "drop_tables"}).status_code == 400
    # a long text within the body limit is cut to [limits] max_text_chars, not refused
    assert family.post({"type": "text", "text": "Schule " * 400}).status_code == 200


def test_rate_limits_per_session(tmp_path: Path, translated: KnowledgeBase) -> None:
    limits = LimitsSettings(burst=2, per_minute=1)
    with TestClient(build(tmp_path / "l.db", translated, lambda: NOW, limits=limits)) as client:
        family = Family(client)
        statuses = [family.post({"type": "command", "name": "menu"}).status_code for _ in range(8)]
    assert statuses[:4] == [200] * 4 and 429 in statuses


def test_an_escaped_text_cannot_become_markup(client: TestClient) -> None:
    family = Family(client)
    family.send({"type": "start"})
    shown = family.send({"type": "text", "text": "<img src=x onerror=alert(1)>"})
    assert "<img" not in text(shown)


def test_mydata_is_a_download_and_delete_says_goodbye(client: TestClient) -> None:
    family = Family(client)
    family.send({"type": "start"})
    data = family.send({"type": "command", "name": "mydata"})
    (file,) = [f for m in data for f in m["files"]]
    assert file["mime"] == "application/json" and file["name"].endswith(".json")
    family.send({"type": "command", "name": "delete"})
    goodbye = family.press("Ja, alles löschen")
    assert goodbye[-1]["id"] == 0 and "gelöscht" in goodbye[-1]["html"]
    db = db_of(client)
    assert db.execute("SELECT COUNT(*) FROM families").fetchone()[0] == 0


def test_a_booking_comes_with_its_calendar_file(client: TestClient) -> None:
    family = Family(client)
    family.send({"type": "start"})
    family.press("Termin buchen")
    for _step in range(12):  # the booking dialogue: the first choice each time, then yes
        last = family.shown[-1]
        if any(f["name"].endswith(".ics") for m in family.shown for f in m["files"]):
            break
        if "Wie alt" in last["html"]:  # the children's ages are typed
            family.send({"type": "text", "text": "9"})
        else:
            family.send({"type": "button", "id": last["buttons"][0]["id"]})
    ics = [f for m in family.shown for f in m["files"] if f["name"].endswith(".ics")]
    assert ics and ics[0]["mime"].startswith("text/calendar")


# --- the staff desk ----------------------------------------------------------------------


def handed_over(client: TestClient) -> Family:
    family = Family(client)
    family.send({"type": "start"})
    family.send({"type": "command", "name": "human"})
    confirm = family.send({"type": "button", "id": CONSENT_YES})
    assert "verbunden" in text(confirm)
    return family


def test_staff_answer_a_web_family_from_the_desk(client: TestClient) -> None:
    family = handed_over(client)
    assert family.send({"type": "text", "text": "Mein Sohn <b>braucht</b> einen Platz"}) == []
    assert desk_login(client).status_code == 303
    listing = client.get("/desk")
    assert "#1" in listing.text and "de" in listing.text and "Min." in listing.text
    (link,) = re.findall(r'href="(/desk/ticket/\d+)"', listing.text)
    view = client.get(link)
    assert "Mein Sohn &lt;b&gt;braucht&lt;/b&gt; einen Platz" in view.text  # escaped
    assert "Ticket #1" in view.text  # the context card
    csrf = desk_csrf(client, link)
    for typed in ("# Notiz: Bruder auch?", "Wir haben Platz in der Schule am Rhein."):
        done = client.post(link, data={"csrf": csrf, "text": typed}, follow_redirects=False)
        assert done.status_code == 303
    arrived = family.waiting()
    assert [m["from"] for m in arrived] == ["staff"]
    assert "Schule am Rhein" in arrived[0]["html"] and "Notiz" not in text(arrived)
    client.post(link, data={"csrf": csrf, "text": "/close"})
    closed = family.waiting()
    assert "beendet" in text(closed) and any(len(m["buttons"]) >= 5 for m in closed)
    actions = [e.action for e in audit.entries(db_of(client))]
    assert {"login", "view", "reply", "close"} <= set(actions)


def test_the_desk_refuses_forms_without_token_and_pages_without_login(
    client: TestClient,
) -> None:
    handed_over(client)
    assert client.get("/desk", follow_redirects=False).headers["location"] == "/desk/login"
    desk_login(client)
    refused = client.post("/desk/ticket/1", data={"text": "/close"})
    assert refused.status_code == 403


def test_logins_lock_after_five_failures(client: TestClient) -> None:
    for _attempt in range(accounts.MAX_FAILURES):
        assert desk_login(client, "falsch").status_code == 401
    assert desk_login(client).status_code == 401  # locked: the right password waits too
    db = db_of(client)
    assert "locked" in [e.action for e in audit.entries(db)]
    assert STAFF_PASSWORD not in "\n".join(db.iterdump())  # only the Argon2 hash


def test_cookies_are_secure_behind_a_proxy(tmp_path: Path, translated: KnowledgeBase) -> None:
    settings = WebSettings(behind_proxy=True, embed_origins=("https://www.duesseldorf.de",))
    with TestClient(
        build(tmp_path / "p.db", translated, lambda: NOW, settings=settings)
    ) as client:
        page = client.get("/")
    assert "Secure" in page.headers["set-cookie"]
    assert (
        "frame-ancestors 'self' https://www.duesseldorf.de"
        in page.headers["content-security-policy"]
    )
    assert page.headers["strict-transport-security"].startswith("max-age=")


def test_after_delete_nothing_of_a_web_familys_talk_with_staff_is_left(
    tmp_path: Path, translated: KnowledgeBase
) -> None:
    path = tmp_path / "lotse.db"
    secret = ("Xaveria", "Kastanienallee", "Zauberflöte")
    with TestClient(build(path, translated, lambda: NOW)) as client:
        family = handed_over(client)
        family.send({"type": "text", "text": "Xaveria wohnt in der Kastanienallee"})
        desk_login(client)
        link = "/desk/ticket/1"
        csrf = desk_csrf(client, link)
        client.post(link, data={"csrf": csrf, "text": "# Xaveria: Zauberflöte fragen"})
        client.post(link, data={"csrf": csrf, "text": "Liebe Frau Xaveria, wir melden uns."})
        assert "Xaveria" in text(family.waiting())
        family.send({"type": "command", "name": "delete"})
        family.press("Ja, alles löschen")
        assert leftovers(path, secret) == {}
        checkpointer = Checkpointer(path)
        connection = sqlite3.connect(path)
        checkpointer.checkpoint(connection)
        connection.close()
        for file in (path, path.with_name(path.name + "-wal")):
            raw = file.read_bytes() if file.exists() else b""
            assert [s for s in secret if s.encode("utf-8") in raw] == [], file.name
