"""Replies as the web chat shows them: every text escaped on the server, German terms and
numbers that the knowledge isolated in right-to-left text as <bdi> elements, web
addresses as links. The browser puts only this `html` into the page as markup; labels and
everything else go in as text (bot/channels/web_assets/chat.js)."""

from __future__ import annotations

import base64
import html
import re
from typing import Any, Literal

from bot import i18n
from bot.types import Reply

_ISOLATE_OPEN = re.compile("[\u2066\u2067\u2068]")
_ISOLATE_CLOSE = "\u2069"
_MARKS = re.compile("[\u200e\u200f]")  # LRM/RLM: <bdi> and dir= do their work in HTML
# http(s) addresses; a trailing full stop, comma or bracket is the sentence's
_URL = re.compile(r"https?://[^\s<>\"'\u2066-\u2069]+[^\s<>\"'.,;:!?)\]\u2066-\u2069]")

Sender = Literal["lotse", "staff"]


def to_html(text: str) -> str:
    """The text escaped, isolates as <bdi dir="ltr">, addresses as links (new tab)."""
    escaped = html.escape(_MARKS.sub("", text), quote=True)
    linked = _URL.sub(
        lambda m: (
            f'<a href="{m.group(0)}" rel="noopener noreferrer" target="_blank">{m.group(0)}</a>'
        ),
        escaped,
    )
    depth = 0
    out: list[str] = []
    for part in re.split(f"({_ISOLATE_OPEN.pattern}|{_ISOLATE_CLOSE})", linked):
        if _ISOLATE_OPEN.fullmatch(part):
            depth += 1
            out.append('<bdi dir="ltr">')
        elif part == _ISOLATE_CLOSE:
            if depth:
                depth -= 1
                out.append("</bdi>")
        else:
            out.append(part)
    out.extend("</bdi>" for _ in range(depth))
    return "".join(out)


def message(message_id: int, reply: Reply, sender: Sender = "lotse") -> dict[str, Any]:
    """One message of the chat's wire format (chat.js reads it)."""
    return {
        "id": message_id,
        "from": sender,
        "lang": reply.lang,
        "dir": "rtl" if i18n.is_rtl(reply.lang) else "ltr",
        "html": to_html(reply.text),
        "buttons": [{"id": button.id, "label": button.label} for button in reply.buttons],
        "files": [
            {
                "name": attachment.name,
                "mime": attachment.mime,
                "base64": base64.b64encode(attachment.data).decode("ascii"),
            }
            for attachment in reply.files
        ],
        "expects": reply.expects,
    }
