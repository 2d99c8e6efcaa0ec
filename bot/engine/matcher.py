"""Typed text that names a visible button presses it (fuzzy, with rapidfuzz)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from bot.engine.normalize import normalize
from bot.types import Button

MIN_SCORE = 85.0  # below this a typed text is not taken as a button
MIN_MARGIN = 8.0  # the best label must beat the second by this much, else it is ambiguous


def match_button(text: str, buttons: Sequence[Button]) -> Button | None:
    """The one button the text clearly names, or None when unsure."""
    query = normalize(text)
    if not query or not buttons:
        return None
    labels = [normalize(button.label) for button in buttons]
    exact = [button for button, label in zip(buttons, labels, strict=True) if label == query]
    if len(exact) == 1:
        return exact[0]
    if len(query) < 3:
        return None
    # The whole label, typed with a typo or two. (Parts of labels are the free-text
    # matcher's work: partial matching here let short common words press buttons.)
    ranked = process.extract(query, labels, scorer=fuzz.ratio, limit=2)
    if not ranked or ranked[0][1] < MIN_SCORE:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < MIN_MARGIN:
        return None
    return buttons[ranked[0][2]]
