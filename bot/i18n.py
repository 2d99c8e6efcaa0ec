"""Languages at run time: gettext catalogs read from .po files with Babel, the fallback
chain (family language -> en -> de), language names, right-to-left text, formatting.

German is the source language of the UI strings in the code and of the knowledge.
Knowledge texts sit in the same catalog as the UI strings, with the message context
`node_id.field` (e.g. `se_documents.text.0`). An entry that is empty, outdated (fuzzy),
or that lost a {placeholder} or a [[key term]] of its source is never shown as if it were
current: the next language in the chain is used, and the reply says so.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

SOURCE_LANGUAGE = "de"
FALLBACK_LANGUAGE = "en"
LANGUAGES = ("de", "en", "uk", "ru", "ar", "fa", "tr", "ro", "bg", "pl", "ps", "ku")
RTL_LANGUAGES = frozenset({"ar", "fa", "ps"})
DOMAIN = "lotse"
REVIEWED, MACHINE_DRAFT = "reviewed", "machine-draft"
_REVIEW_LINE = re.compile(r"^Review:\s*(reviewed|machine-draft)\b", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_.]*\}")
_KEY_TERM = re.compile(r"\[\[([^\[\]]+)\]\]")
# Other spellings of a language Telegram or a person may send.
_ALIASES = {"kmr": "ku", "ua": "uk", "pes": "fa", "prs": "fa", "pbu": "ps", "pst": "ps"}


def _(message: str) -> str:
    """Marks a German UI string for extraction (`lotse i18n extract`); it is translated
    where it is shown, in the family's language."""
    return message


# Above a text shown in the next language of the chain (KnowledgeBase.render).
FALLBACK_MARKER = _("Noch nicht in Ihrer Sprache:")


def normalize_language(code: str | None) -> str | None:
    """'pt-BR' -> 'pt', 'UK' -> 'uk', 'kmr' -> 'ku'; None for empty input."""
    if not code:
        return None
    base = re.split(r"[-_]", code.strip().casefold())[0]
    return _ALIASES.get(base, base) or None


def catalog_path(translations: Path, lang: str) -> Path:
    return translations / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def review_state(catalog: Catalog) -> str:
    """What the catalog's header says about review; unmarked catalogs count as drafts."""
    match = _REVIEW_LINE.search(catalog.header_comment or "")
    return match.group(1) if match else MACHINE_DRAFT


def is_usable(message: Message) -> bool:
    """A translation that may be shown as current (see the module docstring)."""
    if not message.id or message.fuzzy:
        return False
    if isinstance(message.id, (list, tuple)):
        return isinstance(message.string, (list, tuple)) and all(message.string)
    if not isinstance(message.string, str) or not message.string.strip():
        return False
    return not problems_in(message.id, message.string)


def problems_in(source: str, translation: str) -> list[str]:
    """Why a translation would mislead: lost placeholders or German key terms."""
    problems = []
    wanted, written = set(_PLACEHOLDER.findall(source)), set(_PLACEHOLDER.findall(translation))
    if wanted - written:
        problems.append(f"lost placeholder(s) {sorted(wanted - written)}")
    if written - wanted:  # .format() would fail on a name the code does not pass
        problems.append(f"unknown placeholder(s) {sorted(written - wanted)}")
    terms = set(_KEY_TERM.findall(source)) - set(_KEY_TERM.findall(translation))
    if terms:
        problems.append(f"lost German key term(s) {sorted(terms)}")
    return problems


@dataclass(frozen=True)
class Localized:
    """A text and the language it is really in."""

    text: str
    lang: str


@dataclass(frozen=True)
class _Language:
    code: str
    review: str
    singular: Mapping[tuple[str | None, str], str]
    plural: Mapping[str, tuple[str, ...]]
    plural_index: Callable[[int], int]  # n -> index of the plural form (gettext's rule)


@dataclass(frozen=True)
class Catalogs:
    """Every language's usable translations, loaded once; immutable."""

    languages: Mapping[str, _Language] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def load(cls, translations: Path, languages: Iterable[str] = LANGUAGES) -> Catalogs:
        loaded: dict[str, _Language] = {}
        for lang in languages:
            path = catalog_path(translations, lang)
            if lang == SOURCE_LANGUAGE or not path.is_file():
                continue
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang, domain=DOMAIN)
            singular: dict[tuple[str | None, str], str] = {}
            plural: dict[str, tuple[str, ...]] = {}
            for message in catalog:
                if not is_usable(message):
                    continue
                if isinstance(message.id, (list, tuple)):
                    plural[message.id[0]] = tuple(message.string or ())
                else:
                    singular[(message.context, message.id)] = str(message.string)
            loaded[lang] = _Language(
                lang,
                review_state(catalog),
                MappingProxyType(singular),
                MappingProxyType(plural),
                _plural_index(catalog),
            )
        return cls(MappingProxyType(loaded))

    @property
    def available(self) -> tuple[str, ...]:
        """Languages a family can choose, in the order of LANGUAGES."""
        return tuple(
            lang for lang in LANGUAGES if lang == SOURCE_LANGUAGE or lang in self.languages
        )

    def chain(self, lang: str) -> tuple[str, ...]:
        order = [lang, FALLBACK_LANGUAGE, SOURCE_LANGUAGE]
        return tuple(dict.fromkeys(code for code in order if code in self.available))

    def review(self, lang: str) -> str:
        found = self.languages.get(lang)
        return found.review if found else REVIEWED  # German is the reviewed source

    def text(self, lang: str, context: str | None, source: str) -> Localized:
        """The best current text for `lang`: its own, else English, else the German source."""
        for code in self.chain(lang):
            if code == SOURCE_LANGUAGE:
                return Localized(source, SOURCE_LANGUAGE)
            found = self.languages[code].singular.get((context, source))
            if found is not None:
                return Localized(found, code)
        return Localized(source, SOURCE_LANGUAGE)

    def gettext(self, lang: str, message: str) -> str:
        """A UI string (no context) in the best language of the chain."""
        return self.text(lang, None, message).text

    def ngettext(self, lang: str, singular: str, plural: str, n: int) -> str:
        for code in self.chain(lang):
            if code == SOURCE_LANGUAGE:
                break
            language = self.languages[code]
            forms = language.plural.get(singular)
            if forms:
                return forms[min(language.plural_index(n), len(forms) - 1)]
        return singular if n == 1 else plural


def _plural_index(catalog: Catalog) -> Callable[[int], int]:
    """The catalog's Plural-Forms rule, compiled by the standard library's gettext."""
    return gettext.c2py(catalog.plural_expr)


class Translator:
    """gettext-style access to one family's language, for the code's UI strings."""

    def __init__(self, catalogs: Catalogs, lang: str) -> None:
        self.catalogs = catalogs
        self.lang = lang

    def gettext(self, message: str) -> str:
        return self.catalogs.gettext(self.lang, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalogs.ngettext(self.lang, singular, plural, n)


@cache
def language_name(lang: str) -> str:
    """The language's name in itself, as families recognise it: 'العربية', 'Türkçe'."""
    try:
        name = Locale.parse(lang).get_display_name(lang) or lang
    except (UnknownLocaleError, ValueError):
        return lang
    return name[:1].upper() + name[1:]


def is_rtl(lang: str) -> bool:
    return lang in RTL_LANGUAGES


_SCRIPTS = {"arabic": ("ar", "fa", "ps"), "cyrillic": ("ru", "uk", "bg")}


def script_of_language(lang: str) -> str:
    return next((name for name, codes in _SCRIPTS.items() if lang in codes), "latin")


def arabic_letter(char: str) -> bool:
    """A letter of the Arabic script (Arabic, Persian, Pashto), presentation forms too."""
    code = ord(char)
    return 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF


def script_of(text: str) -> str | None:
    """The script most letters of `text` are written in, or None for too few letters."""
    counts = {"arabic": 0, "cyrillic": 0, "latin": 0}
    for char in text:
        if not char.isalpha():
            continue
        code = ord(char)
        if arabic_letter(char):
            counts["arabic"] += 1
        elif 0x0400 <= code <= 0x04FF:
            counts["cyrillic"] += 1
        elif code < 0x0250:
            counts["latin"] += 1
    script, letters = max(counts.items(), key=lambda item: item[1])
    return script if letters >= 3 else None


# A run of left-to-right material inside right-to-left text: German words, Latin
# numbers, phone numbers, e-mail and web addresses, paragraph signs.
_LTR_RUN = re.compile(
    r"(?:[(„/+]|§\s?)*[0-9A-Za-z\u00C0-\u024F]"
    r"(?:[0-9A-Za-z\u00C0-\u024F.,@:/_\-–+()'„“§ ]*[0-9A-Za-z\u00C0-\u024F)“])?"
)
LRI, PDI, RLM = "\u2066", "\u2069", "\u200f"


def isolate_ltr(text: str) -> str:
    """Right-to-left text that stays readable with German terms, phone numbers and
    e-mail addresses inside: each left-to-right run is wrapped in Unicode isolates
    (LRI ... PDI), and each line starts with a right-to-left mark so that a line that
    begins with a German term is still laid out from the right."""
    lines = []
    for line in text.split("\n"):
        isolated = _LTR_RUN.sub(lambda match: f"{LRI}{match.group(0)}{PDI}", line)
        lines.append(f"{RLM}{isolated}" if isolated.strip() else isolated)
    return "\n".join(lines)


def format_month(day: dt.date, lang: str) -> str:
    """'November 2026' in the family's locale (Babel)."""
    try:
        return format_date(day, "LLLL y", locale=lang)
    except (UnknownLocaleError, ValueError):
        return format_date(day, "LLLL y", locale=SOURCE_LANGUAGE)


def format_day(day: dt.date, lang: str) -> str:
    """A full date in the family's locale, e.g. 'Montag, 30. November 2026'."""
    try:
        return format_date(day, "full", locale=lang)
    except (UnknownLocaleError, ValueError):
        return format_date(day, "full", locale=SOURCE_LANGUAGE)


_NO_CATALOGS = Catalogs()


def ui(lang: str, catalogs: Catalogs | None = None) -> Translator:
    """UI strings for code outside the engine (channels, services); German without
    catalogs. Pass the knowledge base's catalogs: `ui(lang, kb.catalogs)`."""
    return Translator(catalogs or _NO_CATALOGS, lang)


def available_languages(catalogs: Catalogs | None = None) -> tuple[str, ...]:
    return (catalogs or _NO_CATALOGS).available


def shown_language(lang: str, catalogs: Catalogs | None = None) -> str:
    """The language a UI string for `lang` is actually shown in."""
    chain = (catalogs or _NO_CATALOGS).chain(lang)
    return chain[0] if chain else SOURCE_LANGUAGE
