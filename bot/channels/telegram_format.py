"""Replies as Telegram messages: HTML-escaped texts cut to 4096 characters at sentence
ends, inline keyboards whose callback data is the button id; callback data and typed text
read back without trusting them."""

from __future__ import annotations

import html
import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.text import clean_text
from bot.engine import Button, ButtonPress

__all__ = ["button_press", "clean_text", "html_messages", "keyboard", "split_text"]

MAX_TEXT = 4096  # Telegram's limit per message, counted in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
UNKNOWN_BUTTON = "?"  # what unreadable callback data becomes; the engine re-shows the step

log = logging.getLogger(__name__)

# Where a long text may be cut, best first: a blank line, a line end, a sentence end
# (Latin, Arabic, Urdu and Devanagari marks), any space.
_CUTS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…؟۔।])\s+"),
    re.compile(r"\s+"),
)


_PDI = "\u2069"
_OPENS = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
_ISOLATE_RESERVE = 4  # code units kept free for closing isolates at a cut


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """The number of characters of `text` that fit into `limit` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _open_isolates(text: str) -> list[str]:
    """The isolates (LRI, RLI, FSI) `text` opens and does not close, in order."""
    opened: list[str] = []
    for char in text:
        if char in _OPENS:
            opened.append(char)
        elif char == _PDI and opened:
            opened.pop()
    return opened


def _isolate_depths(text: str) -> list[int]:
    """How many isolates are open before each position of `text` (and at its end)."""
    depths = [0]
    for char in text:
        depths.append(max(0, depths[-1] + (char in _OPENS) - (char == _PDI)))
    return depths


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in pieces of at most `limit` UTF-16 code units, cut where a reader would,
    and outside the isolates that keep German terms readable in right-to-left text where
    it can. An isolate cut anyway is closed at the end of one piece and opened again at
    the start of the next: each message is laid out on its own."""
    pieces: list[str] = []
    rest = text.strip()
    reserve = _ISOLATE_RESERVE if any(char in _OPENS for char in rest) else 0
    while utf16_length(rest) > limit:
        end = _fitting_prefix(rest, limit - reserve)
        window = rest[: end + 1]  # a cut right after the last fitting character counts
        depths = _isolate_depths(window)
        cuts = [
            [match.start() for match in pattern.finditer(window) if match.start() > 0]
            for pattern in _CUTS
        ]
        outside = [[c for c in found if depths[c] == 0] for found in cuts]
        cut = next((found[-1] for found in (*outside, *cuts) if found), end)
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        opened = _open_isolates(piece)
        pieces.append(piece + _PDI * len(opened))
        rest = "".join(opened) + rest
    if rest:
        pieces.append(rest)
    return pieces


def html_messages(text: str) -> list[str]:
    """The message texts for HTML parse mode: split first (the limit counts the text as
    shown), then every piece escaped, since all of it is dynamic text."""
    return [html.escape(piece, quote=False) for piece in split_text(text)]


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One button per row (labels are long in many languages); the id is the callback data."""
    rows = []
    for button in buttons:
        if len(button.id.encode("utf-8")) > MAX_CALLBACK_DATA:
            log.warning("button %r left out: its id is longer than 64 bytes", button.id)
            continue
        rows.append([InlineKeyboardButton(button.label, callback_data=button.id)])
    return InlineKeyboardMarkup(rows) if rows else None


def button_press(data: object) -> ButtonPress:
    """Callback data as an event. Anything may arrive here (old messages, other clients,
    forgeries); what cannot be ours becomes a button the engine does not know, and the
    engine answers that kindly with the current step."""
    if isinstance(data, str) and 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
        return ButtonPress(data)
    return ButtonPress(UNKNOWN_BUTTON)
