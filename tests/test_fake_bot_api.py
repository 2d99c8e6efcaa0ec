"""The fake Bot API itself: the wire format (form, multipart, JSON, query string; ok and
error bodies), and the methods later issues need, called through PTB's own Bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.knowledge import KnowledgeBase
from tests.fake_bot_api import BOT, TOKEN, ApiError, FakeBotAPI, parse_html
from tests.test_telegram import FAMILY, Family, lotse

STAFF = -1001234567890


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


async def test_wire_format(api: FakeBotAPI) -> None:
    base = f"{api.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as http:

        async def call(method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
            async with http.request(method, **kwargs) as response:
                return response.status, await response.json()

        assert await call("GET", url=f"{base}/getMe") == (200, {"ok": True, "result": BOT})
        assert (await call("POST", url=f"{base}/getMe", json={}))[1]["result"] == BOT
        api.text(FAMILY, "Hallo")
        status, body = await call(
            "POST", url=f"{base}/getUpdates", data={"offset": "0", "timeout": "0"}
        )
        assert status == 200 and body["result"][0]["message"]["text"] == "Hallo"
        form = aiohttp.FormData()
        form.add_field("chat_id", str(FAMILY))
        form.add_field("document", b"%PDF-1.4", filename="Checkliste.pdf")
        status, body = await call("POST", url=f"{base}/sendDocument", data=form)
        assert status == 200 and body["result"]["document"]["file_size"] == 8
        api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
        status, body = await call(
            "POST", url=f"{base}/sendMessage", data={"chat_id": str(FAMILY), "text": "x"}
        )
        assert (status, body) == (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            },
        )
        status, body = await call("GET", url=f"{api.base_url}1:wrong/getMe")
        assert (status, body["description"]) == (401, "Unauthorized")
        status, body = await call("GET", url=f"{base}/noSuchMethod")
        assert (status, body["description"]) == (404, "Not Found: method not found")


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("<b>fett</b> und <a href='https://x.org'>Link</a>", "fett und Link"),
    ],
)
def test_html_as_telegram_reads_it(html: str, shown: str) -> None:
    assert parse_html(html) == shown


@pytest.mark.parametrize("html", ["a < b", "a & b", "<x>y</x>", "<b>y", "a > b"])
def test_html_telegram_refuses(html: str) -> None:
    with pytest.raises(ApiError, match="can't parse entities"):
        parse_html(html)


async def test_the_methods_later_issues_need(
    api: FakeBotAPI, tmp_path: Path, kb: KnowledgeBase
) -> None:
    """Through PTB's Bot of a running application: documents, copies, forwards, forum
    topics, edits; and Telegram's errors come back as PTB's exceptions."""
    api.forum(STAFF)
    family = Family(api)
    async with lotse(api, tmp_path / "lotse.db", lambda: kb) as app:
        menu = (await family.write("/start"))[-1]
        bot = app.bot
        document = await bot.send_document(FAMILY, b"%PDF-1.4 checklist", filename="c.pdf")
        assert document.document is not None and document.document.file_size == 18
        topic = await bot.create_forum_topic(STAFF, "Familie 17")
        assert topic.name == "Familie 17" and topic.message_thread_id > 0
        copy = await bot.copy_message(STAFF, FAMILY, menu["message_id"])
        forward = await bot.forward_message(STAFF, FAMILY, menu["message_id"])
        assert forward.text == "Wobei kann ich helfen?" and copy.message_id != forward.message_id
        await bot.edit_message_reply_markup(chat_id=FAMILY, message_id=menu["message_id"])
        assert "reply_markup" not in api.stored[(FAMILY, menu["message_id"])]
        await bot.edit_message_text("Erledigt", chat_id=FAMILY, message_id=menu["message_id"])
        edited = api.stored[(FAMILY, menu["message_id"])]
        assert edited["text"] == "Erledigt" and "reply_markup" not in edited
        with pytest.raises(Exception, match=r"(?i)not modified"):
            await bot.edit_message_text("Erledigt", chat_id=FAMILY, message_id=menu["message_id"])
        with pytest.raises(Exception, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=FAMILY, message_id=999)
        with pytest.raises(Exception, match=r"(?i)not a forum"):
            await bot.create_forum_topic(FAMILY, "Familie 18")
        with pytest.raises(Exception, match=r"(?i)query is too old"):
            await bot.answer_callback_query("no-such-query")


async def test_held_and_slow_calls_and_unconfirmed_updates(api: FakeBotAPI) -> None:
    """Fault injection for the fault tests: a held call carried out or not, a slow call
    whose client gave up is not carried out, and getUpdates serves an update until a
    later offset confirms it."""
    api.text(FAMILY, "Hallo")  # the chat exists now
    base = f"{api.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as http:

        async def send(text: str, timeout: float | None = None) -> int:
            limit = aiohttp.ClientTimeout(total=timeout)
            data = {"chat_id": str(FAMILY), "text": text}
            async with http.post(f"{base}/sendMessage", data=data, timeout=limit) as response:
                return response.status

        hold = api.hold("sendMessage")
        waiting = asyncio.create_task(send("gehalten"))
        await api.wait_for(lambda: hold.call is not None)
        assert api.messages(FAMILY) == []
        hold.release(execute=False)
        assert await waiting == 502 and api.messages(FAMILY) == []
        assert await send("danach") == 200  # a hold catches one call

        api.delays["sendMessage"] = 0.5
        with pytest.raises(TimeoutError):
            await send("zu spät", timeout=0.1)
        await api.wait_for(lambda: api.calls[-1].error == 499)
        assert [m["text"] for m in api.messages(FAMILY)] == ["danach"]
        assert await send("langsam") == 200
        del api.delays["sendMessage"]

        async def updates(offset: int) -> list[int]:
            data = {"offset": str(offset), "timeout": "0"}
            async with http.post(f"{base}/getUpdates", data=data) as response:
                return [u["update_id"] for u in (await response.json())["result"]]

        first = await updates(0)
        assert await updates(0) == first  # not confirmed: served again
        assert await updates(first[-1] + 1) == [] and api.updates == []
        assert api.served[first[0]] == 2 and api.offsets[-3:] == [0, 0, first[-1] + 1]
