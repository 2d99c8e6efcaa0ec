"""Free text to a place in the knowledge: which node (or flow, or intent) a family means
when they type instead of tapping, in any language, with typos.

Every findable node has keywords (German in the YAML; each language's translation in the
catalogs). A message is compared with the keywords of German, English and the family's
language, all folded to one form (case, accents, Arabic and Persian letter variants, Pashto
letters, digits of every script, Cyrillic in Latin letters: normalize.fold). Each word of a
keyword is matched to the most similar word of the message (rapidfuzz ratio, or a known
ending, compound or Arabic article; a long German word written in Arabic letters, as
families write what they heard at an office, by its consonants: "غشتاتونغ" is Gestattung,
"ارست اورینتیرونگس کورس" Erstorientierungskurs); glue words ("zur", "for", "ли") may be
missing, content words may not. A node's score is its best keyword, plus a little for every
further word of the message its keywords meet well, plus a little when a menu of its journey
was named too.

Never a confident wrong answer. A jump needs a clear winner: the chosen node must lead every
other node that could be meant by a margin - another journey's node, or another answer of
the same journey (a menu of its own journey is context, and a node that explains fewer words,
all of them explained by the chosen one and its journey, is no rival). Close candidates are
offered as buttons ("Did you mean …?"); anything weaker is "not understood". Rules of thumb
turn jumps into offers where one keyword is not enough evidence:
- abbreviations ("EU", "BuT", "ID"), and the short words of the German and English lists
  for families of other languages, count only as written (Romanian "eu", English "I'd");
- a negated word ("nicht Schule", "okul değil", "Zeugnis me tune") counts as missing, unless
  the keyword says "not" itself ("keine Papiere"); a "not" before wanting or needing negates
  what is wanted ("I don't need school info");
- a second matter: when another node has a keyword said in full (glue too) in words the
  chosen one (with the nodes leading to it) leaves unexplained, and that keyword names a
  matter of few nodes ("Jobcenter", "Masern", not "Schule"), both are offered: "wie viel Geld
  gibt das Jobcenter" is not the BuT amounts, "Impfung … Schulpflicht?" not only the duty;
  when the chosen answer answers the sentence that asks (ends in "?", else the last one),
  what only the other sentences name is the situation: no second matter, and no rival from
  another journey ("Wir bekommen Geld vom Jobcenter. Wer hilft bei der Wohnungssuche?" is
  who else helps); within the choice's journey it stays a rival, as the situation may be
  what decides ("Wir sind noch in der Erstaufnahme. Wann geht die Schule los?"), and a
  second matter when a question of the journey decides it ("Ich komme aus Rumänien. Was
  kostet ein Integrationskurs?": the residence decides whether there is a course to pay);
  what the chosen answer's own text speaks of (its messages, not its buttons, in German and
  the family's language) is no second matter, nor a rival whose answer does not speak of the
  choice's words: "nie in der Schule … kann nicht lesen" is the school answer that tells of
  learning to read there, not also the adults' literacy course; "Bürgergeld" beside money
  for a school trip is the BuT answer, which names Bürgergeld, not also the Jobcenter;
  nor a matter of one word beside four or more that the choice explains: "doesn't know his
  exact birthday, papers only say 2012 … school registration" is the unknown birthday, the
  papers a detail;
- one word that alone is a keyword of two answers is offered: "Termin" is booking one or
  seeing one's own;
- an answer two or more steps into its journey needs two words of evidence or its journey
  named: "Rumänien" alone is offered, "aus Rumänien, Integrationskurs?" is answered (the
  main menu's own answers are in no journey: "Wohnung" alone is who else helps);
- a near word (no keyword said surely) is not made confident by its journey's name:
  Kurmanji "ez çi bikim" (what shall I do) beside "dibistan" is not "çi bînim" (what to
  bring);
- a keyword whose words come from different sentences is weaker evidence than one said in
  one sentence: a story names people and things around the question ("Sie ist mit ihren
  zwei Söhnen hier und hat § 24. Kommt sie in einen Integrationskurs?" is not the course
  for children);
- a number is evidence only with its journey named ("16, welche Schule"), and without what
  it counts ("18", not "18 Jahre") it is offered, not answered;
- a doctor's or hospital appointment is never booked from free text;
- messages naming matters Lotse does not handle (courts, housing, driving licences, money
  transfers, renewals of papers, phone contracts, complaints, bullying) are at most offered
  (what only the situation's sentences name does not count: "my husband got a job here"),
  except as the answer that says who else helps (ki.yaml `elsewhere`) or when the chosen
  answer's text names the matter itself (BuT names Wohngeld with Kindergeld) or explains
  four words or more as written ("I work full time … a cheap German conversation group or a
  language tandem?" is the tandem; "Wie viel Kindergeld" is not the BuT amounts);
- a language's name ("auf Türkisch", "на русском"), or a keyword that is only one ("немецкий
  язык"), points to the language choice only when nothing better was meant and the message
  says little else: "Dolmetscher auf Türkisch" is about an interpreter, "einen Partner zum
  Deutschüben" not about the language of the chat.

When in doubt, before asking, the examples have a say (`bot.engine.examples`): a model
learnt from how families wrote to the KI takes one of the answers that would be offered
when it clearly stands out among them. It never picks an answer the words above did not
already point to.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from babel import Locale, UnknownLocaleError
from rapidfuzz import fuzz, process

from bot.engine.examples import pick as second_opinion
from bot.engine.normalize import KEYWORDS_SPLIT, fold, sounds, without_article
from bot.engine.slots import CHILD_PARSERS, without_days
from bot.i18n import FALLBACK_LANGUAGE, LANGUAGES, SOURCE_LANGUAGE, arabic_letter
from bot.knowledge.loader import KnowledgeBase, decided_by, edges
from bot.knowledge.models import ActionNode, AskNode, MenuNode, node_texts

CONFIDENT = 88.0  # a target this good (and clearly ahead) is taken at once
CANDIDATE = 78.0  # targets this good are offered as "Did you mean …?"
CONTEXT_BONUS = 8.0  # a specific answer whose journey was named too ("Kurs … kostet")
MARGIN = 5.0  # how far the best must lead every other target that could be meant
WORD_FLOOR = 80.0  # a word this unlike any word of the message counts as missing
SPECIFIC_BONUS = 6.0  # per further word of the message a target's keywords explain
GLUE_WEIGHT = 0.25  # glue words ("zur", "for", "ли") matter this much in a keyword
LANGUAGE_NAME_FACTOR = 0.9  # "Türkisch" alone means the language choice, but weakly
CHATTY = 3  # more other content words than this, and a language's name is not the choice
DEEP = 2  # answers this many steps into a journey need two words, or the journey named
FEW = 3  # a word of this many targets' keywords names a matter ("Jobcenter"), not "Schule"
SURE = 88.0  # a word met this well is surely said (not a near neighbour: "there"/"other")
HINT = 85.0  # a word that only begins a longer word of the message: a candidate at most
MAX_OFFERED = 3
# A keyword whose words lie in different sentences counts this much less: "Sie ist mit ihren
# zwei Söhnen hier und hat § 24. Kommt sie in einen Integrationskurs?" is not the course for
# children
SPREAD_PENALTY = 4.0
DETAIL = 4  # a matter in one word beside four the choice explains is a detail (or elsewhere)
SOUNDED = 8  # German keyword words this long are found written in Arabic letters too …
SOUNDS = 5  # … when they have this many consonants ("kstnk": Gestattung), met this well:
SOUNDS_ALIKE = 90.0
# The matcher reads at most this much of a text: its cost grows with the length, 5 to
# 10 µs a character on the CI machine (German alone at the low end, mixed scripts at the
# high end: 1,000 characters took 5 to 10 ms, 4,000 up to 30 ms). Measured p99 over mixed
# languages: 200 characters 2.9 ms, 300 5.0 ms, 500 6.5 ms. Most messages are shorter; a
# formal letter (held-out set 15: half of its messages are longer) asks after its greeting
# and introduction, so the question is read first and the sentences nearest to it
# (read_part). The rest is not lost: relayed to staff as it is, and kept (scrubbed, with
# consent) as an unplaced question. `make bench` reports the figure at 1,000 and 4,000.
MAX_READ_CHARS = 250

# Pronouns Arabic script joins to a word's end (folded: "ی" for "ي"): "his", "her", "our",
# "their", "my"; Persian's "his" ("ش"), "their" ("شان")
_ARABIC_PRONOUNS = ("هم", "ها", "نا", "ه", "ی", "ك", "ک", "شان", "ش")
_CLAUSE = re.compile(r"[,.;:!?¿¡،؛؟()\[\]\n–—]+")
_SENTENCE = re.compile(r"[^.!?؟\n]+[.!?؟\n]*")  # a sentence with its end marks


@dataclass(frozen=True)
class _Keyword:
    target: str  # a node id
    words: tuple[str, ...]
    weights: tuple[float, ...]  # 1 for content words, GLUE_WEIGHT for glue words
    # Abbreviations ("EU", "BuT", "KIM") count only as written: in lower case they are
    # everyday words of other languages (Romanian "eu", English "but", Turkish "kim").
    as_written: tuple[str, ...] = ()
    numeric: bool = False  # its content is a number: evidence only with its journey named
    negative: bool = False  # it says "not"/"no" itself ("keine Papiere")
    negates: frozenset[str] = frozenset()  # the words it says "not" to ("papiere")
    content: tuple[str, ...] = ()  # the words it needs (not glue, not a number's unit)
    meaning: tuple[str, ...] = ()  # the words it explains when said (units too: "Jahre")
    factor: float = 1.0


@dataclass
class _Index:
    keywords: list[_Keyword] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    depth: dict[str, int] = field(default_factory=dict)  # steps from the journey's start
    above: dict[str, frozenset[str]] = field(default_factory=dict)  # nodes leading to it
    # the answers a question about the family's situation decides (not a child's age)
    decided: frozenset[str] = frozenset()
    spread: dict[str, int] = field(default_factory=dict)  # word -> how many targets use it
    # Lookup tables, so that a message's word finds its near forms without a scan:
    choices: list[str] = field(default_factory=list)  # the words, for rapidfuzz
    using: dict[str, list[int]] = field(default_factory=dict)  # word -> keywords with it
    shortened: dict[str, set[str]] = field(default_factory=dict)  # "termin" -> {"termine"}
    chopped: dict[str, set[str]] = field(default_factory=dict)  # "schul" -> {"schule"}
    stems: dict[str, set[str]] = field(default_factory=dict)  # "shkol" -> {"shkola", …}
    bare: dict[str, set[str]] = field(default_factory=dict)  # "تلفون" -> {"التلفون", "تلفون"}
    # node -> the words its own texts say (German, and the family's language), keywords aside
    told: dict[str, tuple[frozenset[str], ...]] = field(default_factory=dict)
    # the long German keyword words by their sounds ("kstnk" -> {"gestattung"}), for German
    # words written in Arabic letters (normalize.sounds)
    sounds: dict[str, set[str]] = field(default_factory=dict)
    sound_choices: list[str] = field(default_factory=list)  # its keys, for rapidfuzz

    def add_lookups(self) -> None:
        for number, keyword in enumerate(self.keywords):
            for word in keyword.words:
                self.words.add(word)
                self.using.setdefault(word, []).append(number)
        self.choices = sorted(self.words)
        self.sound_choices = sorted(self.sounds)
        for word, numbers in self.using.items():
            self.spread[word] = len({self.keywords[number].target for number in numbers})
        for word in self.choices:
            size = len(word)
            for cut in (size - 1, size - 2):
                if cut >= 4:
                    self.shortened.setdefault(word[:cut], set()).add(word)
            if size >= 6:
                self.chopped.setdefault(word[:-1], set()).add(word)
            for cut in range(max(5, size - 2), size + 1):
                self.stems.setdefault(word[:cut], set()).add(word)
            self.bare.setdefault(without_article(word), set()).add(word)


@dataclass
class _Evidence:
    """What the message says for one target."""

    quality: float = 0.0  # the best keyword's score
    tokens: set[int] = field(default_factory=set)  # positions of content words explained
    clear: set[int] = field(default_factory=set)  # those of them met well, not just near
    said: set[int] = field(default_factory=set)  # positions of all words explained, glue too
    literal: set[int] = field(default_factory=set)  # positions of words it names as written
    numeric: bool = True  # all of it is numbers
    weak: bool = True  # all of it is a language's name
    # Each keyword the message says completely (every content word surely said): where, and
    # whether it names a matter on its own (its glue said too, and one of its words belongs
    # to few targets: "Jobcenter", not "Schule").
    complete: list[tuple[frozenset[int], bool]] = field(default_factory=list)
    bare: bool = True  # all of it is a number without what it counts ("18", not "18 Jahre")

    @property
    def written(self) -> set[int]:
        """The content words it explains as written, not as near words or compound parts."""
        return self.tokens & self.literal

    @property
    def score(self) -> float:
        if self.weak:  # a language's name and "language" are one word of evidence
            return self.quality
        return self.quality + SPECIFIC_BONUS * min(max(len(self.clear) - 1, 0), 2)


@dataclass(frozen=True)
class Understanding:
    """`jump`: take `targets[0]`; `offer`: ask which of `targets`; `none`: not understood."""

    kind: Literal["jump", "offer", "none"]
    targets: tuple[str, ...] = ()
    score: float = 0.0


def _words(text: str) -> frozenset[str]:
    return frozenset(fold(text).split())


# Glue words per language: articles, pronouns, prepositions, auxiliaries. (Question words
# are not glue: "was ist", "wo ist", "wer entscheidet" are what some keywords mean.)
# In a keyword they may be missing from the message ("muss zur Schule" is met by "muss in
# die Schule") but never make a keyword on their own. Very short words count as glue too
# (except numbers and abbreviations): two letters in Latin and Cyrillic script, one in
# Arabic script, where words are written without their vowels.
_GLUE: dict[str, frozenset[str]] = {
    "de": _words(
        "der die das den dem des ein eine einen einem einer zur zum zu im in am an auf aus "
        "für von vom mit bei beim und oder ich du er sie es wir ihr mein meine mich mir uns "
        "ist sind bin hat gibt man noch schon"
    ),
    "en": _words(
        "the a an of to for in on at by with from and or is are am be do does i you he she "
        "it we they my your our me there this that"
    ),
    "uk": _words("в у на до з із для про чи це мій моя мої мені я ти ми ви є та і"),
    "ru": _words("в на до с из к по о об для ли это мой моя мои мне я ты мы"),
    "bg": _words("в на до с за от да се е са ли моят моя ми аз ние"),
    "pl": _words("w na do z ze dla o czy to mój moja mi ja ty my wy jest"),
    "ro": _words("de la in cu pe din pentru si sa este e sunt am eu tu meu"),
    "tr": _words("ve ile bir bu şu için mi mı mu mü var benim ben sen"),
    "ku": _words("de da li ji bi bo re ku û ez tu em hûn min te ye e"),
    "ar": _words("في من الى إلى على عن مع و او أو هل هو هي انا انت نحن"),
    "fa": _words("در از به با برای و یا که این آن آیا من تو ما شما است هست را"),
    "ps": _words("د په له ته کې او چې دا هغه زه موږ تاسو ده دی"),
}

# "not", "no", "nor", "without" per language, before the word they negate; and the few that
# follow it (Turkish "okul değil", "belge yok", "okul istemiyorum"; Persian "مدرسه نیست",
# "مدرسه نمیخوام"; Kurdish "belge tune").
_NEGATIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "de": (_words("nicht kein keine keinen keinem keiner ohne"), frozenset()),
    "en": (_words("not no nor dont doesnt never without"), frozenset()),
    "uk": (_words("не ні немає без"), frozenset()),
    "ru": (_words("не нет ни без"), frozenset()),
    "bg": (_words("не няма без нито"), frozenset()),
    "pl": (_words("nie bez brak ani"), frozenset()),
    "ro": (_words("nu fara nici"), frozenset()),
    "tr": (frozenset(), _words("değil yok yoktur istemiyorum istemiyoruz gerekmiyor")),
    "ku": (_words("ne na bê"), _words("tune nîne naxwazim naxwazin")),
    "ar": (_words("لا مش مو ليس بدون"), frozenset()),
    "fa": (_words("نه نمی بدون"), _words("نیست ندارم نمیخوام نمیخواهم نمیخوایم")),
    "ps": (_words("نه مه بې"), frozenset()),
}
# Wanting and needing: a "not" before them negates what is wanted too ("I don't need school
# info", "nie chcę kursu"), where "kein Geld für Schulsachen" still asks about school things.
_WANTS = _words(
    "brauche brauchen braucht will wollen möchte möchten need needs want wants "
    "потрібно потрібна потрібен треба хочу хочемо нужно нужна нужен надо хотим "
    "искам искаме трябва chcę chcemy potrzebuję potrzebujemy vreau vrem trebuie"
)
_ANY_NEGATION = frozenset().union(*(b | a for b, a in _NEGATIONS.values()))

# Doctors and hospitals, in the languages Lotse speaks. The KI books counselling, not
# medical visits: "Termin beim Kinderarzt" must not start a counselling booking.
_MEDICAL = _words(
    "Arzt Ärztin Kinderarzt Zahnarzt Doktor Praxis doctor dentist medic medicului "
    "лекар лекаря врач врача лікар лікаря طبيب الطبيب دكتور الدكتور دکتر داکتر ډاکټر "
    "doktor doktora lekarz lekarza bijîşk dixtor hekîm "
    # children's doctors and hospitals
    "pediatr педиатр педіатр педиатър Krankenhaus Klinik hospital clinic больниц лікарн "
    "болница szpital spital clinica hastane nexweşxane مستشفى بیمارستان روغتون"
)

# Matters the KI's bot does not handle, whatever keyword they happen to contain: courts and
# appeals, the immigration office, housing, jobs, driving licences, money transfers, renewals
# of papers and lost ones, child benefit, phone contracts, a sick child, school holidays,
# bullying, certified translations, complaints. A message naming one (other than in the words
# the chosen keyword itself explains: "lost documents") is at most offered, never answered as
# if known.
_ELSEWHERE = _words(
    # courts, appeals, lawyers
    "Gericht Klage Anwalt Anwältin Widerspruch court appeal lawyer attorney "
    "суд суда суде жалоба апелляция адвокат юрист съд жалба апелация "
    "sąd sądu odwołanie adwokat prawnik instanta instanța tribunal avocat contestatie "
    "mahkeme itiraz avukat dadgeh parêzer "
    "محكمة المحكمة محکمه دادگاه اعتراض استئناف محامي وکیل وكيل اپیل "
    # the immigration office
    "Ausländerbehörde Ausländeramt auslenderbeherde immigration migration الاجانب "
    # housing
    "Wohnung Miete Vermieter apartment landlord квартира квартиру аренда жильё жилье житло "
    "оренда mieszkanie wynajem chirie locuinta apartament daire kira xanî kirê "
    "شقة ايجار آپارتمان خونه اجاره "
    # jobs
    "Arbeit arbeiten Job work job работа работу praca pracy munca شغل "
    # driving licences
    "Führerschein driving водительские водійське шофьорска jazdy conducere ehliyet "
    "ehliyetimi رخصة گواهینامه "
    # money transfers
    "überweisen Überweisung remittance przelew havale حواله "
    # renewing papers (a residence permit, a passport), lost or stolen ones
    "verlängern Verlängerung renew renewal extend extension продлить продление продлевать "
    "продовжити продовження подновя подновяване przedłużyć przedłużenie prelungi prelungire "
    "uzatmak uzatma uzatılması dirêjkirin تجديد تمديد تمدید تجدید "
    "verloren gestohlen lost stolen потерял потеряла потеряли втратив втратила загубих "
    "zgubiłem zgubiłam pierdut kaybettim kaybettik çalındı winda ضيعت ضاع گم ورک "
    # child benefit
    "Kindergeld Elterngeld benefit детские дитячі alocatia alocația "
    # phones and their contracts
    "sim simkarte simcard prepaid handyvertrag hatti симка симку cartela شريحة سیم "
    "iphone samsung smartphone "
    # a sick child, school holidays, bullying
    "krank sick болен больна болеет хворий хвора chory chora bolnav hasta مريض مریض nexweş "
    "Ferien Schulferien holidays vacation каникулы канікули ваканция wakacje vacanta "
    "tatil عطلة تعطیلات gemobbt Mobbing bullied bullying травля цькування "
    # certified translations of papers
    "beglaubigt beglaubigte beglaubigen certified notarized заверенный заверить apostille "
    # complaints, harassment, discrimination
    "Beschwerde beschweren Diskriminierung diskriminiert Rassismus complaint complain "
    "harassed harassment discrimination racism пожаловаться обижают дискриминация скарга "
    "поскаржитися ображають дискримінація оплача оплакване тормоз дискриминация skarga "
    "poskarżyć nękanie dyskryminacja plângere reclamație hărțuire discriminare şikayet "
    "zorbalık ayrımcılık bağırıyor tacîz gilî شكوى تنمر مضايقة عنصرية شکایت اذیت آزار "
    "تبعیض ځورول"
)


def _medical(tokens: list[str]) -> bool:
    """A doctor is named, alone or in a compound ("Arzttermin", "Kinderarztpraxis")."""
    return any(word in token for token in tokens for word in _MEDICAL)


def _names(tokens: list[str], words: frozenset[str]) -> bool:
    """Some token is one of `words`, perhaps with an ending ("врачу", "doktordan")."""
    return any(
        token in words
        or any(token[:cut] in words for cut in range(max(4, len(token) - 3), len(token)))
        for token in tokens
    )


_INDEXES: dict[tuple[int, str], tuple[KnowledgeBase, _Index]] = {}
_GERMAN_TOLD: dict[int, tuple[KnowledgeBase, dict[str, frozenset[str]]]] = {}


def _is_content(word: str, lang: str) -> bool:
    """A word that carries meaning ("Schule", "مدرسه", "18") rather than glue ("zur", "ли")."""
    if word.isdigit():
        return True
    shortest = 2 if word.isascii() else 1  # folded: what is not ASCII is Arabic script
    return len(word) > shortest and word not in _GLUE.get(lang, frozenset())


def _keyword(
    target: str, phrase: str, lang: str, foreign: bool, factor: float = 1.0
) -> _Keyword | None:
    words = tuple(fold(phrase).split())
    if not words:
        return None
    written = phrase.split()
    # Short words in capitals are abbreviations; German and English lists are read by
    # everyone, so their short words count only as written too ("EU", "ID", "BuT").
    short = tuple(
        w
        for w in written
        if len(w) <= 3 and (sum(c.isupper() for c in w) >= 2 or (foreign and w.isalpha()))
    )
    abbreviations = {fold(w) for w in short}
    # With a number, the other words only say what it counts: "16 Jahre" is met by "16"
    # ("на 16", "17-latek"), as evidence only with its journey named (see `numeric`).
    counted = any(w.isdigit() for w in words)
    weights = tuple(
        1.0
        if (_is_content(w, lang) and not (counted and not w.isdigit())) or w in abbreviations
        else GLUE_WEIGHT
        for w in words
    )
    content = [w for w, weight in zip(words, weights, strict=True) if weight == 1.0]
    return _Keyword(
        target,
        words,
        weights,
        short,
        numeric=bool(content) and all(w.isdigit() for w in content),
        negative=any(w in _ANY_NEGATION for w in words),
        negates=frozenset(words[position] for position in _negated([list(words)], lang)),
        content=tuple(content),
        meaning=tuple(w for w in words if _is_content(w, lang) or w in abbreviations),
        factor=factor,
    )


def _language_names(lang: str) -> set[str]:
    """Every language Lotse speaks, named in German, English, `lang` and itself (Babel)."""
    names = set()
    for code in LANGUAGES:
        for display in {SOURCE_LANGUAGE, FALLBACK_LANGUAGE, lang, code}:
            try:
                name = Locale.parse(code).get_language_name(display)
            except (UnknownLocaleError, ValueError):
                continue
            if name:
                names.add(name)
    return names


def _forms(word: str) -> set[str]:
    """A name and, in Arabic script, its bare form: "العربیه" is also "عربیه" and "عربی"."""
    bare = without_article(word)
    forms = {word, bare}
    if not bare.isascii() and bare.endswith("ه") and len(bare) >= 4:
        forms.add(bare[:-1])
    return forms


def _as_language_name(keyword: _Keyword, names: set[str]) -> _Keyword:
    """A keyword of the language choice that only names a language ("на русском", "po
    polsku") is as weak as the name itself: "Dolmetscher на русском" wants an interpreter."""
    content = [
        w for w, weight in zip(keyword.words, keyword.weights, strict=True) if weight == 1.0
    ]
    if content and all(
        any(_shared_start(word, name) >= min(5, len(name)) for name in names) for word in content
    ):
        return replace(keyword, factor=LANGUAGE_NAME_FACTOR)
    return keyword


def _names_a_language(keyword: _Keyword, names: set[str], about_language: set[str]) -> bool:
    """The keyword's content is a language's name as Babel writes it ("немецкий"), with at
    most words of the language choice's keywords ("язык", "Sprache")."""
    content = set(keyword.content)
    return bool(content & names) and content <= names | about_language


def _index(kb: KnowledgeBase, lang: str) -> _Index:
    """Keywords of German, English and `lang`, built once per knowledge base."""
    key = (id(kb), lang)
    cached = _INDEXES.get(key)
    if cached is not None and cached[0] is kb:
        return cached[1]
    index = _Index()
    language_node = next(
        (
            n
            for n, node in kb.nodes.items()
            if isinstance(node, ActionNode) and node.action == "language"
        ),
        None,
    )
    names = _language_names(lang)
    name_words = {form for name in names for word in fold(name).split() for form in _forms(word)}
    for node_id, node in kb.nodes.items():
        german = node_texts(node).get("keywords")
        if not german:
            continue
        lists = {german: SOURCE_LANGUAGE}
        for code in sorted({FALLBACK_LANGUAGE, lang} - {SOURCE_LANGUAGE}):
            found = kb.catalogs.text(code, f"{node_id}.keywords", german)
            lists.setdefault(found.text, found.lang)
        for text, code in lists.items():
            foreign = code != lang
            for phrase in KEYWORDS_SPLIT.split(text):
                keyword = _keyword(node_id, phrase, code, foreign)
                if keyword is not None and node_id == language_node:
                    keyword = _as_language_name(keyword, name_words)
                if keyword is not None:
                    index.keywords.append(keyword)
                    if code == SOURCE_LANGUAGE:
                        for word in keyword.content:
                            heard = sounds(word)
                            if len(word) >= SOUNDED and len(heard) >= SOUNDS:
                                index.sounds.setdefault(heard, set()).add(word)
    # Elsewhere a keyword that only names a language ("немецкий язык" for the German
    # course) is as weak as the name: "переключите на немецкий язык" is the language choice.
    about_language = {
        word
        for keyword in index.keywords
        if keyword.target == language_node
        for word in keyword.content
    }
    for number, keyword in enumerate(index.keywords):
        if keyword.target != language_node and _names_a_language(
            keyword, name_words, about_language
        ):
            index.keywords[number] = replace(keyword, factor=LANGUAGE_NAME_FACTOR)
    if language_node is not None:
        for name in names:
            keyword = _keyword(language_node, name, lang, False, LANGUAGE_NAME_FACTOR)
            if keyword is not None:
                index.keywords.append(keyword)
    index.add_lookups()
    index.told = _told(kb, lang)
    index.depth = _depths(kb)
    index.above = _above(kb)
    index.decided = _decided(kb)
    if len(_INDEXES) > 64:  # reloads make new knowledge bases; keep the cache small
        _INDEXES.clear()
    _INDEXES[key] = (kb, index)
    return index


def _told(kb: KnowledgeBase, lang: str) -> dict[str, tuple[frozenset[str], ...]]:
    """For every findable node, the folded words of its own texts (messages, checklist) in
    German and in the family's language: what its answer speaks about. Not its buttons: they
    lead to other answers ("Welche Unterlagen brauche ich?" is not the school duty's). The
    German words are one set per node for all languages (they are the same)."""
    cached = _GERMAN_TOLD.get(id(kb))
    if cached is None or cached[0] is not kb:
        cached = (
            kb,
            {node_id: _words_told(kb, node_id, SOURCE_LANGUAGE) for node_id in _findable(kb)},
        )
        _GERMAN_TOLD.clear()  # one knowledge base at a time; a reload makes a new one
        _GERMAN_TOLD[id(kb)] = cached
    german = cached[1]
    if lang == SOURCE_LANGUAGE:
        return {node_id: (words,) for node_id, words in german.items()}
    return {node_id: (words, _words_told(kb, node_id, lang)) for node_id, words in german.items()}


def _findable(kb: KnowledgeBase) -> list[str]:
    return [node_id for node_id, node in kb.nodes.items() if "keywords" in node_texts(node)]


def _words_told(kb: KnowledgeBase, node_id: str, lang: str) -> frozenset[str]:
    """The folded words of a node's messages and checklist in `lang` (the German source
    where it has no translation), each also by its first five letters: "читать" tells
    "читает" too."""
    words: set[str] = set()
    for path, german in node_texts(kb.nodes[node_id]).items():
        if path == "keywords" or path.startswith("buttons"):
            continue
        text = (
            german
            if lang == SOURCE_LANGUAGE
            else kb.catalogs.text(lang, f"{node_id}.{path}", german).text
        )
        words.update(word for clause in _clauses(text) for word in clause)
    return frozenset(words | {word[:5] for word in words if len(word) >= 5})


@dataclass
class _TellsOf:
    """The positions of the message's words that a node's own texts say, perhaps with
    another ending ("читать" for "читает"); each node's once per message."""

    index: _Index
    tokens: list[str]
    _seen: dict[str, frozenset[int]] = field(default_factory=dict)

    def __call__(self, target: str) -> frozenset[int]:
        if target not in self._seen:
            told = self.index.told.get(target, ())
            self._seen[target] = frozenset(
                position
                for position, token in enumerate(self.tokens)
                if any(token in words or token[:5] in words for words in told)
            )
        return self._seen[target]


def _depths(kb: KnowledgeBase) -> dict[str, int]:
    """How many steps each node is from its journey's start (breadth first, in-journey).
    The main menu's own answers are no journey's: they presuppose nothing ("Wohnung" alone
    is who else helps), so they count as at its start."""
    depth: dict[str, int] = {}
    main = kb.node_flow.get(kb.resolve(kb.organisation.root))
    for name, flow in kb.flows.items():
        if name == main:
            continue
        start = kb.resolve(flow.start)
        queue = deque([(start, 0)])
        seen = {start}
        while queue:
            node_id, steps = queue.popleft()
            depth.setdefault(node_id, steps)
            for _path, goto in edges(kb.nodes[node_id]):
                target = kb.resolve(goto)
                if target not in seen and kb.node_flow.get(target) == name:
                    seen.add(target)
                    queue.append((target, steps + 1))
    return depth


def _above(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """For every node, the nodes with a button or a route to it (the main menu aside)."""
    root = kb.resolve(kb.organisation.root)
    parents: dict[str, set[str]] = {}
    for node_id, node in kb.nodes.items():
        if node_id != root:
            for _path, goto in edges(node):
                parents.setdefault(kb.resolve(goto), set()).add(node_id)
    return {node_id: frozenset(parents.get(node_id, set()) - {node_id}) for node_id in kb.nodes}


def _decided(kb: KnowledgeBase) -> frozenset[str]:
    """The answers that a question about the family's situation leads to through its
    route ("Welche Situation passt zu Ihnen?": the residence), not a child's age or birth
    date (the dialogue reads those from the message itself)."""
    return frozenset().union(
        *(
            decided_by(kb, node_id)
            for node_id, node in kb.nodes.items()
            if isinstance(node, AskNode) and node.parser not in CHILD_PARSERS
        )
    )


def _shared_start(one: str, other: str) -> int:
    """How many first letters two words share."""
    for position, (a, b) in enumerate(zip(one, other, strict=False)):
        if a != b:
            return position
    return min(len(one), len(other))


def _word_scores(
    message: Iterable[str], index: _Index, negated: Iterable[int] = ()
) -> dict[str, tuple[float, int]]:
    """For every keyword word, how well the best word of the message matches it, and where;
    of two as good, one that no "not" negates ("speaks no German … extra German lessons")."""
    best: dict[str, tuple[float, int]] = {}
    negated = set(negated)

    def keep(word: str, score: float, position: int) -> None:
        old, where = best.get(word, (0.0, -1))
        if score > old or (score == old and where in negated and position not in negated):
            best[word] = (score, position)

    tokens = list(message)
    near: dict[str, list[tuple[str, float]]] = {}  # a word said twice is looked up once
    for position, token in enumerate(tokens):
        if token not in near and len(token) < 4:  # short words only when written exactly
            near[token] = [(token, 100.0)] if token in index.words else []
        elif token not in near:
            found = process.extract(
                token, index.choices, scorer=fuzz.ratio, score_cutoff=WORD_FLOOR, limit=None
            )
            near[token] = [(word, score) for word, score, _ in found if len(word) >= 4]
        for word, score in near[token]:
            keep(word, score, position)
        size = len(token)
        for cut in range(max(4, size - 3), size + 1):  # an ending: "Menschen" for "Mensch"
            if token[:cut] in index.words:
                keep(token[:cut], 92.0, position)
        if size >= 4:  # "Termin" for "Termine"
            for word in index.shortened.get(token, ()):
                keep(word, 92.0, position)
        # Compounds: the last part says what it is ("Grundschule" is a school, "Arzttermin"
        # an appointment); a first part only hints ("Telefon" in "telefonieren").
        for cut in range(4, size + 1):
            for word in index.chopped.get(token[:cut], ()):
                keep(word, HINT, position)
            head = token[size - cut :]
            if head in index.words and (cut >= 6 or size - cut >= 4):  # "Integrationskurs"
                keep(head, 90.0, position)
        for cut in range(max(5, size - 3), size + 1):  # another ending: "школе" for "школа"
            for word in index.stems.get(token[:cut], ()):
                keep(word, 88.0, position)
        bare = without_article(token)
        for word in index.bare.get(bare, ()):  # "تلفون" for "التلفون"
            keep(word, 92.0, position)
        # … and with a pronoun joined: "میلاده", "میلادها" (his, her birth) for "المیلاد"
        for ending in _ARABIC_PRONOUNS:
            if bare.endswith(ending) and len(bare) - len(ending) >= 3:
                for word in index.bare.get(bare[: -len(ending)], ()):
                    keep(word, 90.0, position)
        if token.startswith("و") and token[1:] in index.words:  # "and" joined: "وما" for "ما"
            keep(token[1:], 92.0, position)
    for position, word, score in _sounded(tokens, index):
        keep(word, score, position)
    return best


def _sounded(tokens: list[str], index: _Index) -> Iterable[tuple[int, str, float]]:
    """German keyword words written in Arabic letters, in one word or two or three
    ("ارست اورینتیرونگس کورس": Erstorientierungskurs), found by their sounds; at the
    position of the first word."""
    if not index.sounds:
        return
    for position, token in enumerate(tokens):
        if not _in_arabic_letters(token):
            continue
        for size in (1, 2, 3):
            parts = tokens[position : position + size]
            if len(parts) < size or not all(map(_in_arabic_letters, parts)):
                break
            for written in {"".join(parts), without_article(parts[0]) + "".join(parts[1:])}:
                heard = sounds(written)
                if len(heard) < SOUNDS:
                    continue
                if size == 1 and len(heard) >= SOUNDS + 2:  # a long word: one sound may differ
                    found = process.extract(
                        heard,
                        index.sound_choices,
                        scorer=fuzz.ratio,
                        score_cutoff=SOUNDS_ALIKE,
                        limit=None,
                    )
                else:  # words joined, or a short one: all its sounds
                    found = [(heard, 100.0, 0)] if heard in index.sounds else []
                for match, score, _ in found:
                    for word in index.sounds[match]:
                        yield position, word, 90.0 if score == 100 else HINT


def _in_arabic_letters(word: str) -> bool:
    return any(map(arabic_letter, word))


def _clauses(text: str) -> list[list[str]]:
    """The message's words, folded, clause by clause (split at ", . ? ! ; ( )" and dashes)."""
    return [words for clause in _CLAUSE.split(text) if (words := fold(clause).split())]


def _surely(word: str, heard: tuple[float, int], tokens: list[str]) -> bool:
    """The message surely says `word`: as written, with an ending or as a compound's last
    part ("rujeolei" for "rujeola", "Masernimpfung" for "Impfung"), not a near neighbour
    ("heim" for "herim", "الهایم" for "الها")."""
    score, position = heard
    if score < SURE:
        return False
    said, meant = without_article(tokens[position]), without_article(word)
    return (said.endswith(meant) and len(meant) >= 5) or _shared_start(said, meant) >= min(
        4, len(meant) - 1
    )


def _negated(clauses: list[list[str]], lang: str) -> set[int]:
    """Positions of words that a "not" or "no" (German, English, `lang`) negates: the next
    word of its clause, past a verb of wanting ("don't need school info"); or the content
    word just before a "not" that follows ("okul değil", "Zeugnis me tune")."""
    before: set[str] = set()
    after: set[str] = set()
    for code in {SOURCE_LANGUAGE, FALLBACK_LANGUAGE, lang}:
        words_before, words_after = _NEGATIONS.get(code, (frozenset(), frozenset()))
        before |= words_before
        after |= words_after
    negated = set()
    start = 0
    for clause in clauses:
        for offset, token in enumerate(clause):
            if token in before:
                ahead = offset + 1
                while ahead < len(clause) and clause[ahead] in _WANTS:
                    negated.add(start + ahead)
                    ahead += 1
                if ahead < len(clause):
                    negated.add(start + ahead)
            if token in after:
                for back in range(offset - 1, -1, -1):  # over glue: "Zeugnis me tune"
                    negated.add(start + back)
                    if _is_content(clause[back], lang):
                        break
        start += len(clause)
    return negated


def _is_booking(kb: KnowledgeBase, target: str) -> bool:
    node = kb.nodes.get(target)
    return isinstance(node, ActionNode) and node.action in ("book", "appointments")


def _journey(kb: KnowledgeBase, target: str) -> str:
    return kb.node_flow.get(target, target)


def is_choice(kb: KnowledgeBase, target: str) -> bool:
    """A step where the family chooses: a menu, or a question (with its buttons)."""
    return isinstance(kb.nodes.get(target), MenuNode | AskNode)


def _evidence(
    kb: KnowledgeBase,
    index: _Index,
    clauses: list[list[str]],
    text: str,
    lang: str,
    sentence_of: list[int],
) -> dict[str, _Evidence]:
    """Every target some keyword of which the message matches well enough (`sentence_of`:
    each word position's sentence)."""
    tokens = [token for clause in clauses for token in clause]
    negated = _negated(clauses, lang)
    scores = _word_scores(tokens, index, negated)
    in_sentences: dict[str, frozenset[int]] = {}
    for position, token in enumerate(tokens):
        in_sentences[token] = in_sentences.get(token, frozenset()) | {sentence_of[position]}
    written = set(re.findall(r"\w+", text))
    found: dict[str, _Evidence] = {}
    numbers = sorted({number for word in scores for number in index.using.get(word, ())})
    for keyword in (index.keywords[number] for number in numbers):
        if keyword.as_written and not all(word in written for word in keyword.as_written):
            continue
        # A negated word ("nicht Schule", "keine Papiere") counts as missing, unless the
        # keyword says "not" to it too ("keine Papiere" for the answer about missing papers);
        # a word such a keyword says "not" to counts only negated ("keine Schule, Deutsch"
        # is not "kein Deutsch in der Schule").
        heard = {
            word: scores[word]
            for word in keyword.words
            if word in scores
            and (
                word in _ANY_NEGATION or (scores[word][1] in negated) == (word in keyword.negates)
            )
        }
        total = sum(
            weight * heard.get(word, (0.0, -1))[0]
            for word, weight in zip(keyword.words, keyword.weights, strict=True)
        )
        value = keyword.factor * total / sum(keyword.weights)
        # in different sentences, wherever its words are said ("Mein Sohn ist 10. Darf mein
        # Sohn in den Integrationskurs?" says both in the second)
        places = [
            in_sentences[tokens[heard[word][1]]] for word in keyword.meaning if word in heard
        ]
        if places and not frozenset.intersection(*places):
            value -= SPREAD_PENALTY
        if value < CANDIDATE:
            continue
        said = {
            word: heard[word]
            for word in keyword.words
            if heard.get(word, (0, -1))[0] >= WORD_FLOOR
        }
        meant = [word for word in keyword.meaning if word in said]
        evidence = found.setdefault(keyword.target, _Evidence())
        evidence.quality = max(evidence.quality, value)
        evidence.tokens |= {said[word][1] for word in meant}
        evidence.clear |= {said[word][1] for word in meant if said[word][0] >= HINT}
        evidence.said |= {position for _score, position in said.values()}
        evidence.literal |= {position for score, position in said.values() if score >= 92}
        evidence.numeric = evidence.numeric and keyword.numeric
        evidence.bare = evidence.bare and bool(meant) and all(word.isdigit() for word in meant)
        evidence.weak = evidence.weak and keyword.factor < 1.0
        content = keyword.content
        if content and all(_surely(word, heard.get(word, (0.0, -1)), tokens) for word in content):
            where = frozenset(heard[word][1] for word in content)
            # Its glue said too ("عن بعد", not just "بعد"; a number's unit may be missing).
            whole = all(word in said for word in keyword.words if word not in keyword.meaning)
            specific = whole and any(index.spread[word] <= FEW for word in content)
            evidence.complete.append((where, specific))
    # A number alone ("19") is no evidence; with its journey named ("19, Schule") it is.
    named = {_journey(kb, t) for t, e in found.items() if not e.numeric}
    return {t: e for t, e in found.items() if not e.numeric or _journey(kb, t) in named}


def _explains(evidence: _Evidence) -> int:
    """How many words of the message a target explains, for ties (a language's name: 0)."""
    return 0 if evidence.weak else len(evidence.tokens)


def _journey_named(kb: KnowledgeBase, found: dict[str, _Evidence], answer: str) -> bool:
    """A menu of the answer's journey matched words of the message the answer did not."""
    if is_choice(kb, answer):
        return False
    journey, said = _journey(kb, answer), found[answer].said
    return any(
        is_choice(kb, target) and _journey(kb, target) == journey and not evidence.said <= said
        for target, evidence in found.items()
    )


def _choice(
    kb: KnowledgeBase, found: dict[str, _Evidence], ranked: list[tuple[str, float]]
) -> tuple[str, float]:
    """The best target; when that is a journey's menu, a confident answer of the same
    journey that says more than the menu ("Schule … Unterlagen": the documents)."""
    best, score = ranked[0]
    if is_choice(kb, best):
        for target, value in ranked[1:]:
            if value < CONFIDENT:
                break
            if (
                _journey(kb, target) == _journey(kb, best)
                and not is_choice(kb, target)
                and not found[target].said <= found[best].said
            ):
                return target, value
    return best, score


def _rivals(
    kb: KnowledgeBase,
    found: dict[str, _Evidence],
    choice: str,
    ranked: list[tuple[str, float]],
    tells: _TellsOf,
    situation: frozenset[int] = frozenset(),
) -> list[float]:
    """Scores of the other targets the family could mean. Not a rival: a menu of the
    chosen answer's own journey (it names the context); when the choice is a menu, the
    answers of its journey (the menu leads to them); a target that explains only a part of
    the words the choice and its journey explain ("registration" in "documents for school
    registration"); a target whose words the choice's own answer speaks of, when its answer
    does not speak of the choice's words ("never went to school … cannot read" is the school
    answer that tells of learning to read, not the adults' literacy course)."""
    journey = _journey(kb, choice)
    is_menu = is_choice(kb, choice)
    explained = set(found[choice].tokens)
    for target, evidence in found.items():
        if is_choice(kb, target) and _journey(kb, target) == journey:
            explained |= evidence.tokens
    return [
        score
        for target, score in ranked
        if target != choice
        and not (_journey(kb, target) == journey and (is_choice(kb, target) or is_menu))
        and not (
            found[target].tokens < explained
            and len(found[target].tokens) < len(found[choice].tokens)
        )
        and not (  # what the choice's own answer speaks of, and not the other way round
            found[target].tokens <= tells(choice) and not found[choice].tokens <= tells(target)
        )
        and not (  # the situation of another journey; within one, it may be what decides
            situation
            and _journey(kb, target) != journey
            and (
                found[target].tokens <= situation
                or (  # or its words beyond the choice's, while the choice's own are asked
                    found[target].tokens - found[choice].tokens <= situation
                    and bool(found[choice].tokens - found[target].tokens - situation)
                )
            )
        )
    ]


def _situation(
    kb: KnowledgeBase,
    found: dict[str, _Evidence],
    choice: str,
    told: frozenset[int],
    tokens: list[str],
) -> frozenset[int]:
    """Positions of the words that tell the family's situation rather than ask: the
    sentences other than those that ask (end in "?"; else the last one), when the chosen
    answer, or a menu of its journey, is in an asking one ("He has never been to school. Can
    he still go to school here?"). "Wir bekommen Geld vom Jobcenter. Wer hilft bei der
    Wohnungssuche?" asks about the flat. Nothing when the choice is a menu: "Er war nie in
    der Schule und kann nicht lesen. Nimmt ihn die Schule?" is answered by the situation;
    nor when it is an action: "Das Zeugnis blieb in der Türkei. Geht die Anmeldung trotzdem?"
    asks about the missing report, not for an appointment."""
    if is_choice(kb, choice) or isinstance(kb.nodes[choice], ActionNode):
        return frozenset()
    journey = _journey(kb, choice)
    # a word met in a telling sentence counts as asked when the asking one says it too
    asked = {word for position, word in enumerate(tokens) if position not in told}
    if not any(  # neither the choice nor its journey is in an asking sentence
        position not in told or tokens[position] in asked
        for target, evidence in found.items()
        if target == choice or (_journey(kb, target) == journey and is_choice(kb, target))
        for position in evidence.tokens
    ):
        return frozenset()
    return told


def _asked_elsewhere(
    kb: KnowledgeBase,
    found: dict[str, _Evidence],
    choice: str,
    ranked: list[tuple[str, float]],
    told: frozenset[int],
) -> str | None:
    """When the choice speaks only of the situation and the question asks about another
    journey, the target that answers the question: "Wir sind EU-Bürger. Die Kinder sind 7
    und 10. Wie melden wir sie in der Schule an?" asks about school, not the course for EU
    citizens. Within one journey the situation may decide ("Ich habe eine Duldung. Darf
    ich einen Kurs machen?"): nothing then. `told`: the positions of the telling sentences."""
    if not told or found[choice].tokens - told or is_choice(kb, choice):
        return None
    for target, score in ranked:
        if (
            target != choice
            and score >= CONFIDENT
            and any(not where & told for where, _specific in found[target].complete)
            and not isinstance(kb.nodes[target], ActionNode)
        ):
            return None if _journey(kb, target) == _journey(kb, choice) else target
    return None


def _asking(sentences: list[str]) -> list[bool]:
    """Which sentences ask: those that end in "?"; when none does, the last one."""
    asking = [part.rstrip().endswith(("?", "؟")) for part in sentences]
    if asking and not any(asking):
        asking[-1] = True
    return asking


def _sentences(text: str) -> tuple[list[int], frozenset[int]]:
    """For each word position, the number of its sentence; and the positions of the words
    of the sentences that do not ask (end in "?"; else the last one asks)."""
    sentences = [part for part in _SENTENCE.findall(text) if _clauses(part)]
    asking = _asking(sentences)
    number_of: list[int] = []
    told: set[int] = set()
    for number, (part, asks) in enumerate(zip(sentences, asking, strict=True)):
        size = sum(len(words) for words in _clauses(part))
        if not asks:
            told.update(range(len(number_of), len(number_of) + size))
        number_of.extend([number] * size)
    return number_of, frozenset(told)


def _other_matters(
    kb: KnowledgeBase,
    index: _Index,
    found: dict[str, _Evidence],
    choice: str,
    tells: _TellsOf,
    situation: frozenset[int] = frozenset(),
) -> list[str]:
    """Targets with a keyword said completely in words that the choice leaves unexplained
    (with the nodes that lead to it, or, for a journey's menu, the answers of its journey):
    the message names a second matter ("Masern-Impfung … Schulpflicht?", "Jobcenter … wie
    viel Geld?"). A language's name or an action (booking, a person) is no second matter:
    "Dolmetscher für Arabisch", "Termin für die Schule"."""
    journey = _journey(kb, choice)
    context = index.above.get(choice, frozenset())
    explained = set(found[choice].tokens)
    for target, evidence in found.items():
        if target in context or (
            _journey(kb, target) == journey and (is_choice(kb, target) or is_choice(kb, choice))
        ):
            explained |= evidence.tokens
    told = tells(choice)
    return [
        target
        for target, evidence in found.items()
        if target != choice
        and not evidence.weak
        and not isinstance(kb.nodes[target], ActionNode)
        and len(found[choice].written) < DETAIL * len(evidence.tokens)
        and any(
            specific
            and not where & explained
            and not (  # the situation, unless it is what a question of the journey decides
                situation
                and where <= situation
                and (_journey(kb, target) != journey or target not in index.decided)
            )
            and not where <= told
            for where, specific in evidence.complete
        )
    ]


def _same_word(kb: KnowledgeBase, found: dict[str, _Evidence], choice: str) -> list[str]:
    """Other answers for which the one word that names the chosen answer is a keyword too:
    "Termin" is booking one or seeing one's own ("mein Termin"); "запис" does not say which."""
    evidence = found[choice]
    if is_choice(kb, choice) or len(evidence.tokens) != 1:
        return []
    return [
        target
        for target, other in found.items()
        if target != choice
        and not is_choice(kb, target)
        and other.tokens == evidence.tokens
        and any(where == other.tokens for where, _specific in other.complete)
    ]


def _chatty(found: dict[str, _Evidence], choice: str, tokens: list[str], lang: str) -> bool:
    """A language's name is the language choice in a short request ("на русском, пожалуйста"),
    not in a message that says much more ("ein Gesprächspartner auf Deutsch zum Üben")."""
    evidence = found[choice]
    others = [t for p, t in enumerate(tokens) if p not in evidence.tokens and _is_content(t, lang)]
    return evidence.weak and len(others) > CHATTY


def read_part(text: str) -> str:
    """What the matcher reads of a long text, MAX_READ_CHARS at most: the sentences that ask
    (end in "?"; else the last one), the last first, then those that tell, the nearest to a
    question first; in their order. A formal letter asks after its greeting and its
    introduction ("Sehr geehrte Damen und Herren, mein Name ist … Wann muss mein Sohn zur
    Schule?"). One sentence too long for it (a dictated message without punctuation): its
    beginning and its end."""
    if len(text) <= MAX_READ_CHARS:
        return text
    sentences = [part for part in _SENTENCE.findall(text) if part.strip()]
    asking = _asking(sentences)
    chosen: set[int] = set()
    room = MAX_READ_CHARS
    asks = [i for i in reversed(range(len(sentences))) if asking[i]]
    # then those that tell, the nearest to a question first: "this programme" is named
    # right before "Could you tell me more about it?"
    order = asks + sorted(
        (i for i in range(len(sentences)) if not asking[i]),
        key=lambda i: (min(abs(i - j) for j in asks), i),
    )
    for number in order:
        size = len(sentences[number].strip()) + 1
        if size <= room:
            chosen.add(number)
            room -= size
    if not chosen:  # no sentence fits: the beginning and the end, without a cut word
        half = MAX_READ_CHARS // 2
        head = text[:half].rsplit(" ", 1)[0]
        tail = text[-half:].split(" ", 1)[-1]
        return f"{head} {tail}".strip()
    return " ".join(sentences[number].strip() for number in sorted(chosen))


def understand(kb: KnowledgeBase, text: str, lang: str) -> Understanding:
    """What the family most likely means by `text`; see the module docstring."""
    # a day of a month is no age here either: "6 років 19 жовтня" is not "19 Jahre"
    part = read_part(text)
    text = without_days(part, lang)
    clauses = _clauses(text)
    tokens = [token for clause in clauses for token in clause]
    if not tokens:
        return Understanding("none")
    index = _index(kb, lang)
    sentence_of, telling = _sentences(text)
    found = _evidence(kb, index, clauses, text, lang, sentence_of)
    if _medical(tokens):  # a doctor's appointment is not the KI's: never book it
        found = {t: e for t, e in found.items() if not _is_booking(kb, t)}
    strong = {t: e for t, e in found.items() if not e.weak}
    weak = {t: e for t, e in found.items() if e.weak}
    if (
        weak
        and strong
        and max(e.score for e in strong.values()) > max(e.score for e in weak.values())
    ):  # a language's name counts only when nothing better was meant
        found = strong
    root = kb.resolve(kb.organisation.root)
    if root in found and any(
        not evidence.tokens <= found[root].tokens for evidence in found.values()
    ):  # "Hallo, Schule bitte": the greeting is politeness
        del found[root]
    if not found:
        return Understanding("none")
    by_target = {target: evidence.score for target, evidence in found.items()}
    # An answer gains when a menu of its own journey matched as well: "Integrationskurs,
    # was kostet das" is about the costs, not the course menu.
    named = {_journey(kb, t) for t in found if is_choice(kb, t)}
    for target in by_target:
        if not is_choice(kb, target) and _journey(kb, target) in named:
            by_target[target] += CONTEXT_BONUS
    # on a tie, the target that explains more of the message first (not by a language's
    # name: "на немецкий язык" names the language, whatever else has that name too)
    ranked = sorted(
        by_target.items(), key=lambda item: (-item[1], -_explains(found[item[0]]), item[0])
    )
    choice, best = _choice(kb, found, ranked)
    asked = _asked_elsewhere(kb, found, choice, ranked, telling)
    situation = _situation(kb, found, choice, telling, tokens)
    tells = _TellsOf(index, tokens)
    rivals = _rivals(kb, found, choice, ranked, tells, situation)
    clear = not rivals or best - rivals[0] >= MARGIN
    # A deep answer presupposes its journey: one word alone ("Rumänien", "Arzt") is offered.
    presumed = (
        index.depth.get(choice, 0) >= DEEP
        and len(found[choice].tokens) <= 1
        and not _journey_named(kb, found, choice)
    )
    told = found[choice].literal | tells(choice)
    # what only the situation names is no matter of its own ("my husband got a job here")
    unexplained = [t for at, t in enumerate(tokens) if at not in told and at not in situation]
    elsewhere = (
        choice != kb.organisation.elsewhere
        and len(found[choice].written) < DETAIL
        and _names(unexplained, _ELSEWHERE)
    )
    # Who else could be meant, when the message names a second matter or when its one word
    # is another answer's keyword too: those are offered beside the choice.
    matters = _other_matters(kb, index, found, choice, tells, situation)
    same = _same_word(kb, found, choice)
    also = matters + same
    # a near word lifted over the bar only by its journey's name: "ez çi bikim" is not
    # "çi bînim" (what to bring), though the school was named
    lifted = not found[choice].complete and found[choice].score < CONFIDENT
    # `asked`: the question is of another journey than the situation's; offered first
    doubtful = presumed or elsewhere or bool(also) or found[choice].bare or lifted or bool(asked)
    if best >= CONFIDENT and clear and not doubtful and not _chatty(found, choice, tokens, lang):
        return Understanding("jump", (choice,), best)
    offered: list[str] = []
    first = [asked, choice] if asked is not None else [choice]
    for target in [*first, *also, *(target for target, _score in ranked)]:
        if target in offered or (
            is_choice(kb, target) and any(_journey(kb, o) == _journey(kb, target) for o in offered)
        ):
            continue  # offered already, or its journey by one of its answers
        offered.append(target)
        if len(offered) == MAX_OFFERED:
            break
    # In doubt which of these the family means, how families put things may tell
    # (bot.engine.examples). Never where the doubt is a guard: a deep answer from one word,
    # a matter that is not the KI's, one word of two answers, a number without what it
    # counts, a near word lifted over the bar.
    guarded = presumed or elsewhere or bool(same) or found[choice].bare or lifted
    picked = None if guarded else second_opinion(kb, part, tuple(offered))
    if picked is not None:
        return Understanding("jump", (picked,), by_target[picked])
    return Understanding("offer", tuple(offered), ranked[0][1])


def intent_of(kb: KnowledgeBase, target: str) -> str:
    """The evaluation's name for a target: an intent for the special action nodes and the
    main menu, else the node id."""
    node = kb.nodes.get(target)
    if target == kb.resolve(kb.organisation.root):
        return "menu"
    if isinstance(node, ActionNode):
        return {"book": "booking", "handoff": "human", "language": "language"}.get(
            node.action, target
        )
    return target
