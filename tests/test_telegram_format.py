"""Replies as Telegram messages: splitting, escaping, keyboards, untrusted callback data."""

from __future__ import annotations

import pytest

from bot.channels.telegram_format import (
    MAX_TEXT,
    UNKNOWN_BUTTON,
    button_press,
    html_messages,
    keyboard,
    split_text,
    utf16_length,
)
from bot.engine import Button, ButtonPress


def test_a_short_text_is_one_message() -> None:
    assert split_text("Hallo. Wie geht es?") == ["Hallo. Wie geht es?"]
    assert split_text("x" * MAX_TEXT) == ["x" * MAX_TEXT]


@pytest.mark.parametrize(
    ("text", "limit", "pieces"),
    [
        ("Eins. Zwei. Drei.", 12, ["Eins. Zwei.", "Drei."]),
        ("Erster Absatz. Noch.\n\nZweiter.", 24, ["Erster Absatz. Noch.", "Zweiter."]),
        ("Zeile eins\nZeile zwei", 15, ["Zeile eins", "Zeile zwei"]),
        ("هل لديك سؤال؟ نعم لدي", 15, ["هل لديك سؤال؟", "نعم لدي"]),
        ("ohne Satzende hier", 10, ["ohne", "Satzende", "hier"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
    ],
)
def test_long_texts_are_cut_where_a_reader_would(text: str, limit: int, pieces: list[str]) -> None:
    assert split_text(text, limit) == pieces


def test_the_limit_counts_utf16_units_and_never_splits_an_emoji() -> None:
    text = "🙂" * 3000  # 6000 UTF-16 code units
    pieces = split_text(text)
    assert [utf16_length(piece) for piece in pieces] == [4096, 1904]
    assert "".join(pieces) == text


def test_every_piece_is_escaped_after_splitting() -> None:
    text = "<b>Bitte</b> bringen Sie A & B mit. " * 200
    messages = html_messages(text)
    assert len(messages) == 2
    assert all("<b>" not in message and "&lt;b&gt;" in message for message in messages)
    assert "A &amp; B" in messages[0]


def test_keyboard_one_button_a_row_and_ids_as_callback_data() -> None:
    markup = keyboard((Button("se_documents", "Unterlagen"), Button("nav:menu", "Menü")))
    assert markup is not None
    rows = markup.inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("Unterlagen", "se_documents")],
        [("Menü", "nav:menu")],
    ]
    assert keyboard(()) is None
    too_long = keyboard((Button("x" * 65, "Zu lang"),))
    assert too_long is None  # Telegram would refuse the whole message


@pytest.mark.parametrize(
    ("data", "event"),
    [
        ("se_documents", ButtonPress("se_documents")),
        ("nav:back", ButtonPress("nav:back")),
        ("x" * 65, ButtonPress(UNKNOWN_BUTTON)),
        ("ä" * 33, ButtonPress(UNKNOWN_BUTTON)),  # 66 bytes
        ("", ButtonPress(UNKNOWN_BUTTON)),
        (None, ButtonPress(UNKNOWN_BUTTON)),
        (12, ButtonPress(UNKNOWN_BUTTON)),
    ],
)
def test_callback_data_is_never_trusted(data: object, event: ButtonPress) -> None:
    assert button_press(data) == event
