"""One normal form for typed text, used wherever typed text is compared with ours:
case, accents and punctuation removed, Arabic and Persian letter variants unified, a few
German spellings that transliterations miss ("sch" typed as "sh") brought together."""

from __future__ import annotations

import unicodedata

_LETTER_VARIANTS = str.maketrans(
    {
        "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا",
        "ٱ": "ا", "ؤ": "و", "ـ": None, "ß": "ss", "'": None, "’": None, "ʼ": None,
        "ł": "l", "ı": "i", "ø": "o", "đ": "d",  # letters NFKD does not take apart
    }
)  # fmt: skip
_TRANSLITERATIONS = (("tsch", "ch"), ("sch", "sh"), ("ph", "f"), ("ck", "k"))


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
