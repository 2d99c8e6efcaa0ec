"""The terminal channel: a family conversation for people (`lotse chat`) and for
programs (`lotse chat --jsonl`, one JSON event per input line, one JSON reply per line).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import IO, Any

from bot.engine import Button, ButtonPress, Command, Event, Reply, Start, TextInput
from bot.engine.parsers import ascii_digits

CHANNEL = "console"
TYPED_ANSWERS = {"age", "number", "date"}  # here a number is an answer, not a button
LETTERS = "abcdefghijklmnopqrstuvwxyz"

Handler = Callable[[Event], list[Reply]]


def _buttons(replies: list[Reply]) -> list[Button]:
    return [button for reply in replies for button in reply.buttons]


def _lettered(replies: list[Reply]) -> bool:
    return bool(replies) and replies[-1].expects in TYPED_ANSWERS


def render(replies: list[Reply]) -> str:
    """Texts, then the buttons numbered (or lettered when a number is the answer)."""
    lines: list[str] = []
    keys = LETTERS if _lettered(replies) else None
    counter = 0
    for reply in replies:
        lines.append(reply.text)
        for attachment in reply.files:
            lines.append(f"  📎 {attachment.name} ({len(attachment.data)} bytes)")
        for button in reply.buttons:
            key = keys[counter] if keys else str(counter + 1)
            lines.append(f"  [{key}] {button.label}")
            counter += 1
        lines.append("")
    return "\n".join(lines)


def read_input(line: str, shown: list[Reply]) -> Event | None:
    """Turn a typed line into an event: a button key, a /command, or text."""
    text = line.strip()
    if not text:
        return None
    if text.startswith("/") and len(text) > 1:
        return Command(text[1:].split()[0].casefold())
    buttons = _buttons(shown)
    if _lettered(shown):
        if len(text) == 1 and text.casefold() in LETTERS[: len(buttons)]:
            return ButtonPress(buttons[LETTERS.index(text.casefold())].id)
    else:
        digits = ascii_digits(text)
        if digits.isdigit() and 1 <= int(digits) <= len(buttons):
            return ButtonPress(buttons[int(digits) - 1].id)
    return TextInput(text)


def interactive(handler: Handler, stdin: IO[str], stdout: IO[str], lang: str | None) -> None:
    shown = handler(Start(lang_hint=lang))
    stdout.write(render(shown))
    stdout.write(
        "(Nummer eines Knopfes oder Text eingeben, /help für Hilfe, Strg-D zum Beenden)\n"
    )
    while True:
        stdout.write("> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return
        event = read_input(line, shown)
        if event is None:
            continue
        shown = handler(event)
        stdout.write("\n" + render(shown))


def _event_from_json(data: Any, shown: list[Reply], lang: str | None) -> Event:
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    kind = data.get("type")
    if kind == "start":
        return Start(lang_hint=data.get("lang", lang))
    if kind == "text" and isinstance(data.get("text"), str):
        return TextInput(data["text"])
    if kind == "command" and isinstance(data.get("name"), str):
        return Command(data["name"])
    if kind == "button":
        if isinstance(data.get("id"), str):
            return ButtonPress(data["id"])
        index = data.get("index")
        buttons = _buttons(shown)
        if isinstance(index, int) and not isinstance(index, bool) and 1 <= index <= len(buttons):
            return ButtonPress(buttons[index - 1].id)
        raise ValueError(f"no button {index!r}: {len(buttons)} shown")
    raise ValueError("unknown event; use type start, button, text or command")


def reply_json(reply: Reply) -> dict[str, Any]:
    """The stable wire format of one reply (fields may be added, never changed)."""
    data: dict[str, Any] = {
        "text": reply.text,
        "buttons": [{"id": button.id, "label": button.label} for button in reply.buttons],
        "lang": reply.lang,
    }
    if reply.files:
        data["files"] = [
            {"name": f.name, "mime": f.mime, "base64": base64.b64encode(f.data).decode("ascii")}
            for f in reply.files
        ]
    return data


def jsonl(handler: Handler, stdin: IO[str], stdout: IO[str], lang: str | None) -> None:
    """One JSON event per line in; replies and then {"end": true} out, per event."""
    shown: list[Reply] = []
    for line in stdin:
        if not line.strip():
            continue
        try:
            event = _event_from_json(json.loads(line), shown, lang)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            out: list[dict[str, Any]] = [{"error": str(exc)}]
        else:
            shown = handler(event)
            out = [reply_json(reply) for reply in shown]
        for item in [*out, {"end": True}]:
            stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
        stdout.flush()
