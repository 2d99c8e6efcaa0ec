"""Languages: UI string catalogs (gettext), the fallback chain and Babel formatting.

German is the source language of the code's UI strings and of the knowledge. Until
translation catalogs exist in translations/, every language falls back to German, and
the reply says so through its `lang` field.
"""

from __future__ import annotations

import datetime as dt
import gettext
from functools import cache

from babel.dates import format_date

SOURCE_LANGUAGE = "de"


@cache
def available_languages() -> tuple[str, ...]:
    """Languages a family can choose. German only until the catalogs land."""
    return (SOURCE_LANGUAGE,)


def ui(lang: str) -> gettext.NullTranslations:
    """The UI catalog for `lang`; the German source strings when there is none."""
    del lang  # every language falls back to the German source strings for now
    return gettext.NullTranslations()


def shown_language(lang: str) -> str:
    """The language a text for `lang` is actually shown in."""
    return lang if lang in available_languages() else SOURCE_LANGUAGE


def month_year(day: dt.date, lang: str) -> str:
    """'November 2026' in the family's locale."""
    return format_date(day, "MMMM y", locale=shown_language(lang))
