"""Engine transitions over the real Düsseldorf knowledge."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.engine import (
    Button,
    ButtonPress,
    Command,
    Effect,
    Event,
    Reply,
    Start,
    State,
    TextInput,
    handle,
)
from bot.engine.dialogue import BACK, HOME, HUMAN
from bot.knowledge import KnowledgeBase
from tests.conftest import TODAY


class Chat:
    """Drives the pure engine like a channel would, keeping the state between events."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.state = State()
        self.replies: tuple[Reply, ...] = ()

    def send(self, event: Event) -> tuple[Reply, ...]:
        outcome = handle(self.state, event, self.kb, today=TODAY)
        self.state, self.replies = outcome.state, outcome.replies
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.replies)

    @property
    def buttons(self) -> list[Button]:
        return [button for reply in self.replies for button in reply.buttons]

    @property
    def button_ids(self) -> list[str]:
        return [button.id for button in self.buttons]

    def press(self, label: str) -> tuple[Reply, ...]:
        (button,) = [b for b in self.buttons if b.label == label]
        return self.send(ButtonPress(button.id))

    def to_age_question(self) -> None:
        self.press("Schule für mein Kind")
        self.press("Muss mein Kind zur Schule?")
        assert self.state.node == "se_age"


@pytest.fixture
def chat(kb: KnowledgeBase) -> Chat:
    chat = Chat(kb)
    chat.send(Start())
    return chat


def test_start_greets_and_shows_the_main_menu(chat: Chat) -> None:
    assert "Lotse" in chat.replies[0].text
    assert chat.replies[-1].text == "Wobei kann ich helfen?"
    assert "Schule für mein Kind" in [b.label for b in chat.buttons]
    assert chat.state.node == "main_menu"
    assert all(reply.lang == "de" for reply in chat.replies)


@pytest.mark.parametrize(
    ("age", "node", "fragment"),
    [
        ("0", "se_under6", "noch nicht zur Schule"),
        ("4", "se_under6", "30. September"),
        ("5", "se_birth", "Wann ist Ihr Kind geboren?"),  # the 30 September rule decides
        ("6", "se_birth", "Wann ist Ihr Kind geboren?"),
        ("7", "se_school", "Schulpflicht"),
        ("15", "se_school", "Seiteneinstiegsberatung"),
        ("16", "se_berufskolleg", "Internationale Förderklasse"),
        ("17", "se_berufskolleg", "Berufskolleg"),
        ("18", "se_birth", "Wann ist Ihr Kind geboren?"),  # this school year may still count
        ("19", "se_over18", "keine Schulpflicht"),
        ("25", "se_over18", "Jugendmigrationsdienst"),
        ("١٢", "se_school", "Schulpflicht"),
        ("۱۲", "se_school", "Schulpflicht"),
        ("۱۷ سال", "se_berufskolleg", "Berufskolleg"),
    ],
)
def test_age_routing(chat: Chat, age: str, node: str, fragment: str) -> None:
    chat.to_age_question()
    assert chat.replies[-1].expects == "age"
    chat.send(TextInput(age))
    assert chat.state.node == node
    assert fragment in chat.text
    assert chat.state.slots["child_age"] == int(
        age.translate(str.maketrans("١٢۱۲۷", "12127")).split()[0]
    )


def test_answer_shows_review_date_and_a_person_button(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(TextInput("9"))
    assert "Stand: November 2026" in chat.replies[-1].text
    assert {BACK, HOME, HUMAN} <= set(chat.button_ids)


def test_invalid_input_reasks_with_hint_and_offers_a_person_after_two(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(TextInput("mein Sohn"))
    assert "nur eine Zahl" in chat.text
    assert chat.state.node == "se_age"
    assert HUMAN not in chat.button_ids
    chat.send(TextInput("weiß nicht"))
    assert "Person" in chat.text
    assert HUMAN in chat.button_ids
    chat.send(ButtonPress(HUMAN))
    assert "+49 211 89-24077" in chat.text and "ki-beratung@duesseldorf.de" in chat.text
    chat.send(TextInput("8"))  # the question is still open after the person offer
    assert chat.state.node == "se_school"
    assert chat.state.misses == 0


def test_out_of_range_age_is_asked_again(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(TextInput("45"))
    assert chat.state.node == "se_age"


def test_back_walks_the_way_back(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(TextInput("9"))
    chat.press("Welche Unterlagen brauche ich?")
    assert "Meldebescheinigung" in chat.text
    chat.send(Command("back"))
    assert chat.state.node == "se_school"
    chat.send(ButtonPress(BACK))
    assert chat.state.node == "se_age"
    chat.send(Command("back"))
    assert chat.state.node == "se_start"
    chat.send(Command("back"))
    assert chat.state.node == "main_menu"
    chat.send(Command("back"))  # nothing left: stays at the menu
    assert chat.state.node == "main_menu"
    assert chat.buttons


def test_menu_and_help_always_work(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(Command("help"))
    assert "/menu" in chat.text
    assert chat.state.node == "se_age"  # help does not lose the open question
    chat.send(TextInput("/menu"))
    assert chat.state.node == "main_menu"
    assert chat.state.history == ()


def test_typed_label_presses_the_button(chat: Chat) -> None:
    chat.send(TextInput("schule"))
    assert chat.state.node == "se_start"
    chat.send(TextInput("muss mein kind zur schule"))
    chat.send(TextInput("7"))
    chat.send(TextInput("welche unterlagen"))
    assert chat.state.node == "se_documents"
    chat.send(TextInput("zuruck"))
    assert chat.state.node == "se_school"


def test_unclear_text_at_a_menu(chat: Chat) -> None:
    chat.send(TextInput("qwertz"))
    assert "nicht verstanden" in chat.text
    assert chat.state.node == "main_menu"
    assert chat.state.misses == 1
    chat.send(TextInput("asdf"))
    assert "Person" in chat.text
    assert "main_human" in chat.button_ids  # the menu's own person button, not a second one
    assert HUMAN not in chat.button_ids


def test_stale_button_reshows_the_current_step(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(ButtonPress("se_contact"))  # not visible while the age is asked
    assert "früheren Schritt" in chat.text
    assert chat.state.node == "se_age"
    chat.send(ButtonPress("<script>"))
    assert chat.state.node == "se_age"


def test_main_menu_buttons_work_from_anywhere(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(ButtonPress("main_human"))
    assert chat.state.node == "main_human"
    assert "+49 211 89-24077" in chat.text


def test_booking_is_handed_to_the_booking_service(chat: Chat) -> None:
    outcome = handle(chat.state, ButtonPress("main_book"), chat.kb, today=TODAY)
    assert outcome.effects == (Effect("book", "main"),)
    assert outcome.state.node == "main_book"
    outcome = handle(chat.state, ButtonPress("main_appointments"), chat.kb, today=TODAY)
    assert outcome.effects == (Effect("appointments", "main"),)


def test_contacts_are_filled_from_ki_yaml(chat: Chat) -> None:
    chat.press("Schule für mein Kind")
    chat.press("Adresse und Kontakt")
    assert "Erkrather Str. 377" in chat.text
    assert "705" in chat.text
    assert "{" not in chat.text


def test_unknown_command(chat: Chat) -> None:
    chat.send(Command("frobnicate"))
    assert "/help" in chat.text
    assert chat.buttons


def test_language_command_offers_the_languages(chat: Chat) -> None:
    chat.send(Command("language"))
    assert "Welche Sprache" in chat.text
    assert "lang:de" in chat.button_ids


def test_state_pointing_at_a_removed_node_restarts_at_the_menu(chat: Chat) -> None:
    chat.state = replace(chat.state, node="gone_node", history=("also_gone",))
    chat.send(TextInput("qwertz"))
    assert chat.buttons
    chat.send(Command("back"))
    assert chat.state.node in chat.kb.nodes


def test_state_json_round_trip(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(TextInput("9"))
    assert State.from_json(chat.state.to_json()) == chat.state
    assert State.from_json("{not json") == State()
    assert State.from_json(None) == State()


def test_start_keeps_nothing_but_the_language(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(TextInput("9"))
    chat.send(Start())
    assert chat.state == State(node="main_menu", lang="de")


def test_birthdate_fills_slots_and_routes_by_the_school_year(chat: Chat) -> None:
    chat.to_age_question()
    chat.send(TextInput("6"))
    assert chat.state.node == "se_birth"
    assert chat.replies[-1].expects == "birthdate"
    chat.send(TextInput("٣٠.٠٩.٢٠٢٠"))  # 30.09.2020 in Arabic-Indic digits
    assert chat.state.node == "se_school"
    assert chat.state.slots["child_birth"] == "2020-09-30"
    assert chat.state.slots["child_birth_school_start"] == 2026


def test_key_term_markers_are_not_shown(chat: Chat) -> None:
    chat.press("Schule für mein Kind")
    assert "Seiteneinstiegsberatung" in chat.text
    assert "[[" not in chat.text and "]]" not in chat.text
