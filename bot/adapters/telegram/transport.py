"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

python-telegram-bot keeps its whole HTTP dependency behind one method, ``BaseRequest.do_request``;
this module fills that seam with aiohttp (already a dependency, for the webhook receiver). Why:
measured on this machine with 16 calls in flight to a server on 127.0.0.1, httpx spent about
2,500 us of CPU per Bot API call and aiohttp about 300 us. During a raid every violation costs
three or four calls (delete, warning, mod log), so the HTTP client was most of the bot's CPU.

Errors map the way python-telegram-bot's own transport maps them: a timeout is ``TimedOut``, any
other failure to get an answer is ``NetworkError``; what Telegram answers (429, 400, 500...) is
left to python-telegram-bot, which reads the status and the body.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.adapters.telegram.pacing import Pacer


_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # python-telegram-bot's "not given" marker


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool.

    ``pool_size`` bounds the calls in flight; a call that has no connection (a free one, or a new
    one made) within ``pool_timeout`` fails with ``TimedOut`` before anything was sent, and making a
    connection is also bounded by ``connect_timeout``. aiohttp has no separate
    write timeout: a write that stalls is caught by the read timeout, which starts once the request
    is sent. None as a timeout means no limit.
    """

    def __init__(self, pool_size: int = 16, read_timeout: float | None = 10.0,
                 connect_timeout: float | None = 10.0, write_timeout: float | None = 10.0,
                 pool_timeout: float | None = 10.0, pacer: Pacer | None = None) -> None:
        self._pacer = pacer  # sending calls wait their turn within Telegram's limits
        self._pool_size = pool_size
        self._read = read_timeout
        self._connect = connect_timeout  # (write_timeout: see above; accepted, not applied)
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # A session belongs to the event loop it was made in, so it is made here, not in
            # __init__; no cookies: the Bot API has none and a jar costs time per call.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE,
                         write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's connect covers the wait for a free connection and making one
            connect=_given(pool_timeout, self._pool),
            sock_connect=_given(connect_timeout, self._connect),
            sock_read=_given(read_timeout, self._read))
        if self._pacer is not None:
            await self._pacer.wait(url.rsplit("/", 1)[-1], _chat_id(request_data))
        try:
            data, headers = _body(request_data)
            async with self._session.request(method, url, data=data, headers=headers,
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # the class name says what happened when the message is empty
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _chat_id(request_data: RequestData | None) -> int | None:
    """The chat a call is for, where it names one by number."""
    if request_data is None:
        return None
    chat = request_data.parameters.get("chat_id")
    try:
        return int(chat) if chat is not None else None
    except (TypeError, ValueError):  # "@channelname"
        return None


def _given(value: object, default: float | None) -> float | None:
    return default if isinstance(value, _DEFAULT) else value  # type: ignore[return-value]


_JSON = {"Content-Type": "application/json"}


def _body(request_data: RequestData | None
          ) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    """The parameters as one JSON body (the Bot API takes JSON; encoding a form cost aiohttp
    about 300 us a call, mostly percent-encoding Vietnamese text), or as a multipart form when
    there are files to upload, which JSON cannot carry."""
    if request_data is None:
        return None, None
    files = request_data.multipart_data
    if not files:
        # typed values (numbers as numbers, a keyboard as an object), as the Bot API documents them
        return json.dumps(request_data.parameters, ensure_ascii=False).encode(), _JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
