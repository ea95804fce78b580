"""The demo's community: a Telegram supergroup on the fake Bot API, the real adapter and service
on a SQLite file, and a transcript of what each person sees.

Nothing here is staged: members' messages are Telegram updates that python-telegram-bot fetches
from the fake server, and what the transcript shows is the Bot API calls the bot made in answer
(deletions, warnings, mutes, direct messages, mod-log posts and their buttons).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bot.adapters.telegram import TelegramConfig, running
from bot.core import Engine
from bot.fakes.telegram import FakeTelegram
from bot.service import ModerationService, open_storage
from bot.service.texts import when

GROUP = -1001234567890  # a supergroup: the mod log links its messages as t.me/c/1234567890/N
LOG = -1009876543210  # the moderators' chat
TOKEN = "123456:DEMO-TOKEN-NOT-A-SECRET"


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    username: str
    moderator: bool = False


PEOPLE = (
    Person(101, "Lan", "lan_nguyen"),
    Person(102, "Tuấn", "tuan99"),
    Person(103, "Minh", "minh_tran"),
    Person(900, "Hà", "ha_mod", moderator=True),
)


@dataclass(frozen=True)
class Button:
    number: int
    label: str
    data: str  # callback data (a moderator's button), or "" for a link
    url: str  # a deep link into the bot's private chat (a member's Appeal button), or ""
    message: dict  # the post it sits on
    addressee: Person | None  # whom a warning's button is for


class World:
    """``async with World(db, engine) as world``: the bot running against the fake group."""

    def __init__(self, database: Path, engine: Engine,
                 out: Callable[[str], None] = print) -> None:
        self.database = database
        self.engine = engine
        self.out = out
        self.fake = FakeTelegram(TOKEN)
        self.buttons: dict[int, Button] = {}
        self._seen = 0  # calls already shown
        self._authors: dict[int, Person] = {}  # group message id -> who wrote it
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> World:
        await self.fake.start()
        self._stack.push_async_callback(self.fake.stop)
        storage = await open_storage(str(self.database))
        self._stack.push_async_callback(storage.close)
        self.service = ModerationService(storage, self.engine)
        await self.service.update_settings(str(GROUP), "demo", {"log_channel": str(LOG)})
        self.zone = (await self.service.settings(str(GROUP))).zone
        self.fake.admins[GROUP] = {p.id for p in PEOPLE if p.moderator}
        config = TelegramConfig(token=TOKEN, api_base_url=self.fake.base_url, pacing=None)
        await self._stack.enter_async_context(running(config, self.service, self.engine))
        await self.settle()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    # -- what people do ----------------------------------------------------------------------

    async def say(self, who: Person, text: str, reply_to: dict | None = None) -> dict:
        """``who`` writes ``text`` in the group (a moderator may reply to a message)."""
        self.out(f"💬 {who.name}: {text}")
        sent = self.fake.message(GROUP, who.id, text, first_name=who.name,
                                 username=who.username, reply_to=reply_to)
        self._authors[sent["message_id"]] = who
        await self.settle()
        return sent

    async def dm(self, who: Person, text: str) -> None:
        """``who`` writes to the bot in private."""
        self.out(f"✉️  {who.name} → bot (private): {text}")
        self.fake.message(who.id, who.id, text, chat_type="private", first_name=who.name,
                          username=who.username)
        await self.settle()

    async def press(self, number: int, moderator: Person | None = None) -> None:
        """Press button ``number``: a mod-log button as a moderator, an Appeal button as the
        member it was shown to (it opens the bot's private chat)."""
        button = self.buttons.get(number)
        if button is None:
            raise KeyError(f"no button [{number}] (the transcript numbers them)")
        if button.data:
            mod = moderator or next(p for p in PEOPLE if p.moderator)
            self.out(f"👆 {mod.name} presses [{number}] {button.label}")
            self.fake.callback(mod.id, button.data, button.message, first_name=mod.name)
            await self.settle()
            return
        member = button.addressee or PEOPLE[0]
        self.out(f"👆 {member.name} presses [{number}] {button.label} (opens the bot's chat)")
        await self.dm(member, "/start " + button.url.split("start=", 1)[1])

    def last_button(self, label_startswith: tuple[str, ...] = (),
                    data_startswith: str = "") -> int:
        """The number of the latest button shown whose label or callback data starts so."""
        for number in sorted(self.buttons, reverse=True):
            b = self.buttons[number]
            if (label_startswith and b.label.startswith(label_startswith)) or (
                    data_startswith and b.data.startswith(data_startswith)):
                return number
        raise KeyError(f"no such button shown: {label_startswith or data_startswith}")

    def person(self, key: str) -> Person:
        """A person by number (1-based), name or username."""
        key = key.strip().lstrip("@").casefold()
        for i, p in enumerate(PEOPLE, 1):
            if key in (str(i), p.name.casefold(), p.username.casefold()):
                return p
        raise KeyError(f"no one called {key!r}: " + ", ".join(
            f"{i} {p.name}" for i, p in enumerate(PEOPLE, 1)))

    def message_of(self, who: Person) -> dict | None:
        """``who``'s last message in the group (what a moderator replies to)."""
        found = [m for m, p in self._authors.items() if p == who]
        if not found:
            return None
        return {"message_id": found[-1], "date": 0, "chat": {"id": GROUP, "type": "supergroup"},
                "from": {"id": who.id, "is_bot": False, "first_name": who.name,
                         "username": who.username}, "text": ""}

    # -- what they see -----------------------------------------------------------------------

    async def settle(self) -> None:
        """Wait until the bot has done what it does, then show it."""
        await self.fake.idle(quiet=0.4, timeout=15.0)
        calls = self.fake.calls[self._seen:]
        self._seen += len(calls)
        for call in calls:
            for line in self._render(call.method, call.params, call.result):
                self.out(line)

    def _name(self, user_id: Any) -> str:
        for p in PEOPLE:
            if str(p.id) == str(user_id):
                return p.name
        return str(user_id)

    def _render(self, method: str, p: dict, result: Any) -> list[str]:
        chat = str(p.get("chat_id", ""))
        if method == "deleteMessage" and chat == str(GROUP):
            author = self._authors.get(int(p["message_id"]))
            return [f"   🗑️  (the group no longer sees {author.name if author else 'a'}'s message)"]
        if method == "restrictChatMember":
            if "until_date" in p:
                return [f"   🔇 {self._name(p['user_id'])} cannot write in the group until "
                        f"{when(int(p['until_date']), self.zone)}"]
            return [f"   🔈 {self._name(p['user_id'])} can write in the group again"]
        if method == "banChatMember":
            return [f"   ⛔ {self._name(p['user_id'])} is banned from the group"]
        if method == "sendMessage":
            if chat == str(GROUP):
                head = "   🤖 bot in the group:"
            elif chat == str(LOG):
                head = "   📋 mod log:"
            else:
                head = f"   ✉️  bot → {self._name(chat)} (private):"
            return [head, *self._indent(p.get("text", "")), *self._buttons(p, result)]
        if method == "editMessageText" and chat == str(LOG):
            return ["   📋 mod log (entry updated): " + p.get("text", "").splitlines()[-1]]
        if method == "answerCallbackQuery" and p.get("text"):
            return [f"   (the button answers: {p['text']})"]
        return []

    @staticmethod
    def _indent(text: str) -> list[str]:
        return ["      " + line for line in text.splitlines()]

    def _buttons(self, params: dict, result: Any) -> list[str]:
        markup = params.get("reply_markup") or {}
        out = []
        reply = (params.get("reply_parameters") or {}).get("message_id")
        # a warning's button is for the author it replies to; a direct message's, for its reader
        addressee = (self._authors.get(int(reply)) if reply else None) or next(
            (p for p in PEOPLE if str(p.id) == str(params.get("chat_id"))), None)
        for row in markup.get("inline_keyboard", []):
            for b in row:
                number = len(self.buttons) + 1
                self.buttons[number] = Button(number, b["text"], b.get("callback_data", ""),
                                              b.get("url", ""), result or {}, addressee)
                out.append(f"      [{number}] {b['text']}")
        return out
