"""Languages: catalogs, the fallback chain, outdated detection, language choice, RTL."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from bot import i18n
from bot.catalogs import build_template, read_catalog, status, update, write_catalog
from bot.engine import ButtonPress, Command, Reply, Start, State, TextInput, handle
from bot.engine.dialogue import ORIGINAL
from bot.knowledge import KnowledgeBase, load_knowledge
from tests.conftest import KNOWLEDGE, TODAY


def po(tmp: Path, lang: str, entries: dict[tuple[str | None, str], str], review: str) -> Path:
    """A catalog on disk with the given (context, German) -> translation entries."""
    catalog = Catalog(locale=lang, header_comment=f"# Review: {review}", fuzzy=False)
    for (context, source), translation in entries.items():
        catalog.add(source, translation, context=context)
    path = i18n.catalog_path(tmp, lang)
    write_catalog(catalog, path)
    return path


def run(kb: KnowledgeBase, *events: object, lang: str = "de") -> tuple[State, tuple[Reply, ...]]:
    state, replies = State(lang=lang), tuple[Reply, ...]()
    for event in events:
        outcome = handle(state, event, kb, today=TODAY)  # type: ignore[arg-type]
        state, replies = outcome.state, outcome.replies
    return state, replies


@pytest.fixture
def tiny(tmp_path: Path) -> KnowledgeBase:
    """The real knowledge with a small Ukrainian and English catalog."""
    root = tmp_path / "translations"
    welcome = load_knowledge(KNOWLEDGE).organisation.welcome
    po(
        root,
        "uk",
        {
            ("ki.welcome", welcome): "Вітаю! Я Лотсе.",
            ("main_menu.text", "Wobei kann ich helfen?"): "Чим я можу допомогти?",
            ("main_menu.buttons.0", "Schule für mein Kind"): "Школа для дитини",
            (None, "Noch nicht in Ihrer Sprache:"): "Ще не перекладено:",
            (None, "Sprache: {language}"): "Мова: {language}",
        },
        i18n.MACHINE_DRAFT,
    )
    po(
        root,
        "en",
        {("main_menu.buttons.1", "Deutschkurs für mich"): "German course for me"},
        i18n.REVIEWED,
    )
    return load_knowledge(KNOWLEDGE, root)


def test_fallback_chain_language_then_english_then_german(tiny: KnowledgeBase) -> None:
    catalogs = tiny.catalogs
    assert catalogs.available == ("de", "en", "uk")
    assert catalogs.text("uk", "main_menu.text", "Wobei kann ich helfen?").lang == "uk"
    found = catalogs.text("uk", "main_menu.buttons.1", "Deutschkurs für mich")
    assert found == i18n.Localized("German course for me", "en")
    assert catalogs.text("uk", "main_menu.buttons.2", "Sprachmittlung (Dolmetschen)").lang == "de"
    assert catalogs.chain("xx") == ("en", "de")


def test_family_sees_markers_and_an_original_text_button(tiny: KnowledgeBase) -> None:
    state, replies = run(tiny, Start(lang_hint="uk-UA"))
    assert state.lang == "uk"
    assert replies[0].text == "Вітаю! Я Лотсе."
    notice = replies[1]
    assert "automatisch übersetzt" in notice.text  # once, for a machine-drafted catalog
    menu = replies[-1]
    assert menu.text == "Чим я можу допомогти?" and menu.lang == "uk"
    labels = [button.label for button in menu.buttons]
    assert labels[:2] == ["Школа для дитини", "German course for me"]
    assert ORIGINAL in [button.id for button in menu.buttons]  # some labels fell back
    state, replies = run(tiny, Start(lang_hint="uk"), Command("menu"), lang="uk")
    assert not any("automatisch" in reply.text for reply in replies)  # only once
    # A whole message that is not translated carries the marker in the family's language.
    state, replies = run(tiny, Start(lang_hint="uk"), ButtonPress("sprachmittlung"))
    assert replies[-1].lang == "de"
    assert replies[-1].text.startswith("Ще не перекладено:\n")
    state, original = run(
        tiny, Start(lang_hint="uk"), ButtonPress("sprachmittlung"), ButtonPress(ORIGINAL)
    )
    assert original[-1].lang == "de" and "Ще не" not in original[-1].text
    assert state.lang == "uk"  # the original text does not change the language


def test_language_menu_and_switching(tiny: KnowledgeBase) -> None:
    state, replies = run(tiny, Start(), Command("language"))
    ids = [button.id for button in replies[-1].buttons]
    assert ids == ["lang:de", "lang:en", "lang:uk"]
    assert [b.label for b in replies[-1].buttons] == ["Deutsch", "English", "Українська"]
    state, replies = run(tiny, Start(), Command("language"), ButtonPress("lang:uk"))
    assert state.lang == "uk"
    assert replies[0].text == "Мова: Українська"
    assert replies[-1].text == "Чим я можу допомогти?"
    state, _ = run(tiny, Start(), TextInput("українська"))  # typed language name
    assert state.lang == "uk"


def test_unsupported_telegram_language_gets_the_language_menu(tiny: KnowledgeBase) -> None:
    state, replies = run(tiny, Start(lang_hint="pt-BR"))
    assert state.lang == "en"
    assert [b.id for b in replies[-1].buttons][:3] == ["lang:de", "lang:en", "lang:uk"]
    state, _ = run(tiny, Start(lang_hint="pt-BR"), ButtonPress("lang:de"))
    assert state.lang == "de" and state.node == "main_menu"


def copy_content(tmp_path: Path) -> tuple[Path, Path]:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    translations = tmp_path / "translations"
    translations.mkdir()
    return knowledge, translations


def test_changed_german_text_marks_its_translation_outdated(tmp_path: Path) -> None:
    knowledge, translations = copy_content(tmp_path)
    kb = load_knowledge(knowledge)
    update(kb, translations, ("ar",))
    path = i18n.catalog_path(translations, "ar")
    catalog = read_catalog(path, "ar")
    for message in catalog:
        if message.id:
            message.string = f"ع {message.id}"  # keeps placeholders and key terms
    write_catalog(catalog, path)
    (row,) = [r for r in status(kb, translations) if r.lang == "ar"]
    assert (row.translated, row.outdated, row.missing) == (row.total, 0, 0)

    flow = knowledge / "flows" / "sprachmittlung.yaml"
    old = "Kinder sollten nicht für ihre Eltern übersetzen."
    flow.write_text(
        flow.read_text("utf-8").replace(old, "Kinder sollen nicht dolmetschen."), "utf-8"
    )
    changed = load_knowledge(knowledge)
    update(changed, translations, ("ar",))
    changed_message = read_catalog(path, "ar").get(
        "Kinder sollen nicht dolmetschen.", context="sm_children.text.0"
    )
    assert changed_message is not None and changed_message.fuzzy
    assert changed_message.string == f"ع {old}"  # kept for the translator to adapt
    # Poedit and Weblate show what changed from the previous German text. (Babel writes
    # it but does not read it back, so the text on disk is checked.)
    assert f'#| msgid "{old}"' in path.read_text("utf-8")
    (row,) = [r for r in status(changed, translations) if r.lang == "ar"]
    assert (row.outdated, row.missing) == (1, 0)

    # The family never sees the outdated text as if it were current.
    kb = load_knowledge(knowledge, translations)
    _, replies = run(
        kb, Start(lang_hint="ar"), ButtonPress("sprachmittlung"), ButtonPress("sm_children")
    )
    first = replies[0]
    assert first.lang == "de" and "dolmetschen" in first.text
    assert f"ع {old}" not in "".join(reply.text for reply in replies)
    assert ORIGINAL in [button.id for button in replies[-1].buttons]


def test_translation_that_loses_a_key_term_or_placeholder_is_not_used(tmp_path: Path) -> None:
    source = "Der erste Schritt ist die [[Seiteneinstiegsberatung]] im KI."
    root = tmp_path / "t"
    po(
        root,
        "en",
        {
            ("sk_children.text.1", source): "The first step is counselling at the KI.",
            (None, "Stand: {date}"): "As of: date",
        },
        i18n.REVIEWED,
    )
    catalogs = i18n.Catalogs.load(root)
    assert catalogs.text("en", "sk_children.text.1", source).lang == "de"
    assert catalogs.gettext("en", "Stand: {date}") == "Stand: {date}"
    assert i18n.problems_in(source, "x") == ["lost German key term(s) ['Seiteneinstiegsberatung']"]


def test_rtl_text_isolates_german_terms_numbers_phone_and_email() -> None:
    text = (
        "اتصلوا: +49 211 89-24077 أو ki-beratung@duesseldorf.de ([[x]])\n"
        "Seiteneinstiegsberatung هي"
    )
    shown = i18n.isolate_ltr(text.replace("[[x]]", "Schulpflicht"))
    lines = shown.split("\n")
    assert all(line.startswith(i18n.RLM) for line in lines)
    assert f"{i18n.LRI}+49 211 89-24077{i18n.PDI}" in shown
    assert f"{i18n.LRI}Seiteneinstiegsberatung{i18n.PDI}" in lines[1]
    # Every Latin letter and digit sits inside an isolate; nothing leaks into RTL flow.
    outside = re.sub(f"{i18n.LRI}[^{i18n.PDI}]*{i18n.PDI}", "", shown)
    assert not re.search(r"[0-9A-Za-z@]", outside), outside
    assert "\u202d" not in shown and "\u202e" not in shown  # no overrides, only isolates


@pytest.mark.parametrize(
    ("fragment", "isolated"),
    [
        ("(§ 24)", "(§ 24)"),
        ("(§ 25 Abs. 1 oder 2)", "(§ 25 Abs. 1 oder 2)"),
        ("/menu", "/menu"),
        ("(Seiteneinstiegsberatung)", "(Seiteneinstiegsberatung)"),
    ],
)
def test_rtl_isolates_keep_brackets_paragraphs_and_commands(fragment: str, isolated: str) -> None:
    shown = i18n.isolate_ltr(f"نص {fragment} نص")
    assert f"{i18n.LRI}{isolated}{i18n.PDI}" in shown


def test_arabic_replies_are_isolated(tmp_path: Path) -> None:
    root = tmp_path / "t"
    kb = load_knowledge(KNOWLEDGE)
    po(
        root,
        "ar",
        {
            (
                "se_contact.text.2",
                next(iter(kb.nodes["se_contact"].messages[2:3])),  # type: ignore[union-attr]
            ): "الهاتف: {ki_beratung.phone}. البريد: {ki_beratung.email}.",
        },
        i18n.REVIEWED,
    )
    kb = load_knowledge(KNOWLEDGE, root)
    _, replies = run(
        kb, Start(lang_hint="ar"), ButtonPress("seiteneinstieg"), ButtonPress("se_contact")
    )
    arabic = [reply for reply in replies if reply.lang == "ar"]
    assert arabic and f"{i18n.LRI}+49 211 89-24077{i18n.PDI}" in arabic[0].text
    assert arabic[0].text.startswith(i18n.RLM)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_language_names_in_their_own_language(lang: str) -> None:
    expected = {
        "de": "Deutsch",
        "en": "English",
        "uk": "Українська",
        "ru": "Русский",
        "ar": "العربية",
        "fa": "فارسی",
        "tr": "Türkçe",
        "ro": "Română",
        "bg": "Български",
        "pl": "Polski",
        "ps": "پښتو",
        "ku": "Kurdî (kurmancî)",
    }
    assert i18n.language_name(lang) == expected[lang]


def test_dates_and_plurals_follow_the_locale(tmp_path: Path) -> None:
    day = dt.date(2026, 11, 1)
    assert i18n.format_month(day, "de") == "November 2026"
    assert i18n.format_month(day, "ru") == "ноябрь 2026"
    assert i18n.format_month(day, "ar") == "نوفمبر 2026"
    catalog = Catalog(locale="ru", fuzzy=False)
    catalog.add(("{n} Termin", "{n} Termine"), ("{n} запись", "{n} записи", "{n} записей"))
    write_catalog(catalog, i18n.catalog_path(tmp_path, "ru"))
    catalogs = i18n.Catalogs.load(tmp_path)
    forms = [catalogs.ngettext("ru", "{n} Termin", "{n} Termine", n) for n in (1, 3, 5, 21)]
    assert forms == ["{n} запись", "{n} записи", "{n} записей", "{n} запись"]
    assert catalogs.ngettext("de", "{n} Termin", "{n} Termine", 2) == "{n} Termine"


def test_normalize_language() -> None:
    assert i18n.normalize_language("pt-BR") == "pt"
    assert i18n.normalize_language("UK") == "uk"
    assert i18n.normalize_language("kmr") == "ku"
    assert i18n.normalize_language("") is None


def test_template_has_ui_strings_and_knowledge_texts_with_context(kb: KnowledgeBase) -> None:
    template = build_template(kb)
    assert template.get("◀ Zurück") is not None
    message = template.get(
        "Kinder sollten nicht für ihre Eltern übersetzen.", "sm_children.text.0"
    )
    assert message is not None
    assert template.get(kb.organisation.welcome, "ki.welcome") is not None
