"""The web chat and the desk in real headless Chromium (Debian's package, driven by
Playwright for Python with the system browser: no browser download), against the app
served by uvicorn on 127.0.0.1 with the real knowledge and a SQLite file.

Without Chromium these tests fail and say how to install it (`make test` does, as root):
they are never skipped."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from bot.config import WebSettings
from bot.knowledge import KnowledgeBase
from bot.services import statistics, statistics_html
from bot.store import open_db
from tests.test_statistics import month
from tests.web_app import STAFF_NAME, STAFF_PASSWORD, build, free_port, serving

CHROMIUM = Path(os.environ.get("LOTSE_CHROMIUM", "/usr/bin/chromium"))
# What Chromium needs here: no sandbox as root, and no calls home (this machine's network
# is closed: they fail, many at a time).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium "
            "package (`apt-get install chromium`; `make test` installs it as root), or "
            "LOTSE_CHROMIUM pointing at a Chromium binary"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path: Path, translated: KnowledgeBase) -> Iterator[str]:
    with serving(build(tmp_path / "lotse.db", translated)) as base:
        yield base


Opener = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, site: str) -> Iterator[Opener]:
    """A page in a new browser context (another person); all closed before the server
    stops, so that their event streams end."""
    contexts: list[BrowserContext] = []

    def opener(path: str = "/", locale: str = "de-DE") -> Page:
        made = browser.new_context(locale=locale, accept_downloads=True)
        made.set_default_timeout(TIMEOUT_MS)
        contexts.append(made)
        page = made.new_page()
        page.goto(site + path)
        return page

    yield opener
    for made in contexts:
        made.close()


def choose(page: Page, label: str) -> None:
    """Presses the newest choice button whose label has `label` in it."""
    page.get_by_test_id("choice").filter(has_text=label).last.click()


def bot_says(page: Page, text: str) -> None:
    expect(page.get_by_test_id("log")).to_contain_text(text)


def test_a_family_finishes_the_school_journey_by_keyboard_and_mouse(open_page: Opener) -> None:
    family = open_page()
    bot_says(family, "Datenschutz")
    expect(family.locator("html")).to_have_attribute("dir", "ltr")
    choose(family, "Schule für mein Kind")
    bot_says(family, "Seiteneinstiegsberatung")
    # keyboard only: Tab reaches the choices, Enter presses one
    family.get_by_test_id("choice").filter(has_text="Muss mein Kind zur Schule?").last.focus()
    family.keyboard.press("Enter")
    bot_says(family, "Wie alt ist Ihr Kind?")
    field = family.get_by_label(re.compile("Ihre Nachricht"))
    field.fill("9")
    field.press("Enter")
    bot_says(family, "Schulpflicht")
    expect(family.get_by_test_id("family-message").last.locator(".text")).to_have_text("9")
    # a small phone, or 200 % zoom on a 640-pixel window: nothing scrolls sideways
    family.set_viewport_size({"width": 320, "height": 640})
    wide = family.evaluate("document.documentElement.scrollWidth")
    assert wide <= 320, wide
    expect(family.get_by_test_id("send")).to_be_in_viewport()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    family.set_viewport_size({"width": 390, "height": 760})
    family.screenshot(path=str(SCREENSHOTS / "chat.png"))
    # a reload keeps the conversation on the page and on the server
    shown = family.get_by_test_id("bot-message").count()
    family.reload()
    expect(family.get_by_test_id("bot-message")).to_have_count(shown)
    choose(family, "Hauptmenü")
    bot_says(family, "Wobei kann ich helfen?")


def test_an_arabic_page_reads_right_to_left(open_page: Opener) -> None:
    family = open_page(locale="ar")
    expect(family.locator("html")).to_have_attribute("dir", "rtl")
    expect(family.locator("html")).to_have_attribute("lang", "ar")
    first = family.get_by_test_id("bot-message").first
    expect(first).to_be_visible()
    assert first.evaluate("node => getComputedStyle(node).direction") == "rtl"
    # the text field starts on the right in a right-to-left page
    box = family.get_by_test_id("input").bounding_box()
    send = family.get_by_test_id("send").bounding_box()
    assert box is not None and send is not None and send["x"] < box["x"]


def test_a_family_books_an_appointment_and_downloads_the_calendar_file(
    open_page: Opener,
) -> None:
    family = open_page()
    bot_says(family, "Datenschutz")
    choose(family, "Termin buchen")
    # up to 20 steps: under load a step may see a reply burst in two parts and spend a
    # step on the first (seen twice in full runs on a busy machine, never alone)
    for _step in range(20):
        if family.get_by_test_id("file").count():
            break
        newest = family.get_by_test_id("bot-message").last
        before = family.get_by_test_id("bot-message").count()
        if "Wie alt" in newest.inner_text():  # the children's ages are typed
            family.get_by_test_id("input").fill("9")
            family.get_by_test_id("input").press("Enter")
        else:
            newest.get_by_test_id("choice").first.click()
        expect(family.get_by_test_id("bot-message")).not_to_have_count(before)
    with family.expect_download() as download:
        family.get_by_test_id("file").first.click()
    assert download.value.suggested_filename.endswith(".ics")
    calendar = Path(download.value.path()).read_text("utf-8")
    assert "BEGIN:VEVENT" in calendar


def test_staff_answer_a_family_from_the_desk_in_real_time(open_page: Opener) -> None:
    family = open_page()
    bot_says(family, "Datenschutz")
    header = family.get_by_role("navigation")  # the shortcuts above the conversation
    header.get_by_role("button", name=re.compile("Mit einer Person sprechen")).click()
    choose(family, "Ja, verbinden")
    bot_says(family, "verbunden")
    family.get_by_test_id("input").fill("Wir brauchen Hilfe bei der Schulanmeldung")
    family.get_by_test_id("input").press("Enter")

    desk = open_page("/desk")  # a second browser context: another person
    desk.get_by_label("Name").fill(STAFF_NAME)
    desk.get_by_label("Passwort").fill(STAFF_PASSWORD)
    desk.get_by_role("button", name="Anmelden").click()
    expect(desk.get_by_test_id("tickets")).to_contain_text("#1")
    desk.get_by_test_id("ticket-link").first.click()
    log = desk.get_by_test_id("desk-log")
    expect(log).to_contain_text("Wir brauchen Hilfe bei der Schulanmeldung")
    # the family writes again: the desk shows it without a reload
    family.get_by_test_id("input").fill("Er ist 13 Jahre alt")
    family.get_by_test_id("input").press("Enter")
    expect(log).to_contain_text("Er ist 13 Jahre alt")
    desk.get_by_test_id("desk-input").fill("Guten Tag! Wir rufen Sie morgen an.")
    desk.get_by_test_id("desk-send").click()
    # ... and the family's page gets the answer without a reload
    expect(family.get_by_test_id("staff-message").last).to_contain_text("Wir rufen Sie morgen an")
    desk.set_viewport_size({"width": 1000, "height": 760})
    desk.screenshot(path=str(SCREENSHOTS / "desk.png"), full_page=True)
    desk.get_by_test_id("desk-close").click()
    bot_says(family, "beendet")


def test_one_script_tag_embeds_the_chat_on_a_city_page(
    browser: Browser, tmp_path: Path, translated: KnowledgeBase
) -> None:
    """A city page on another origin (same site: 127.0.0.1) with one <script> tag."""
    host = tmp_path / "host"
    host.mkdir()
    lotse_port = free_port()
    (host / "index.html").write_text(
        "<!doctype html><html lang='de'><title>Stadt</title><h1>Stadt Düsseldorf</h1>"
        f"<script src='http://127.0.0.1:{lotse_port}/widget.js' defer></script></html>",
        "utf-8",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(host))
    city = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=city.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{city.server_address[1]}"
    settings = WebSettings(embed_origins=(origin,))
    app = build(tmp_path / "lotse.db", translated, settings=settings)
    made = browser.new_context(locale="de-DE")
    made.set_default_timeout(TIMEOUT_MS)
    try:
        with serving(app, port=lotse_port):
            page = made.new_page()
            page.goto(origin + "/index.html")
            launcher = page.get_by_role("button", name="Chat – Lotse")
            expect(launcher).to_have_attribute("aria-expanded", "false")
            launcher.click()
            expect(launcher).to_have_attribute("aria-expanded", "true")
            chat = page.frame_locator("iframe[title='Chat – Lotse']")
            expect(chat.get_by_test_id("log")).to_contain_text("Wobei kann ich helfen?")
            chat.get_by_test_id("choice").filter(has_text="Schule für mein Kind").click()
            expect(chat.get_by_test_id("log")).to_contain_text("Seiteneinstiegsberatung")
            page.keyboard.press("Escape")
            expect(launcher).to_be_focused()
            made.close()
    finally:
        city.shutdown()


def test_the_statistics_render_as_a_file_and_on_the_desk(
    browser: Browser, tmp_path: Path, translated: KnowledgeBase
) -> None:
    """The report a KI attaches (a file, opened without network) and the desk's page
    (under its Content-Security-Policy): every chart is drawn, nothing is refused."""
    path = tmp_path / "lotse.db"
    month(path, translated)
    report = statistics.build(
        open_db(path),
        translated,
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 6),
    )
    file = tmp_path / "report.html"
    file.write_text(statistics_html.document(report, "html"), encoding="utf-8")
    made = browser.new_context(locale="de-DE", viewport={"width": 1000, "height": 1400})
    made.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    try:
        page = made.new_page()
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.goto(file.as_uri())
        expect(page.get_by_test_id("period-text")).to_have_text("01.11.2026 bis 30.11.2026")
        widths = page.evaluate("[...document.images].map(image => image.naturalWidth)")
        assert len(widths) == 8 and min(widths) > 0
        expect(page.get_by_test_id("section-handoffs")).to_contain_text("Hauptmenü")
        expect(page.get_by_test_id("median")).to_have_text("30 Min.")
        page.screenshot(path=str(SCREENSHOTS / "stats.png"))
        with serving(build(path, translated)) as base:
            desk = made.new_page()
            desk.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            desk.goto(base + "/desk")
            desk.get_by_label("Name").fill(STAFF_NAME)
            desk.get_by_label("Passwort").fill(STAFF_PASSWORD)
            desk.get_by_role("button", name="Anmelden").click()
            desk.get_by_test_id("stats-link").click()
            form = desk.get_by_test_id("period")
            form.get_by_label("von").fill("2026-11-09")
            form.get_by_label("bis").fill("2026-11-09")
            form.get_by_role("button", name="Zeigen").click()
            expect(desk.get_by_test_id("period-text")).to_have_text("09.11.2026 bis 09.11.2026")
            expect(desk.get_by_test_id("section-handoffs")).to_contain_text("5")
            widths = desk.evaluate("[...document.images].map(image => image.naturalWidth)")
            assert widths and min(widths) > 0
            styled = desk.evaluate("getComputedStyle(document.querySelector('h2')).borderTopStyle")
            assert styled == "solid"  # the linked style sheet applies
            made.close()
    finally:
        with contextlib.suppress(Exception):
            made.close()
    assert errors == []  # no refused style, image or script
