"""Typed text as every channel hands it to the services: cleaned the same way."""

from __future__ import annotations

import re

# Control characters (but line breaks and tabs) and the bidi controls that open an
# embedding, override or isolate: typed text could carry them into texts staff read
# (a mediator language, say) and turn the rest of a line around. The marks LRM/RLM and
# the joiners ZWJ/ZWNJ (needed in Persian) stay.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str, limit: int | None = None) -> tuple[str, bool]:
    """Typed text as the engine may see it: without control characters and bidi
    embeddings, at most `limit` characters. Says whether the text was cut."""
    cleaned = _UNSAFE.sub("", text)
    if limit is not None and len(cleaned) > limit:
        return cleaned[:limit], True
    return cleaned, False
