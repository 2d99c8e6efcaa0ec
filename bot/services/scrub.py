"""Takes out of a typed text what could point to a person, before it may be kept: e-mail
addresses, links, @usernames, dates, phone numbers, every number (digits of any script:
Arabic-Indic ١٢, Persian ۱۲ …) and names. What was taken out is marked for editors:
[E-Mail], [Link], [Name], [Datum], [Telefon], [Zahl].

Names cannot be recognised for sure; the rule is deliberately greedy, because a kept
question must never identify a family, and an editor still sees what was asked:

1. After a phrase that introduces a name (_INTRODUCTIONS: "ich heiße", "my name is",
   "меня зовут", "اسمي", "benim adım", "mam na imię" …) the next word, in any script, is
   a name, and up to two more words that are not exactly known words (in scripts without
   capitals the second word always: "اسمي محمد علي"). Punctuation ends the name.
2. After a title ("Frau", "Herr", "Mr", "пан", "السيد", "آقای" …), a phrase that may
   introduce a name or a word (_NAMING: "heißt", "called", "зовут", "اسمه" …) or a weak
   introduction ("ich bin", "I am", "I'm", "je suis", "jestem", "аз съм") the same,
   except that an exactly known word in a script with capitals is not a name: "meine Frau
   hat", "Was heißt Schulpflicht?", "ich bin neu hier". Exactly: "Herr Kindermann" is a
   name although "Kinder" is a known word. Titles may follow each other and end with a
   full stop: "Frau Dr. Schulte".
3. In scripts with capitals (Latin, Cyrillic, Greek), every other capitalised word that
   is not a known word is a name. Known words are the words of Lotse's own texts in the
   family's language, German and English (the knowledge and every catalog), also with an
   ending or in a compound ("Schulen", "Grundschule"), the names of countries, languages,
   months and days in those languages (Babel; left out are abbreviated month and day
   names of up to three letters and such short words of longer territory names, so "Jan"
   is a name, and territories named after a saint: "St. Martin"), a short list of
   everyday words (_EVERYDAY) and of abbreviations Lotse's texts lack (_ABBREVIATIONS:
   "VHS", "IHK").
   Two places trust only an exactly known word, without ending or compound: a word in
   capitals ("SARA KHAN"; the abbreviations of Lotse's texts — "BAMF", "KI", "KIM" — are
   known words, so they stay, and so do "WO IST DIE SCHULE") and a capitalised word
   right after an article ("die Fatima", "der Omar", but "zum Jobcenter").

What the rule misses: a name that is also a known word ("Will"; "Can" for a family
writing Turkish; "Kim" and "KIM"), a capitalised name that looks like a known word with
an ending or in a compound when neither a title nor an article stands before it
("Kindermann hat angerufen"), and a name in a script without capitals (Arabic, Persian)
or written in lower case when no introduction or title stands before it ("я анна",
"انا محمد": "я", "ben", "أنا" and "من" are not weak introductions, because the word after
them is mostly a verb that Lotse's texts lack). Nouns that Lotse's texts never use become
[Name] too ("ein Schwimmbad"): that loses a little content, never privacy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from babel import Locale, UnknownLocaleError
from babel.dates import get_day_names, get_month_names

from bot import i18n
from bot.engine.normalize import normalize
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import node_texts

NAME, NUMBER, PHONE = "[Name]", "[Zahl]", "[Telefon]"
EMAIL, LINK, DATE = "[E-Mail]", "[Link]", "[Datum]"
PLACEHOLDERS = (NAME, NUMBER, PHONE, EMAIL, LINK, DATE)
MAX_NAME_WORDS = 3  # words taken after an introduction or a title
MIN_PHONE_DIGITS = 6
MAX_SHORT_NAME = 3  # short month, day and territory words up to this length are not known

# An e-mail address, also written to get past filters: "ahmed@gmail", "a.b@gmail,com",
# "a.b(at)gmail.com", "a.b [at] gmail dot com", "a.b at gmail.com", "a @ gmail.com".
_LOCAL = r"(?<![\w.+\-])[\w.+\-]+"  # from its first character only: no quadratic search
_DOT = r"(?:[.,]|\s*[(\[{<]\s*(?:dot|punkt)\s*[)\]}>]\s*|\s+(?:dot|punkt)\s+)"
_HOST = r"[\w\-]+"
_DOMAIN = rf"{_HOST}(?:{_DOT}{_HOST})*"  # "gmail", "gmail.com", "gmail dot com"
_DOTTED = rf"{_HOST}(?:{_DOT}{_HOST})+"  # with at least one dot
_EMAIL = re.compile(rf"{_LOCAL}[@＠]{_DOMAIN}", re.IGNORECASE)
# after _EMAIL, so that "write me at a.b@gmail.com" keeps "write me at"
_EMAIL_SPELLED = re.compile(
    rf"{_LOCAL}(?:"
    rf"\s+[@＠]\s+{_DOTTED}"
    rf"|\s*[(\[{{<]\s*(?:at|ät|@)\s*[)\]}}>]\s*{_DOMAIN}"
    rf"|\s+(?:at|ät)\s+{_DOTTED})",
    re.IGNORECASE,
)
_LINK_END = r"[^\s.,;:!?)\]}\"'»]"  # a link does not take the punctuation after it
_LINK = re.compile(
    rf"(?:https?://|www\.)(?:\S*{_LINK_END})?"
    # any domain with a path: "t.me/ahmedali", "telegram.me/x", "example.de/path"
    rf"|(?<![\w.\-])[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{{2,}}/(?:\S*{_LINK_END})?"
    # a bare domain, with an ending that is no word of a sentence typed without spaces
    r"|(?<![\w.\-])[\w\-]+(?:\.[\w\-]+)*\.(?:com|de|org|net|eu|info|io|nrw|ru|ua|tr|pl|ro|bg|ir|af"
    r"|sy|me|ly|gl|gg|app|link|co|tv|uk|fr|nl|ch|by|kz|iq|рф|укр)\b",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@])@\w{3,}")  # a Telegram or Instagram username
_DATE = re.compile(r"\b\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b")
# \d is any script's decimal digit; a phone number is a run of at least six of them.
_PHONE = re.compile(r"(?:\+|\b00)?\(?\d[\d \t().\-/]{4,}\d")
_DIGITS = re.compile(r"(?<!\w)\w*\d\w*")
_REPEATED = re.compile(r"(\[[\w\-]+\])(?:[\s\-–,;/]*\1)+")

# Phrases after which a name follows, in the languages Lotse speaks (compared normalised).
_INTRODUCTIONS = (
    "ich heiße", "ich heisse", "mein name ist", "mein name", "my name is", "my name's",
    "i am called", "меня зовут", "моё имя", "мое имя", "мене звати", "мене звуть",
    "моє ім'я", "казвам се", "името ми е", "اسمي", "إسمي", "انا اسمي", "نام من", "اسم من",
    "اسمم", "زما نوم", "benim adım", "adım", "ismim", "mam na imię", "nazywam się",
    "mă numesc", "ma numesc", "numele meu este", "numele meu e", "navê min", "nav min",
)  # fmt: skip
# Phrases after which a name often follows, but a word may too ("Was heißt Schulpflicht?").
_NAMING = (
    "heißt", "heisst", "called", "named", "зовут", "звати", "звуть", "казва се",
    "اسمه", "اسمها", "نامش", "اسمش", "نوم یې", "adı", "ismi", "nazywa się", "ma na imię",
    "se numește", "se cheamă", "navê wî", "navê wê",
)  # fmt: skip
# "I am …": a name or a word ("ich bin neu hier"); "I'm" is found in phrase_at().
_WEAK_INTRODUCTIONS = (
    "ich bin", "i am", "je suis", "jestem", "аз съм", "eu sunt",
)  # fmt: skip
_TITLES = (
    "frau", "herr", "herrn", "hr", "fr", "dr", "prof", "mr", "mrs", "ms", "miss",
    "господин", "госпожа", "г-н", "г-жа", "пан", "пані", "пани",
    "السيد", "السيدة", "الأستاذ", "الاستاذ", "الدكتور", "آقای", "خانم", "ښاغلی", "اغلې",
    "bay", "bayan", "pan", "pani", "domnul", "doamna", "dl", "dna", "birêz", "xanim",
)  # fmt: skip
# Everyday words of families' questions that Lotse's own texts may lack (compared
# normalised, so one spelling per word is enough).
_EVERYDAY = """
hallo danke bitte frage antwort hilfe problem familie mutter vater mama papa frau mann
herr bruder schwester oma opa baby sohn tochter kinder eltern lehrer lehrerin klasse
ferien hausaufgaben wohnung miete heim unterkunft arbeit job ausbildung praktikum studium
universität anerkennung zeugnis formular brief post amt behörde ausländerbehörde visum
aufenthalt aufenthaltstitel pass ausweis führerschein krankenkasse versicherung
bürgergeld wohngeld elterngeld kindergeld steuer konto bank geld fahrkarte ticket bus bahn
impfung arzt krankenhaus handy internet computer laptop essen kleidung sport verein
nummer telefon tel handy mail email adresse name vorname nachname straße
hello thanks please question school course appointment apartment flat visa insurance
"""
# Abbreviations families write that Lotse's texts lack (those of the texts, "BAMF", "KI",
# "KIM", "BuT", "EU", "NRW", are known words anyway). No name may be among them.
_ABBREVIATIONS = """
VHS DaZ IHK HWK OGS KiTa Kita AOK TK DAK IKK BKK DRK AWO ABH ZAB SGB ALG IBAN PDF SMS
WLAN ÖPNV VRR DB USA UK UN UNHCR BAföG KfW OK TV PC
"""

# Words before a noun, or a name in colloquial German ("die Fatima"): a capitalised word
# right after one is a name unless it is exactly a known word.
_ARTICLE_WORDS = (
    "ein eine einen einem einer eines der die das den dem des kein keine keinen keinem "
    "im ins am ans zum zur beim vom a an the"
)
_ARTICLES = frozenset(_ARTICLE_WORDS.split())
_WORD_EXTRAS = frozenset("'’ʼ")
_ZWNJ = "\u200c"  # Persian words keep it inside


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM" or char == _ZWNJ


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, piece) with kind "word", "mark" (a placeholder) or "gap"; joined, the
    pieces give `text` back."""
    pieces: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        mark = next((p for p in PLACEHOLDERS if text.startswith(p, i)), None)
        if mark is not None:
            pieces.append(("mark", mark))
            i += len(mark)
            continue
        j = i
        if _is_letter(text[i]):
            while j < len(text) and (
                _is_letter(text[j])
                or (
                    text[j] in _WORD_EXTRAS
                    and j + 1 < len(text)
                    and _is_letter(text[j + 1])
                    and _is_letter(text[j - 1])
                )
            ):
                j += 1
            pieces.append(("word", text[i:j]))
        else:
            while j < len(text) and not _is_letter(text[j]) and not text.startswith("[", j):
                j += 1
            j = max(j, i + 1)
            pieces.append(("gap", text[i:j]))
        i = j
    return pieces


def _phrases(listing: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    found = {tuple(normalize(phrase).split()) for phrase in listing}
    return tuple(sorted((p for p in found if p), key=len, reverse=True))  # longest first


# (phrase, strong): after a strong phrase the next word is always a name; after a weak
# one (a title, or "heißt", which also means "means") only if it is not a known word.
_PHRASES = sorted(
    [(p, True) for p in _phrases(_INTRODUCTIONS)]
    + [(p, False) for p in _phrases(_NAMING + _TITLES + _WEAK_INTRODUCTIONS)],
    key=lambda item: len(item[0]),
    reverse=True,
)


def _raw(word: str) -> str:
    """Case and apostrophes only: "I'm" stays apart from German "im"."""
    return word.casefold().replace("’", "'").replace("ʼ", "'")


def _cased(word: str) -> bool:
    return any(char.lower() != char.upper() for char in word)


def _capitalised(word: str) -> bool:
    """Starts with a capital; single letters do not count."""
    return len(word) >= 2 and word[0].isupper()


def _in_capitals(word: str) -> bool:
    """ "SARA", "BAMF": no case tells a name from a word."""
    return len(word) >= 2 and word.isupper()


def _exactly_known(word: str, known: frozenset[str]) -> bool:
    """A word of the vocabulary as it is, without ending or compound."""
    words = normalize(word).split()
    return bool(words) and all(part in known for part in words)


def _known(word: str, known: frozenset[str]) -> bool:
    """A word of the vocabulary, also with an ending ("Schulen") or as part of a compound
    ("Grundschule", "Kindergeldantrag")."""
    words = normalize(word).split()
    return bool(words) and all(_known_one(part, known) for part in words)


def _known_one(word: str, known: frozenset[str]) -> bool:
    if word in known:
        return True
    if len(word) >= 5 and any(word[:-cut] in known for cut in (1, 2, 3) if len(word) - cut >= 4):
        return True
    if len(word) >= 8:
        if any(word[start:] in known for start in range(3, len(word) - 4)):
            return True
        if any(word[:end] in known for end in range(5, len(word) - 2)):
            return True
    return False


def _is_stop(gap: str) -> bool:
    """Punctuation ends a name; spaces, hyphens and apostrophes do not."""
    return any(not (char.isspace() or char in "-–'’") for char in gap)


class _Text:
    """A text as words and what stands between them, for finding names."""

    def __init__(self, text: str, known: frozenset[str]) -> None:
        self.known = known
        self.pieces = _tokens(text)
        self.words = [i for i, (kind, _piece) in enumerate(self.pieces) if kind == "word"]
        self.normal = [normalize(self.pieces[i][1]) for i in self.words]
        self.names: set[int] = set()  # positions in self.words

    def word(self, position: int) -> str:
        return self.pieces[self.words[position]][1]

    def joined(self, a: int, b: int, dot: bool = False) -> bool:
        """Words a < b stand next to each other, with no punctuation or placeholder; with
        `dot`, a full stop right after word a is allowed ("Dr. Müller")."""
        return all(
            self.pieces[k][0] == "gap"
            and not _is_stop(self.pieces[k][1].removeprefix(".") if dot else self.pieces[k][1])
            for k in range(self.words[a] + 1, self.words[b])
        )

    def phrase_at(self, position: int) -> tuple[int, bool]:
        """(words, strong) of an introduction or title at `position`; (0, False): none."""
        if _raw(self.word(position)) == "i'm":  # normalised it would be German "im"
            return 1, False
        for phrase, strong in _PHRASES:
            end = position + len(phrase)
            if tuple(self.normal[position:end]) == phrase and all(
                self.joined(k, k + 1) for k in range(position, end - 1)
            ):
                return len(phrase), strong
        return 0, False

    def after_article(self, position: int) -> bool:
        """ "zum Jobcenter", "die Fatima": a noun or a name."""
        return (
            position > 0
            and self.joined(position - 1, position)
            and _raw(self.word(position - 1)) in _ARTICLES
        )

    def take_name(self, start: int, strong: bool) -> int:
        """Marks up to MAX_NAME_WORDS words from `start` that look like a name; how many."""
        taken = 0
        while start + taken < len(self.words) and taken < MAX_NAME_WORDS:
            position = start + taken
            # after a title or another weak phrase its full stop may follow: "Hr. Ali"
            dot = taken == 0 and not strong
            if position > 0 and not self.joined(position - 1, position, dot):
                break
            word = self.word(position)
            if taken == 0:  # the word right after the phrase
                name = strong or not _cased(word) or not _exactly_known(word, self.known)
            elif taken == 1 and strong and not _cased(word):
                name = True  # "اسمي محمد علي": two-word names are common, "علي" is "على"
            else:
                name = not _exactly_known(word, self.known)
            if not name:
                break
            self.names.add(position)
            taken += 1
        return taken

    def find(self) -> str:
        position = 0
        while position < len(self.words):
            length, strong = self.phrase_at(position)
            if length:
                position += length
                if position < len(self.words) and self.phrase_at(position)[0]:
                    continue  # "Frau Dr. Müller": the name follows the last title
                position += self.take_name(position, strong)
                continue
            word = self.word(position)
            if _cased(word) and _capitalised(word):
                if _in_capitals(word) or self.after_article(position):
                    known = _exactly_known(word, self.known)
                else:
                    known = _known(word, self.known)
                if not known:
                    self.names.add(position)
            position += 1
        marked = {self.words[position] for position in self.names}
        return "".join(
            NAME if index in marked else piece for index, (_kind, piece) in enumerate(self.pieces)
        )


def scrub(text: str, known: frozenset[str]) -> str:
    """`text` without e-mail addresses, links, usernames, dates, phone numbers, numbers
    and names (see the module docstring); `known` is the vocabulary of known_words()."""
    text = unicodedata.normalize("NFC", text)
    text = _EMAIL.sub(EMAIL, text)
    text = _EMAIL_SPELLED.sub(EMAIL, text)
    text = _LINK.sub(LINK, text)
    text = _HANDLE.sub(NAME, text)
    text = _DATE.sub(DATE, text)
    text = _PHONE.sub(
        lambda m: PHONE if sum(c.isdecimal() for c in m.group(0)) >= MIN_PHONE_DIGITS else m[0],
        text,
    )
    text = _DIGITS.sub(NUMBER, text)
    text = _Text(text, known).find()
    text = _REPEATED.sub(r"\1", text)
    return " ".join(text.split())


_VOCABULARIES: dict[tuple[int, str], tuple[KnowledgeBase, frozenset[str]]] = {}


def known_words(kb: KnowledgeBase, lang: str) -> frozenset[str]:
    """Normalised words that are not names for a family writing in `lang`: Lotse's texts
    in `lang`, German and English, names of countries, languages, months and days, and
    everyday words. Built once per knowledge base and language."""
    key = (id(kb), lang)
    cached = _VOCABULARIES.get(key)
    if cached is not None and cached[0] is kb:
        return cached[1]
    texts: list[str] = [_EVERYDAY, _ABBREVIATIONS]
    for node in kb.nodes.values():
        texts += node_texts(node).values()
    texts.append(kb.organisation.welcome)
    codes = dict.fromkeys((lang, i18n.SOURCE_LANGUAGE, i18n.FALLBACK_LANGUAGE))
    for code in codes:
        language = kb.catalogs.languages.get(code)
        if language is not None:
            texts += language.singular.values()
        texts += _locale_words(code)
    for language in kb.catalogs.languages.values():
        texts += (message for _context, message in language.singular)  # German sources
    words = frozenset(word for text in texts for word in normalize(text).split())
    if len(_VOCABULARIES) > 64:  # reloads make new knowledge bases; keep the cache small
        _VOCABULARIES.clear()
    _VOCABULARIES[key] = (kb, words)
    return words


def _locale_words(code: str) -> list[str]:
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return []
    words = [word for name in locale.territories.values() for word in _territory_words(name)]
    words += [name for lang in i18n.LANGUAGES if (name := locale.languages.get(lang))]
    words += get_month_names("wide", locale=locale).values()
    words += get_day_names("wide", locale=locale).values()
    short = [
        *get_month_names("abbreviated", locale=locale).values(),
        *get_day_names("abbreviated", locale=locale).values(),
    ]  # "Sept." stays known, "Jan." and "Mo." do not: they would spare "Jan" and "Mo"
    words += [name for name in short if len(normalize(name)) > MAX_SHORT_NAME]
    return words


# A territory named after a saint carries a first name: "St. Martin", "Sfânta Lucia".
_SAINTS = frozenset(
    normalize("St Saint Sankt São Santa San Sint Sfânta Sfântul Сент Сен Св Святой Святої "
              "Świętej Świętego").split()
)  # fmt: skip


def _territory_words(name: str) -> list[str]:
    """The words of a territory's name that are no first names: all of "Syrien" and of
    "Republik Moldau", but not "Jan" of "Spitzbergen und Jan Mayen" (short words of a
    longer name, like "Man", "Ян") and nothing of "St. Martin"."""
    words = normalize(name).split()
    if len(words) == 1:
        return words
    if _SAINTS.intersection(words):
        return []
    return [word for word in words if len(word) > MAX_SHORT_NAME]
