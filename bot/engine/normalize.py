"""One normal form for typed text, used wherever typed text is compared with ours:
case, accents and punctuation removed, Arabic and Persian letter variants unified, a few
German spellings that transliterations miss ("sch" typed as "sh") brought together.

`fold` goes one step further for the free-text matcher: digits of every script become
ASCII digits, Cyrillic is written in Latin letters (so that "Дульдунг" meets "Duldung" and
"shkola" meets "школа"), and Pashto letters are written as the letters they are built on."""

from __future__ import annotations

import re
import unicodedata

_LETTER_VARIANTS = str.maketrans(
    {
        "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا",
        "ٱ": "ا", "ؤ": "و", "ـ": None, "ß": "ss", "'": None, "’": None, "ʼ": None,
        "ł": "l", "ı": "i", "ø": "o", "đ": "d",  # letters NFKD does not take apart
    }
)  # fmt: skip
_TRANSLITERATIONS = (("tsch", "ch"), ("sch", "sh"), ("ph", "f"), ("ck", "k"))

# Cyrillic as Russian, Ukrainian and Bulgarian speakers write it in Latin letters (and as
# they write German words in Cyrillic: "Гештаттунг", "Джобцентр"). After normalize(), so
# "й" and "ё" have already lost their marks.
_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "e",
        "ж": "zh", "з": "z", "и": "i", "і": "i", "й": "i", "к": "k", "л": "l", "м": "m",
        "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
        "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a", "ы": "y", "ь": None,
        "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip

# Pashto letters that people without a Pashto keyboard type as the Persian or Arabic letter
# they are built on: "ښوونځی" typed "شوونزی", "ژباړونکی" typed "ژبارونکی".
_PASHTO = str.maketrans(
    {
        "ړ": "ر",
        "ږ": "ژ",
        "ښ": "ش",
        "ګ": "گ",
        "ځ": "ز",
        "څ": "س",
        "ټ": "ت",
        "ډ": "د",
        "ڼ": "ن",
        "ې": "ی",
        "ۍ": "ی",
    }
)


def normalize(text: str) -> str:
    """'Schüle!' -> 'shule', 'مدرسة' and 'مدرسه' alike, "п'ять" and "пʼять" alike (no
    apostrophes); words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold()).translate(_LETTER_VARIANTS)
    kept = "".join(
        char if char.isalnum() else " " for char in decomposed if not unicodedata.combining(char)
    )
    for written, said in _TRANSLITERATIONS:
        kept = kept.replace(written, said)
    return " ".join(kept.split())


def fold(text: str) -> str:
    """normalize(), then digits as ASCII ('١٩' -> '19'), Cyrillic in Latin letters
    ('Школа' -> 'shkola', 'Дульдунг' -> 'duldung'), Pashto letters simplified ('ښ' -> 'ش')."""
    normal = normalize(text)
    digits = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in normal)
    latin = digits.translate(_CYRILLIC).translate(_PASHTO)
    for written, said in _TRANSLITERATIONS:
        latin = latin.replace(written, said)
    return latin


# folded: the Arabic article, alone and after "bi-", "wa-" (and), "li-"
ARABIC_ARTICLES = ("بال", "وال", "لل", "ال")


def without_article(word: str) -> str:
    """An Arabic word without its article ("التلفون", "بالمدرسه"), at least three letters."""
    for article in ARABIC_ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 3:
            return word[len(article) :]
    return word


def name_stem(word: str) -> str:
    """A folded word of a name without the Arabic article and, when long, its ending
    ("arabskiy" -> "arabsk", so "arabskogo" counts; "rumunia" -> "rumun", so "rumunii")."""
    word = without_article(word)
    return word[:-2] if len(word) >= 6 else word[:-1] if len(word) == 5 else word


Phrase = tuple[str, ...]
Match = tuple[int, range, str]  # letters of the phrase, the words it covers, what it names
NAME_ENDING = 5  # letters a name's stem may be followed by ("Rumunii", "арабского")


def name_phrase(name: str) -> Phrase | None:
    """The stems of a name's words ("Saudi-Arabien" -> ("saudi", "arabi")), or None when a
    stem would be too short to tell anything apart."""
    stems = tuple(name_stem(word) for word in fold(name).split())
    return stems if stems and all(len(stem) >= 3 for stem in stems) else None


def phrase_matches(
    words: list[str], phrases: dict[Phrase, str], ending: int | None = NAME_ENDING
) -> list[Match]:
    """Where the phrases occur in the (folded) words: each word beginning with its phrase
    word, followed by at most `ending` letters (any number with None)."""
    found = []
    heads = {word[:2] for word in words}
    for phrase, named in phrases.items():
        if phrase[0][:2] not in heads:  # most phrases: cheap to rule out
            continue
        for start in range(len(words) - len(phrase) + 1):
            if all(
                words[start + i].startswith(part)
                and (ending is None or len(words[start + i]) <= len(part) + ending)
                for i, part in enumerate(phrase)
            ):
                found.append((sum(map(len, phrase)), range(start, start + len(phrase)), named))
    return found


# German words as families write them in Arabic letters, having heard them at an office
# ("غشتاتونغ" Gestattung, "اوسلندربهورده" Ausländerbehörde, "ارستاوفنامه" Erstaufnahme):
# both reduced to their consonants, as a skeleton of sound classes (g/k/q, t/d, s/z/sh, b/p,
# f/v), vowels, h and the letters that write vowels left out, doubled letters once.
_SOUND_CLASSES = {
    **dict.fromkeys("غگجكکقخgkqcx", "k"),
    **dict.fromkeys("تطدضtd", "t"),
    **dict.fromkeys("سصزثذظشژچsz", "s"),
    **dict.fromkeys("بپbp", "b"),
    **dict.fromkeys("فfv", "f"),
    **dict.fromkeys("لl", "l"),
    **dict.fromkeys("مm", "m"),
    **dict.fromkeys("نn", "n"),
    **dict.fromkeys("رr", "r"),
}


def sounds(word: str) -> str:
    """A folded word's consonants by sound class: "gestattung" and "غشتاتونغ" are both
    "kstnk" (German "sh" and "ch" as one s; the rest, vowels and h, left out)."""
    word = word.replace("sh", "s").replace("ch", "s")
    classes = [_SOUND_CLASSES[char] for char in word if char in _SOUND_CLASSES]
    return "".join(c for i, c in enumerate(classes) if not i or c != classes[i - 1])


# what separates an editor's keyword phrases: commas (Arabic ones too), semicolons, lines
KEYWORDS_SPLIT = re.compile(r"[,،؛;\n]+")
