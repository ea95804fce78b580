"""The aiohttp transport under python-telegram-bot: what reaches the server, and how each kind of
failure reaches the bot (as python-telegram-bot's own errors, which the performer retries)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram.transport import AiohttpRequest
from bot.fakes import serve

TOKEN = "123:transport"


@pytest.fixture
async def server():
    seen: list[tuple[str, str, dict]] = []
    behaviour: dict[str, str] = {}

    async def handle(request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            fields = await request.json()
        else:
            form = await request.post()
            fields = {k: (v.filename, v.file.read(), v.content_type) if hasattr(v, "filename")
                      else v for k, v in form.items()}
        seen.append((method, request.content_type, fields))
        kind = behaviour.get(method, "")
        if kind == "slow":
            await asyncio.sleep(1.0)
        if kind == "drop":
            request.transport.close()  # type: ignore[union-attr]
            return web.Response()
        if kind == "429":
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many",
                                      "parameters": {"retry_after": 3}}, status=429)
        if kind == "400":
            return web.json_response({"ok": False, "error_code": 400,
                                      "description": "Bad Request: chat not found"}, status=400)
        if method == "getMe":
            return web.json_response({"ok": True, "result": {
                "id": 123, "is_bot": True, "first_name": "q", "username": "q_bot"}})
        if method in ("sendDocument", "sendMessage"):
            return web.json_response({"ok": True, "result": {
                "message_id": 5, "date": 0, "chat": {"id": 7, "type": "private"},
                "document": {"file_id": "f", "file_unique_id": "u"}}})
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/{{method}}", handle)
    runner, port = await serve(app)
    yield f"http://127.0.0.1:{port}/bot", seen, behaviour
    await runner.cleanup()


async def _bot(base: str, **timeouts) -> Bot:
    bot = Bot(TOKEN, base_url=base, request=AiohttpRequest(2, **timeouts))
    await bot.initialize()
    return bot


async def test_parameters_arrive_as_json_and_answers_are_read(server):
    base, seen, _ = server
    bot = await _bot(base)
    try:
        assert await bot.delete_message(chat_id=-100, message_id=42) is True
        assert bot.username == "q_bot"
        await bot.send_message(chat_id=-100, text="Tin nhắn đã bị xoá & <b>",
                               reply_markup=InlineKeyboardMarkup(
                                   [[InlineKeyboardButton("Khiếu nại", callback_data="a:1")]]))
    finally:
        await bot.shutdown()
    assert seen[-2] == ("deleteMessage", "application/json", {"chat_id": -100, "message_id": 42})
    assert seen[-1] == ("sendMessage", "application/json", {
        "chat_id": -100, "text": "Tin nhắn đã bị xoá & <b>",
        "reply_markup": {"inline_keyboard": [[{"text": "Khiếu nại", "callback_data": "a:1"}]]}})


async def test_a_file_goes_as_multipart_with_the_other_fields(server):
    base, seen, _ = server
    bot = await _bot(base)
    try:
        await bot.send_document(chat_id=7, document=b'{"cases": []}', filename="member.json",
                                caption="export")
    finally:
        await bot.shutdown()
    method, content_type, fields = seen[-1]
    assert (method, content_type) == ("sendDocument", "multipart/form-data")
    assert fields["chat_id"] == "7" and fields["caption"] == "export"
    name, content, _ = fields[next(k for k in fields if isinstance(fields[k], tuple))]
    assert (name, content) == ("member.json", b'{"cases": []}')


@pytest.mark.parametrize("kind, error", [
    ("slow", TimedOut), ("drop", NetworkError), ("429", RetryAfter), ("400", BadRequest)])
async def test_failures_become_python_telegram_bots_errors(server, kind, error):
    base, seen, behaviour = server
    bot = await _bot(base, read_timeout=0.3)
    behaviour["deleteMessage"] = kind
    try:
        with pytest.raises(error) as caught:
            await bot.delete_message(chat_id=-100, message_id=1)
    finally:
        await bot.shutdown()
    assert type(caught.value) is error  # a TimedOut is a NetworkError too: the exact class
    assert TOKEN not in str(caught.value)
    if kind == "429":
        assert caught.value.retry_after == 3


async def test_a_full_pool_times_out_before_sending(server):
    base, seen, behaviour = server
    bot = await _bot(base, read_timeout=5.0, pool_timeout=0.2)
    behaviour["deleteMessage"] = "slow"
    try:
        calls = [bot.delete_message(chat_id=-100, message_id=i) for i in range(3)]
        results = await asyncio.gather(*calls, return_exceptions=True)
    finally:
        await bot.shutdown()
    # two connections in the pool: two calls answered, the third gave up waiting for one
    assert [type(r) for r in results].count(TimedOut) == 1
    assert sum(1 for m, _, _ in seen if m == "deleteMessage") == 2


async def test_a_request_before_initialize_says_so():
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")
