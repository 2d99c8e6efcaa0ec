"""Booking a counselling appointment, and the family's own appointments.

A small dialogue of its own, run by the conversation service while `state.booking` is set
(the engine hands over with an Effect): consent -> type -> day -> time (the slot is held)
-> children and their ages -> mediator -> summary -> confirm. "My appointments" lists,
reschedules and cancels. Every write happens in the caller's transaction; the seat table
decides who gets a slot (bot/store/bookings.py). Button ids start with "bk:" and are
checked against the family's own bookings: a forged id shows nothing of anyone else.
Every booking confirmed, moved or cancelled here is posted to the staff chat in the same
transaction (bot/services/booking_posts.py), when the Turn carries a staff chat id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from bot import i18n
from bot.engine.dialogue import HELP, HOME
from bot.engine.parsers import ascii_digits
from bot.engine.slots import german_name, mediator_language
from bot.knowledge.appointments import Appointments, AppointmentType
from bot.knowledge.models import AnswerNode
from bot.services import booking_posts, mediation
from bot.services import turn as turn_
from bot.services.availability import bookable_slots
from bot.services.calendar_file import CalendarEntry, ics
from bot.store import bookings as store
from bot.store.bookings import Booking, SlotTaken
from bot.types import (
    Attachment,
    Button,
    ButtonId,
    ButtonPress,
    Command,
    Effect,
    Event,
    Media,
    TextInput,
    button_id,
)

PREFIX = "bk"
DAYS_PER_PAGE = 5
TIMES_SHOWN = 8
MAX_CHILDREN = 10
OTHER_LANGUAGE_CHARS = 40
MAX_LANGUAGE_WORDS = 3  # a longer text is a sentence, not a language's name: asked again
# One counselling covers all children of a family; two leaves room for a second
# appointment (e.g. on site after video) without letting one chat empty the calendar.
MAX_OPEN_BOOKINGS = 2
ICS_MIME = "text/calendar"


class Turn(turn_.Turn):
    """One event of the booking dialogue: the shared turn (bot/services/turn.py) with the
    booking's own step, buttons and formatting."""

    @classmethod
    def of(cls, turn: turn_.Turn) -> Turn:
        """The booking's view of a turn of the conversation: the same family, state and
        replies (the caller takes the state back)."""
        return cls(
            turn.db,
            turn.kb,
            turn.now,
            chat=turn.chat,
            family=turn.family,
            state=turn.state,
            staff=turn.staff,
            replies=turn.replies,
        )

    @property
    def config(self) -> Appointments:
        assert self.kb.appointments is not None  # the engine only hands over when it exists
        return self.kb.appointments

    @property
    def step(self) -> dict[str, Any]:
        return dict(self.state.booking or {})

    def expects(self) -> str | None:
        """While the flow asks for a number (children, ages), the reply says so."""
        return "number" if self.step.get("step") in ("children", "ages") else None

    def goto(self, **changes: Any) -> None:
        self.state = replace(self.state, booking={**self.step, **changes})

    def end(self) -> None:
        self.state = replace(self.state, booking=None)

    def button(self, name: str, label: str) -> Button:
        return Button(button_id(PREFIX, *name.split(":")), self.ui(label))

    @property
    def nav(self) -> tuple[Button, ...]:
        return (
            self.button("back", "◀ Zurück"),
            self.home(),
        )

    # --- formatting -------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def day_label(self, day: dt.date) -> str:
        """The full date in the locale's own pattern ('Montag, 23. November 2026',
        'الاثنين، 23 نوفمبر 2026'): a German pattern would be wrong in other scripts."""
        return format_date(day, "full", locale=_locale(self.lang))

    def time_label(self, moment: dt.datetime) -> str:
        return format_time(moment.astimezone(self.zone), "short", locale=_locale(self.lang))

    def when(self, moment: dt.datetime) -> str:
        """'Montag, 23. November 2026, 09:00' in the family's locale and local time."""
        local = moment.astimezone(self.zone)
        day = format_date(local.date(), "full", locale=_locale(self.lang))
        return f"{day}, {self.time_label(local)}"

    def type_name(self, type_id: str) -> str:
        kind = self.config.types.get(type_id)
        if kind is None:  # removed from appointments.yaml after it was booked
            return type_id
        found = self.kb.catalogs.text(self.lang, f"appointments.{type_id}.name", kind.name)
        return self.kb.fill(found.text, found.lang)


def _locale(lang: str) -> str:
    """Babel needs a locale it knows; every Lotse language is one."""
    return lang if lang in i18n.LANGUAGES else i18n.SOURCE_LANGUAGE


def _slot_id(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M")


def _slot_from_id(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%dT%H%M").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


# --- free slots -------------------------------------------------------------------------


def free_slots(turn: Turn, type_id: str) -> Iterator[dt.datetime]:
    """Bookable starts of a type that still have a free seat, soonest first."""
    kind = turn.config.types[type_id]
    by_day: dict[dt.date, list[dt.datetime]] = {}
    for start in bookable_slots(turn.config, kind, turn.now):
        by_day.setdefault(start.date(), []).append(start)
    for starts in by_day.values():
        occupied = store.taken(turn.db, type_id, starts, turn.now)
        for start in starts:
            if occupied[store.utc(start)] < kind.capacity:
                yield start


def free_days(turn: Turn, type_id: str) -> list[dt.date]:
    days: list[dt.date] = []
    for start in free_slots(turn, type_id):
        day = start.astimezone(turn.zone).date()
        if not days or days[-1] != day:
            days.append(day)
    return days


# --- the dialogue -----------------------------------------------------------------------


def start(turn: Turn, kind: str, flow: str) -> None:
    """Begin booking (kind "book") or show the family's appointments ("appointments")."""
    if kind == "appointments":
        show_list(turn)
        return
    offered = [
        type_id for type_id, item in turn.config.types.items() if flow in item.journeys
    ] or list(turn.config.types)
    turn.state = replace(turn.state, booking={"step": "consent", "types": offered})
    if _has_consent(turn):
        ask_type(turn)
    else:
        ask_consent(turn)


def _has_consent(turn: Turn) -> bool:
    row = turn.db.execute("SELECT consent_at FROM families WHERE id = ?", [turn.family]).fetchone()
    return bool(row and row[0])


def ask_consent(turn: Turn) -> None:
    turn.goto(step="consent")
    turn.say(
        turn.ui(
            "Für einen Termin speichern wir: welche Beratung, Tag und Uhrzeit, wie viele Kinder "
            "kommen und wie alt sie sind, ob Sie eine Sprachmittlung brauchen und in welcher "
            "Sprache, und Ihre Sprache für Erinnerungen in diesem Chat. Das KI braucht das, um "
            "die Beratung vorzubereiten. Nur Mitarbeitende des KI sehen es."
        ),
        (
            turn.button("consent:yes", "✅ Einverstanden"),
            turn.button("consent:no", "Nein, lieber anrufen"),
            *turn.nav,
        ),
    )


def ask_type(turn: Turn) -> None:
    offered = list(turn.step.get("types", []))
    if len(offered) == 1:
        ask_day(turn, offered[0], 0)
        return
    turn.goto(step="type")
    buttons = tuple(Button(button_id(PREFIX, "type", t), turn.type_name(t)) for t in offered)
    turn.say(turn.ui("Welche Beratung möchten Sie?"), buttons + turn.nav)


def ask_day(turn: Turn, type_id: str, page: int) -> None:
    turn.goto(step="day", type=type_id, page=page)
    days = free_days(turn, type_id)
    shown = days[page * DAYS_PER_PAGE : (page + 1) * DAYS_PER_PAGE]
    if not shown:
        turn.say(no_free_time(turn), turn.nav)
        return
    buttons = [
        Button(button_id(PREFIX, "day", day.isoformat()), turn.day_label(day)) for day in shown
    ]
    if len(days) > (page + 1) * DAYS_PER_PAGE:
        buttons.append(turn.button(f"days:{page + 1}", "Weitere Tage ▶"))
    turn.say(turn.ui("An welchem Tag?"), (*buttons, *turn.nav))


def no_free_time(turn: Turn) -> str:
    return turn.ui(
        "Im Moment ist kein Termin frei. Bitte melden Sie sich beim KI: Telefon {phone}, "
        "E-Mail {email}."
    ).format(**turn.kb.reach)


def ask_time(turn: Turn, day: dt.date, *, intro: str | None = None) -> None:
    type_id = str(turn.step.get("type"))
    turn.goto(step="time", day=day.isoformat())
    starts = [s for s in free_slots(turn, type_id) if s.astimezone(turn.zone).date() == day]
    if not starts:
        offer_next_free(turn, type_id, intro or turn.ui("An diesem Tag ist nichts mehr frei."))
        return
    buttons = tuple(
        Button(button_id(PREFIX, "time", _slot_id(start)), turn.time_label(start))
        for start in starts[:TIMES_SHOWN]
    )
    text = turn.ui("Um wie viel Uhr? ({day})").format(day=turn.day_label(day))
    turn.say(f"{intro}\n{text}" if intro else text, buttons + turn.nav)


def offer_next_free(turn: Turn, type_id: str, intro: str) -> None:
    """After a slot was just taken: the next free times, whatever the day."""
    starts = list(_take(free_slots(turn, type_id), TIMES_SHOWN))
    if not starts:
        turn.say(f"{intro}\n{no_free_time(turn)}", turn.nav)
        return
    turn.goto(step="time")
    buttons = tuple(
        Button(
            button_id(PREFIX, "time", _slot_id(start)),
            f"{turn.day_label(start.astimezone(turn.zone).date())}, {turn.time_label(start)}",
        )
        for start in starts
    )
    turn.say(f"{intro}\n" + turn.ui("Diese Zeiten sind frei:"), buttons + turn.nav)


def _take(items: Iterator[dt.datetime], count: int) -> Iterator[dt.datetime]:
    for index, item in enumerate(items):
        if index >= count:
            return
        yield item


def choose_time(turn: Turn, start: dt.datetime) -> None:
    type_id = str(turn.step.get("type"))
    held = turn.step.get("hold")
    if held is not None:  # the family changes its mind: its own hold must not block it
        store.release(turn.db, int(held), turn.now)
        turn.goto(hold=None)
    if start not in set(free_slots(turn, type_id)):
        offer_next_free(turn, type_id, turn.ui("Diese Zeit ist leider gerade vergeben."))
        return
    turn.goto(day=start.astimezone(turn.zone).date().isoformat())
    moving = turn.step.get("move")
    if moving is not None:
        turn.goto(step="summary", start=store.utc(start))
        summary(turn)
        return
    if store.open_count(turn.db, turn.family, turn.now) >= MAX_OPEN_BOOKINGS:
        turn.end()
        turn.say(
            turn.ui("Sie haben schon einen Termin. Ändern oder absagen können Sie ihn hier:"),
            (turn.button("list", "📋 Meine Termine"), Button(HOME, turn.ui("🏠 Hauptmenü"))),
        )
        return
    held = hold_or_offer(turn, type_id, start)
    if held is not None:
        turn.goto(step="children", hold=held, start=store.utc(start))
        ask_children(turn)


def hold_or_offer(turn: Turn, type_id: str, start: dt.datetime) -> int | None:
    """Hold the slot for the family; if it is gone, say so and offer the next free times."""
    kind = turn.config.types[type_id]
    try:
        return store.hold(
            turn.db,
            family=turn.family,
            kind=type_id,
            start=start,
            minutes=kind.duration,
            capacity=kind.capacity,
            lang=turn.lang,
            now=turn.now,
            hold_minutes=turn.config.hold_minutes,
        )
    except SlotTaken:
        offer_next_free(turn, type_id, turn.ui("Diese Zeit ist leider gerade vergeben."))
        return None


def ask_children(turn: Turn) -> None:
    turn.goto(step="children")
    buttons = tuple(Button(button_id(PREFIX, "children", n), str(n)) for n in range(1, 5))
    turn.say(turn.ui("Wie viele Kinder kommen zur Beratung?"), buttons + turn.nav)


def ask_ages(turn: Turn) -> None:
    turn.goto(step="ages")
    turn.say(
        turn.ui("Wie alt sind die Kinder? Schreiben Sie die Alter, zum Beispiel: 7, 12"),
        turn.nav,
    )


def ask_mediator(turn: Turn) -> None:
    turn.goto(step="mediator")
    turn.say(
        turn.ui("Brauchen Sie bei der Beratung eine Sprachmittlung (Dolmetschen)?"),
        (turn.button("mediator:yes", "Ja"), turn.button("mediator:no", "Nein"), *turn.nav),
    )


def ask_mediator_language(turn: Turn) -> None:
    turn.goto(step="mediator_lang")
    codes = [code for code in i18n.LANGUAGES if code != i18n.SOURCE_LANGUAGE]
    if turn.lang in codes:  # the family's own language first
        codes.remove(turn.lang)
        codes.insert(0, turn.lang)
    buttons = tuple(Button(button_id(PREFIX, "lang", c), i18n.language_name(c)) for c in codes)
    turn.say(
        turn.ui("Für welche Sprache? Tippen Sie auf eine Sprache oder schreiben Sie sie."),
        buttons + turn.nav,
    )


def _language_label(value: str | None, lang: str) -> str:
    if value is None:
        return ""
    return i18n.language_name(value) if value in i18n.LANGUAGES else value


def summary(turn: Turn) -> None:
    step = turn.step
    turn.goto(step="summary")
    start = store.parse_utc(str(step["start"]))
    type_id = str(step["type"])
    lines = [
        turn.ui("Bitte prüfen Sie:"),
        f"📅 {turn.when(start)}",
        f"📍 {turn.type_name(type_id)}",
    ]
    moving = step.get("move")
    if moving is not None:
        old = store.get(turn.db, int(moving))
        if old is not None:
            lines.append(turn.ui("Bisher: {when}").format(when=turn.when(old.starts_at)))
    else:
        ages = step.get("ages") or ""
        lines.append(
            turn.ui("👧 Kinder: {count} ({ages})").format(count=step["children"], ages=ages)
        )
        mediator = step.get("mediator_lang")
        lines.append(
            turn.ui("🗣 Sprachmittlung: {language}").format(
                language=_language_label(mediator, turn.lang)
            )
            if mediator
            else turn.ui("🗣 Keine Sprachmittlung")
        )
    turn.say(
        "\n".join(lines),
        (
            turn.button("confirm", "✅ Verbindlich buchen"),
            turn.button("days:0", "🕑 Andere Zeit"),
            turn.button("abort", "✖ Abbrechen"),
        ),
    )


def confirm(turn: Turn) -> None:
    step = turn.step
    type_id = str(step["type"])
    kind = turn.config.types[type_id]
    before: dt.datetime | None = None  # the time of a booking being moved
    if step.get("move") is not None:
        current = own_booking(turn, str(step["move"]))
        if current is None or not changeable(turn, current):
            turn.end()
            if current is None:
                turn.say(turn.ui("Diesen Termin gibt es nicht mehr."))
                show_list(turn)
            else:
                show_booking(turn, current)
            return
        before = current.starts_at
    elif not _hold_running(turn, int(step["hold"])):
        # The family took longer than the hold: if the time is still free, take it anew.
        held = hold_or_offer(turn, type_id, store.parse_utc(str(step["start"])))
        if held is None:
            return
        turn.goto(hold=held)
        step = turn.step
    try:
        if step.get("move") is not None:
            booking = store.move(
                turn.db,
                int(step["move"]),
                start=store.parse_utc(str(step["start"])),
                capacity=kind.capacity,
                reminder_hours=turn.config.reminders,
                now=turn.now,
            )
        else:
            booking = store.confirm(
                turn.db,
                int(step["hold"]),
                children=int(step["children"]),
                ages=str(step.get("ages") or ""),
                mediator_lang=step.get("mediator_lang"),
                reminder_hours=turn.config.reminders,
                now=turn.now,
            )
    except SlotTaken:
        offer_next_free(turn, type_id, turn.ui("Diese Zeit ist leider gerade vergeben."))
        return
    turn.end()
    if before is not None:
        booking_posts.moved(
            turn.db,
            turn.kb,
            turn.staff_chat,
            booking,
            before,
            turn.now,
            lang=turn.lang,
            mediation_chat=turn.mediation_chat,
        )
    else:
        booking_posts.booked(turn.db, turn.kb, turn.staff_chat, booking, turn.now, lang=turn.lang)
        mediation.from_booking(turn.db, turn.kb, turn.mediation_chat, booking, turn.now)
    confirmation(turn, booking, kind)


def _hold_running(turn: Turn, held: int) -> bool:
    booking = store.get(turn.db, held)
    return (
        booking is not None
        and booking.status == store.HELD
        and booking.hold_until is not None
        and booking.hold_until >= turn.now
    )


def place_text(turn: Turn, kind: AppointmentType) -> str:
    contact = kind.contact
    if kind.mode == "video":
        return turn.ui(
            "Die Beratung ist per Video. Wie Sie teilnehmen, sagt Ihnen das KI vor dem Termin. "
            "Schicken Sie die Unterlagen bitte vorher per Post an: {address}"
        ).format(address="{" + contact + ".address}")
    contact_data = turn.kb.organisation.contacts[contact]
    text = turn.ui("Adresse: {address}").format(address="{" + contact + ".address}")
    if contact_data.transport:
        text += "\n" + turn.ui("Anfahrt: {transport}").format(
            transport="{" + contact + ".transport}"
        )
    return text


def documents_text(turn: Turn, kind: AppointmentType) -> str | None:
    node = turn.kb.nodes.get(kind.documents or "")
    if not isinstance(node, AnswerNode) or not node.checklist:
        return None
    items = [
        turn.kb.catalogs.text(turn.lang, f"{kind.documents}.checklist.{index}", item).text
        for index, item in enumerate(node.checklist)
    ]
    if kind.mode == "video":
        heading = turn.ui("Diese Kopien schicken Sie bitte vorher:")
    else:
        heading = turn.ui("Bitte bringen Sie Kopien mit:")
    return heading + "\n" + "\n".join(f"• {item}" for item in items)


def calendar_file(turn: Turn, booking: Booking, kind: AppointmentType) -> Attachment:
    contact = turn.kb.organisation.contacts[kind.contact]
    entry = CalendarEntry(
        uid=booking.uid,
        sequence=booking.sequence,
        start=booking.starts_at.astimezone(turn.zone),
        minutes=booking.minutes,
        summary=turn.type_name(booking.type),
        location=(contact.address or "") if kind.mode == "on_site" else "Video",
        description=f"{contact.name} – {contact.phone or ''} {contact.email or ''}".strip(),
        cancelled=booking.status != store.CONFIRMED,
    )
    return Attachment(f"termin-{booking.id}.ics", ICS_MIME, ics(entry, turn.now))


def confirmation(turn: Turn, booking: Booking, kind: AppointmentType) -> None:
    turn.say(
        turn.ui("✅ Ihr Termin ist gebucht: {when}").format(when=turn.when(booking.starts_at))
        + "\n"
        + turn.type_name(booking.type)
    )
    turn.say(place_text(turn, kind))
    documents = documents_text(turn, kind)
    if documents:
        turn.say(documents)
    turn.say(
        turn.ui("Hier ist der Termin für Ihren Kalender. Wir erinnern Sie vorher."),
        (
            turn.button("list", "📋 Meine Termine"),
            Button(HOME, turn.ui("🏠 Hauptmenü")),
        ),
        files=(calendar_file(turn, booking, kind),),
    )


# --- my appointments --------------------------------------------------------------------


def show_list(turn: Turn) -> None:
    turn.end()
    booked = store.upcoming(turn.db, turn.family, turn.now)
    if not booked:
        turn.say(
            turn.ui("Sie haben keinen Termin."),
            (turn.button("new", "📅 Termin buchen"), Button(HOME, turn.ui("🏠 Hauptmenü"))),
        )
        return
    buttons = tuple(
        Button(
            button_id(PREFIX, "show", booking.id),
            f"{turn.day_label(booking.starts_at.astimezone(turn.zone).date())}, "
            f"{turn.time_label(booking.starts_at)}",
        )
        for booking in booked
    )
    turn.say(turn.ui("Ihre Termine:"), (*buttons, Button(HOME, turn.ui("🏠 Hauptmenü"))))


def own_booking(turn: Turn, text: str) -> Booking | None:
    """The family's own confirmed, upcoming booking with this id, else None."""
    if not _ID.fullmatch(text):
        return None
    booking = store.get(turn.db, int(text))
    if booking is None or booking.family_id != turn.family or booking.status != store.CONFIRMED:
        return None
    return booking if booking.starts_at >= turn.now else None


def changeable(turn: Turn, booking: Booking) -> bool:
    kind = turn.config.types.get(booking.type)
    hours = kind.cancel_hours if kind else 24
    return booking.starts_at - turn.now >= dt.timedelta(hours=hours)


def show_booking(turn: Turn, booking: Booking) -> None:
    kind = turn.config.types.get(booking.type)
    lines = [f"📅 {turn.when(booking.starts_at)}", f"📍 {turn.type_name(booking.type)}"]
    buttons: list[Button] = []
    if changeable(turn, booking):
        buttons += [
            turn.button(f"move:{booking.id}", "🕑 Verschieben"),
            turn.button(f"cancel:{booking.id}", "✖ Absagen"),
        ]
    else:
        lines.append(
            turn.ui("Für eine Änderung so kurz vor dem Termin rufen Sie bitte an: {phone}").format(
                phone=turn.kb.reach["phone"]
            )
        )
    files = (calendar_file(turn, booking, kind),) if kind else ()
    buttons += [turn.button("list", "📋 Meine Termine"), Button(HOME, turn.ui("🏠 Hauptmenü"))]
    turn.say("\n".join(lines), tuple(buttons), files)


def ask_cancel(turn: Turn, booking: Booking) -> None:
    turn.say(
        turn.ui("Möchten Sie den Termin am {when} wirklich absagen?").format(
            when=turn.when(booking.starts_at)
        ),
        (
            turn.button(f"cancelyes:{booking.id}", "Ja, absagen"),
            turn.button(f"show:{booking.id}", "Nein"),
        ),
    )


def do_cancel(turn: Turn, booking: Booking) -> None:
    cancelled = store.cancel(turn.db, booking.id, turn.now, reason=store.BY_FAMILY)
    if cancelled is not None:
        booking_posts.cancelled(
            turn.db,
            turn.kb,
            turn.staff_chat,
            cancelled,
            turn.now,
            by=store.BY_FAMILY,
            lang=turn.lang,
            mediation_chat=turn.mediation_chat,
        )
    kind = turn.config.types.get(booking.type)
    files = (calendar_file(turn, cancelled, kind),) if cancelled and kind else ()
    turn.say(
        turn.ui("Ihr Termin ist abgesagt."),
        (turn.button("new", "📅 Neuen Termin buchen"), Button(HOME, turn.ui("🏠 Hauptmenü"))),
        files,
    )


def start_move(turn: Turn, booking: Booking) -> None:
    turn.state = replace(turn.state, booking={"step": "day", "move": booking.id})
    ask_day(turn, booking.type, 0)


# --- events -----------------------------------------------------------------------------


_AGES = re.compile(r"\d+")
_LANGUAGE_NAME = re.compile(r"[^\W\d_]+(?:[ -][^\W\d_]+)*")
_ID = re.compile(r"[0-9]{1,9}")


def back(turn: Turn) -> bool:
    """One step back inside the flow; False when the flow is left (the engine goes back)."""
    step = str(turn.step.get("step"))
    if step == "summary" and turn.step.get("move") is not None:
        ask_time(turn, dt.date.fromisoformat(str(turn.step.get("day"))))
        return True
    previous = {
        "type": "consent",
        "day": "type",
        "time": "day",
        "children": "time",
        "ages": "children",
        "mediator": "ages",
        "mediator_lang": "mediator",
        "summary": "mediator",
    }.get(step)
    if previous in (None, "consent"):
        leave(turn)
        return False
    if previous == "type":
        if len(turn.step.get("types", [])) > 1:
            ask_type(turn)
            return True
        leave(turn)
        return False
    turn.goto(step=previous, page=0)  # back to a day list starts at its first page
    repeat(turn)
    return True


def leave(turn: Turn) -> None:
    """The family leaves the flow: a held slot is given back at once."""
    held = turn.step.get("hold")
    if held is not None:
        store.release(turn.db, int(held), turn.now)
    turn.end()


def handle(turn: Turn, event: Event) -> Event | None:
    """Run one event. Returns the event the engine should handle instead (anything that
    is not the flow's own: a command, another button, text outside the flow; "back" from
    the first step), or None when the flow answered."""
    if turn.state.booking is not None and not _still_valid(turn):
        # appointments.yaml changed under a running booking: start it again, kindly.
        leave(turn)
        turn.say(turn.ui("Die Termine wurden geändert. Bitte wählen Sie noch einmal."))
        start(turn, "book", "")
        return None
    if isinstance(event, ButtonPress) and (button := ButtonId.decode(event.id)).prefix == PREFIX:
        return None if pressed(turn, ":".join(button.parts)) else Command("back")
    active = turn.state.booking is not None
    if active and isinstance(event, TextInput) and not event.text.strip().startswith("/"):
        typed(turn, event.text)
        return None
    if active and (
        isinstance(event, Media) or (isinstance(event, Command) and event.name == "help")
    ):
        # Help (also the answer to a photo or voice message) keeps the booking going.
        turn.say(turn.ui(HELP))
        repeat(turn)
        return None
    if active:
        leave(turn)
    return event


def _still_valid(turn: Turn) -> bool:
    step = turn.step
    known = turn.config.types
    if "type" in step and step["type"] not in known:
        return False
    return all(type_id in known for type_id in step.get("types", []))


def typed(turn: Turn, text: str) -> None:
    step = turn.step.get("step")
    if step == "children":
        numbers = _AGES.findall(ascii_digits(text))
        if len(numbers) == 1 and 1 <= int(numbers[0]) <= MAX_CHILDREN:
            turn.goto(children=int(numbers[0]))
            ask_ages(turn)
            return
    elif step == "ages":
        ages = [int(n) for n in _AGES.findall(ascii_digits(text))]
        if ages and all(age <= 30 for age in ages):
            turn.goto(ages=", ".join(str(age) for age in ages))
            ask_mediator(turn)
            return
    elif step in ("mediator", "mediator_lang"):
        # "Ja, für Dari", "арабский": the one language named, as its code or German name;
        # else, where the language is asked, a short name Lotse does not know as typed.
        # Letters, spaces and hyphens only: a language name, never a formula or a {field}.
        code = mediator_language(text, turn.lang)
        cleaned = " ".join(text.split())[:OTHER_LANGUAGE_CHARS]
        named = step == "mediator_lang" and _LANGUAGE_NAME.fullmatch(cleaned) is not None
        if code is not None:
            language: str | None = code if code in i18n.LANGUAGES else german_name(code)
        else:
            language = cleaned if named and len(cleaned.split()) <= MAX_LANGUAGE_WORDS else None
        if language is not None:
            turn.goto(mediator_lang=language)
            summary(turn)
            return
    hints = {
        "children": turn.ui("Bitte schreiben Sie eine Zahl, zum Beispiel 2."),
        "ages": turn.ui("Bitte schreiben Sie die Alter als Zahlen, zum Beispiel: 7, 12"),
        "mediator_lang": turn.ui("Bitte schreiben Sie nur den Namen der Sprache."),
    }
    hint = hints.get(str(step))
    turn.say(hint or turn.ui("Das habe ich nicht verstanden. Bitte tippen Sie auf einen Knopf."))
    repeat(turn)


def repeat(turn: Turn) -> None:
    """Show the current step again."""
    step = turn.step.get("step")
    if step == "consent":
        ask_consent(turn)
    elif step == "type":
        ask_type(turn)
    elif step == "day":
        ask_day(turn, str(turn.step["type"]), int(turn.step.get("page", 0)))
    elif step == "time" and turn.step.get("day"):
        ask_time(turn, dt.date.fromisoformat(str(turn.step["day"])))
    elif step == "time":
        ask_day(turn, str(turn.step["type"]), 0)
    elif step == "children":
        ask_children(turn)
    elif step == "ages":
        ask_ages(turn)
    elif step == "mediator":
        ask_mediator(turn)
    elif step == "mediator_lang":
        ask_mediator_language(turn)
    elif step == "summary":
        summary(turn)
    else:
        show_list(turn)


def pressed(turn: Turn, button: str) -> bool:
    """Handle a booking button; False if it means leaving the flow ("back" at the start)."""
    name, _sep, value = button.partition(":")
    step = turn.step.get("step")
    if name == "back":
        return back(turn)
    if name in ("list", "new", "show", "cancel", "cancelyes", "move"):
        return manage(turn, name, value)
    if turn.state.booking is None:  # a booking button from an earlier, finished booking
        turn.say(turn.ui("Dieser Knopf gehört zu einem früheren Schritt."))
        show_list(turn)
        return True
    if name == "consent" and step == "consent":
        if value == "yes":
            turn.db.execute(
                "UPDATE families SET consent_at = ? WHERE id = ?",
                [store.utc(turn.now), turn.family],
            )
            ask_type(turn)
        else:
            leave(turn)
            turn.say(no_consent(turn), (Button(HOME, turn.ui("🏠 Hauptmenü")),))
        return True
    if name == "type" and step == "type" and value in turn.step.get("types", []):
        ask_day(turn, value, 0)
    elif name == "days" and _ID.fullmatch(value) and "type" in turn.step:
        ask_day(turn, str(turn.step["type"]), int(value))
    elif name == "day" and "type" in turn.step:
        try:
            ask_time(turn, dt.date.fromisoformat(value))
        except ValueError:
            repeat(turn)
    elif name == "time" and "type" in turn.step and (start := _slot_from_id(value)):
        choose_time(turn, start)
    elif name == "children" and step == "children" and _ID.fullmatch(value):
        turn.goto(children=max(1, min(int(value), MAX_CHILDREN)))
        ask_ages(turn)
    elif name == "mediator" and step == "mediator":
        if value == "yes":
            ask_mediator_language(turn)
        else:
            turn.goto(mediator_lang=None)
            summary(turn)
    elif name == "lang" and step == "mediator_lang" and value in i18n.LANGUAGES:
        turn.goto(mediator_lang=value)
        summary(turn)
    elif name == "confirm" and step == "summary":
        confirm(turn)
    elif name == "abort":
        leave(turn)
        turn.say(
            turn.ui("Der Termin wurde nicht gebucht."), (Button(HOME, turn.ui("🏠 Hauptmenü")),)
        )
    else:
        turn.say(turn.ui("Dieser Knopf gehört zu einem früheren Schritt."))
        repeat(turn)
    return True


def no_consent(turn: Turn) -> str:
    return turn.ui(
        "Kein Problem. Sie können einen Termin auch so vereinbaren: Telefon {phone}, "
        "E-Mail {email}."
    ).format(**turn.kb.reach)


def manage(turn: Turn, name: str, value: str) -> bool:
    """The family's own appointments: list, show, cancel, reschedule, book anew."""
    if name == "list":
        show_list(turn)
        return True
    if name == "new":
        offered = list(turn.config.types)
        turn.state = replace(turn.state, booking={"step": "consent", "types": offered})
        if _has_consent(turn):
            ask_type(turn)
        else:
            ask_consent(turn)
        return True
    booking = own_booking(turn, value)
    if booking is None:
        turn.say(turn.ui("Diesen Termin gibt es nicht mehr."))
        show_list(turn)
        return True
    if name == "show":
        turn.end()
        show_booking(turn, booking)
    elif not changeable(turn, booking):
        show_booking(turn, booking)
    elif name == "cancel":
        ask_cancel(turn, booking)
    elif name == "cancelyes":
        turn.end()
        do_cancel(turn, booking)
    elif name == "move":
        start_move(turn, booking)
    return True


class BookingFlow:
    """The booking dialogue as a flow of the conversation service: it claims its own
    buttons and, while a booking runs, every event; the engine's "book" and
    "appointments" effects start it."""

    name = "booking"
    prefixes = frozenset({PREFIX})
    effects = frozenset({"book", "appointments"})

    def claims(self, turn: turn_.Turn, event: Event) -> bool:
        if turn.kb.appointments is None:
            return False
        own = isinstance(event, ButtonPress) and ButtonId.decode(event.id).prefix == PREFIX
        return own or turn.state.booking is not None

    def handle(self, turn: turn_.Turn, event: Event) -> Event | None:
        view = Turn.of(turn)
        rest = handle(view, event)
        turn.state = view.state
        return rest

    def effect(self, turn: turn_.Turn, effect: Effect) -> None:
        view = Turn.of(turn)
        match effect.kind:
            case "book" | "appointments":
                start(view, effect.kind, effect.flow)
            case _:
                raise AssertionError(f"not the booking's effect: {effect.kind}")
        turn.state = view.state
