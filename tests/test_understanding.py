"""Free text: what families type, in their words, with typos, finds its place."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import BUNDLED_TRANSLATIONS
from bot.engine import ButtonPress, Start, State, TextInput, handle
from bot.engine.normalize import fold, normalize, sounds
from bot.engine.understanding import MAX_READ_CHARS, read_part, understand
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.services.evaluation import Case, SituationSet, evaluate, situation_verdict, verdict
from tests.conftest import KNOWLEDGE, ROOT, TODAY


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Schüle!", "shule"),
        ("مدرسة", normalize("مدرسه")),
        ("كتاب", normalize("کتاب")),
        ("Straße", "strasse"),
        ("  Integrations-Kurs ", "integrations kurs"),
    ],
)
def test_normalize(text: str, normal: str) -> None:
    assert normalize(text) == normal


@pytest.mark.parametrize(
    ("german", "arabic_letters"),
    [
        ("Gestattung", "غشتاتونغ"),
        ("Ausländerbehörde", "اوسلندربهورده"),
        ("Erstaufnahme", "ارستاوفنامه"),
        ("Bürgergeld", "بورګرګیلډ"),  # Pashto letters
        ("Elterngespräch", "الترنگشپرش"),
    ],
)
def test_a_german_word_in_arabic_letters_sounds_alike(german: str, arabic_letters: str) -> None:
    assert sounds(fold(german)) == sounds(fold(arabic_letters))
    assert len(sounds(fold(german))) >= 5


def test_ago_is_not_pre_school(kb_all: KnowledgeBase) -> None:
    """Turkish "önce" (ago) once met "okul öncesi" (pre-school) as its near word."""
    text = "Oğlumla görüşmeye 3 hafta önce gittik ama hâlâ hiçbir okul aramadı. Okulu kim buluyor?"
    assert jumps_to(kb_all, text, "tr") != "se_under6"


def test_a_day_of_a_month_is_no_age(kb_all: KnowledgeBase) -> None:
    """ "6 років 19 жовтня": the 19 is the day, not "19 Jahre" for the over-18s."""
    text = "Їй виповнилося 6 років 19 жовтня. Коли їй до школи?"
    assert "se_over18" not in understand(kb_all, text, "uk").targets


@pytest.mark.parametrize(
    ("text", "lang", "target"),
    [
        ("معي بس الغشتاتونغ، بقدر اسجل بكورس الماني؟", "ar", "sk_asylum"),
        ("موږ لا هم په ارستاوفنامه کې یو، ماشومان ښوونځي ته ځي؟", "ps", "se_reception"),
    ],
)
def test_german_words_written_in_arabic_letters_are_heard(
    kb_all: KnowledgeBase, text: str, lang: str, target: str
) -> None:
    assert jumps_to(kb_all, text, lang) == target


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Welche Unterlagen brauche ich für die Schule?", "se_documents"),
        ("Schuhle für meine Tochter", "se_start"),
        ("wie viel kostet der Integrationskurz", "sk_costs"),
        ("Ich brauche einen Dolmetscher für ein Gespräch in der Schule", "sm_institution"),
        ("kann mein Sohn für mich übersetzen", "sm_children"),
        ("meine Tochter soll in eine andere Schule", "se_placement"),
        ("Jobcenter hat mich zum Kurs geschickt", "sk_jobcenter"),
        ("Masern Impfung", "se_health"),
        ("hallo", "main_menu"),
        ("Termin buchen", "main_book"),
        ("ich will mit einem Menschen reden", "main_human"),
    ],
)
def test_clear_german_questions_jump(kb: KnowledgeBase, text: str, target: str) -> None:
    result = understand(kb, text, "de")
    assert (result.kind, result.targets[:1]) == ("jump", (target,))


@pytest.mark.parametrize(
    "text",
    [
        "Führerschein umschreiben",
        "Wie ist das Wetter?",
        "",
    ],
)
def test_out_of_scope_is_never_answered_as_if_known(kb: KnowledgeBase, text: str) -> None:
    assert understand(kb, text, "de").kind != "jump"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Wir wohnen noch in einer Einrichtung des Landes. Wann geht die Schule los?", "de"),
        ("We are still in the big state camp. When can the kids go to school?", "en"),
    ],
)
def test_the_states_reception_in_everyday_words_comes_first(
    kb_all: KnowledgeBase, text: str, lang: str
) -> None:
    assert understand(kb_all, text, lang).targets[0] == "se_reception"


def test_a_phone_for_sale_is_not_the_kis_phone_number(kb_all: KnowledgeBase) -> None:
    text = "Verkaufe mein iPhone 12, fast neu, Abholung in Bilk. Schreib mir auf WhatsApp"
    assert understand(kb_all, text, "de").kind != "jump"


@pytest.mark.parametrize("text", ["Wohnung suchen", "Arbeit finden", "Ausländerbehörde"])
def test_a_need_for_other_offices_is_who_helps(kb: KnowledgeBase, text: str) -> None:
    """Housing, work, the immigration office: Lotse does not advise, but says who does
    (ki.yaml `elsewhere`); such a word is not a reason to ask back there."""
    result = understand(kb, text, "de")
    assert (result.kind, result.targets) == ("jump", ("main_other_help",))


def run(kb: KnowledgeBase, *events: object) -> tuple[State, list[str], list[str]]:
    state = State()
    outcome = handle(state, Start(), kb, today=TODAY)
    for event in events:
        outcome = handle(outcome.state, event, kb, today=TODAY)  # type: ignore[arg-type]
    texts = [reply.text for reply in outcome.replies]
    ids = [button.id for reply in outcome.replies for button in reply.buttons]
    return outcome.state, texts, ids


def test_typed_question_at_any_step_jumps(kb: KnowledgeBase) -> None:
    state, texts, _ = run(
        kb, ButtonPress("sprachkurs"), TextInput("Welche Papiere für die Schule?")
    )
    assert state.node == "se_documents"
    assert any("Meldebescheinigung" in text for text in texts)


def test_close_candidates_are_offered_and_can_be_pressed(kb: KnowledgeBase) -> None:
    state, texts, _ids = run(kb, TextInput("Dolmetscher Kosten Schule"))
    if state.offered:  # offered rather than guessed
        assert "Meinten Sie das?" in texts[-1]
        state2 = handle(state, ButtonPress(state.offered[0]), kb, today=TODAY).state
        assert state2.node == kb.resolve(state.offered[0]) or state2.node in kb.nodes
    else:
        assert state.node in ("sm_private", "sm_institution")


def test_a_forged_offer_is_not_accepted(kb: KnowledgeBase) -> None:
    state, _, _ = run(kb, ButtonPress("se_contact"))  # not offered, not visible
    assert state.node == "main_menu"


def test_another_script_gets_a_language_offer() -> None:
    kb = load_knowledge(KNOWLEDGE, BUNDLED_TRANSLATIONS)
    _, texts, ids = run(kb, TextInput("ابحث عن شقة في المدينة"))
    assert "Möchten Sie in einer anderen Sprache schreiben?" in texts
    assert "lang:ar" in ids


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (Case("Welche Unterlagen?", "de", "se_documents"), "correct"),
        (Case("Schule", "de", "seiteneinstieg"), "correct"),
        (Case("Führerschein umschreiben", "de", "none"), "correct"),
        (Case("Schule", "de", "se_documents"), "abstained"),  # the journey's menu
        (Case("Termin buchen", "de", "booking"), "correct"),
        (Case("Termin buchen", "de", "none"), "wrong"),
        # The main menu answers nothing: a greeting that lands there pretends nothing.
        (Case("Hallo", "de", "none"), "correct"),
        (Case("Hallo", "de", "menu"), "correct"),
        (Case("Hallo", "de", "seiteneinstieg"), "abstained"),
    ],
)
def test_verdicts(kb: KnowledgeBase, case: Case, expected: str) -> None:
    assert verdict(kb, case) == expected


def test_a_situation_set_is_read_on_the_day_its_writer_was_given(kb: KnowledgeBase) -> None:
    """Born 10.10.2020: in November 2026 school starts next August; a year on, it is due."""
    case = Case(
        "Mein Sohn ist am 10.10.2020 geboren. Muss er schon zur Schule?",
        "de",
        "se_school_next_year",
    )
    assert SituationSet("s", "t", "h", dt.date(2026, 11, 22)).judge(kb, case) == "correct"
    assert SituationSet("s", "t", "h", dt.date(2027, 11, 22)).judge(kb, case) == "wrong"


def test_eval_intents_runs_over_the_bundled_set() -> None:
    """A smoke test: figures are printed, no threshold is asserted (see README)."""
    files = sorted((ROOT / "bench" / "intents").glob("*.jsonl"))
    assert files, "bench/intents/*.jsonl is missing"
    result = subprocess.run(
        # one example set: every set trains a model of its own (the whole run: make bench)
        [sys.executable, "-m", "bot", "eval", "intents", "--set", "heldout16", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    overall = figures["overall"]
    assert overall["n"] >= 400 and len(figures["per_lang"]) == 12
    assert overall["n"] == overall["correct"] + overall["abstained"] + overall["wrong"]
    whole = [value for key, value in figures.items() if key not in ("overall", "per_lang")]
    assert len(whole) == 1 and whole[0]["overall"]["n"] == 144
    print("\n" + json.dumps(overall))


def test_evaluate_counts_per_language(kb: KnowledgeBase, tmp_path: Path) -> None:
    cases = [Case("Schule", "de", "seiteneinstieg"), Case("hello", "en", "menu")]
    results = evaluate(kb, cases)
    assert set(results["per_lang"]) == {"de", "en"}
    assert results["overall"]["n"] == 2


# --- the rules that keep a confident answer from being a wrong one --------------------


@pytest.fixture(scope="module")
def kb_all() -> KnowledgeBase:
    """The knowledge with the bundled catalogs: keywords in every language."""
    return load_knowledge(KNOWLEDGE, BUNDLED_TRANSLATIONS)


def jumps_to(kb: KnowledgeBase, text: str, lang: str) -> str | None:
    result = understand(kb, text, lang)
    return result.targets[0] if result.kind == "jump" else None


def test_two_answers_of_one_journey_that_score_alike_are_offered(
    kb_all: KnowledgeBase,
) -> None:
    """The margin holds between answers of the same journey too, not only across journeys."""
    result = understand(kb_all, "Kosten Jobcenter", "de")
    assert result.kind == "offer"
    assert set(result.targets[:2]) == {"sk_costs", "sk_jobcenter"}


def test_a_target_that_explains_only_part_of_the_message_is_no_rival(
    kb_all: KnowledgeBase,
) -> None:
    """'registration' is the booking's keyword, but here it is part of 'school registration'."""
    assert jumps_to(kb_all, "what documents do I need for school registration", "en") == (
        "se_documents"
    )


@pytest.mark.parametrize(
    ("text", "lang", "not_target"),
    [
        ("I'd like more information", "en", "se_documents"),  # "I'd" is not "ID"
        ("eu vreau un curs de germana", "ro", "sk_eu"),  # Romanian "eu" is "I"
        ("kim karar veriyor okul", "tr", "main_case_management"),  # Turkish "kim" is "who"
    ],
)
def test_abbreviations_count_only_as_written(
    kb_all: KnowledgeBase, text: str, lang: str, not_target: str
) -> None:
    result = understand(kb_all, text, lang)
    assert not_target not in result.targets


def test_an_abbreviation_written_as_such_counts(kb_all: KnowledgeBase) -> None:
    assert jumps_to(kb_all, "ID card", "en") == "se_documents"


@pytest.mark.parametrize(
    ("text", "lang", "target"),
    [
        ("Nicht Schule, ich will einen Deutschkurs", "de", "sk_start"),
        ("not school, I want a German course", "en", "sk_start"),
        ("okul değil, almanca kursu istiyorum", "tr", "sk_start"),  # "değil" follows
        ("Ich habe keine Papiere für die Schule", "de", "se_no_documents"),
        ("у нас нет документов для школы", "ru", "se_no_documents"),
        # A keyword that says "not" itself still counts.
        ("mein Mann kann nicht lesen und schreiben", "de", "sk_literacy"),
    ],
)
def test_a_negated_word_is_no_evidence_for_what_it_negates(
    kb_all: KnowledgeBase, text: str, lang: str, target: str
) -> None:
    assert jumps_to(kb_all, text, lang) == target


def test_a_deep_answer_needs_more_than_one_word(kb_all: KnowledgeBase) -> None:
    """A country alone is not a question about courses; with the course named, it is."""
    alone = understand(kb_all, "Rumänien", "de")
    assert (alone.kind, alone.targets) == ("offer", ("sk_eu",))
    asked = "Ich komme aus Rumänien, darf ich einen Integrationskurs machen?"
    assert jumps_to(kb_all, asked, "de") == "sk_eu"


def test_a_near_word_is_not_made_sure_by_its_journey_named(kb_all: KnowledgeBase) -> None:
    """Kurmanji "ez çi bikim" (what shall I do) is near "çi bînim" (what to bring, the
    documents): with the school named it is offered, not answered; said as written it is."""
    near = understand(kb_all, "kurê min 11 salî ye, ji bo dibistanê divê ez çi bikim?", "ku")
    assert near.kind == "offer" and near.targets[0] == "se_documents"
    assert jumps_to(kb_all, "ji bo dibistanê çi bînim?", "ku") == "se_documents"


def test_a_number_counts_only_with_its_journey_named(kb_all: KnowledgeBase) -> None:
    assert understand(kb_all, "he is 16", "en").kind == "none"
    assert jumps_to(kb_all, "he is 16 years old, which school", "en") == "se_berufskolleg"


def test_a_number_without_what_it_counts_is_offered_not_answered(kb_all: KnowledgeBase) -> None:
    """'16' may be an age, a class, a date: with its journey named it is a candidate; with
    what it counts ('16 years', '16 години') it is an answer."""
    result = understand(kb_all, "he is 16, which school", "en")
    assert result.kind == "offer" and "se_berufskolleg" in result.targets
    assert jumps_to(kb_all, "Дъщеря ми е на 16 години, кое училище?", "bg") == "se_berufskolleg"


def test_glue_words_may_be_missing_but_never_make_a_keyword(kb_all: KnowledgeBase) -> None:
    """'muss zur Schule' is met by 'muss … in die Schule'; 'go to school' is only 'school'
    and does not make the compulsory-school answer ('have to go to school')."""
    assert jumps_to(kb_all, "Muss mein Kind in die Schule?", "de") == "se_school"
    assert jumps_to(kb_all, "my son needs to go to school", "en") == "se_start"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Termin beim Kinderarzt", "de"),
        ("Arzttermin", "de"),  # a compound
        ("doktordan randevu almam lazım", "tr"),  # an ending
        ("запись к врачу", "ru"),
        ("Termin im Krankenhaus", "de"),  # a hospital or a children's doctor, too
        ("запись к педиатру", "ru"),
        ("hastanede randevu", "tr"),
    ],
)
def test_a_doctors_appointment_is_never_booked(
    kb_all: KnowledgeBase, text: str, lang: str
) -> None:
    result = understand(kb_all, text, lang)
    assert not (result.kind == "jump" and result.targets[0] in ("main_book", "main_appointments"))


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Klage gegen den Asylbescheid beim Gericht", "de"),
        ("my asylum appeal, when will the court decide", "en"),
        ("Geld nach Rumänien überweisen", "de"),
        ("Führerschein umschreiben lassen", "de"),
        ("как продлить вид на жительство", "ru"),
    ],
)
def test_matters_lotse_does_not_handle_are_never_answered(
    kb_all: KnowledgeBase, text: str, lang: str
) -> None:
    """At most the answer that says who in Düsseldorf helps with them (main_other_help)."""
    result = understand(kb_all, text, lang)
    assert result.kind != "jump" or result.targets == ("main_other_help",)


@pytest.mark.parametrize(
    ("text", "lang", "target"),
    [
        ("kann ich auf Türkisch schreiben?", "de", "main_language"),
        ("Ich brauche einen Dolmetscher für Türkisch", "de", "sm_start"),
        ("нужен переводчик на русском", "ru", "sm_start"),  # "на русском" is a name too
    ],
)
def test_a_language_name_means_the_language_choice_only_when_nothing_else_is_meant(
    kb_all: KnowledgeBase, text: str, lang: str, target: str
) -> None:
    assert jumps_to(kb_all, text, lang) == target


@pytest.mark.parametrize(
    ("text", "lang", "target"),
    [
        ("nuzhen perevodchik", "ru", "sm_start"),  # Russian in Latin letters
        ("гештаттунг и курс немецкого", "ru", "sk_asylum"),  # German in Cyrillic letters
        ("شوونزي ته نوم لیکنه", "ps", "se_start"),  # Pashto without Pashto letters
    ],
)
def test_other_scripts_and_keyboards_meet_the_keywords(
    kb_all: KnowledgeBase, text: str, lang: str, target: str
) -> None:
    assert jumps_to(kb_all, text, lang) == target


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Школа", "shkola"),
        ("Дульдунг", "duldung"),
        ("١٩ ۱۹", "19 19"),
        ("ښوونځی", fold("شوونزی")),
        ("Schüle!", "shule"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_normalize_keeps_scripts_and_digits_as_they_are() -> None:
    """Other code compares normalize() forms; only the matcher folds scripts."""
    assert normalize("Школа ١٩") == "школа ١٩"


def test_an_answer_beats_its_journeys_menu_only_when_it_says_more(
    kb_all: KnowledgeBase,
) -> None:
    assert jumps_to(kb_all, "Schule", "de") == "se_start"
    assert jumps_to(kb_all, "Schule Unterlagen", "de") == "se_documents"
    assert jumps_to(kb_all, "was ist ein Integrationskurs", "de") == "sk_what"
    assert jumps_to(kb_all, "Integrationskurs", "de") == "sk_start"


def test_a_word_of_another_matter_that_the_keyword_itself_says_does_not_count(
    kb_all: KnowledgeBase,
) -> None:
    """'lost' names another matter ('I lost my passport'), unless it is the keyword's own
    word: 'lost documents' is the answer about missing papers."""
    assert understand(kb_all, "I lost my passport", "en").kind != "jump"
    assert jumps_to(kb_all, "we lost documents for the school", "en") == "se_no_documents"


def test_the_last_part_of_a_compound_names_it_the_first_only_hints(
    kb_all: KnowledgeBase,
) -> None:
    """'Grundschule' is a school; 'telefonieren' only begins like 'Telefon'."""
    assert jumps_to(kb_all, "Grundschule", "de") == "se_start"
    assert understand(kb_all, "Kann ich mit jemandem telefonieren?", "de").kind != "jump"
    assert understand(kb_all, "Wie viel Kindergeld bekomme ich?", "de").kind != "jump"


# --- one keyword is not enough evidence: jumps that become "Did you mean …?" ----------


@pytest.mark.parametrize(
    ("text", "lang", "offered"),
    [
        # "wie viel Geld" is the BuT amounts' keyword, but the Jobcenter is another matter;
        # the second matter in the sentence that asks: both, wherever the first one is
        (
            "Wir haben zwei Kinder. Wie viel Geld gibt das Jobcenter?",
            "de",
            {"se_but_amounts", "sk_jobcenter"},
        ),
    ],
)
def test_a_message_naming_a_second_matter_offers_both(
    kb_all: KnowledgeBase, text: str, lang: str, offered: set[str]
) -> None:
    result = understand(kb_all, text, lang)
    assert result.kind == "offer"
    assert offered <= set(result.targets)


@pytest.mark.parametrize(
    ("text", "lang", "target"),
    [
        # measles and the duty to go to school: the measles protection a school asks for
        ("Masern Impfung Schulpflicht", "de", "se_health"),
        # a child from the camp who does not go to school: school during the Erstaufnahme
        (
            "موږ اوس هم په کمپ (Erstaufnahme) کې یو، زما زامن ۹ او ۱۳ کلن دي. "
            "ولې ښوونځي ته نه ځي؟ کله به پیل وکړي؟",
            "ps",
            "se_reception",
        ),
        # a Polish citizen asking whether she may take the course and must pay: the EU answer
        (
            "Dzień dobry, jestem z Polski, przyjechałam do Düsseldorfu do pracy. Czy mogę iść "
            "na kurs integracyjny i czy muszę za niego płacić?",
            "pl",
            "sk_eu",
        ),
        # "German language" at the start: the course far more often than the chat's language
        ("немецкий язык", "ru", "sk_start"),
    ],
)
def test_in_doubt_which_one_the_examples_tell(
    kb_all: KnowledgeBase, text: str, lang: str, target: str
) -> None:
    """Where the matcher would ask "which of these", the second opinion learnt from how
    families put things (bot.engine.examples) picks one that clearly stands out."""
    assert jumps_to(kb_all, text, lang) == target


def test_the_second_opinion_never_overrides_a_guard(kb_all: KnowledgeBase) -> None:
    """One word of two answers, a matter that is not the KI's, a number without what it
    counts: still asked, whatever the examples would say."""
    for text, lang in [
        ("Termin", "de"),
        ("Geld nach Rumänien überweisen", "de"),
        ("he is 16, which school", "en"),
        ("Rumänien", "de"),
    ]:
        assert understand(kb_all, text, lang).kind != "jump", text


@pytest.mark.parametrize(
    ("text", "lang", "target"),
    [
        ("Wie viel Geld bekommt man?", "de", "se_but_amounts"),  # one matter
        ("Masern Impfung", "de", "se_health"),  # two words, one matter
        # "Schule" is a word of many answers: context, not a second matter
        ("Dolmetscher für das Gespräch in der Schule", "de", "sm_institution"),
        # a language's name is no second matter
        ("Ich brauche einen Dolmetscher für Arabisch", "de", "sm_start"),
        # a matter only of the sentences that do not ask is the family's situation
        (
            "Wir bekommen Geld vom Jobcenter. Wer hilft uns bei der Wohnungssuche?",
            "de",
            "main_other_help",
        ),
        (
            "Wer hilft uns bei der Wohnungssuche? Wir bekommen Geld vom Jobcenter.",
            "de",
            "main_other_help",
        ),
        (
            "We get Bürgergeld from the Jobcenter. Does the school give extra German lessons to "
            "my son?",
            "en",
            "se_support",
        ),
        # nor a rival: the Unterkunft and the Jobcenter are where the family stands
        (
            "Wir wohnen seit einem Jahr in der Unterkunft. Welche Unterlagen brauche ich für "
            "die Schulanmeldung?",
            "de",
            "se_documents",
        ),
        (
            "Wir bekommen Bürgergeld vom Jobcenter. Bekommt mein Sohn in der Schule extra "
            "Deutschunterricht?",
            "de",
            "se_support",
        ),
        # what the chosen answer's own text speaks of: learning to read in the school
        # answer, Bürgergeld in the BuT answer; not the adults' course, not the Jobcenter
        (
            "Моєму синові 11, він ніколи не ходив до школи і не вміє читати й писати. Що робити?",
            "uk",
            "se_never_school",
        ),
        (
            "Die Schule will Geld für Ausflug und Mittagessen, wir bekommen Bürgergeld, gibt es "
            "dafür Hilfe?",
            "de",
            "se_but",
        ),
        # a matter Lotse leaves to others ("Kindergeld") that the BuT answer names itself
        (
            "Wir bekommen Wohngeld und Kindergeld. Gibt es Hilfe für das Mittagessen in der "
            "Schule?",
            "de",
            "se_but",
        ),
        # the answer about children who interpret names the Jobcenter as such a place
        (
            "Mein Sohn (11) übersetzt für mich immer beim Jobcenter. Ist das in Ordnung?",
            "de",
            "sm_children",
        ),
        ("Моя донька (12) завжди перекладає мені в Jobcenter. Це нормально?", "uk", "sm_children"),
        # a state reception centre by its short names, and Bürgergeld beside the school's costs
        ("Wir wohnen noch in einer ZUE. Was ist mit der Schule?", "de", "se_reception"),
        ("Wir sind noch nicht zugewiesen. Darf mein Kind schon zur Schule?", "de", "se_reception"),
        ("احنا عالبورغرغيلد والمدرسة بدها مصاري للرحلة، في مساعدة؟", "ar", "se_but"),
        # a second matter in one word beside four words the choice explains is a detail
        (
            "My son does not know his exact birthday, his papers only say 2011. Is that a "
            "problem for the school registration?",
            "en",
            "se_birth_unknown",
        ),
        (
            "Okul gezisi için 80 euro istediler, okul malzemeleri ve öğle yemeği de var, "
            "Bürgergeld alıyoruz. Yardım var mı?",
            "tr",
            "se_but",
        ),
        # … and a matter Lotse leaves to others, named beside them, is the situation ("work")
        (
            "I work full time and cannot do the integration course. Is there a cheap German "
            "conversation group or a language tandem?",
            "en",
            "sk_local",
        ),
        # the children's answer says they learn German in the school: "Schule" is told there
        ("Deutschkurs für mein Kind nach der Schule", "de", "sk_children"),
        # … nor a rival, as long as the rival's answer does not speak of the choice's words
        (
            "Unser Sohn ist 10 und war noch nie in einer Schule, er kann nicht lesen und "
            "schreiben. Was sollen wir tun?",
            "de",
            "se_never_school",
        ),
    ],
)
def test_context_words_are_no_second_matter(
    kb_all: KnowledgeBase, text: str, lang: str, target: str
) -> None:
    assert jumps_to(kb_all, text, lang) == target


@pytest.mark.parametrize(("text", "lang"), [("Termin", "de"), ("запис", "uk"), ("randevu", "tr")])
def test_one_word_that_is_a_keyword_of_two_answers_is_offered(
    kb_all: KnowledgeBase, text: str, lang: str
) -> None:
    """'Termin' alone: booking one, or seeing one's own ('mein Termin')?"""
    result = understand(kb_all, text, lang)
    assert (result.kind, set(result.targets)) == ("offer", {"main_book", "main_appointments"})


def test_a_second_word_says_which_answer(kb_all: KnowledgeBase) -> None:
    assert jumps_to(kb_all, "Termin buchen", "de") == "main_book"
    assert jumps_to(kb_all, "Termin absagen", "de") == "main_appointments"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I don't need school, I want to learn German", "en"),
        ("Ich brauche keine Schule, ich will Deutsch lernen", "de"),
        ("okul istemiyorum, almanca kursu istiyorum", "tr"),  # the "not" is in the verb
    ],
)
def test_a_not_before_wanting_negates_what_is_wanted(
    kb_all: KnowledgeBase, text: str, lang: str
) -> None:
    """Not the school's German lessons ('kein Deutsch in der Schule'): the course."""
    assert jumps_to(kb_all, text, lang) == "sk_start"


def test_a_not_reaches_no_further_than_its_word(kb_all: KnowledgeBase) -> None:
    """'noch nicht zur Schule' describes the child: it still asks about school."""
    assert jumps_to(kb_all, "mein Sohn geht noch nicht zur Schule, was tun?", "de") == "se_start"


def test_a_not_after_negates_the_content_word_before_it(kb_all: KnowledgeBase) -> None:
    """Kurdish 'tune' follows what is missing, past short glue words ('me' = our)."""
    assert understand(kb_all, "Zeugnis me tune", "ku").targets[:1] != ("se_documents",)
    assert jumps_to(kb_all, "Zeugnis heye", "ku") == "se_documents"


def test_further_words_add_only_when_met_well(kb_all: KnowledgeBase) -> None:
    """'bikim' is only near the keyword's 'binim': it adds nothing to 'pasaporta'."""
    assert understand(kb_all, "pasaporta min, çawa bikim", "ku").kind == "offer"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Ich möchte mich über die Lehrerin beschweren, Schule", "de"),
        ("öğretmen hakkında şikayet, okul", "tr"),
        ("در مدرسه پسرم را اذیت می کنند", "fa"),
    ],
)
def test_complaints_and_harassment_are_not_answered(
    kb_all: KnowledgeBase, text: str, lang: str
) -> None:
    assert understand(kb_all, text, lang).kind != "jump"


def test_a_keyword_that_only_names_a_language_is_as_weak_as_the_name(
    kb_all: KnowledgeBase,
) -> None:
    """'немецкий язык' may be the German course or the chat's language: both are in doubt
    (the second opinion then takes the course, test_in_doubt_which_one_the_examples_tell)."""
    assert "main_language" not in understand(kb_all, "курс немецкого языка", "ru").targets
    assert jumps_to(kb_all, "курс немецкого языка", "ru") == "sk_start"
    assert jumps_to(kb_all, "auf Deutsch bitte", "de") == "main_language"


def test_a_language_name_in_a_long_message_is_not_the_language_choice(
    kb_all: KnowledgeBase,
) -> None:
    assert jumps_to(kb_all, "auf Türkisch bitte", "de") == "main_language"
    chatty = "suche Gesprächspartnerin Deutsch zum Üben für Unterhaltung"
    assert "main_language" not in understand(kb_all, chatty, "de").targets
    assert jumps_to(kb_all, chatty, "de") == "sk_local"  # practising German: a tandem


def test_the_arabic_article_may_be_missing_or_joined(kb_all: KnowledgeBase) -> None:
    """'غداء' and 'للغداء' meet the keyword 'الغداء' (lunch, in the BuT answer)."""
    for text in ("الغداء", "غداء", "للغداء"):
        result = understand(kb_all, text, "ar")
        assert result.targets[:1] == ("se_but",)
        assert result.score >= 92


def test_a_greeting_gives_way_but_the_menu_asked_for_by_name_does_not(
    kb_all: KnowledgeBase,
) -> None:
    assert jumps_to(kb_all, "Hallo, Schule bitte", "de") == "se_start"
    assert jumps_to(kb_all, "main menu please", "en") == "main_menu"
    assert jumps_to(kb_all, "القائمة الرئيسية من فضلك", "ar") == "main_menu"


def test_a_long_text_is_read_only_in_part(kb: KnowledgeBase) -> None:
    """The matcher's cost grows with the text: it reads MAX_READ_CHARS at most. What it
    reads is the question first, then the sentences nearest to it: a formal letter asks
    after its greeting and its introduction."""
    filler = "Wir sind eine große Familie und wohnen seit kurzem hier. " * 40
    letter = (
        "Sehr geehrte Damen und Herren, mein Name ist Olena, ich bin Lehrerin. "
        + filler
        + "Meine Tochter hat keine Zeugnisse mehr. Kann sie trotzdem angemeldet werden?"
    )
    assert len(letter) > 4 * MAX_READ_CHARS
    part = read_part(letter)
    assert len(part) <= MAX_READ_CHARS
    assert part.endswith(
        "Meine Tochter hat keine Zeugnisse mehr. Kann sie trotzdem angemeldet werden?"
    )
    assert understand(kb, letter, "de") == understand(kb, part, "de")
    assert understand(kb, letter, "de").targets[:1] == ("se_no_documents",)
    # a sentence that asks early still counts; what the budget leaves out is not read
    start = "Welche Unterlagen brauche ich für die Anmeldung in der Schule? "
    assert understand(kb, start + filler, "de").targets[:1] == ("se_documents",)
    # one sentence too long, without punctuation (dictated): its beginning and its end
    dictated = "also hallo " + "wir wohnen hier seit kurzem und " * 30 + "was kostet der kurs"
    part = read_part(dictated)
    assert len(part) <= MAX_READ_CHARS and part.startswith("also hallo")
    assert part.endswith("was kostet der kurs")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Wer hilft mir bei der Jobsuche?", "de"),
        ("Помогите найти квартиру, куда обращаться?", "ru"),
        ("أين أجد شقة للإيجار؟", "ar"),
    ],
)
def test_needs_lotse_does_not_serve_get_who_helps(
    kb_all: KnowledgeBase, text: str, lang: str
) -> None:
    result = understand(kb_all, text, lang)
    assert result.kind in ("jump", "offer") and result.targets[0] == "main_other_help"


def test_the_situation_stays_a_rival_within_the_journey(kb_all: KnowledgeBase) -> None:
    """'We are still in the camp (Erstaufnahme) … why do they not go to school? When do
    they start?': the camp is the situation, but in the school journey it is what decides
    (se_reception), so it stays a candidate beside 'after the counselling', never left out
    (the second opinion then takes it: test_in_doubt_which_one_the_examples_tell)."""
    text = (
        "موږ اوس هم په کمپ (Erstaufnahme) کې یو، زما زامن ۹ او ۱۳ کلن دي. "
        "ولې ښوونځي ته نه ځي؟ کله به پیل وکړي؟"
    )
    assert "se_reception" in understand(kb_all, text, "ps").targets


def test_the_arabic_and_may_be_joined_to_a_word(kb_all: KnowledgeBase) -> None:
    """'وما دخلت مدرسة' (and she never entered a school) meets 'ما دخلت المدرسة'; so does
    'والمدرسة' the school."""
    assert jumps_to(kb_all, "بنتي وما دخلت مدرسة", "ar") == "se_never_school"
    assert jumps_to(kb_all, "بنتي ما دخلت والمدرسة", "ar") == "se_never_school"


def test_a_negated_word_does_not_hide_the_same_word_said_again(kb_all: KnowledgeBase) -> None:
    """'speaks no German … extra German lessons': the second 'German' is not negated."""
    text = (
        "My daughter is 13 and speaks no German at all. Will the school give her extra "
        "German lessons?"
    )
    assert understand(kb_all, text, "en").targets[:1] == ("se_support",)


@pytest.mark.parametrize(
    ("lang", "text", "target"),
    [
        # the words each community uses for official things, from the catalogs' keywords
        (
            "ru",
            "скока стоит интеграцыонный курс? платить за кажды час, а у меня бюргергелд",
            "sk_costs",
        ),
        (
            "uk",
            "Я вільно говорю українською і німецькою, хочу волонтером допомагати як перекладач",
            "sm_pool",
        ),
        (
            "ar",
            "احنا لسا ساكنين بالكامب الكبير تبع الولاية من شهرين. الولاد ما عم يروحوا عالمدرسة",
            "se_reception",
        ),
        (
            "pl",
            "Potrzebuję tłumacza na rozmowę w Jugendamt. Czy urząd może sam załatwić tłumacza?",
            "sm_institution",
        ),
        ("fa", "برای ثبت نام بچه تو مدرسه چه مدارکی لازمه؟", "se_documents"),
        (
            "ps",
            "زه الماني نه پوهیږم، یوازې پښتو. د زوی د ښوونځي مشورې لپاره په KI کې ژباړونکی شته؟",
            "se_mediator",
        ),
        ("ku", "Ji bo pirtûk û xwarina dibistanê alîkarî heye? Em Bürgergeld distînin", "se_but"),
        (
            "bg",
            "Аз съм българка, живея в Дюселдорф от 2 месеца. "
            "Мога ли да се запиша на интеграционен курс?",
            "sk_eu",
        ),
        ("tr", "termin almak istiyorum", "main_book"),
    ],
)
def test_everyday_words_of_each_language_reach_the_answer(
    kb_all: KnowledgeBase, lang: str, text: str, target: str
) -> None:
    assert jumps_to(kb_all, text, lang) == target


@pytest.mark.parametrize(
    ("lang", "text", "situation"),
    [
        (
            "de",
            "Wir sind EU-Bürger und wohnen seit November hier. "
            "Wie melden wir die Kinder in der Schule an?",
            "sk_eu",
        ),
        ("en", "My husband has a work visa. How do we get our kids into a school?", "sk_entitled"),
        ("bg", "граждани на ЕС сме. Как да запишем децата на училище?", "sk_eu"),
    ],
)
def test_a_question_of_another_journey_than_the_situation_is_offered_first(
    kb_all: KnowledgeBase, lang: str, text: str, situation: str
) -> None:
    """The situation names the course for EU citizens; the question asks about school."""
    result = understand(kb_all, text, lang)
    assert result.kind == "offer" and result.targets[:2] == ("se_start", situation)


def test_within_one_journey_the_situation_still_decides(kb_all: KnowledgeBase) -> None:
    text = "Ich habe eine Duldung. Darf ich einen Integrationskurs machen?"
    assert jumps_to(kb_all, text, "de") == "sk_duldung"


def test_a_pronoun_joined_to_an_arabic_word_is_the_word(kb_all: KnowledgeBase) -> None:
    """ "ميلاده" (his birth) is "الميلاد" of the keyword "ما نعرف تاريخ الميلاد"."""
    text = "ابني ما نعرف تاريخ ميلاده بالضبط، بالجواز مكتوب 1.1 بس. هذا مشكلة للمدرسة؟"
    assert jumps_to(kb_all, text, "ar") == "se_birth_unknown"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ku", "Karneya keça min li Sûriyê ma. Bêyî wê Anmeldung ji bo dibistanê dibe?"),
        ("de", "Das Zeugnis meiner Tochter ist in Syrien geblieben. Geht die Anmeldung trotzdem?"),
    ],
)
def test_a_booking_word_in_the_question_does_not_hide_the_situation(
    kb_all: KnowledgeBase, lang: str, text: str
) -> None:
    """The question asks whether registering works without the report, not for a date."""
    assert understand(kb_all, text, lang).targets[0] == "se_no_documents"


@pytest.mark.parametrize(
    ("lang", "text", "target"),
    [
        (
            "en",
            "I came to join my husband on a family reunification visa and got my first "
            "residence permit. Our daughter is 3. Am I entitled to an integration course now?",
            "sk_entitled",
        ),
        (
            "de",
            "Ich begleite eine Frau aus Charkiw, sie ist mit ihren zwei Söhnen seit März hier "
            "und hat die Aufenthaltserlaubnis nach §24. Kommt sie noch in einen Integrationskurs?",
            "sk_ukraine",
        ),
    ],
)
def test_a_keyword_said_across_sentences_is_weaker(
    kb_all: KnowledgeBase, lang: str, text: str, target: str
) -> None:
    """A child named in one sentence and the course in another is not the course for
    children: the situation told in one sentence decides (through the dialogue)."""
    assert situation_verdict(kb_all, Case(text, lang, target)) == "correct"


@pytest.mark.parametrize(
    ("lang", "text", "target"),
    [
        (
            "en",
            "We moved here two weeks ago because my husband got a job. Everything is new. "
            "Is there a place near us where we can drop in and get some first orientation?",
            "main_welcome_points",
        ),
        (
            "ru",
            "Муж работает программистом, я пока дома с ребёнком. Все советуют интеграционный "
            "курс, но я не понимаю, что это? И сколько там часов?",
            "sk_what",
        ),
    ],
)
def test_a_matter_lotse_does_not_handle_in_the_situation_is_no_doubt(
    kb_all: KnowledgeBase, lang: str, text: str, target: str
) -> None:
    """A job named in the story is the situation, not a question about work."""
    assert jumps_to(kb_all, text, lang) == target


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        (
            "ro",
            "Fiul ei are 9 ani și n-a fost niciodată la școală, în România s-au tot mutat din "
            "loc în loc. Îl primește o școală chiar dacă n-a învățat nimic?",
        ),
        (
            "en",
            "I volunteer with a family from South Sudan. Their son is 11 and because of the war "
            "he has never been to any school. Can he still go to school here, or is he too old?",
        ),
    ],
)
def test_the_journey_asked_about_makes_the_rest_the_situation(
    kb_all: KnowledgeBase, lang: str, text: str
) -> None:
    """The question names school: where the family came from (Romania) is no question
    about the course for EU citizens, nor "volunteer" one about the Welcome Points."""
    assert situation_verdict(kb_all, Case(text, lang, "se_never_school")) == "correct"


@pytest.mark.parametrize(
    ("lang", "text"),
    [("de", "Ich komme aus Rumänien. Was kostet ein Integrationskurs?")],
)
def test_a_situation_the_journey_asks_about_is_offered_beside_the_question(
    kb_all: KnowledgeBase, lang: str, text: str
) -> None:
    """Where a citizen of an EU country comes from decides whether there is a course to pay
    for: the costs are offered, and the answer for EU citizens beside them. A shelter or a
    child's age in the situation does not do that (test_context_words_are_no_second_matter)."""
    result = understand(kb_all, text, lang)
    assert result.kind == "offer" and result.targets[:2] == ("sk_costs", "sk_eu")


def test_a_rival_made_of_the_situation_and_the_choices_words_is_none(
    kb_all: KnowledgeBase,
) -> None:
    """ "School" told and "help" asked is not the help for school costs: the question asks
    for help with a flat, and the school is the situation."""
    text = (
        "Здравейте, откакто дойдохме от Пловдив през лятото, живеем петима в една стая при "
        "роднини. Децата вече ходят на училище, слава Богу. Къде мога да получа помощ, за да "
        "намерим собствено жилище?"
    )
    assert jumps_to(kb_all, text, "bg") == "main_other_help"


def test_case_management_helps_with_everything_at_once(kb_all: KnowledgeBase) -> None:
    text = (
        "Eine Familie hat gleichzeitig Post von Jobcenter, Ausländerbehörde und Schulamt. "
        "Gibt es jemanden, der bei allem hilft?"
    )
    assert situation_verdict(kb_all, Case(text, "de", "main_case_management")) == "correct"


def test_on_a_tie_the_target_that_explains_more_comes_first(kb_all: KnowledgeBase) -> None:
    """The course menu and the status question score alike; the question explains "who has
    the right" and "the conditions" too, so it is asked, not what the course is."""
    text = (
        "السلام عليكم، بدي أسجل بكورس الاندماج Integrationskurs. مين عنده الحق يدخل هالكورس؟ "
        "شو الشروط؟"
    )
    assert situation_verdict(kb_all, Case(text, "ar", "sk_status")) == "correct"
