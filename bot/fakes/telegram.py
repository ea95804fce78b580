"""A fake Telegram Bot API server on 127.0.0.1 for driving the real python-telegram-bot client.

Every call is a POST to ``/bot<token>/<method>`` with form-encoded parameters (complex values as
JSON), answered like the real API: ``{"ok": true, "result": ...}`` or an error with the real status
code and ``parameters.retry_after``. Calls are recorded for assertions; updates are queued by the
test and served by ``getUpdates`` with long polling that honours ``offset``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.fakes import FaultSchedule, poll_until, serve

BOT = {"id": 999000, "is_bot": True, "first_name": "Quytac", "username": "quytac_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": True,
       "supports_inline_queries": False}


# a group's default permissions until the bot changes them (setChatPermissions)
OPEN_CHAT = {"can_send_messages": True, "can_send_audios": True, "can_send_documents": True,
             "can_send_photos": True, "can_send_videos": True, "can_send_video_notes": True,
             "can_send_voice_notes": True, "can_send_polls": True,
             "can_send_other_messages": True, "can_add_web_page_previews": True,
             "can_change_info": False, "can_invite_users": True, "can_pin_messages": False,
             "can_manage_topics": False}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)  # arrival, for latency benchmarks
    result: Any = None  # what the fake answered (a sent message, for the demo's buttons)


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    match: dict[str, Any] = field(default_factory=dict)


async def _params(request: web.Request) -> dict[str, Any]:
    """A call's parameters, sent as the Bot API accepts them: a JSON body, or a form (multipart
    when it uploads files). Numbers read the same either way (as the text a form carries), so a
    test need not care which one the client chose."""
    if request.content_type == "application/json":
        body = await request.json()
        return {k: str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                for k, v in body.items()}
    form = await request.post()
    params = {k: _decode(v) for k, v in form.items() if isinstance(v, str)}
    # uploaded files, as the bot sent them: {"filename": ..., "content": bytes}
    params.update({k: {"filename": v.filename, "content": v.file.read()}
                   for k, v in form.items() if not isinstance(v, str)})
    return params


def _decode(value: str) -> Any:
    if value[:1] in "{[" or value in ("true", "false"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram:
    """The fake server. ``admins`` maps a chat id to the user ids that are its administrators."""

    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.admins: dict[int, set[int]] = {}
        self.left: set[tuple[int, int]] = set()  # (chat, user) no longer in the chat
        self.permissions: dict[int, dict] = {}  # a chat's default permissions, once set
        self.silenced: set[tuple[int, int]] = set()  # (chat, user) restricted from sending, or banned
        self.requests: set[tuple[int, int]] = set()  # (chat, user) join requests not answered
        self.faults: dict[str, list[Fault]] = {}
        self.schedules: list[FaultSchedule] = []
        self.holds: list[list[Any]] = []
        self._updates: list[dict] = []
        self._new_update = asyncio.Event()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Telegram's own limit on messages in one group, if enforced: (count, seconds)
        self.group_limit: tuple[int, float] | None = None
        self.refused: list[Call] = []  # calls answered 429 by that limit
        self._group_sent: dict[str, list[float]] = {}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner, self.port = await serve(app, port)

    async def stop(self) -> None:
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- test helpers ----------------------------------------------------------------------

    def fail(self, method: str, status: int, description: str, retry_after: int | None = None,
             times: int = 1, **match: Any) -> None:
        self.faults.setdefault(method, []).append(Fault(status, description, retry_after, times,
                                                         match))

    def hold(self, method: str, seconds: float, times: int = 1, **match: Any) -> None:
        """Answer the next ``times`` matching calls of ``method`` after ``seconds`` (a slow
        Telegram, within the client's timeout)."""
        self.holds.append([method, seconds, times, match])

    def push(self, update: dict) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._new_update.set()
        return update_id

    def message(self, chat_id: int, user_id: int, text: str, *, chat_type: str = "supergroup",
                first_name: str = "Member", username: str | None = None,
                entities: list[dict] | None = None, reply_to: dict | None = None,
                caption: bool = False, edited: bool = False) -> dict:
        """Push a message update and return the message dict."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type,
                     **({"title": "Group"} if chat_type != "private" else {"first_name": first_name})},
            "from": {"id": user_id, "is_bot": False, "first_name": first_name,
                     **({"username": username} if username else {})},
        }
        if caption:
            msg["caption"] = text
            msg["photo"] = [{"file_id": "p1", "file_unique_id": "u1", "width": 1, "height": 1}]
        else:
            msg["text"] = text
        if text.startswith("/") and entities is None:
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if entities:
            msg["caption_entities" if caption else "entities"] = entities
        if reply_to:
            msg["reply_to_message"] = reply_to
        if edited:
            msg["edit_date"] = int(time.time())
        self.push({"edited_message" if edited else "message": msg})
        return msg

    def join(self, chat_id: int, *users: tuple[int, str]) -> int:
        """Members (id, first name) join a group, as one service message."""
        members = [{"id": uid, "is_bot": False, "first_name": name} for uid, name in users]
        return self.push({"message": {
            "message_id": next(self._message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": "supergroup", "title": "Group"},
            "from": members[0], "new_chat_members": members}})

    def request_join(self, chat_id: int, user_id: int, name: str) -> int:
        """Someone asks to join a group that takes join requests."""
        self.requests.add((chat_id, user_id))
        user = {"id": user_id, "is_bot": False, "first_name": name}
        return self.push({"chat_join_request": {
            "chat": {"id": chat_id, "type": "supergroup", "title": "Group"},
            "from": user, "user_chat_id": user_id, "date": int(time.time())}})

    def callback(self, user_id: int, data: str, message: dict, first_name: str = "Mod") -> None:
        self.push({"callback_query": {
            "id": str(next(self._update_ids)), "chat_instance": "ci", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            "message": message}})

    @property
    def delete_times(self) -> dict[int, float]:
        """When each message's first deleteMessage arrived (perf_counter seconds)."""
        out: dict[int, float] = {}
        for c in self.calls:
            if c.method == "deleteMessage":
                out.setdefault(int(c.params["message_id"]), c.at)
        return out

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0,
                       **match: Any) -> list[dict[str, Any]]:
        """Wait until ``count`` calls of ``method`` (matching ``match``) have arrived."""
        def found() -> list[dict[str, Any]] | None:
            got = [p for p in self.calls_to(method)
                   if all(str(p.get(k)) == str(v) for k, v in match.items())]
            return got if len(got) >= count else None

        return await poll_until(found, timeout, lambda: (
            f"{method} x{count} {match} not called; calls: "
            f"{[(c.method, c.params) for c in self.calls]}"))

    async def idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until every pushed update was fetched and no call arrived for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        last = len(self.calls)
        since = time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            if len(self.calls) != last:
                last, since = len(self.calls), time.monotonic()
            elif not self._updates and time.monotonic() - since >= quiet:
                return

    # -- the API ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params)
        if method != "getUpdates":
            self.calls.append(call)
        key = (method, json.dumps(params, sort_keys=True, default=str))
        if self.group_limit and method == "sendMessage" and str(params.get("chat_id", "")).startswith("-"):
            count, window = self.group_limit
            now = time.monotonic()
            sent = [t for t in self._group_sent.get(str(params["chat_id"]), []) if t > now - window]
            if len(sent) >= count:
                self.refused.append(Call(method, params))
                wait = max(1, int(sent[-count] + window - now + 0.999))
                return self._error(429, f"Too Many Requests: retry after {wait}", wait)
            self._group_sent[str(params["chat_id"])] = [*sent, now]
        for schedule in self.schedules:
            kind = schedule.next_fault(method, key)
            if kind == "429":
                return self._error(429, "Too Many Requests: retry after 1", 1)
            if kind == "500":
                return self._error(500, "Internal Server Error")
            if kind == "drop":
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            if kind == "timeout":
                await asyncio.sleep(schedule.delay)  # then act and answer, too late
        for hold in self.holds:
            if hold[0] == method and hold[2] > 0 and all(
                    str(params.get(k)) == str(v) for k, v in hold[3].items()):
                hold[2] -= 1
                await asyncio.sleep(hold[1])
        for fault in self.faults.get(method, []):
            if fault.times > 0 and all(str(params.get(k)) == str(v) for k, v in fault.match.items()):
                fault.times -= 1
                return self._error(fault.status, fault.description, fault.retry_after)
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        result = await handler(params) if asyncio.iscoroutinefunction(handler) else handler(params)
        if isinstance(result, web.Response):
            return result
        call.result = result
        return web.json_response({"ok": True, "result": result},
                                 content_type="application/json")

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status,
                                "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    def api_getMe(self, p: dict) -> dict:
        return BOT

    def api_setWebhook(self, p: dict) -> bool:
        return True

    def api_deleteWebhook(self, p: dict) -> bool:
        return True

    def api_getWebhookInfo(self, p: dict) -> dict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def api_getUpdates(self, p: dict) -> list[dict]:
        offset = int(p.get("offset", 0) or 0)
        timeout = min(float(p.get("timeout", 0) or 0), 1.0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        return list(self._updates[: int(p.get("limit", 100) or 100)])

    def _sent(self, p: dict, text_key: str = "text") -> dict:
        chat_id = int(p["chat_id"])
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")},
                "text": p.get(text_key, ""),
                **({"reply_markup": p["reply_markup"]} if "reply_markup" in p else {})}

    def api_sendMessage(self, p: dict) -> dict:
        return self._sent(p)

    def api_sendDocument(self, p: dict) -> dict:
        msg = self._sent({**p, "text": p.get("caption", "")})
        msg["document"] = {"file_id": "doc1", "file_unique_id": "doc1",
                           "file_name": p["document"]["filename"]}
        return msg

    def api_editMessageText(self, p: dict) -> dict:
        msg = self._sent(p)
        msg["message_id"] = int(p.get("message_id", 0))
        return msg

    def api_deleteMessage(self, p: dict) -> bool:
        return True

    def api_deleteMessages(self, p: dict) -> web.Response | bool:
        if not 1 <= len(p["message_ids"]) <= 100:
            return self._error(400, "Bad Request: message_ids must hold 1 to 100 ids")
        return True

    def _member(self, p: dict) -> web.Response | bool:
        if (int(p["chat_id"]), int(p["user_id"])) in self.left:
            return self._error(400, "Bad Request: user not found")
        return True

    def api_restrictChatMember(self, p: dict) -> web.Response | bool:
        answer = self._member(p)
        if answer is True:
            key = (int(p["chat_id"]), int(p["user_id"]))
            if (p.get("permissions") or {}).get("can_send_messages"):
                self.silenced.discard(key)
            else:
                self.silenced.add(key)
        return answer

    def api_banChatMember(self, p: dict) -> bool:
        self.silenced.add((int(p["chat_id"]), int(p["user_id"])))
        return True

    def can_send(self, chat_id: int, user_id: int) -> bool:
        """Whether Telegram would let the member post now (restricted, banned or a locked chat:
        not, administrators excepted): a benchmark sends only what could be sent."""
        if user_id in self.admins.get(chat_id, set()):
            return True
        if (chat_id, user_id) in self.silenced:
            return False
        return bool(self.permissions.get(chat_id, OPEN_CHAT).get("can_send_messages", True))

    def api_unbanChatMember(self, p: dict) -> bool:
        return True

    def api_getChatMember(self, p: dict) -> dict:
        chat, user = int(p["chat_id"]), int(p["user_id"])
        status = "left" if (chat, user) in self.left else (
            "administrator" if user in self.admins.get(chat, set()) else "member")
        body: dict[str, Any] = {"status": status,
                                "user": {"id": user, "is_bot": False, "first_name": "U"}}
        if status == "administrator":
            body.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                        can_delete_messages=True, can_manage_video_chats=True,
                        can_restrict_members=True, can_promote_members=False,
                        can_change_info=True, can_invite_users=True, can_post_stories=False,
                        can_edit_stories=False, can_delete_stories=False)
        return body

    def api_getChatAdministrators(self, p: dict) -> list[dict]:
        chat = int(p["chat_id"])
        return [self.api_getChatMember({"chat_id": chat, "user_id": u})
                for u in sorted(self.admins.get(chat, set()))]

    def api_getChat(self, p: dict) -> dict:
        chat = int(p["chat_id"])
        return {"id": chat, "type": "supergroup" if chat < 0 else "private", "title": "Group",
                "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False},
                "permissions": self.permissions.get(chat, OPEN_CHAT)}

    def api_setChatPermissions(self, p: dict) -> bool:
        self.permissions[int(p["chat_id"])] = p["permissions"]
        return True

    def _settle(self, p: dict) -> web.Response | None:
        key = (int(p["chat_id"]), int(p["user_id"]))
        if key not in self.requests:
            return self._error(400, "Bad Request: HIDE_REQUESTER_MISSING")
        self.requests.discard(key)
        return None

    def api_approveChatJoinRequest(self, p: dict) -> web.Response | bool:
        """Approved: the person is in, and the group gets its service message, as Telegram
        posts it."""
        refused = self._settle(p)
        if refused is not None:
            return refused
        self.join(int(p["chat_id"]), (int(p["user_id"]), "Member"))
        return True

    def api_declineChatJoinRequest(self, p: dict) -> web.Response | bool:
        return self._settle(p) or True

    def api_setMyCommands(self, p: dict) -> bool:
        return True

    def api_answerCallbackQuery(self, p: dict) -> bool:
        return True
