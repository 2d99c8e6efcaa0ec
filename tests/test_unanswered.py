"""Questions Lotse could not place: kept for editors only with the family's yes, scrubbed
of names, numbers and addresses, grouped for `lotse report unanswered`. Through the real
conversation service, the bundled knowledge and an SQLite file on disk."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from bot.cli import cli
from bot.engine import ButtonPress, Command, Effect, Reply, Start, State, TextInput, handle
from bot.engine.dialogue import KEEP_NO, KEEP_YES
from bot.engine.understanding import understand
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.services import unanswered
from bot.services.conversation import Conversations
from bot.services.scrub import known_words, scrub
from bot.store import audit, open_db, transaction
from bot.store import unanswered as store
from bot.store.conversations import family_id, find_family, load_state
from tests.conftest import KNOWLEDGE, ROOT, TODAY
from tests.fake_bot_api import FakeBotAPI
from tests.test_telegram import Family, buttons, lotse

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
CHANNEL, USER = "console", "4711"
UNPLACED = "Wie bekomme ich einen Führerschein? Ich heiße Anna Schmidt, meine Nummer 0211 89-12345"
UNPLACED_KEPT = "Wie bekomme ich einen Führerschein? Ich heiße [Name], meine Nummer [Telefon]"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The bundled knowledge with every language."""
    return load_knowledge(KNOWLEDGE, ROOT / "translations")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "lotse.db")
    yield database
    database.close()


class Chat:
    """One family talking to the conversation service."""

    def __init__(self, db: Database, kb: KnowledgeBase, user: str = USER) -> None:
        self.db = db
        self.kb = kb
        self.user = user
        self.conversations = Conversations(db, lambda: kb, clock=lambda: NOW)

    def send(self, event: Start | TextInput | ButtonPress | Command) -> list[Reply]:
        return self.conversations.handle(CHANNEL, self.user, event)

    def say(self, text: str) -> list[Reply]:
        return self.send(TextInput(text))

    @property
    def family(self) -> int:
        found = find_family(self.db, CHANNEL, self.user)
        assert found is not None
        return found

    @property
    def state(self) -> State:
        return load_state(self.db, self.family)

    def kept(self) -> list[store.Question]:
        return store.questions(self.db, family=self.family)

    def keep(self) -> bool | None:
        return store.keep_questions(self.db, self.family)


def unplaced(kb: KnowledgeBase, text: str, lang: str = "de") -> str:
    """A text the free-text understanding does not place (checked, so a new keyword that
    places it shows here and not as a puzzling failure further down)."""
    assert understand(kb, text, lang).kind == "none", text
    return text


def consent(replies: list[Reply]) -> Reply | None:
    """The reply asking whether the question may be kept, if any."""
    for reply in replies:
        if KEEP_YES in {button.id for button in reply.buttons}:
            return reply
    return None


def every_text(db: Database) -> str:
    """Every text value of every table of the database file, joined."""
    found: list[str] = []
    for table in db.table_names():
        for row in db.execute(f"SELECT * FROM [{table}]").fetchall():
            found += [value for value in row if isinstance(value, str)]
    return "\n".join(found)


@pytest.fixture
def chat(db: Database, kb: KnowledgeBase) -> Chat:
    family = Chat(db, kb)
    family.send(Start("de"))
    return family


# --- consent and keeping -----------------------------------------------------------------


def test_an_unplaced_question_is_kept_scrubbed_after_the_familys_yes(chat: Chat) -> None:
    replies = chat.say(unplaced(chat.kb, UNPLACED))
    assert "nicht verstanden" in replies[0].text
    question = consent(replies)
    assert question is not None and question is replies[-1]  # the open question comes last
    assert "ohne Namen und Zahlen" in question.text
    assert UNPLACED_KEPT in question.text  # the family sees exactly what would be kept
    assert [b.id for b in question.buttons] == [KEEP_YES, KEEP_NO]
    assert chat.state.pending_question == UNPLACED_KEPT
    assert chat.keep() is None and chat.kept() == []
    for private in ("Anna", "Schmidt", "12345", "0211"):  # not even in the waiting state
        assert private not in every_text(chat.db)

    replies = chat.send(ButtonPress(KEEP_YES))
    assert "Ihre Frage ist gespeichert" in replies[0].text and "/questions" in replies[0].text
    assert replies[-1].buttons  # the step again, with its buttons
    [kept] = chat.kept()
    assert (kept.text, kept.lang, kept.node) == (UNPLACED_KEPT, "de", "main_menu")
    assert kept.created_at == NOW.isoformat(timespec="seconds")
    assert chat.keep() is True and chat.state.pending_question is None
    [entry] = [e for e in audit.entries(chat.db, family=chat.family) if e.actor == "family"]
    assert (entry.action, entry.detail) == ("keep_questions", "yes")
    for private in ("Anna", "Schmidt", "12345", "0211"):
        assert private not in every_text(chat.db)


def test_with_a_yes_later_questions_are_kept_without_asking(chat: Chat) -> None:
    chat.say(unplaced(chat.kb, UNPLACED))
    chat.send(ButtonPress(KEEP_YES))
    chat.send(ButtonPress("sprachkurs"))
    replies = chat.say(unplaced(chat.kb, "Gibt es einen Verein für Kinder in Düsseldorf?"))
    assert consent(replies) is None
    assert [(q.text, q.node) for q in chat.kept()] == [
        (UNPLACED_KEPT, "main_menu"),
        ("Gibt es einen Verein für Kinder in Düsseldorf?", "sk_start"),
    ]


def test_no_keeps_nothing_and_is_never_asked_again(chat: Chat) -> None:
    chat.say(unplaced(chat.kb, UNPLACED))
    replies = chat.send(ButtonPress(KEEP_NO))
    assert "speichert Ihre Fragen nicht" in replies[0].text
    assert chat.keep() is False and chat.kept() == []
    assert chat.state.pending_question is None
    replies = chat.say(unplaced(chat.kb, "Wo finde ich einen Fußballverein?"))
    assert consent(replies) is None
    assert chat.kept() == [] and UNPLACED_KEPT not in every_text(chat.db)


def test_a_family_that_lets_the_question_pass_is_not_asked_again(chat: Chat) -> None:
    assert consent(chat.say(unplaced(chat.kb, UNPLACED))) is not None
    chat.send(ButtonPress("sprachkurs"))  # the next event drops the waiting question
    assert chat.state.pending_question is None
    assert UNPLACED_KEPT not in every_text(chat.db)
    assert consent(chat.say(unplaced(chat.kb, "Wo finde ich einen Fußballverein?"))) is None
    assert chat.keep() is None and chat.kept() == []
    chat.send(ButtonPress(KEEP_YES))  # a yes from the old message: a yes, but no question
    assert chat.keep() is True and chat.kept() == []


def test_questions_command_changes_the_answer_and_no_deletes_what_was_kept(chat: Chat) -> None:
    replies = chat.say("/questions")  # also before Lotse ever asked
    question = consent(replies)
    assert question is not None and "Fragen, die es nicht versteht" in question.text
    replies = chat.send(ButtonPress(KEEP_YES))
    assert "ab jetzt" in replies[0].text
    chat.say(unplaced(chat.kb, UNPLACED))
    chat.say(unplaced(chat.kb, "Wo finde ich einen Fußballverein?"))
    assert len(chat.kept()) == 2
    assert consent(chat.send(Command("questions"))) is not None
    chat.send(ButtonPress(KEEP_NO))
    assert chat.keep() is False and chat.kept() == []
    details = [e.detail for e in audit.entries(chat.db, family=chat.family) if e.actor == "family"]
    assert details == ["yes", "no"]


def test_did_you_mean_stores_nothing_and_asks_nothing(chat: Chat) -> None:
    candidates = ["Schule Kurs", "Integrationskurs Schule", "Termin Kurs"]
    offered = [text for text in candidates if understand(chat.kb, text, "de").kind == "offer"]
    assert offered, "no 'Did you mean' text left among the candidates"
    replies = chat.say(offered[0])
    assert any("Meinten Sie" in reply.text for reply in replies)
    assert consent(replies) is None
    assert chat.state.pending_question is None and chat.keep() is None


@pytest.mark.parametrize("text", ["ok", "Danke!", "0211 123456", "???", "hallo danke"])
def test_small_talk_and_bare_numbers_are_not_questions(chat: Chat, text: str) -> None:
    assert consent(chat.say(text)) is None
    assert chat.state.pending_question is None


def test_answers_to_lotses_own_questions_are_never_kept(chat: Chat) -> None:
    chat.send(ButtonPress("seiteneinstieg"))
    asked = chat.send(ButtonPress("se_age"))
    assert asked[-1].expects in ("age", "birthdate")  # an open question of Lotse
    replies = chat.say("keine Ahnung, das weiß ich wirklich nicht")
    assert consent(replies) is None and chat.state.pending_question is None


def test_text_in_another_script_gets_the_language_offer_not_the_question(chat: Chat) -> None:
    replies = chat.say("أين أجد شقة للإيجار؟")
    assert any(b.id.startswith("lang:") for reply in replies for b in reply.buttons)
    assert consent(replies) is None


def test_arabic_question_is_kept_without_name_and_arabic_indic_digits(
    db: Database, kb: KnowledgeBase
) -> None:
    chat = Chat(db, kb, user="ar-family")
    chat.send(Start("ar"))
    text = unplaced(kb, "اسمي محمد، كيف أحصل على رخصة قيادة؟ رقمي ٠١٧٦١٢٣٤٥٦٧", "ar")
    question = consent(chat.say(text))
    assert question is not None
    chat.send(ButtonPress(KEEP_YES))
    [kept] = chat.kept()
    assert kept.lang == "ar"
    assert "محمد" not in kept.text and "[Name]" in kept.text and "[Telefon]" in kept.text
    assert "رخصة" in kept.text
    assert not any(char.isdecimal() for char in kept.text)


def test_kept_questions_go_with_their_family(chat: Chat) -> None:
    chat.say(unplaced(chat.kb, UNPLACED))
    chat.send(ButtonPress(KEEP_YES))
    with transaction(chat.db):
        chat.db.execute("DELETE FROM families WHERE id = ?", [chat.family])
    assert store.questions(chat.db) == []


def test_the_engine_reports_only_honest_abstentions(kb: KnowledgeBase) -> None:
    """The engine's part: an Effect with the typed text, nothing for other paths."""
    state = handle(State(), Start("de"), kb, today=TODAY).state
    text = unplaced(kb, "Wo finde ich einen Fußballverein?")
    outcome = handle(state, TextInput(text), kb, today=TODAY)
    assert outcome.effects == (Effect("unanswered", "main", text),)
    jump = handle(state, TextInput("Deutschkurs"), kb, today=TODAY)
    assert not any(effect.kind == "unanswered" for effect in jump.effects)
    pending = State(node="main_menu", pending_question="Wo ist [Name]?")
    answered = handle(pending, ButtonPress(KEEP_YES), kb, today=TODAY)
    assert answered.effects == (Effect("questions_yes", "main", "Wo ist [Name]?"),)
    assert answered.state.pending_question is None
    moved = handle(pending, ButtonPress("sprachkurs"), kb, today=TODAY)
    assert moved.state.pending_question is None and moved.effects == ()


def test_pending_question_survives_the_state_json() -> None:
    state = State(node="main_menu", pending_question="Wo ist [Name]?")
    assert State.from_json(state.to_json()) == state
    assert State.from_json('{"pending_question": 12}').pending_question is None


async def test_on_telegram_yes_keeps_the_question_and_questions_takes_it_back(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    """The real channel: the two buttons arrive as an inline keyboard, /questions is typed."""
    path = tmp_path / "lotse.db"
    async with FakeBotAPI() as api:
        family = Family(api)

        def shown(fragment: str) -> Callable[[], bool]:
            return lambda: any(fragment in message["text"] for message in family.seen())

        async with lotse(api, path, lambda: kb):
            await family.write("/start")
            await family.write(UNPLACED)
            await api.wait_for(shown(UNPLACED_KEPT), 10.0)
            question = next(m for m in family.seen() if UNPLACED_KEPT in m["text"])
            assert set(buttons(question).values()) == {KEEP_YES, KEEP_NO}
            await family.press(KEEP_YES, question["message_id"])
            await api.wait_for(shown("Ihre Frage ist gespeichert"), 10.0)
            database = open_db(path)
            try:
                assert [q.text for q in store.questions(database)] == [UNPLACED_KEPT]
            finally:
                database.close()
            await family.write("/questions")
            await api.wait_for(shown("Fragen, die es nicht versteht"), 10.0)
            await family.press(KEEP_NO)
            await api.wait_for(shown("speichert Ihre Fragen nicht"), 10.0)
    database = open_db(path)
    try:
        assert store.questions(database) == []
        assert "Anna" not in every_text(database)
    finally:
        database.close()


# --- scrubbing ---------------------------------------------------------------------------

SCRUBBED = [
    (
        "de",
        "Ich heiße Anna Schmidt und mein Sohn ist 12.",
        "Ich heiße [Name] und mein Sohn ist [Zahl].",
    ),
    ("de", "ich heiße anna und habe eine Frage", "ich heiße [Name] und habe eine Frage"),
    ("de", "Mein Name ist Olena Petrenko-Kowalska", "Mein Name ist [Name]"),
    (
        "de",
        "Mein Sohn heißt Ali, er ist ١٢ Jahre alt",
        "Mein Sohn heißt [Name], er ist [Zahl] Jahre alt",
    ),
    ("de", "Was heißt Schulpflicht?", "Was heißt Schulpflicht?"),
    ("de", "Wie heißt das auf Deutsch?", "Wie heißt das auf Deutsch?"),
    ("de", "Rufen Sie an: +49 211 8912345", "Rufen Sie an: [Telefon]"),
    ("de", "Meine Nummer ist 0211 89-12345.", "Meine Nummer ist [Telefon]."),
    ("de", "Tel. +49 (0) 176/123 45 67", "Tel. [Telefon]"),
    ("de", "Mail: jürgen.müller@exämple.de bitte", "Mail: [E-Mail] bitte"),
    ("ru", "почта: иван@пример.рф", "почта: [E-Mail]"),
    ("de", "siehe https://example.com/x?y=1 und www.duesseldorf.de", "siehe [Link] und [Link]"),
    ("de", "Schreiben Sie mir bei @ahmad_99", "Schreiben Sie mir bei [Name]"),
    ("de", "geboren am 20.09.2019 in Aleppo", "geboren am [Datum] in [Name]"),
    ("de", "Frau Müller-Lüdenscheidt von der Grundschule", "Frau [Name] von der Grundschule"),
    ("de", "meine Frau hat eine Frage zur Wohnung", "meine Frau hat eine Frage zur Wohnung"),
    ("de", "Kindergeld für meine Tochter Lea?", "Kindergeld für meine Tochter [Name]?"),
    ("de", "Mein Sohn Ben geht in die Klasse 5a", "Mein Sohn [Name] geht in die Klasse [Zahl]"),
    ("de", "Gibt es Hilfe beim BAMF oder der VHS?", "Gibt es Hilfe beim BAMF oder der VHS?"),
    ("de", "ICH HEISSE ANNA", "ICH HEISSE [Name]"),
    # After an article only an exactly known word stays: "die Fatima" is a name, and a noun
    # Lotse's texts lack is lost ("ein Schwimmbad"), a known one stays ("zum Jobcenter").
    ("de", "Gibt es ein Schwimmbad?", "Gibt es ein [Name]?"),
    ("de", "Wie komme ich zum Jobcenter?", "Wie komme ich zum Jobcenter?"),
    ("de", "die Fatima geht in die Grundschule", "die [Name] geht in die Grundschule"),
    ("de", "Der Ahmed ist 5", "Der [Name] ist [Zahl]"),
    ("de", "der Omar braucht einen Platz", "der [Name] braucht einen Platz"),
    ("en", "the Kowalski family needs help", "the [Name] family needs help"),
    # Words in capitals: abbreviations and exactly known words stay, other words are names.
    ("de", "SARA KHAN sucht eine Schule", "[Name] sucht eine Schule"),
    ("de", "Meine Tochter OMAR ALI", "Meine Tochter [Name]"),
    ("de", "WO IST DIE SCHULE?", "WO IST DIE SCHULE?"),
    ("de", "Hilft das KI oder die IHK beim BuT?", "Hilft das KI oder die IHK beim BuT?"),
    ("de", "Kurs bei der VHS oder DaZ-Klasse?", "Kurs bei der VHS oder DaZ-Klasse?"),
    ("ru", "ОЛЕНА ищет школу", "[Name] ищет школу"),
    # After a title only an exactly known word: "Kinder" does not make "Kindermann" known.
    ("de", "Herr Kindermann hat angerufen", "Herr [Name] hat angerufen"),
    ("de", "Frau Schulte von der Schule", "Frau [Name] von der Schule"),
    ("de", "Frau Dr. Schulbauer", "Frau Dr. [Name]"),
    ("de", "Hr. Ali hilft uns", "Hr. [Name] hilft uns"),
    ("de", "Das ist meine Frau. Sie hat eine Frage", "Das ist meine Frau. Sie hat eine Frage"),
    ("en", "Mrs Kinderman called", "Mrs [Name] called"),
    # Weak introductions: the next word goes unless it is exactly a known word.
    ("de", "ich bin ahmed und suche einen Kurs", "ich bin [Name] und suche einen Kurs"),
    ("de", "ich bin neu hier", "ich bin neu hier"),
    ("de", "Ich bin die Mutter von Lina", "Ich bin die Mutter von [Name]"),
    ("en", "I am ahmed", "I am [Name]"),
    ("en", "hi i'm sarah, i am new here", "hi i'm [Name], i am new here"),
    ("en", "je suis fatou", "je suis [Name]"),
    ("pl", "jestem piotr", "jestem [Name]"),
    ("bg", "аз съм георги", "аз съм [Name]"),
    # Links without http, to a profile or a page.
    ("de", "schreib mir auf t.me/ahmedali", "schreib mir auf [Link]"),
    ("de", "telegram.me/x oder T.ME/Ahmed_Ali.", "[Link] oder [Link]."),
    ("de", "Mehr auf example.de/path/seite.html, danke", "Mehr auf [Link], danke"),
    ("de", "siehe instagram.com/fatima.k", "siehe [Link]"),
    ("de", "z.B. eine Klasse usw.", "z.B. eine Klasse usw."),
    # E-mail addresses, also written to get past filters.
    ("de", "ahmed@gmail", "[E-Mail]"),
    ("de", "Mail: ahmed.ali(at)gmail.com", "Mail: [E-Mail]"),
    ("de", "ahmed.ali [at] gmail dot com bitte", "[E-Mail] bitte"),
    ("de", "ahmed.ali@gmail,com", "[E-Mail]"),
    ("de", "ahmed.ali at gmail.com", "[E-Mail]"),
    ("de", "ahmed @ gmail.com", "[E-Mail]"),
    ("de", "AHMED.ALI (AT) GMAIL (DOT) COM", "[E-Mail]"),
    ("en", "I am at school", "I am at school"),
    ("en", "Write me at a.b@gmail.com or at home", "Write me at [E-Mail] or at home"),
    # Abbreviated months and short words of territory names do not make a name known.
    ("pl", "syn Jan chodzi do szkoły", "syn [Name] chodzi do szkoły"),
    ("de", "Mein Sohn Jan kommt im Mai", "Mein Sohn [Name] kommt im Mai"),
    ("ro", "Fiica mea Lucia merge la școală", "Fiica mea [Name] merge la școală"),
    ("de", "Wir kommen aus der Republik Moldau", "Wir kommen aus der Republik Moldau"),
    ("de", "Herr ali yilmaz hilft uns", "Herr [Name] hilft uns"),
    ("de", "Müller, Anna; geb. 1.2.2015", "[Name]; geb. [Datum]"),
    ("de", "mail an max+kita@web.de", "mail an [E-Mail]"),
    ("de", "+49-211-899-12345", "[Telefon]"),
    ("en", "Hi, I'm Sarah. Where is the Jobcenter?", "Hi, I'm [Name]. Where is the Jobcenter?"),
    (
        "de",
        "Wir kommen aus Syrien und sprechen Arabisch",
        "Wir kommen aus Syrien und sprechen Arabisch",
    ),
    ("en", "My name is John Smith, call (0211) 123456", "My name is [Name], call [Telefon]"),
    (
        "en",
        "Where can I register my child for school?",
        "Where can I register my child for school?",
    ),
    (
        "ru",
        "Меня зовут Анна, у меня вопрос про школу",
        "Меня зовут [Name], у меня вопрос про школу",
    ),
    ("ru", "Моя дочь Олена ходит в школу", "Моя дочь [Name] ходит в школу"),
    ("uk", "Мене звати Олена Петренко", "Мене звати [Name]"),
    ("bg", "Казвам се Георги", "Казвам се [Name]"),
    ("tr", "Benim adım Ayşe Yılmaz, oğlum 9 yaşında", "Benim adım [Name], oğlum [Zahl] yaşında"),
    ("tr", "Ben okula kayıt yaptırmak istiyorum", "Ben okula kayıt yaptırmak istiyorum"),
    ("pl", "Mam na imię Piotr i mam pytanie", "Mam na imię [Name] i mam pytanie"),
    ("ro", "Mă numesc Ion Popescu", "Mă numesc [Name]"),
    ("ku", "Navê min Rojda ye", "Navê min [Name] ye"),
    ("ar", "اسمي محمد علي وعندي سؤال عن المدرسة", "اسمي [Name] سؤال عن المدرسة"),
    ("ar", "ابني اسمه علي عمره ١٢ سنة", "ابني اسمه [Name] عمره [Zahl] سنة"),
    ("ar", "رقمي +٤٩ ١٧٦ ١٢٣٤٥٦٧", "رقمي [Telefon]"),
    # Without capitals the second word after an introduction goes too ("محمد علي"),
    # even when it is only "is" (است, دی).
    ("fa", "نام من زهرا است و شماره من ۰۹۱۲۳۴۵۶۷۸۹ است", "نام من [Name] و شماره من [Telefon] است"),
    ("fa", "پسرم ۱۴ ساله است", "پسرم [Zahl] ساله است"),
    ("ps", "زما نوم احمد دی", "زما نوم [Name]"),
]


@pytest.mark.parametrize(("lang", "typed", "kept"), SCRUBBED)
def test_scrub(kb: KnowledgeBase, lang: str, typed: str, kept: str) -> None:
    assert scrub(typed, known_words(kb, lang)) == kept


def test_scrubbing_leaves_no_digit_of_any_script(kb: KnowledgeBase) -> None:
    digits = "0123456789 ٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ०१२३४५६७८९"
    kept = scrub(f"Kinder: {digits}, Zimmer 3b, Haus Nr.7", known_words(kb, "de"))
    assert not any(char.isdecimal() for char in kept)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aZ ä.,@+-/()0٣۷९\n" + "Ωж", max_size=60))
def test_scrubbed_text_never_has_a_digit(text: str) -> None:
    kept = scrub(text, frozenset({"a"}))
    assert not any(char.isdecimal() for char in kept)


def test_scrubbing_twice_changes_nothing(kb: KnowledgeBase) -> None:
    known = known_words(kb, "de")
    for _lang, typed, _kept in SCRUBBED:
        once = scrub(typed, known)
        assert scrub(once, known) == once


def test_a_name_a_known_word_is_found_only_after_an_introduction() -> None:
    """With a vocabulary of our own: "Will" is a known word, so only the introduction
    marks it; an unknown capitalised word is a name anywhere."""
    known = frozenset({"mein", "sohn", "will", "schwimmen", "ich", "heisse"})
    assert scrub("Mein Sohn Will will schwimmen", known) == "Mein Sohn Will will schwimmen"
    assert scrub("Ich heiße Will", known) == "Ich heiße [Name]"
    assert scrub("Mein Sohn Finn will schwimmen", known) == "Mein Sohn [Name] will schwimmen"


# --- the report --------------------------------------------------------------------------

REPORTED = [
    ("de", "main_menu", "Wie bekomme ich Kindergeld?"),
    ("de", "sk_start", "Wo kann ich Kindergeld beantragen"),
    ("en", "main_menu", "how to get kindergeld"),
    ("de", "main_menu", "Ich suche eine Wohnung"),
    ("ar", "main_menu", "أين أجد شقة؟"),  # a different language: its own group
    ("de", "se_start", "Wohnung finden in Düsseldorf"),
]


def fill(db: Database, rows: list[tuple[str, str, str]], now: dt.datetime = NOW) -> None:
    with transaction(db):
        family = family_id(db, CHANNEL, "reported", now)
        for minute, (lang, node, text) in enumerate(rows):
            store.add(db, family, text, lang, node, now + dt.timedelta(minutes=minute))


def test_report_groups_similar_questions_largest_first(db: Database, kb: KnowledgeBase) -> None:
    fill(db, REPORTED)
    groups = unanswered.report(db, kb)
    assert [group.count for group in groups] == [3, 2, 1]
    kindergeld, housing, arabic = groups
    assert kindergeld.languages == {"de": 2, "en": 1}
    assert kindergeld.nodes == {"main_menu": 2, "sk_start": 1}
    assert kindergeld.examples == (  # newest first
        "how to get kindergeld",
        "Wo kann ich Kindergeld beantragen",
        "Wie bekomme ich Kindergeld?",
    )
    assert set(housing.examples) == {"Ich suche eine Wohnung", "Wohnung finden in Düsseldorf"}
    assert arabic.languages == {"ar": 1}
    since = NOW + dt.timedelta(minutes=3)  # only the last three
    assert sum(group.count for group in unanswered.report(db, kb, since)) == 3


def test_report_shows_three_examples_at_most(db: Database, kb: KnowledgeBase) -> None:
    fill(db, [("de", "main_menu", f"Kindergeld Frage {word}") for word in "abcde"])
    [group] = unanswered.report(db, kb)
    assert group.count == 5 and len(group.examples) == 3


def test_clusters_have_no_chains() -> None:
    """Every member is similar to its group's first text, not just to some member."""
    texts = ["aaaa bbbb", "bbbb cccc", "cccc dddd", "dddd eeee"]  # each like the next
    groups = unanswered.cluster(texts, threshold=60)
    assert groups == [[0, 1, 2], [3]]


def test_cli_report_unanswered(tmp_path: Path) -> None:
    path = tmp_path / "lotse.db"
    database = open_db(path)
    fill(database, REPORTED, now=dt.datetime.now(BERLIN))
    fill(database, [("de", "main_menu", "Gibt es ein Schwimmbad?")], now=NOW.replace(year=2020))
    database.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["report", "unanswered", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "7 unanswered question(s) in 4 group(s)" in result.output
    assert "„Wie bekomme ich Kindergeld?“" in result.output
    assert "languages: de 2, en 1" in result.output
    result = runner.invoke(
        cli, ["report", "unanswered", "--days", "30", "--json", "--db", str(path)]
    )
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)["groups"]
    assert [group["count"] for group in groups] == [3, 2, 1]
    assert groups[0]["nodes"] == {"main_menu": 2, "sk_start": 1}
    assert "Gibt es ein Schwimmbad?" not in result.output


def test_cli_report_with_nothing_kept(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "unanswered", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 0 and "No unanswered questions" in result.output
