"""The residence situation a message names, for the question who may take an
Integrationskurs (knowledge/flows/sprachkurs.yaml, `sk_status`): "recognised" (refugee
protection, family reunion, a first residence permit), "eu", "ukraine" (§ 24), "asylum"
(Aufenthaltsgestattung), "duldung" or "other" (§ 25 Abs. 3 to 5, a Fiktionsbescheinigung:
a legal question, answered by the route's `otherwise`), in the languages Lotse speaks.

Two kinds of evidence, so that a plain word does not outvote a status: explicit status
words ("Duldung", "Asylverfahren", "§ 24", "статус біженця", "لم الشمل") are strong;
where a person comes from (the EU countries and Ukraine by the names Babel gives them in
German, English and the family's language, and a few words for their people) and a
generic "residence permit" are weak and count only when no status word was found. "Wir
kamen über Griechenland, jetzt Asylverfahren" is asylum; two situations of the same kind
("Ukraine" and "Duldung") are unclear and the question is asked.

Asked the question, a family's answer is read with both kinds. In a first message that
asks something else only a status word counts (`weak=False`): "Probleme mit meiner
Aufenthaltserlaubnis" is no answer to who may take a course.

This is a first orientation with buttons next to it, never a legal decision: every answer
it leads to tells the family to check with the KI or a Migrationsberatung. Cues are written
as people type them and folded when first used (bot/engine/normalize.py); a word that
begins with a cue word counts ("Asylverfahren" for "asyl"). Deliberately left out: the
Romanian "eu" ("I") and "Geduld" ("patience") — "EU" counts only in capitals, Duldung only
as "Duldung" or "geduldet"; "anerkannt" alone (diplomas are "anerkannt" too).
"""

from __future__ import annotations

import re
from functools import cache

from bot.engine.normalize import Match, Phrase, fold, name_phrase, phrase_matches, without_article

SITUATIONS = ("recognised", "eu", "ukraine", "asylum", "duldung", "other")

# Status words, strong evidence. Phrases: consecutive words, each a word beginning.
_STRONG: dict[str, tuple[str, ...]] = {
    "asylum": (
        "Asyl",
        "Gestattung",
        "Aufenthaltsgestattung",
        "azil",
        "azyl",
        "убежищ",
        "притул",
        "iltica",
        "sığınma",
        "لجوء",
        "اللجوء",
        "پناهجو",
        "درخواست پناهندگی",
        "پناه غوښتونکی",
        "penaxwaz",
        "daxwaza penaber",
    ),
    "duldung": ("Duldung", "geduldet", "toleration", "tolerated stay", "дульдунг", "دولدون"),
    # a paper that keeps the old status until the office decides: a legal question
    "other": ("Fiktionsbescheinigung", "Fiktions", "фикционсбешайнигунг", "фиктивк", "фіктивк"),
    "ukraine": (
        "paragraph 24",
        "paragraf 24",
        "параграф 24",
        "24 AufenthG",
        "ماده 24",
        "المادة 24",
        "vorübergehend Schutz",
        "temporary protection",
        "временн защит",
        "тимчасов захист",
        "временна закрила",
        "geçici koruma",
        "protecți tempor",
        "ochron czasow",
        "حماية مؤقت",
        "حمایت موقت",
        "parastina demk",
    ),
    "recognised": (
        "Flüchtling anerkannt",
        "anerkannt Flüchtling",
        "Flüchtlingsschutz",
        "Flüchtlingseigenschaft",
        "Flüchtlingsstatus",
        "subsidiär",
        "asylberechtigt",
        "Asyl bekommen",
        "Asyl erhalten",
        "Familiennachzug",
        "blau Pass",
        "recognised refugee",
        "recognized refugee",
        "refugee status",
        "subsidiary protection",
        "family reunification",
        "family reunion",
        "granted asylum",
        "asylum granted",
        "got asylum",
        "статус беженц",
        "признан беженц",
        "получ убежищ",
        "воссоединени сем",
        "статус біженц",
        "отрима притул",
        "возз'єднан сім",
        "статут на бежан",
        "събиране на семейството",
        "mülteci olarak tanın",
        "mülteci statü",
        "aile birleşim",
        "refugiat recunoscut",
        "statut de refugiat",
        "protecți subsidiar",
        "reîntregir famil",
        "status uchodźc",
        "ochron uzupełniając",
        "łączeni rodzin",
        "لم الشمل",
        "لم شمل",
        "حصلت على اللجوء",
        "الحماية الفرعية",
        "صفة لاجئ",
        "پناهندگی گرفت",
        "جواب مثبت",
        "پناه غوښتنه ومنل",  # Pashto: the asylum request was accepted
    ),
    "eu": (
        "Unionsbürger",
        "Freizügigkeit",
        "europäisch Union",
        "european union",
        "евросоюз",
        "европейск союз",
        "європейськ союз",
        "европейски съюз",
        "avrupa birliğ",
        "uniunea europ",
        "unia europ",
        "الاتحاد الأوروب",
        "اتحادیه اروپا",
        "yekîtiya ewrop",
    ),
}
# "Abs. 5", ", Abs. 5", "(5)", "para. 5", "п. 5", "ust. 5", "alin. 5", "fıkra 5", "فقرة 5"
_SUBSECTION = (
    r"\s*,?\s*(?:Abs\.?|Absatz|para\.?|paragraph|п\.|пункт|ust\.?|alin\.?|fıkra|فقرة|\()\s*"
)
_STRONG_PATTERNS = (
    ("ukraine", re.compile(r"§\s*24(?!\d)")),
    # § 25 Abs. 1 or 2 (protection); Abs. 3 to 5 are humanitarian permits, with no claim
    # to a course as such: a legal question (the status route's `otherwise`)
    ("recognised", re.compile(rf"§\s*25(?![\da-z])(?!{_SUBSECTION}[3-5])")),
    ("other", re.compile(rf"§\s*25(?:{_SUBSECTION}[3-5]|a|b)(?!\d)")),
    ("eu", re.compile(r"(?<!\w)(?:EU|UE|ЕС|ЄС)(?!\w)")),  # capitals: Romanian "eu" is "I"
)
# Where a person comes from, and a permit of some kind: weak evidence.
_WEAK: dict[str, tuple[str, ...]] = {
    "ukraine": ("ukrain", "ucrainean", "ukrayn", "اوکراینی"),
    "eu": (
        "Rumäne",
        "Rumänin",
        "rumänisch",
        "Bulgare",
        "Bulgarin",
        "bulgarisch",
        "polnisch",
        "Polin",
        "griechisch",
        "kroatisch",
        "ungarisch",
        "romanian",
        "bulgarian",
        "polish",
        "greek",
        "croatian",
        "hungarian",
        "român",
        "българ",
        "polak",
        "polsk",
        "румын",
        "румун",
        "болгар",
        "поляк",
        "польск",
        "польськ",
        "romen",
        "bulgar",
        "polonyal",
        "روماني",
        "بلغاري",
        "بولندي",
        "رومانیایی",
        "بلغاری",
        "لهستانی",
    ),
    "recognised": (
        "Aufenthaltserlaubnis",
        "residence permit",
        "вид на жительств",
        "посвідк на проживанн",
        "разрешение за пребиваване",
        "oturum izn",
        "permis de ședere",
        "karta pobytu",
        "karty pobytu",
        "إقامة",
        "اقامت",
    ),
}
# Babel's names of the countries: weak evidence of where a person comes from. Germany is
# not among them ("in Deutschland" says nothing).
EU_COUNTRIES = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]


@cache
def _cues(strength: str) -> dict[Phrase, str]:
    listing = _STRONG if strength == "strong" else _WEAK
    return {
        tuple(without_article(word) for word in fold(cue).split()): situation
        for situation, cues in listing.items()
        for cue in cues
    }


@cache
def _countries(lang: str) -> dict[Phrase, str]:
    from babel import Locale, UnknownLocaleError

    names: dict[Phrase, str] = {}
    for display in {"de", "en", lang}:
        try:
            territories = Locale.parse(display).territories
        except (UnknownLocaleError, ValueError):
            continue
        for code, situation in [*((c, "eu") for c in EU_COUNTRIES), ("UA", "ukraine")]:
            if (name := territories.get(code)) and (phrase := name_phrase(name)):
                names[phrase] = situation
    return names


def _situations(matches: list[Match]) -> set[str]:
    """The longest cue wins the words it covers: "asylberechtigt" and "Asyl bekommen" are
    recognised, not asylum."""
    taken: set[int] = set()
    found = set()
    for _length, words, situation in sorted(matches, key=lambda match: -match[0]):
        if taken.isdisjoint(words):
            taken.update(words)
            found.add(situation)
    return found


def residence(text: str, lang: str, *, weak: bool = True) -> str | None:
    """The one residence situation the text names (see SITUATIONS), or None when it names
    none, or several of the same strength; without `weak` only a status word counts."""
    words = [without_article(word) for word in fold(text).split()]
    strong = _situations(phrase_matches(words, _cues("strong"), None))
    strong |= {situation for situation, pattern in _STRONG_PATTERNS if pattern.search(text)}
    if strong or not weak:
        return strong.pop() if len(strong) == 1 else None
    found = _situations(
        phrase_matches(words, _cues("weak"), None) + phrase_matches(words, _countries(lang))
    )
    return found.pop() if len(found) == 1 else None
