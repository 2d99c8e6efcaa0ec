"""Read free input for `ask` nodes: ages, numbers, yes/no and dates, in any script.

Digits from any script (Arabic-Indic ١٢, Persian ۱۲, Devanagari …) count as digits.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache
from typing import Any

from babel.dates import get_month_names

from bot.engine.normalize import normalize
from bot.engine.residence import residence

_NUMBER = re.compile(r"\d+")


class ParseFailure(ValueError):
    """The input could not be read; the message is for logs, families get the node's hint."""


def ascii_digits(text: str) -> str:
    """'١٢' -> '12', '۱۲' -> '12'; everything that is not a decimal digit stays."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


# Number words 1-20 (ages and counts of children), in the languages Lotse speaks.
_NUMBER_WORDS = {
    "de": "eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn "
    "fünfzehn sechzehn siebzehn achtzehn neunzehn zwanzig",
    "en": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty",
    "ru": "один два три четыре пять шесть семь восемь девять десять одиннадцать двенадцать "
    "тринадцать четырнадцать пятнадцать шестнадцать семнадцать восемнадцать девятнадцать "
    "двадцать",
    "uk": "один два три чотири п'ять шість сім вісім дев'ять десять одинадцять дванадцять "
    "тринадцять чотирнадцять п'ятнадцять шістнадцять сімнадцять вісімнадцять дев'ятнадцять "
    "двадцять",
    "bg": "едно две три четири пет шест седем осем девет десет единадесет дванадесет "
    "тринадесет четиринадесет петнадесет шестнадесет седемнадесет осемнадесет деветнадесет "
    "двадесет",
    "tr": "bir iki üç dört beş altı yedi sekiz dokuz on on_bir on_iki on_üç on_dört on_beş "
    "on_altı on_yedi on_sekiz on_dokuz yirmi",
    "ro": "unu doi trei patru cinci șase șapte opt nouă zece unsprezece doisprezece "
    "treisprezece paisprezece cincisprezece șaisprezece șaptesprezece optsprezece "
    "nouăsprezece douăzeci",
    "pl": "jeden dwa trzy cztery pięć sześć siedem osiem dziewięć dziesięć jedenaście "
    "dwanaście trzynaście czternaście piętnaście szesnaście siedemnaście osiemnaście "
    "dziewiętnaście dwadzieścia",
    "ar": "واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة عشرة أحد_عشر اثنا_عشر ثلاثة_عشر "
    "أربعة_عشر خمسة_عشر ستة_عشر سبعة_عشر ثمانية_عشر تسعة_عشر عشرون",
    "fa": "یک دو سه چهار پنج شش هفت هشت نه ده یازده دوازده سیزده چهارده پانزده شانزده هفده "
    "هجده نوزده بیست",
    "ps": "یو دوه درې څلور پنځه شپږ اووه اته نهه لس یوولس دولس دیارلس څوارلس پنځلس شپاړس "
    "اوولس اتلس نولس شل",
    "ku": "yek du sê çar pênc şeş heft heşt neh deh yazdeh diwazdeh sêzdeh çardeh panzdeh "
    "şanzdeh hivdeh hejdeh nozdeh bîst",
}


# The tens 30 to 70, for the age of a parent or grandparent ("زه څلوېښت کلنه یم", "I am
# forty"): it says the answers for children are not meant.
_TENS = {
    "de": "dreißig vierzig fünfzig sechzig siebzig",
    "en": "thirty forty fifty sixty seventy",
    "ru": "тридцать сорок пятьдесят шестьдесят семьдесят",
    "uk": "тридцять сорок п'ятдесят шістдесят сімдесят",
    "bg": "тридесет четиридесет петдесет шестдесет седемдесет",
    "tr": "otuz kırk elli altmış yetmiş",
    "ro": "treizeci patruzeci cincizeci șaizeci șaptezeci",
    "pl": "trzydzieści czterdzieści pięćdziesiąt sześćdziesiąt siedemdziesiąt",
    "ar": "ثلاثون أربعون خمسون ستون سبعون",
    "fa": "سی چهل پنجاه شصت هفتاد",
    "ps": "دېرش څلوېښت پنځوس شپېته اویا",
    "ku": "sî çil pêncî şêst heftê",
}

# How numbers are said besides their written form: Bulgarian "петнайсет" for "петнадесет".
_SPOKEN_NUMBERS = {
    "bg": "11:единайсет 12:дванайсет 13:тринайсет 14:четиринайсет 15:петнайсет "
    "16:шестнайсет 17:седемнайсет 18:осемнайсет 19:деветнайсет 20:двайсет",
    # Arabic: the forms before a plural noun ("خمس سنين") and the spoken ones ("تلتعش")
    "ar": "3:ثلاث 3:تلات 3:تلاتة 4:اربع 4:أربع 4:اربعة 5:خمس 6:ست 6:ستة 7:سبع 8:ثمان 8:ثماني "
    "8:تمن 8:تمان 8:تمانية 9:تسع 10:عشر 11:احدعش 11:حداعش 12:اطناعش 12:اتناعش 12:اثني_عشر "
    "13:ثلاث_عشرة 13:ثلاث_عشر 13:تلتعش 13:تلطعش 14:أربع_عشرة 14:اربع_عشر 14:اربعتعش "
    "14:اربعطعش 15:خمس_عشرة 15:خمس_عشر 15:خمستعش 15:خمسطعش 16:ست_عشرة 16:ست_عشر 16:ستعش "
    "16:سطعش 17:سبع_عشرة 17:سبع_عشر 17:سبعتعش 17:سبعطعش 18:ثماني_عشرة 18:ثمان_عشر "
    "18:تمنتعش 18:تمنطعش 19:تسع_عشرة 19:تسع_عشر 19:تسعتعش 19:تسعطعش 20:عشرين",
}


def _spoken(listing: str) -> list[tuple[int, str]]:
    return [(int(value), word) for value, word in (item.split(":") for item in listing.split())]


@cache
def _number_words(lang: str | None = None) -> dict[str, int]:
    """Normalised number word (or two-word phrase) -> value: of German, English and
    `lang`, or of every language at once (a typed answer to "how old?" is only a number).
    In free text one language's number is another's word: Turkish "on" (10) is English
    "on", Kurmanji "du" (2) German "du"."""
    words: dict[str, int] = {}
    for code, listing in _NUMBER_WORDS.items():
        if lang is not None and code not in ("de", "en", lang):
            continue
        for value, word in enumerate(listing.split(), start=1):
            words[normalize(word.replace("_", " "))] = value
    for code, listing in _TENS.items():
        if lang is None or code in ("de", "en", lang):
            for value, word in enumerate(listing.split(), start=3):
                words[normalize(word)] = value * 10
    for code, listing in _SPOKEN_NUMBERS.items():
        if lang is None or code in ("de", "en", lang):
            words.update(
                (normalize(word.replace("_", " ")), value) for value, word in _spoken(listing)
            )
    words[normalize("اثنين")] = 2
    words[normalize("один")] = 1
    return words


def _spelled_numbers(text: str) -> list[int]:
    """Numbers written as words: "zwölf", "on iki", "دوازده"."""
    return [int(token) for token in spelled_to_digits(text).split() if token.isdigit()]


def spelled_to_digits(text: str, lang: str | None = None) -> str:
    """The text (normalised) with number words as digits: "zwölf Jahre" -> "12 jahre"
    (the words of German, English and `lang` only, when given)."""
    tokens = normalize(text).split()
    words = _number_words(lang)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        pair = " ".join(tokens[index : index + 2])
        if index + 1 < len(tokens) and pair in words:
            out.append(str(words[pair]))
            index += 2
        else:
            out.append(str(words.get(tokens[index], tokens[index])))
            index += 1
    return " ".join(out)


def _one_number(text: str) -> int:
    numbers = [int(n) for n in _NUMBER.findall(ascii_digits(text))] or _spelled_numbers(text)
    if len(numbers) != 1:
        raise ParseFailure("expected exactly one number")
    return numbers[0]


def parse_number(text: str, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _one_number(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ParseFailure("number out of range")
    return value


def parse_age(text: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """An age in whole years ("9", "9 Jahre", "٩ سنوات")."""
    return parse_number(
        text, 0 if minimum is None else minimum, 120 if maximum is None else maximum
    )


# Yes and no in the languages Lotse serves, plus German and English everywhere.
_YES = {
    "ja",
    "j",
    "jaa",
    "jo",
    "yes",
    "y",
    "yeah",
    "ok",
    "okay",
    "klar",
    "да",
    "так",
    "ага",
    "نعم",
    "اي",
    "ايوه",
    "آره",
    "بله",
    "اره",
    "هو",
    "evet",
    "e",
    "da",
    "tak",
    "erê",
    "ere",
    "belê",
    "bele",
    "✅",
    "👍",
}
_NO = {
    "nein",
    "n",
    "nee",
    "no",
    "nope",
    "нет",
    "ні",
    "لا",
    "نه",
    "خیر",
    "hayır",
    "hayir",
    "nu",
    "не",
    "nie",
    "na",
    "❌",
    "👎",
}


def parse_yesno(text: str) -> bool:
    word = re.sub(r"[\s.!?,;:]+", " ", text.casefold()).strip()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ParseFailure("expected yes or no")


# Month names of a language's regions besides its main one: Arabic in Syria, Lebanon and
# Iraq names the months "كانون الثاني", "شباط", "آذار" …, not "يناير".
_REGIONAL_MONTHS = {"ar": ("ar_SY",)}


@cache
def month_names(lang: str) -> dict[str, int]:
    """Month names (Babel: wide and abbreviated, as in a date and standing alone, "мая"
    and "май") of German, English and `lang`, casefolded -> the month's number."""
    names: dict[str, int] = {}
    for locale in {"de", "en", lang, *_REGIONAL_MONTHS.get(lang, ())}:
        try:
            for width in ("wide", "abbreviated"):
                for context in ("format", "stand-alone"):
                    months = get_month_names(width, context, locale=locale)
                    for number, name in months.items():
                        names[name.casefold().rstrip(".")] = int(number)
        except (ValueError, LookupError):  # unknown locale: German and English still work
            continue
    return names


_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")  # also 2015/03/22
_WORD_DATE = re.compile(r"^(\d{1,2})\.?\s+(\w+)\.?,?\s+(\d{4})$")


def parse_date(text: str, *, today: dt.date, lang: str = "de") -> dt.date:
    """'20.09.2019', '20/9/19', '2019-09-20', '2019/09/20', '20. September 2019' (month
    names via Babel)."""
    cleaned = ascii_digits(text).strip().rstrip(".")
    day: int
    month: int
    year: int
    if match := _ISO_DATE.match(cleaned):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NUMERIC_DATE.match(cleaned):
        day, month, year = (int(part) for part in match.groups())
        if year < 100:  # two-digit years: the most recent past century that fits
            year += 2000 if 2000 + year <= today.year else 1900
    elif match := _WORD_DATE.match(cleaned):
        found = month_names(lang).get(match.group(2).casefold())
        if found is None:
            raise ParseFailure("unknown month name")
        day, month, year = int(match.group(1)), found, int(match.group(3))
    else:
        raise ParseFailure("not a date")
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ParseFailure("no such date") from exc


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of life on `day` (a birthday counts from that day on)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def school_year(today: dt.date) -> int:
    """The year in which the current school year began (school years start on 1 August)."""
    return today.year if (today.month, today.day) >= (8, 1) else today.year - 1


def school_start_year(birth: dt.date) -> int:
    """NRW: a child who turns 6 on or before 30 September starts school on 1 August of
    that year (SchulG NRW § 35); a later birthday means the year after."""
    return birth.year + 6 + ((birth.month, birth.day) > (9, 30))


def parse_birthdate(
    text: str, *, today: dt.date, lang: str, minimum: int | None, maximum: int | None
) -> dict[str, Any]:
    """A date of birth plus what school rules need (see PARSER_SLOTS in the models)."""
    birth = parse_date(text, today=today, lang=lang)
    if birth > today:
        raise ParseFailure("a birth date in the future")
    age = age_on(birth, today)
    if (minimum is not None and age < minimum) or (maximum is not None and age > maximum):
        raise ParseFailure("age out of range")
    return {
        "": birth.isoformat(),
        "_age": age,
        "_school_start": school_start_year(birth),
        "_age_aug1": age_on(birth, dt.date(school_year(today), 8, 1)),
    }


def system_slots(today: dt.date) -> dict[str, Any]:
    """Values every route condition may read (see SYSTEM_SLOTS in the models)."""
    return {"school_year": school_year(today)}


def parse(
    parser: str,
    text: str,
    *,
    today: dt.date,
    lang: str = "de",
    minimum: int | None = None,
    maximum: int | None = None,
) -> dict[str, Any]:
    """Dispatch to the parser an `ask` node names. Returns slot-name suffixes and
    JSON-serialisable values: {"": value} for most parsers, more for `birthdate`."""
    if parser == "age":
        return {"": parse_age(text, minimum, maximum)}
    if parser == "number":
        return {"": parse_number(text, minimum, maximum)}
    if parser == "yesno":
        return {"": parse_yesno(text)}
    if parser == "date":
        return {"": parse_date(text, today=today, lang=lang).isoformat()}
    if parser == "residence":
        if (situation := residence(text, lang)) is None:
            raise ParseFailure("no one residence situation")
        return {"": situation}
    if parser == "birthdate":
        return parse_birthdate(text, today=today, lang=lang, minimum=minimum, maximum=maximum)
    raise ParseFailure(f"unknown parser {parser!r}")
