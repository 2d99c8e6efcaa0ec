"""Translation workflow for editors and translators: extract the German texts into a
template, update every language's catalog from it, and report their state.

Catalogs are plain gettext .po files (Weblate and Poedit read them), one per language:
translations/<lang>/LC_MESSAGES/lotse.po, with the UI strings of the code (no context)
and the knowledge texts (context `node_id.field`). Babel reads and writes them; we only
decide how knowledge entries are merged: by their context, so that a changed German
text keeps its old translation marked outdated (fuzzy) for the translator, and a
translation never wanders to another node because two German texts look alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot import __version__
from bot.i18n import (
    DOMAIN,
    LANGUAGES,
    MACHINE_DRAFT,
    SOURCE_LANGUAGE,
    catalog_path,
    is_usable,
    problems_in,
    review_state,
)
from bot.knowledge import KnowledgeBase
from bot.knowledge.models import node_texts

PACKAGE = Path(__file__).resolve().parent
TEMPLATE = f"{DOMAIN}.pot"
# `ui` is the engine's translate-now helper; `_` marks strings translated later.
# `button(id, label)` is the booking flow's translated button.
KEYWORDS = {"_": None, "ui": None, "gettext": None, "ngettext": (1, 2), "button": (2,)}
CONTACT_FIELDS = ("transport", "hours")  # contact data that is prose, not an address
WIDTH = 99


def knowledge_messages(kb: KnowledgeBase) -> Iterator[tuple[str, str, str]]:
    """(context, German text, where it is written) for every family-facing text."""
    yield "ki.welcome", kb.organisation.welcome, "ki.yaml"
    for contact_id, contact in kb.organisation.contacts.items():
        for name in CONTACT_FIELDS:
            value = getattr(contact, name)
            if value:
                yield f"contacts.{contact_id}.{name}", value, "ki.yaml"
    if kb.appointments is not None:
        for type_id, kind in kb.appointments.types.items():
            yield f"appointments.{type_id}.name", kind.name, "appointments.yaml"
    for node_id, node in kb.nodes.items():
        where = f"flows/{kb.node_flow[node_id]}.yaml"
        for field_path, text in node_texts(node).items():
            yield f"{node_id}.{field_path}", text, where


def build_template(kb: KnowledgeBase) -> Catalog:
    """The German source texts of the code and of the knowledge, as a .pot catalog."""
    template = Catalog(
        project="Lotse",
        version=__version__,
        msgid_bugs_address="",
        copyright_holder="",
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        template.add(
            message,
            locations=[(f"bot/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    for context, text, where in knowledge_messages(kb):
        template.add(text, context=context, auto_comments=[f"knowledge/{where}"])
    return template


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=WIDTH, include_previous=True, sort_output=False)


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def new_catalog(lang: str, template: Catalog) -> Catalog:
    catalog = Catalog(
        locale=lang,
        domain=DOMAIN,
        project=template.project,
        version=template.version,
        header_comment=(
            f"# Lotse – {lang}\n"
            f"# Review: {MACHINE_DRAFT}\n"
            "# Set the line above to 'Review: reviewed' once a person has checked every text."
        ),
        fuzzy=False,
    )
    return catalog


def merge(old: Catalog, template: Catalog) -> Catalog:
    """The catalog for `template`, keeping what `old` had:
    - same context and German text: the translation stays as it was;
    - same context, changed German text: the old translation stays, marked outdated
      (fuzzy) with the previous German text, so the translator sees what changed;
    - new texts are empty; texts that no longer exist are dropped (git has them)."""
    merged = Catalog(
        locale=old.locale,
        domain=DOMAIN,
        project=template.project,
        version=template.version,
        header_comment=old.header_comment,
        fuzzy=False,
    )
    merged.revision_date = old.revision_date
    merged.last_translator = old.last_translator
    merged.language_team = old.language_team
    by_context = {message.context: message for message in old if message.id and message.context}
    for message in template:
        if not message.id:
            continue
        fresh = message.clone()
        previous = old.get(message.id, context=message.context)
        if previous is None and message.context in by_context:
            previous = by_context[message.context]
            fresh.flags.add("fuzzy")
            fresh.previous_id = [str(previous.id)]
        if previous is not None:
            fresh.string = previous.string
            # Babel reads the "#| msgid" lines of an outdated entry back as comments
            # ("| msgid …"); they are not the translator's and must not pile up.
            fresh.user_comments = [
                comment for comment in previous.user_comments if not comment.startswith("|")
            ]
            if previous.fuzzy:
                fresh.flags.add("fuzzy")
                fresh.previous_id = list(previous.previous_id)
        merged[fresh.id] = fresh
    return merged


def extract(kb: KnowledgeBase, translations: Path) -> Path:
    path = translations / TEMPLATE
    write_catalog(build_template(kb), path)
    return path


def update(kb: KnowledgeBase, translations: Path, languages: tuple[str, ...]) -> list[Path]:
    """Bring every catalog in line with the current German texts (creating missing ones)."""
    template = build_template(kb)
    written = []
    for lang in languages:
        if lang == SOURCE_LANGUAGE:
            continue
        path = catalog_path(translations, lang)
        old = read_catalog(path, lang) if path.is_file() else new_catalog(lang, template)
        write_catalog(merge(old, template), path)
        written.append(path)
    return written


@dataclass(frozen=True)
class Status:
    lang: str
    total: int
    translated: int
    outdated: int
    missing: int
    broken: int
    review: str

    @property
    def complete(self) -> bool:
        return self.translated == self.total


def status(kb: KnowledgeBase, translations: Path) -> list[Status]:
    """Per language: how many of the current German texts have a current translation."""
    template = build_template(kb)
    keys = [(message.id, message.context) for message in template if message.id]
    rows = [Status(SOURCE_LANGUAGE, len(keys), len(keys), 0, 0, 0, "source")]
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        path = catalog_path(translations, lang)
        if not path.is_file():
            rows.append(Status(lang, len(keys), 0, 0, len(keys), 0, "none"))
            continue
        catalog = read_catalog(path, lang)
        translated = outdated = missing = broken = 0
        for msgid, context in keys:
            message = catalog.get(msgid, context=context)
            if message is None or not _has_text(message):
                missing += 1
            elif message.fuzzy:
                outdated += 1
            elif not is_usable(message):
                broken += 1
            else:
                translated += 1
        rows.append(
            Status(lang, len(keys), translated, outdated, missing, broken, review_state(catalog))
        )
    return rows


def broken_entries(translations: Path, lang: str) -> Iterator[tuple[str, str]]:
    """(context or msgid, why) for translations that would mislead a family."""
    path = catalog_path(translations, lang)
    if not path.is_file():
        return
    for message in read_catalog(path, lang):
        if message.id and isinstance(message.string, str) and message.string and not message.fuzzy:
            for problem in problems_in(str(message.id), message.string):
                yield message.context or str(message.id), problem


def _has_text(message: Message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return all(message.string)
    return bool(message.string and message.string.strip())
