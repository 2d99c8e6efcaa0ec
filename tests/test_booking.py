"""Appointments: slot generation, capacity under concurrency, holds, reminders exactly
once, reschedule and cancel, calendar files, export, and the Telegram path."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from babel.messages.catalog import Catalog
from icalendar import Calendar

from bot import i18n
from bot.catalogs import write_catalog
from bot.engine import ButtonPress, Command, Media, Reply, Start, TextInput
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.knowledge.appointments import Appointments
from bot.services.availability import bookable_slots, day_slots
from bot.services.conversation import Conversations
from bot.services.export import export
from bot.services.reminders import send_due
from bot.store import bookings as store
from bot.store import open_db, transaction
from bot.store.conversations import family_id
from bot.store.outbox import pending
from tests.conftest import KNOWLEDGE

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY = dt.datetime(2026, 11, 22, 10, 0, tzinfo=BERLIN)
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)


def decoded(component: Any, name: str) -> Any:
    """A property's Python value (datetime, int, str) from an icalendar component."""
    return component.decoded(name)


def config(**changes: Any) -> Appointments:
    data = yaml.safe_load((KNOWLEDGE / "appointments.yaml").read_text("utf-8"))
    data.update(changes)
    return Appointments.model_validate(data)


# --- slots ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2027, 3, 29),  # Easter Monday
        dt.date(2027, 5, 27),  # Corpus Christi: a holiday in NRW, not everywhere
        dt.date(2026, 12, 24),  # closed in appointments.yaml
        dt.date(2026, 11, 29),  # a Sunday: no hours
    ],
)
def test_no_slots_on_holidays_closed_days_and_sundays(day: dt.date) -> None:
    settings = config()
    assert day_slots(settings, settings.types["se_on_site"], day) == []


def test_slots_keep_their_wall_clock_time_across_daylight_saving() -> None:
    settings = config()
    kind = settings.types["se_on_site"]
    before = day_slots(settings, kind, dt.date(2026, 3, 23))[0]
    after = day_slots(settings, kind, dt.date(2026, 3, 30))[0]  # DST began on 29 March
    assert (before.hour, after.hour) == (9, 9)
    assert before.astimezone(dt.UTC).hour == 8 and after.astimezone(dt.UTC).hour == 7


def test_slots_on_the_change_nights_skip_and_keep_the_right_hours() -> None:
    settings = config(hours={"sunday": ["01:00-04:00"]}, closed=[])
    kind = settings.types["se_on_site"]
    spring = day_slots(settings, kind, dt.date(2026, 3, 29))
    assert [slot.hour for slot in spring] == [1, 3]  # 02:00 does not exist that night
    autumn = day_slots(settings, kind, dt.date(2026, 10, 25))
    assert [slot.hour for slot in autumn] == [1, 2, 3]
    assert len({slot.astimezone(dt.UTC) for slot in autumn}) == 3


def test_notice_and_window() -> None:
    settings = config()
    kind = settings.types["se_on_site"]
    slots = list(bookable_slots(settings, kind, SUNDAY))
    assert slots[0] == MONDAY_10  # 24 hours notice: not Monday 09:00
    assert slots[-1].date() <= (SUNDAY + dt.timedelta(days=kind.window_days)).date()
    video = settings.types["se_video"]
    assert next(bookable_slots(settings, video, SUNDAY)).date() == dt.date(2026, 11, 24)


# --- capacity and holds -----------------------------------------------------------------


def _families(path: Path, count: int) -> list[int]:
    db = open_db(path)
    with transaction(db):
        ids = [family_id(db, "test", f"f{n}", SUNDAY) for n in range(count)]
    db.close()
    return ids


def _try_hold(path: str, family: int, capacity: int) -> bool:
    """One attempt on its own connection, as another process or thread would."""
    db = open_db(path)
    try:
        with transaction(db):
            store.hold(
                db,
                family=family,
                kind="se_on_site",
                start=MONDAY_10,
                minutes=60,
                capacity=capacity,
                lang="de",
                now=SUNDAY,
                hold_minutes=10,
            )
        return True
    except store.SlotTaken:
        return False
    finally:
        db.close()


def test_threads_racing_for_one_slot_get_exactly_capacity(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    families = _families(path, 16)
    results: list[bool] = []
    barrier = threading.Barrier(len(families))

    def attempt(family: int) -> None:
        barrier.wait()
        results.append(_try_hold(str(path), family, 2))

    threads = [threading.Thread(target=attempt, args=(family,)) for family in families]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count(True) == 2
    db = open_db(path)
    assert db.execute("SELECT COUNT(*) FROM booking_seats").fetchone()[0] == 2


def test_processes_racing_for_one_slot_get_exactly_capacity(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    families = _families(path, 8)
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(families)) as pool:
        results = pool.starmap(_try_hold, [(str(path), family, 3) for family in families])
    assert results.count(True) == 3
    db = open_db(path)
    seats = db.execute("SELECT seat FROM booking_seats ORDER BY seat").fetchall()
    assert [seat for (seat,) in seats] == [1, 2, 3]


def test_an_expired_hold_frees_the_seat_and_cannot_be_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "hold.db"
    first, second = _families(path, 2)
    db = open_db(path)
    with transaction(db):
        held = store.hold(
            db,
            family=first,
            kind="se_on_site",
            start=MONDAY_10,
            minutes=60,
            capacity=1,
            lang="de",
            now=SUNDAY,
            hold_minutes=10,
        )
    later = SUNDAY + dt.timedelta(minutes=11)
    with transaction(db):
        store.hold(
            db,
            family=second,
            kind="se_on_site",
            start=MONDAY_10,
            minutes=60,
            capacity=1,
            lang="de",
            now=later,
            hold_minutes=10,
        )
    with pytest.raises(store.SlotTaken), transaction(db):
        store.confirm(
            db, held, children=1, ages="7", mediator_lang=None, reminder_hours=[24], now=later
        )


# --- the family's flow through the conversation service ------------------------------


def chat(db_path: Path, kb: KnowledgeBase, now: dt.datetime = SUNDAY) -> Conversations:
    return Conversations(open_db(db_path), lambda: kb, clock=lambda: now)


def press_label(
    conversations: Conversations, who: str, shown: list[Reply], label: str
) -> list[Reply]:
    button = next(b for reply in shown for b in reply.buttons if b.label == label)
    return conversations.handle("telegram", who, ButtonPress(button.id))


def book(conversations: Conversations, who: str, day: str, time: str) -> list[Reply]:
    shown = start_booking(conversations, who, day)
    shown = press_label(conversations, who, shown, time)
    shown = press_label(conversations, who, shown, "2")
    shown = conversations.handle("telegram", who, TextInput("6 und 11"))
    shown = press_label(conversations, who, shown, "Nein")
    return press_label(conversations, who, shown, "✅ Verbindlich buchen")


def test_booking_stores_only_after_consent(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    shown = conversations.handle("telegram", "1", Start())
    shown = press_label(conversations, "1", shown, "Termin buchen")
    press_label(conversations, "1", shown, "Nein, lieber anrufen")
    db = conversations.db
    assert db.execute("SELECT COUNT(*) FROM bookings").fetchone()[0] == 0
    assert db.execute("SELECT consent_at FROM families").fetchone()[0] is None


def test_confirmation_carries_date_place_documents_and_a_calendar_file(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    replies = book(chat(tmp_path / "c.db", kb), "1", "Montag, 23. November 2026", "10:00")
    text = "\n".join(reply.text for reply in replies)
    assert "Montag, 23. November 2026, 10:00" in text
    assert "Erkrather Str. 377" in text and "705" in text
    assert "Meldebescheinigung" in text
    (attachment,) = [f for reply in replies for f in reply.files]
    event = Calendar.from_ical(attachment.data).walk("VEVENT")[0]
    assert decoded(event, "DTSTART") == MONDAY_10
    assert str(decoded(event, "UID")) == "booking-1@lotse"
    assert decoded(event, "SEQUENCE") == 0


def test_the_last_seat_goes_to_one_family_the_other_hears_just_taken(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    for who in ("a", "b"):  # capacity 2: both get Monday 10:00
        assert "gebucht" in book(conversations, who, "Montag, 23. November 2026", "10:00")[0].text
    shown = conversations.handle("telegram", "c", Start())
    for label in ("Termin buchen", "✅ Einverstanden", "Seiteneinstiegsberatung im KI"):
        shown = press_label(conversations, "c", shown, label)
    shown = press_label(conversations, "c", shown, "Montag, 23. November 2026")
    assert "10:00" not in [b.label for reply in shown for b in reply.buttons]
    # A stale button for the full slot: the family hears it is taken and gets other times.
    slot = store.utc(MONDAY_10).replace("-", "").replace(":", "")[:13]
    shown = conversations.handle("telegram", "c", ButtonPress(f"bk:time:{slot}"))
    assert "gerade vergeben" in shown[0].text
    assert any(b.id.startswith("bk:time:") for reply in shown for b in reply.buttons)


def test_reschedule_and_cancel_update_the_calendar_file(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    book(conversations, "1", "Dienstag, 24. November 2026", "13:00")
    shown = conversations.handle("telegram", "1", ButtonPress("bk:list"))
    shown = press_label(conversations, "1", shown, "Dienstag, 24. November 2026, 13:00")
    shown = press_label(conversations, "1", shown, "🕑 Verschieben")
    shown = press_label(conversations, "1", shown, "Mittwoch, 25. November 2026")
    shown = press_label(conversations, "1", shown, "11:00")
    shown = press_label(conversations, "1", shown, "✅ Verbindlich buchen")
    (moved,) = [f for reply in shown for f in reply.files]
    event = Calendar.from_ical(moved.data).walk("VEVENT")[0]
    assert decoded(event, "SEQUENCE") == 1 and str(decoded(event, "UID")) == "booking-1@lotse"
    assert decoded(event, "DTSTART").day == 25
    db = conversations.db
    assert db.execute("SELECT COUNT(*) FROM booking_seats").fetchone()[0] == 1
    shown = conversations.handle("telegram", "1", ButtonPress("bk:cancel:1"))
    shown = press_label(conversations, "1", shown, "Ja, absagen")
    assert "abgesagt" in shown[0].text
    (cancelled,) = [f for reply in shown for f in reply.files]
    calendar = Calendar.from_ical(cancelled.data)
    assert str(decoded(calendar, "METHOD")) == "CANCEL"
    assert decoded(calendar.walk("VEVENT")[0], "SEQUENCE") == 2
    assert db.execute("SELECT COUNT(*) FROM booking_seats").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM reminders WHERE sent_at IS NULL").fetchone()[0] == 0


def test_no_change_in_the_chat_after_the_cut_off(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "c.db"
    book(chat(path, kb), "1", "Montag, 23. November 2026", "10:00")
    late = chat(path, kb, now=MONDAY_10 - dt.timedelta(hours=3))
    shown = late.handle("telegram", "1", ButtonPress("bk:show:1"))
    labels = [b.label for reply in shown for b in reply.buttons]
    assert "✖ Absagen" not in labels and "rufen Sie bitte an" in shown[0].text
    late.handle("telegram", "1", ButtonPress("bk:cancelyes:1"))
    assert store.get(late.db, 1) is not None and store.get(late.db, 1).status == "confirmed"  # type: ignore[union-attr]


def test_forged_booking_ids_show_and_cancel_nothing(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    book(conversations, "owner", "Montag, 23. November 2026", "10:00")
    conversations.handle("telegram", "other", Start())
    for forged in ("bk:show:1", "bk:cancelyes:1", "bk:move:1", "bk:show:x", "bk:zzz"):
        shown = conversations.handle("telegram", "other", ButtonPress(forged))
        assert shown and "23. November" not in shown[0].text
    booking = store.get(conversations.db, 1)
    assert booking is not None and booking.status == "confirmed"


def test_reminders_are_sent_once_even_across_a_restart(tmp_path: Path) -> None:
    kb = load_knowledge(KNOWLEDGE)
    path = tmp_path / "c.db"
    book(chat(path, kb), "1", "Dienstag, 24. November 2026", "13:00")
    appointment = dt.datetime(2026, 11, 24, 13, 0, tzinfo=BERLIN)
    db = open_db(path)
    day_before = appointment - dt.timedelta(hours=23)
    assert send_due(db, kb, "telegram", SUNDAY) == 0  # nothing due yet
    outbox_before = len(pending(db, "telegram"))
    assert send_due(db, kb, "telegram", day_before) == 1
    assert send_due(db, kb, "telegram", day_before) == 0  # the job running twice
    db.close()
    restarted = open_db(path)  # a new process on the same file
    assert send_due(restarted, kb, "telegram", day_before + dt.timedelta(minutes=1)) == 0
    assert send_due(restarted, kb, "telegram", appointment - dt.timedelta(hours=1)) == 1
    reminders = pending(restarted, "telegram")[outbox_before:]
    assert len(reminders) == 2
    assert all("Erinnerung" in r.reply.text and "13:00" in r.reply.text for r in reminders)


def test_a_reminder_whose_time_has_passed_is_not_planned(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    book(conversations, "1", "Montag, 23. November 2026", "10:00")  # less than 24 hours ahead
    hours = conversations.db.execute("SELECT hours FROM reminders").fetchall()
    assert [h for (h,) in hours] == [2]


def test_export_for_the_office(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    book(conversations, "1", "Montag, 23. November 2026", "10:00")
    table = export(conversations.db, kb, dt.date(2026, 11, 23), 7, "csv").decode()
    assert table.splitlines()[1] == '1,2026-11-23,10:00,60,se_on_site,2,"6, 11",,confirmed'
    calendar = Calendar.from_ical(export(conversations.db, kb, dt.date(2026, 11, 23), 7, "ics"))
    (event,) = calendar.walk("VEVENT")
    assert decoded(event, "DTSTART") == MONDAY_10 and "Kinder: 2 (6, 11)" in str(
        decoded(event, "DESCRIPTION")
    )


# --- what a review found: each a way a family could get stuck or see too much --------


def start_booking(conversations: Conversations, who: str, day: str) -> list[Reply]:
    shown = conversations.handle("telegram", who, Start())
    for label in ("Termin buchen", "✅ Einverstanden", "Seiteneinstiegsberatung im KI", day):
        if label == "✅ Einverstanden" and "Welche Beratung" in shown[-1].text:
            continue  # consent was given at an earlier booking
        shown = press_label(conversations, who, shown, label)
    return shown


def to_mediator_question(conversations: Conversations, who: str) -> None:
    """Book Monday 10:00 for one child of 7, up to "Do you need a mediator?"."""
    shown = start_booking(conversations, who, "Montag, 23. November 2026")
    shown = press_label(conversations, who, shown, "10:00")
    shown = press_label(conversations, who, shown, "1")
    conversations.handle("telegram", who, TextInput("7"))


def every_reply_has_a_way_on(replies: list[Reply]) -> bool:
    return bool(replies) and bool(replies[-1].buttons or replies[-1].expects)


def test_a_type_removed_from_the_config_does_not_strand_anyone(
    tmp_path: Path, knowledge_copy: Path
) -> None:
    path = tmp_path / "c.db"
    kb = load_knowledge(knowledge_copy)
    book(chat(path, kb), "booked", "Dienstag, 24. November 2026", "13:00")
    start_booking(chat(path, kb), "midway", "Montag, 23. November 2026")
    hours = knowledge_copy / "appointments.yaml"
    hours.write_text(hours.read_text("utf-8").replace("se_on_site:", "se_vor_ort:"), "utf-8")
    changed = load_knowledge(knowledge_copy)
    later = chat(path, changed)
    shown = later.handle("telegram", "midway", TextInput("7"))
    assert "geändert" in shown[0].text and every_reply_has_a_way_on(shown)
    shown = later.handle("telegram", "booked", ButtonPress("bk:show:1"))
    assert "se_on_site" in shown[0].text and every_reply_has_a_way_on(shown)
    tuesday = dt.datetime(2026, 11, 24, 11, 0, tzinfo=BERLIN)
    assert send_due(later.db, changed, "telegram", tuesday) == 1


def test_an_old_time_button_in_a_new_booking_does_not_crash(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    shown = start_booking(conversations, "1", "Montag, 23. November 2026")
    old_time = next(b.id for reply in shown for b in reply.buttons if b.label == "11:00")
    conversations.handle("telegram", "1", Command("menu"))
    start_booking(conversations, "1", "Dienstag, 24. November 2026")
    shown = conversations.handle("telegram", "1", ButtonPress(old_time))
    assert "Wie viele Kinder" in shown[-1].text
    shown = conversations.handle("telegram", "1", ButtonPress("bk:back"))
    assert "Um wie viel Uhr" in shown[-1].text and every_reply_has_a_way_on(shown)


def test_reminders_after_downtime_only_the_latest_and_never_for_the_past(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    path = tmp_path / "c.db"
    book(chat(path, kb), "1", "Dienstag, 24. November 2026", "13:00")
    db = open_db(path)
    appointment = dt.datetime(2026, 11, 24, 13, 0, tzinfo=BERLIN)
    assert send_due(db, kb, "telegram", appointment - dt.timedelta(minutes=30)) == 1
    (item,) = pending(db, "telegram")[-1:]
    assert [b.id for b in item.reply.buttons] == ["bk:list", "nav:menu"]
    assert send_due(db, kb, "telegram", appointment + dt.timedelta(hours=1)) == 0

    book(chat(path, kb), "2", "Mittwoch, 25. November 2026", "11:00")
    after = dt.datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)  # the bot was down until then
    assert send_due(db, kb, "telegram", after) == 0


def test_a_booking_string_without_translation_is_marked(tmp_path: Path) -> None:
    root = tmp_path / "translations"
    catalog = Catalog(locale="ar", fuzzy=False)
    catalog.add("Noch nicht in Ihrer Sprache:", "لم يُترجم بعد:")
    write_catalog(catalog, i18n.catalog_path(root, "ar"))
    kb = load_knowledge(KNOWLEDGE, root)
    conversations = chat(tmp_path / "c.db", kb)
    conversations.handle("telegram", "1", Start(lang_hint="ar"))
    shown = conversations.handle("telegram", "1", ButtonPress("main_book"))
    consent = shown[-1]
    assert consent.lang == "de" and "لم يُترجم بعد" in consent.text


@pytest.mark.parametrize("typed", ['=HYPERLINK("https://x")', "{ki_beratung.email}", "123"])
def test_a_typed_mediator_language_is_only_a_name(
    tmp_path: Path, kb: KnowledgeBase, typed: str
) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    to_mediator_question(conversations, "1")
    shown = conversations.handle("telegram", "1", ButtonPress("bk:mediator:yes"))
    shown = conversations.handle("telegram", "1", TextInput(typed))
    assert "Namen der Sprache" in shown[0].text and every_reply_has_a_way_on(shown)
    shown = conversations.handle("telegram", "1", TextInput("Tigrinya"))
    assert "Sprachmittlung: Tigrinya" in shown[-1].text


@pytest.mark.parametrize(
    ("step", "typed", "shown_as"),
    [
        ("lang", "Ich brauche jemanden für Dari", "Dari"),  # a sentence: only the language
        ("lang", "арабською, будь ласка", "العربية"),  # shown in its own name
        ("yes", "Ja, Türkisch bitte", "Türkçe"),  # answered with the yes/no question
        ("yes", "نعم بالعربي", "العربية"),
    ],
)
def test_the_language_a_message_names_is_the_mediator_language(
    tmp_path: Path, kb: KnowledgeBase, step: str, typed: str, shown_as: str
) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    to_mediator_question(conversations, "1")
    if step == "lang":
        conversations.handle("telegram", "1", ButtonPress("bk:mediator:yes"))
    shown = conversations.handle("telegram", "1", TextInput(typed))
    assert f"Sprachmittlung: {shown_as}" in shown[-1].text


def test_a_sentence_without_a_language_is_asked_again(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    to_mediator_question(conversations, "1")
    conversations.handle("telegram", "1", ButtonPress("bk:mediator:yes"))
    shown = conversations.handle("telegram", "1", TextInput("das weiß ich noch nicht genau"))
    assert "Namen der Sprache" in shown[0].text and every_reply_has_a_way_on(shown)


def test_csv_cells_never_start_a_formula() -> None:
    from bot.services.export import _cell

    assert _cell("=1+1") == "'=1+1" and _cell("@x") == "'@x" and _cell("Dari") == "Dari"


def test_a_slow_family_keeps_a_time_that_is_still_free(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "c.db"
    conversations = chat(path, kb)
    to_mediator_question(conversations, "1")
    conversations.handle("telegram", "1", ButtonPress("bk:mediator:no"))
    slow = chat(path, kb, now=SUNDAY + dt.timedelta(minutes=30))  # the hold ran out
    shown = slow.handle("telegram", "1", ButtonPress("bk:confirm"))
    assert "Ihr Termin ist gebucht" in shown[0].text


def test_one_family_cannot_fill_the_calendar(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    book(conversations, "1", "Montag, 23. November 2026", "10:00")
    book(conversations, "1", "Montag, 23. November 2026", "11:00")
    shown = start_booking(conversations, "1", "Dienstag, 24. November 2026")
    shown = press_label(conversations, "1", shown, "10:00")
    assert "schon einen Termin" in shown[-1].text
    assert store.open_count(conversations.db, 1, SUNDAY) == 2


def test_help_and_a_photo_keep_the_booking_going(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    shown = start_booking(conversations, "1", "Montag, 23. November 2026")
    press_label(conversations, "1", shown, "10:00")
    shown = conversations.handle("telegram", "1", Command("help"))
    assert "/menu" in shown[0].text and "Wie viele Kinder" in shown[-1].text
    shown = conversations.handle("telegram", "1", Media("photo"))
    assert "Wie viele Kinder" in shown[-1].text
    assert (
        conversations.db.execute("SELECT COUNT(*) FROM bookings WHERE status = 'held'").fetchone()[
            0
        ]
        == 1
    )


def test_reschedule_back_and_a_booking_cancelled_meanwhile(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    book(conversations, "1", "Dienstag, 24. November 2026", "13:00")
    shown = conversations.handle("telegram", "1", ButtonPress("bk:move:1"))
    shown = press_label(conversations, "1", shown, "Mittwoch, 25. November 2026")
    shown = press_label(conversations, "1", shown, "11:00")
    shown = conversations.handle("telegram", "1", ButtonPress("bk:back"))
    assert "Um wie viel Uhr" in shown[-1].text
    shown = press_label(conversations, "1", shown, "11:00")
    with transaction(conversations.db):
        store.cancel(conversations.db, 1, SUNDAY, reason="staff")
    shown = conversations.handle("telegram", "1", ButtonPress("bk:confirm"))
    assert "gibt es nicht mehr" in shown[0].text and every_reply_has_a_way_on(shown)


@pytest.mark.parametrize("forged", ["bk:show:²", "bk:show:" + "9" * 20, "bk:children:²"])
def test_forged_numbers_do_not_crash(tmp_path: Path, kb: KnowledgeBase, forged: str) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    shown = start_booking(conversations, "1", "Montag, 23. November 2026")
    press_label(conversations, "1", shown, "10:00")
    assert every_reply_has_a_way_on(conversations.handle("telegram", "1", ButtonPress(forged)))


def test_ages_are_typed_as_numbers_in_the_console(tmp_path: Path, kb: KnowledgeBase) -> None:
    conversations = chat(tmp_path / "c.db", kb)
    shown = start_booking(conversations, "1", "Montag, 23. November 2026")
    shown = press_label(conversations, "1", shown, "10:00")
    shown = press_label(conversations, "1", shown, "1")
    assert shown[-1].expects == "number"


def test_a_capacity_cut_is_respected_when_moving(tmp_path: Path) -> None:
    path = tmp_path / "cut.db"
    a, b, c = _families(path, 3)
    db = open_db(path)
    held = []
    with transaction(db):
        for family in (a, b):
            held.append(
                store.hold(
                    db,
                    family=family,
                    kind="se_on_site",
                    start=MONDAY_10,
                    minutes=60,
                    capacity=2,
                    lang="de",
                    now=SUNDAY,
                    hold_minutes=10,
                )
            )
        other = store.hold(
            db,
            family=c,
            kind="se_on_site",
            start=MONDAY_10 + dt.timedelta(hours=1),
            minutes=60,
            capacity=2,
            lang="de",
            now=SUNDAY,
            hold_minutes=10,
        )
        for booking in (*held, other):
            store.confirm(
                db,
                booking,
                children=1,
                ages="7",
                mediator_lang=None,
                reminder_hours=[],
                now=SUNDAY,
            )
    with pytest.raises(store.SlotTaken), transaction(db):  # capacity is now 1, not 2
        store.move(db, other, start=MONDAY_10, capacity=1, reminder_hours=[], now=SUNDAY)


def test_notice_is_counted_in_real_hours_across_the_clock_change() -> None:
    settings = config(hours={"sunday": ["01:00-05:00"]}, closed=[])
    kind = settings.types["se_on_site"].model_copy(update={"notice_hours": 2})
    now = dt.datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN)  # clocks go back 03:00 -> 02:00
    first = next(bookable_slots(settings, kind, now))
    real = first.astimezone(dt.UTC) - now.astimezone(dt.UTC)  # same-zone "-" is wall time
    # 03:00 (winter time) is 2.5 real hours after 01:30 (summer time); counting on the
    # wall clock would have skipped it.
    assert first.hour == 3 and real == dt.timedelta(hours=2, minutes=30)
