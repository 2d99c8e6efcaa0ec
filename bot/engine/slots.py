"""What a family's message says about its situation, for the questions the knowledge asks:
a child's age ("13 Jahre", "13-year-old", "١٣ سنة", "13 лет", "thirteen years") and a date
of birth ("20.09.2020", "2020-09-20", "20. September 2020"), in the languages Lotse speaks.

`said` returns, per parser of an `ask` node ("age", "birthdate"), the part of the message
that answers it (`said_all`: every reading, such as the ages of several children). The
dialogue (bot/engine/dialogue.py) then answers such a question of the same turn without
asking it: "Mein Sohn ist 13 Jahre alt" at the school menu goes through the age question
to the answer for a 13-year-old, and a birth date typed where the age is asked answers
both the age and, at 5, 6 or 18, the birth date question after it.

An age needs a word that says it is one ("Jahre", "years", "лет", "سنة", "yaşında", in
Latin letters "sene", "kalan" …), or one's own age said so ("ich bin 19", "I'm 21") where no
child is named: "2 Kinder" or "Straße 13" are no age, nor a digit inside a word of Arabic
in Latin letters ("usbo3"). A message about a child (`about_a_child`: "Sohn",
"ابني", "дочь" …) with an age may start the journey that asks for it even when it names
no topic; an adult's own age ("Ich bin 30 Jahre alt") does not.

A birthday said only as a month beside an age counts as a birth date on the month's 15th:
"wird im November 6" at its next return, "ist im Februar 18 geworden" or "im Mai geboren"
at its last (`_month_birthday`); at 16 or more not for August, where 1 August decides. At 5,
6 and 18 the day rarely matters beyond the month: the school-entry cut-off is 30 September,
the end of a school year 31 July. A day written right before the month's name ("am 2.
Oktober 18 geworden", "turned 6 on 20 October") is that birthday's day and no age, when the
message names that month once and gives it one day (not "am 1. August gekommen … im August
18 geworden"); the age and its link are looked for within the month's sentence.

A residence situation ("Duldung", "aus der Ukraine", "статус біженця") is read by
bot/engine/residence.py; `said` gives the whole message for it under "residence".

`mediator_language` reads the language a mediator is needed for ("Ja, für Dari",
"с арабского", "بالعربي") by the names Babel gives it in German, English and the family's
language; the booking stores its code (or German name), never the sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from babel.dates import get_month_names

from bot.engine.normalize import fold, name_phrase, phrase_matches, without_article
from bot.engine.parsers import (
    ParseFailure,
    age_on,
    ascii_digits,
    month_names,
    parse_date,
    spelled_to_digits,
)
from bot.engine.residence import residence

CHILD_PARSERS = ("age", "birthdate")  # what a message about a child says of the child
MAX_AGE = 30  # a bare number above this, in a message about a child, is no age
NEAR = 3  # a bare number is an age only this few words after a child ("Sohn 12", "ابني ١٢")
# Words right after a number that make it an age (a word beginning so counts: "yaşında",
# "ساله", "jährige"), and words right before one ("Alter 13", "عمره ١٣"); as written,
# folded when first used (bot/engine/normalize.py).
_AGE_AFTER = (
    "jahr jahre jahren jähr years year yrs "
    "лет года год рок років роки рік роч літ годин годишн "
    "سنة سنه سنوات سنين عام اعوام أعوام "
    "سال ساله سالش سالشه "
    "yaş yas ani lat lata letni letn کلن کال کاله salî sali sal "
    # written in Latin letters: Arabic "12 sene", Pashto "12 kalan" (Persian "sale" is "sal")
    "sene sana snin sneen kalan kala"
)
_AGE_BEFORE = "alter age aged вік возраст عمر عمره عمرها عمري umur yaşı"
# Words before a number that make it an age in one language only: Bulgarian "е на 14" is
# "is 14", while Russian "на 14" is "at 14 o'clock" or "for 14 days".
_AGE_BEFORE_IN = {"bg": "на"}
# … and one's own age ("ich bin 19", "I'm 21"), only when no child is named: "Ich bin 35,
# mein Sohn ist 10" is the son's 10 (a time span after it is none: "ich bin 3 Monate hier")
_OWN_AGE_BEFORE = {"de": "bin", "en": "am im"}
_IN_WORD = re.compile(r"(?<=[A-Za-z])\d+")  # Latin letters only: "عمره١٣" is an age
_DATES = (
    re.compile(r"(?<![\d./-])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d/-]|\.\d)"),
    re.compile(r"(?<![\d./-])\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?![\d/-]|\.\d)"),
    re.compile(r"(?<!\d)\d{1,2}\.?\s+\w+\.?,?\s+\d{4}(?!\d)"),
)
# Words that say the message is about a child of the family (a word beginning so counts:
# "Tochter" / "Töchter", "синові", "ابنتي"), as written.
_CHILD_WORDS = (
    "kind kinder sohn söhne tochter töchter junge mädchen "
    "child children kid kids son sons daughter daughters boy girl "
    "сын сина сину синов синът синок синочк дочь дочк дочер доньк доньц донечк ребен ребён "
    "дитин дете детет "
    "дъщер хлопчик córk córecz corka dzieck syn fiul fiica fiicei fetiț băiat copil "
    "oğlum oglum kızım kizim çocuğ cocug oğl kız "
    "ابن ابني ابنتي بنتي ولدي طفل اطفال أطفال "
    "پسر دختر بچه فرزند "
    "زوی لور ماشوم "
    "kur kurê keç keça zarok "
    # grandchildren, for the grandparents who write; nieces, nephews and twins (not a
    # brother or sister: "اختي", "kardeşim", "ورور" also address the reader)
    "enkel grandson granddaughter grandchild внук внучк онук онучк wnuk wnucz nepot nepoat "
    "torun حفيد حفيدت نوه لمسی nevî "
    "nichte neffe niece nephew племянни племінни племенни bratan bratanic siostrzen yeğen "
    "yegen خواهرزاده برادرزاده biraza xwarza zwilling twin"
)


# Words that say a child reached an age on a day ("ist 18 geworden", "turned 18",
# "исполнилось 18", "skończył 18 lat"), as written, folded when first used. Not the
# Persian, Pashto or Kurmanji words for "became": they also say "was born".
_TURNED = (
    "geworden turned turns исполн виповн навърш skończ ukończ doldu implin împlin بلغ "
    "yaşına yasina"  # "18 yaşına girdi" (not "girdi" alone: "Eylül'de okula girdi")
)
# A month beside an age and such a word, or one that says an age is still to come, or a
# word for "born", says in which month the child's birthday is: "ist im Februar 18
# geworden", "wird im November 6", "turns 6 in December", "skończy 6 lat w październiku",
# "meha Adarê 18 salî bû". Words for what is to come count only as whole words (folded
# when first used): Polish "skończy" is "will turn", "skończył" "turned".
_TURNS = (
    "wird turns turning исполнится будет виповниться буде навършва skończy kończy konczy "
    "skonczy dolacak dolduracak girecek giriyor olacak împlinește implineste "
    "يصير تصير بيصير حيصير سيصبح بتصير يكمل تكمل بيكمل بتكمل میشه میشود خواهد کیږي"
)
# … and short words that say so in one language only (Ukrainian "ще" is "still")
_TURNS_IN = {"en": "will", "bg": "ще", "ro": "va face", "ar": "رح راح", "ku": "dibe"}
_BORN = "geboren born родил народи роден родена urodz născut nascut doğdu dogdu doğum dogum"
# A word for the birthday itself: it links a month to the age said anywhere in the sentence
# ("ist 5, sein Geburtstag ist am 3. Oktober", "den rozhdeniya 3 oktyabrya")
_BIRTHDAY = "geburtstag birthday рожден народж naștere nastere rojbûn rojbun ميلاد تولد زوکړ کالیز"
# … and, as whole words, "was born" and "became" where a word beginning so is something
# else ("ولدي" is "my boy"; Kurmanji "bû" is short)
_BORN_WORDS = "ولد ولدت انولد انولدت مواليد متولد شد شو صار صارت زیږېدلی زیږیدلی dayik bû"
MONTH_NEAR = 4  # the age and the word that links it lie this close to the month
_SENTENCE_END = re.compile(r"(?<=[^\d\s])[.!?؟]+\s+")  # not "11. Klasse"


# Words next to a number that make it something else: a class, a time, an address.
_NO_AGE = (
    "klasse class grade year клас класс sınıf sinif lise صف الصف صنف کلاس پایه ټولګی "
    "klas clas pola pol uhr hour час saat ساعة ساعت straße strasse str street nr hausnummer"
)
# Words right after a number that make it a time span, never an age: "seit 3 Monaten",
# "преди 2 седмици", "de 2 luni", "از ۴ ماه" (as written, folded when first used).
_SPAN = (
    "monat woche tag minute month week day minute "
    "месяц месец місяц недел неділ седмиц тижн тиждень дня дней днів дни ден день минут "
    "ay hafta gün luni luna lună săptămân zile zi miesiąc miesiące miesięcy tydz tygod dni dzień "
    "شهر اشهر أشهر شهور اسبوع أسبوع اسابيع يوم ايام أيام ماه هفته روز میاشت اونۍ ورځ "
    "meh hefte roj"
)
# "and a half" between a number and its age word
_HALF = "halb half buçuk половин пів півтор pół jumătate نص نیم"
_WHOLE_CHILD_WORDS = "син"  # Ukrainian "son": only the whole word ("sin" begins "since")
# An ordinal ("в 5-й", "5th", "8-ми клас") and a fraction ("1,5 Jahre": one) are no ages.
_ORDINAL = re.compile(r"(?<!\d)\d{1,2}(?:-[^\W\d_]{1,3}|st|nd|rd|th)(?![^\W\d_])")
_FRACTION = re.compile(r"(?<![\d.,])(\d{1,2})[.,]\d(?![\d.,]*\d)")


@cache
def _words(listing: str) -> tuple[str, ...]:
    return tuple(sorted({fold(word) for word in listing.split()}, key=len, reverse=True))


_ARABIZI = re.compile(r"(?<![\d\w])[235789](?=[a-z])")  # 3 ع, 7 ح, 5 خ, 2 ء …


def _tokens(text: str, lang: str | None = None) -> list[str]:
    """The message folded into words, number words (of German, English and `lang`) as
    digits, "13jährig" as "13 jahrig"; in Arabic, a digit that stands for a letter at a
    word's start ("3omro", "5alas") is dropped."""
    folded = fold(spelled_to_digits(ascii_digits(text), lang or "de"))
    if lang == "ar":  # Arabic in Latin letters writes letters as digits: "3omro" is عمره
        folded = _ARABIZI.sub("", folded)
    return re.findall(r"\d+|[^\W\d_]+", folded)


def _starts(word: str, listing: str) -> bool:
    return any(word.startswith(cue) for cue in _words(listing))


def _starts_any(text: str, listing: str) -> bool:
    """Whether a word of the text begins with one of the listed words."""
    return any(_starts(word, listing) for word in _tokens(text) if not word.isdigit())


def _child_word(word: str) -> bool:
    return _starts(word, _CHILD_WORDS) or word in _words(_WHOLE_CHILD_WORDS)


def about_a_child(text: str) -> bool:
    """Whether the message speaks of a child ("mein Sohn", "ابني", "моя дочь")."""
    return any(_child_word(word) for word in _tokens(text) if not word.isdigit())


def _ages(text: str, lang: str) -> set[str]:
    """The ages the text names: numbers with an age word; and, beside them or in a message
    about a child, the numbers up to MAX_AGE a few words after a child word that are
    nothing else: "Sohn 13 und meine Tochter 9 Jahre" names 13 and 9, "jeden Tag 2 Busse"
    nothing. Not ages: a time span ("seit 3 Monaten"), a class ("Klasse
    7", "clasa a 8-a"), a count of children ("2 Kinder"), an ordinal ("5-й"); "1,5 Jahre"
    is one year."""
    text = _FRACTION.sub(r"\1", _ORDINAL.sub(" ", ascii_digits(text)))
    # a digit right after a Latin letter is one (Arabic in Latin letters: "usbo3", "na3mel")
    text = _IN_WORD.sub("", text)
    tokens = _tokens(text, lang)
    child = about_a_child(text)
    own = "" if child else _OWN_AGE_BEFORE.get(lang, "")
    before_words = _words(" ".join((_AGE_BEFORE, _AGE_BEFORE_IN.get(lang, ""), own)))
    said = set()
    bare = set()
    for index, token in enumerate(tokens):
        if not token.isdigit() or len(token) > 2:
            continue
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        before = tokens[index - 1] if index else ""
        # the word before, past a short glue word: "clasa a 8-a", "pola 8an"
        past = tokens[index - 2] if index >= 2 and len(before) <= 2 else before
        # the word after, past a short glue word (Romanian "20 de ani") or a half ("2
        # buçuk yaşında", "2 с половиной года": the full years)
        skip = len(after) <= 2 or _starts(after, _HALF)
        beyond = tokens[index + 2] if skip and index + 2 < len(tokens) else after
        if _starts(after, _SPAN):
            continue
        if _starts(after, _AGE_AFTER) or _starts(beyond, _AGE_AFTER) or before in before_words:
            said.add(str(int(token)))
        elif (
            not (  # not "2 Kinder", "Klasse 7", "13 Uhr"
                _child_word(after) or any(_starts(word, _NO_AGE) for word in (after, before, past))
            )
            and any(  # near a child ("Доньці 16", "mein Sohn (14)"), not "her gün 2 otobüs"
                _child_word(word)
                for word in tokens[max(0, index - NEAR) : index]
                if not word.isdigit()
            )
        ):
            bare.add(str(int(token)))
    # A bare number above MAX_AGE is something else (Pashto "نوي" is "new" and "ninety"),
    # and a bare 1 mostly an article: Turkish "bir sorun", Pashto "راغلي یو", "ein Kind".
    bare = {number for number in bare if 1 < int(number) <= MAX_AGE}
    if said or child:
        return said | bare
    return set()


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def said(text: str, *, today: dt.date, lang: str) -> dict[str, str]:
    """Per parser, the part of `text` that answers its question: {"age": "13"}, or with a
    birth date {"birthdate": "20.09.2020", "age": "6"}. Nothing when it is unclear (two
    ages, two dates)."""
    return {
        parser: readings[0]
        for parser, readings in said_all(text, today=today, lang=lang).items()
        if len(readings) == 1
    }


def said_all(text: str, *, today: dt.date, lang: str) -> dict[str, tuple[str, ...]]:
    """Per parser, the readings of `text` that answer its question: one, or for a family
    that names several children's ages, each of them ({"age": ("9", "12")}): when all lead
    the same way, the question needs no asking (bot/engine/dialogue.py). Two dates are
    unclear: nothing is read."""
    found: dict[str, tuple[str, ...]] = {}
    plain = ascii_digits(text)
    dates: list[dt.date] = []
    # days within the year to come are a birthday's day, if an age is to come on it:
    # "wird am 12. Juli 2027 sechs", "ще навърши 6 години на 03.11.2027"
    coming: list[tuple[str, dt.date]] = []
    for pattern in _DATES:
        for snippet in pattern.findall(plain):
            try:
                birth = parse_date(snippet, today=today, lang=lang)
            except ParseFailure:
                continue
            if birth <= today and birth not in dates:
                dates.append(birth)
                found["birthdate"] = (snippet,)
            elif today < birth <= _years_before(today, -1):
                coming.append((snippet, birth))
    if len(dates) > 1:  # two children, or a date and a date of arrival: ask
        return {}
    for snippet, day in coming:  # read as a day of its month, which comes within a year
        plain = plain.replace(snippet, f" {day.day} {_ENGLISH_MONTHS[day.month]} ", 1)
    for pattern in _DATES:  # a date's numbers are no ages
        plain = pattern.sub(" ", plain)
    plain, days = _month_days(plain, lang)
    ages = _ages(plain, lang)
    if dates and ages and str(age_on(dates[0], today)) not in ages:
        # an age and a date that is no birth date for it: "turned 18 on 20.08.2026" is the
        # birthday it was reached on; "13 Jahre, angekommen am 01.10.2026" is another day
        if len(ages) == 1 and age_on(dates[0], today) == 0 and _starts_any(plain, _TURNED):
            dates = [_years_before(dates[0], int(next(iter(ages))))]
            found["birthdate"] = (dates[0].strftime("%d.%m.%Y"),)
        else:
            found.pop("birthdate")
            dates = []
    if not dates and (birthday := _month_birthday(plain, lang, today, ages, days)) is not None:
        dates = [birthday]
        found["birthdate"] = (birthday.strftime("%d.%m.%Y"),)
        ages = set()
    if dates:
        ages.add(str(age_on(dates[0], today)))
    if ages:
        found["age"] = tuple(sorted(ages, key=int))
    if residence(text, lang, weak=False) is not None:  # the parser reads the message
        found["residence"] = (text,)
    return found


_ENGLISH_MONTHS = {int(number): name for number, name in get_month_names(locale="en").items()}

# A day of the month right before its name ("am 2. Oktober", "on 20 October", "3 listopada",
# "pe 12 octombrie", "на 5 септември"), or right after it in English as an ordinal ("October
# 20th"; not "September 18": "im September 18 geworden" is an age)
_DAY_MONTH = re.compile(r"(?<![\d.,/:])(\d{1,2})(?:\.|st|nd|rd|th|ê|-?го)?\s+(?=[^\W\d_])")
_MONTH_DAY = re.compile(r"(?<=[^\W\d_])\s+(\d{1,2})(?:st|nd|rd|th)(?![\w.,/:])")


def _month_named(words: list[str], names: dict[str, int]) -> int | None:
    """The month the first word (or the first two) names, with at most a short ending
    ("Mijdarê"), not a word that a short name begins ("6 maybe 7": no May)."""
    if not words:
        return None
    if (pair := " ".join(words[:2])) in names:
        return names[pair]
    word = words[0]
    for name, number in names.items():
        if word == name or (
            len(name) >= 4 and word.startswith(name) and len(word) <= len(name) + 2
        ):
            return number
    return None


def without_days(text: str, lang: str) -> str:
    """The text without the days of the months it names ("am 2. Oktober"): they are no
    ages, for the matcher either."""
    return _month_days(text, lang)[0]


def _month_days(text: str, lang: str) -> tuple[str, dict[int, int]]:
    """The text without the days of months it names (they are no ages: "ist am 2. Oktober
    18 geworden" is 18), and those days per month ({10: 2})."""
    said: dict[int, set[int]] = {}
    names = _folded_months(lang)

    def day_of(match: re.Match[str], month_at: int) -> str:
        day = int(match.group(1))
        written = text[month_at : month_at + 40].split()
        words = _tokens(" ".join(written[:2]), lang)
        month = _month_named(words, names)
        if lang == "en" and written and not written[0][:1].isupper():
            month = None  # English writes it with its capital: "6 may I ask" is no date
        if month is None or not 1 <= day <= 31:
            return match.group(0)
        said.setdefault(month, set()).add(day)
        return " " * len(match.group(0))

    text = _DAY_MONTH.sub(lambda match: day_of(match, match.end()), text)
    if lang == "en":  # the month's name before: the day is what follows it

        def before(match: re.Match[str]) -> str:
            start = text.rfind(" ", 0, match.start()) + 1
            return day_of(match, start)

        text = _MONTH_DAY.sub(before, text)
    # two days of one month ("am 1. August gekommen … im August 18 geworden"): neither
    return text, {month: days.pop() for month, days in said.items() if len(days) == 1}


def _month_of(tokens: list[str], at: int, lang: str) -> int | None:
    """The month the word at `at` names (with the next word for a name of two: "تشرين
    الأول"), in any ending: "im Februar", "в январе", "w październiku", "Ekim'de"."""
    names = _folded_months(lang)
    word = tokens[at]
    # Arabic joins "in" to the month: "بتشرين الأول", "بشباط"
    joined = word[1:] if word[:1] in ("ب", "ف") and len(word) > 4 else word
    for first in dict.fromkeys((word, joined)):
        pair = " ".join((first, *tokens[at + 1 : at + 2]))
        if pair in names:
            return names[pair]
        if first in names:
            return names[first]
    word = joined
    if word.isdigit() or len(word) < 3:
        return None
    for name, number in names.items():
        if " " in name:
            continue
        stem = name[: max(3, len(name) - 2)]
        if word == name or (word.startswith(stem) and len(word) <= len(name) + 2):
            return number
    return None


@cache
def _folded_months(lang: str) -> dict[str, int]:
    return {
        fold(name): number
        for name, number in month_names(lang).items()
        if len(fold(name)) >= 3 or " " in name
    }


def _month_birthday(
    text: str, lang: str, today: dt.date, ages: set[str], days: dict[int, int]
) -> dt.date | None:
    """The birthday a month says beside an age ("wird im November 6" on 7 December 2026:
    15 November 2021; "ist im Februar 18 geworden": February 2008), or nothing. The age is
    the one read, or the one number beside the month. An age to come is reached at the
    month's next return, one reached at its last; the day is `days`' for the month when
    the month is named once, else the 15th (within the month of the message: a birthday to
    come at its end, one passed at its start)."""
    if not any(token.isdigit() for token in _tokens(text, lang)):
        return None  # no age to go with a month: no month is looked for
    past_words = " ".join((_TURNED, _BORN))
    whole_past = set(_words(_BORN_WORDS))
    to_come = set(_words(" ".join((_TURNS, _TURNS_IN.get(lang, "")))))
    found: set[tuple[int, int, bool]] = set()
    seen: dict[int, int] = {}  # how often each month is named
    # the age and its link within the month's sentence: "came in November. My son turned 6
    # on 20 October"
    sentences = [_tokens(part, lang) for part in _SENTENCE_END.split(text)]
    for tokens in sentences:
        for at in range(len(tokens)):
            month = _month_of(tokens, at, lang)
            if month is None:
                continue
            near = range(max(0, at - MONTH_NEAR), min(len(tokens), at + MONTH_NEAR + 1))
            # a linking word after the month may lie beyond the age that lies near: "د
            # اکتوبر په میاشت کې اتلس کلن شو" (in the month of October 18 years became)
            wider = range(near.start, min(len(tokens), at + MONTH_NEAR + 3))
            # a word for "reached" after one for "will" is to come: "ще навърши", "will turn"
            coming = [
                i
                for i in wider
                if tokens[i] in to_come
                or (i and tokens[i - 1] in to_come and _starts(tokens[i], past_words))
            ]
            past = [
                i
                for i in wider
                if (_starts(tokens[i], past_words) or tokens[i] in whole_past) and i not in coming
            ]
            # the age right beside the month or the word that links them: "wird im November
            # 6", "turns 6 in December"; not "wird im Oktober eingeschult, sie ist 6"
            # (an age read elsewhere, one more than it for an age to come, or any number
            # right beside: "ist 5 und wird am 3. September 6", "am 20. Oktober 6 geworden,
            # meine Tochter ist 9")
            links = (at, *coming, *past)
            numbers = {
                int(tokens[i])
                for i in near
                if tokens[i].isdigit()
                and (
                    str(int(tokens[i])) in ages
                    or not ages
                    or (coming and str(int(tokens[i]) - 1) in ages)
                    or any(abs(i - j) == 1 for j in links)
                )
                and (1 < int(tokens[i]) <= MAX_AGE or tokens[i] in ages)  # "the older one"
                and not (i + 1 < len(tokens) and _starts(tokens[i + 1], _SPAN))
                and any(abs(i - j) <= 2 for j in links)
            }
            if coming and len(numbers) == 2 and max(numbers) - min(numbers) == 1:
                numbers = {max(numbers)}  # the age now and the one to come: the one to come
            birthday = [i for i in near if _starts(tokens[i], _BIRTHDAY)]
            if (
                not numbers
                and len(ages) == 1
                and (birthday or any(abs(i - at) <= 2 for i in past))
            ):
                numbers = {int(next(iter(ages)))}  # "ist 6 Jahre alt und im Mai geboren"
            if len(numbers) == 1 and (past or coming or birthday):
                found.add((month, numbers.pop(), bool(coming)))
            seen[month] = seen.get(month, 0) + 1
    if len(found) > 1:  # "came in July, turned 18 on 2 September": the one with its day
        found = {reading for reading in found if reading[0] in days}
    if len(found) != 1:
        return None
    month, age, to_come_yet = found.pop()
    if month in days and seen.get(month) == 1:  # the day said too: "turned 6 on 20 October"
        day = days[month]
        if to_come_yet:  # its next return, today included
            year = today.year + ((month, day) < (today.month, today.day))
        else:  # its last
            year = today.year - ((month, day) > (today.month, today.day))
        try:
            return dt.date(year - age, month, day)
        except ValueError:  # "am 30. Februar"
            return None
    if month == 8 and age >= 16:  # the school year begins on 1 August: the day decides
        return None
    if to_come_yet:
        year = today.year if month >= today.month else today.year + 1
        day = 28 if month == today.month else 15
    else:
        year = today.year if month <= today.month else today.year - 1
        day = 1 if month == today.month else 15
    return dt.date(year - age, month, day)


# --- the language a mediator is needed for --------------------------------------------

# Languages the city's mediator pool is asked for besides Lotse's own; Babel names them in
# German, English and the family's language. Babel has no Dari: named here.
POOL_LANGUAGES = (
    "sq",
    "am",
    "hy",
    "bs",
    "zh",
    "fr",
    "ka",
    "el",
    "hi",
    "it",
    "ckb",
    "mk",
    "pa",
    "sr",
    "so",
    "es",
    "ta",
    "ti",
    "ur",
    "vi",
    "hr",
    "bn",
    "ln",
    "om",
    "uz",
)  # not Hausa or Fula: their names begin German words ("Haus", "für")
DARI = "prs"
_OWN_NAMES = {DARI: ("Dari", "دری", "دري", "дари", "Darî"), "fa": ("Farsi",), "ckb": ("Sorani",)}


@cache
def _language_stems(lang: str) -> dict[tuple[str, ...], str]:
    """Folded word stems of each language's names -> its code (German itself left out:
    no mediator is needed for it)."""
    from babel import Locale, UnknownLocaleError

    from bot import i18n

    stems: dict[tuple[str, ...], str] = {}
    codes = [c for c in (*i18n.LANGUAGES, *POOL_LANGUAGES, DARI) if c != i18n.SOURCE_LANGUAGE]
    for code in codes:
        names = set(_OWN_NAMES.get(code, ()))
        for display in {"de", "en", lang, code}:
            try:
                name = Locale.parse(display).languages.get(code)
            except (UnknownLocaleError, ValueError):
                continue
            if name:
                names.add(name)
        for name in names:
            if phrase := name_phrase(name):
                stems[phrase] = code
    return stems


def german_name(code: str) -> str:
    """A mediator language's German name ("ti" -> "Tigrinya", "prs" -> "Dari")."""
    from babel import Locale

    return Locale.parse("de").languages.get(code) or _OWN_NAMES.get(code, (code,))[0]


def mediator_language(text: str, lang: str) -> str | None:
    """The one language a message names for a mediator ("Ja, für Dari", "арабский",
    "بالعربي"): its code, or None when it names none or several."""
    words = [without_article(word) for word in fold(text).split()]
    found = {code for *_, code in phrase_matches(words, _language_stems(lang))}
    return found.pop() if len(found) == 1 else None
