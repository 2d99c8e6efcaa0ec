"""The residence situation a message names (bot/engine/residence.py), and the question who
may take an Integrationskurs that it answers: at the question in any of these forms, and in
a first message that asks about the course (real knowledge with all translations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.residence import residence
from bot.engine.slots import said
from bot.knowledge import KnowledgeBase
from bot.services.conversation import Conversations
from bot.types import ButtonPress, Start, TextInput
from tests.test_slots import TODAY, conversation, first_message, state


@pytest.mark.parametrize(
    ("text", "lang", "situation"),
    [
        ("Ich habe eine Duldung", "de", "duldung"),
        ("Дульдунг", "ru", "duldung"),
        ("Wir sind im Asylverfahren", "de", "asylum"),
        ("طالب لجوء", "ar", "asylum"),
        ("من پناهجو هستم", "fa", "asylum"),
        ("Мы ждём решения по убежищу", "ru", "asylum"),
        ("Sığınma başvurusu yaptım", "tr", "asylum"),
        ("Ich bin asylberechtigt", "de", "recognised"),  # the longer cue wins
        ("Ich habe Asyl bekommen", "de", "recognised"),
        ("I have refugee status", "en", "recognised"),
        ("статус біженця", "uk", "recognised"),
        ("حصلت على اللجوء", "ar", "recognised"),
        ("Aile birleşimi ile geldim", "tr", "recognised"),
        ("Mam status uchodźcy", "pl", "recognised"),
        ("Aufenthaltserlaubnis nach § 24", "de", "ukraine"),  # the status beats the permit
        ("Ми з України", "uk", "ukraine"),
        ("Мы из Украины", "ru", "ukraine"),
        ("Ukrayna'dan geldim", "tr", "ukraine"),
        ("من از اوکراین هستم", "fa", "ukraine"),
        ("Ich komme aus Rumänien", "de", "eu"),
        ("Sunt din România", "ro", "eu"),
        ("Jestem z Polski", "pl", "eu"),
        ("Идвам от България", "bg", "eu"),
        ("EU-Bürgerin", "de", "eu"),
        ("Wir kamen über Griechenland, jetzt Asylverfahren", "de", "asylum"),
        # nothing, or nothing clear: the question is asked
        ("Eu sunt din Siria", "ro", None),  # Romanian "eu" is "I"
        ("Ich habe keine Geduld", "de", None),
        ("Mein Diplom ist nicht anerkannt", "de", None),
        ("Ich bin aus Syrien", "de", None),
        ("Ich bin in Deutschland", "de", None),
        ("Asylverfahren oder schon Duldung?", "de", None),  # two status words
        ("Rumänien oder Bulgarien", "de", "eu"),  # two countries, one situation
    ],
)
def test_the_residence_a_message_names(text: str, lang: str, situation: str | None) -> None:
    assert residence(text, lang) == situation


def test_a_first_message_says_only_a_status() -> None:
    """Where a person comes from answers the question when it is asked, but does not
    turn a first message about something else into an answer to it."""
    assert said("Ich habe Probleme mit meiner Aufenthaltserlaubnis", today=TODAY, lang="de") == {}
    assert said("Ich komme aus Rumänien", today=TODAY, lang="de") == {}
    assert said("Ich habe eine Duldung", today=TODAY, lang="de") == {
        "residence": "Ich habe eine Duldung"
    }


# A first message that asks about the course and says the situation: the specific answer.
FIRST_MESSAGES = [
    ("uk", "Ми з України, маємо тимчасовий захист. Чи можу я піти на інтеграційний курс?",
     "sk_ukraine"),
    ("ar", "أنا طالب لجوء، هل يمكنني حضور دورة اندماج؟", "sk_asylum"),
    ("fa", "من پناهجو هستم. آیا می‌توانم به کلاس زبان آلمانی بروم؟", "sk_asylum"),
    ("tr", "Aile birleşimi ile geldim, entegrasyon kursuna katılabilir miyim?", "sk_entitled"),
    ("de", "Ich habe eine Duldung. Darf ich einen Integrationskurs machen?", "sk_duldung"),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "text", "node"), FIRST_MESSAGES)
def test_a_first_message_with_the_situation_gets_its_answer(
    tmp_path: Path, translated: KnowledgeBase, lang: str, text: str, node: str
) -> None:
    seen = first_message(tmp_path, translated, lang, text)
    assert seen.node == node
    assert "sk_status" in seen.history  # "back" returns to the question and its buttons


def at_the_question(tmp_path: Path, kb: KnowledgeBase, lang: str) -> Conversations:
    """A family at "Kann ich einen Integrationskurs machen?"."""
    lotse = conversation(tmp_path, kb)
    lotse.handle("telegram", "1", Start(lang))
    lotse.handle("telegram", "1", ButtonPress("sprachkurs"))
    lotse.handle("telegram", "1", ButtonPress("sk_status"))
    return lotse


@pytest.mark.parametrize(
    ("lang", "text", "node"),
    [
        ("ru", "Мы из Украины", "sk_ukraine"),
        ("pl", "Jestem z Polski", "sk_eu"),
        ("ro", "Sunt din România", "sk_eu"),
        ("bg", "Идвам от България", "sk_eu"),
        ("ps", "زه پناه غوښتونکی یم", "sk_asylum"),
        ("ku", "Ez penaxwaz im", "sk_asylum"),
        ("en", "We have a residence permit for family reunion", "sk_entitled"),
    ],
)
def test_at_the_question_the_situation_is_read_in_any_language(
    tmp_path: Path, translated: KnowledgeBase, lang: str, text: str, node: str
) -> None:
    lotse = at_the_question(tmp_path, translated, lang)
    lotse.handle("telegram", "1", TextInput(text))
    seen = state(lotse, "1")
    assert seen.node == node
    assert seen.slots == {"residence": node.removeprefix("sk_").replace("entitled", "recognised")}


def test_an_unclear_situation_is_asked_again_with_its_buttons(
    tmp_path: Path, translated: KnowledgeBase
) -> None:
    lotse = at_the_question(tmp_path, translated, "de")
    replies = lotse.handle("telegram", "1", TextInput("Ich bin aus Syrien"))
    assert state(lotse, "1").node == "sk_status"
    assert "Situation, die zu Ihnen passt" in replies[0].text
    labels = [button.label for reply in replies for button in reply.buttons]
    assert "Ich habe eine Duldung" in labels and "Ich weiß es nicht" in labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ich habe § 25 Abs. 2.", "recognised"),
        ("Aufenthaltserlaubnis nach §25 Abs 1", "recognised"),
        ("у меня вид на жительство § 25 Abs. 5", "other"),  # a legal question
        ("§ 25 (4) AufenthG", "other"),
        ("§25 Absatz 3", "other"),
        ("Ich habe nur eine Fiktionsbescheinigung.", "other"),
        ("Fiktions-Bescheinigung", "other"),
        ("§ 25, Abs. 5", "other"),
        ("§ 25 para. 5", "other"),
        ("вид на жительство § 25 п. 5", "other"),
        ("§ 25a", "other"),  # well-integrated young people: a legal question too
        ("Mein § 24 ist abgelaufen, jetzt habe ich eine Fiktionsbescheinigung.", None),  # two
    ],
)
def test_paragraph_25_is_protection_only_in_its_first_two_subsections(
    text: str, expected: str | None
) -> None:
    assert residence(text, "de", weak=False) == expected
