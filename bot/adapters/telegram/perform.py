"""Carry out the service's actions with the Bot API and report each outcome back to the service.

Texts are sent as plain text (no parse mode), so nothing a member wrote can inject markup.
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from typing import TYPE_CHECKING
from urllib.parse import quote

from telegram import ChatPermissions, InlineKeyboardButton, InlineKeyboardMarkup, LoginUrl
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.adapters.performer import BasePerformer, Trouble
from bot.adapters.telegram.grouped import GroupedPoster
from bot.service import Action, ModerationService

if TYPE_CHECKING:
    from telegram import Bot

log = logging.getLogger(__name__)

# a join challenge is a line and a row of four buttons: 24 of them to a post stay within the 100
# buttons a message may carry and its 4,096 characters
CHALLENGES_A_POST = 24
# ... and each post waits this long for others: 400 joins in 20 seconds take 17 posts, within the
# 20 a minute Telegram allows in a group, instead of 20 posts of one that leave the rest (the
# people among them too) waiting a minute for the next
CHALLENGE_LINGER = 2.0
# Telegram treats an until_date under 30 seconds or over 366 days away as "forever"
MIN_RESTRICT = 35
MAX_RESTRICT = 366 * 86400 - 60
# Telegram's answers to a join request that is no longer pending (settled by an administrator,
# withdrawn) or whose author is already in the group
SETTLED_REQUEST = ("HIDE_REQUESTER_MISSING", "USER_ALREADY_PARTICIPANT")
# Transient failures (a 5xx, a timeout, a dropped connection) are tried again after BACKOFF's
# pauses (bot/adapters/performer.py). A timed-out message may have been sent after all, so a
# retried warning can arrive twice: better than a warning never sent.


def encode_chat(chat_id: str) -> str:
    """A chat id for a /start parameter (letters, digits, _ and - only): -100123 -> m100123."""
    return chat_id.replace("-", "m")


def decode_chat(text: str) -> str:
    return text.replace("m", "-")


def clamp_until(until: float, now: float) -> tuple[int, str]:
    """An until_date Telegram will honour, and a note if it had to change."""
    if until - now < MIN_RESTRICT:
        return int(now + MIN_RESTRICT), f"until_date raised to {MIN_RESTRICT}s (Telegram minimum)"
    if until - now > MAX_RESTRICT:
        return int(now + MAX_RESTRICT), "until_date lowered to 366 days (Telegram maximum)"
    return int(until), ""


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is seconds, or a timedelta in newer python-telegram-bot."""
    with warnings.catch_warnings():
        # python-telegram-bot 22.2+ warns on every read that the type will change; both types
        # are read here, so the warning (once per rate limit) says nothing to act on
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return float(value if isinstance(value, (int, float)) else value.total_seconds())


def describe(exc: TelegramError) -> str:
    """``Forbidden: not enough rights ...``, ``BadRequest: User not found``."""
    if isinstance(exc, Forbidden) or exc.message.startswith(type(exc).__name__):
        return exc.message
    return f"{type(exc).__name__}: {exc.message}"


class Performer(BasePerformer):
    platform = "telegram"

    def __init__(self, bot: Bot, service: ModerationService, bot_username: str = "",
                 web_url: str = "") -> None:
        self.bot = bot
        self.service = service
        self.bot_username = bot_username
        self.web_url = web_url
        # a raid's mod-log entries share posts, and so do its warnings in each group
        self.modlog = GroupedPoster(bot)
        self.warnings = GroupedPoster(bot)
        self.challenges = GroupedPoster(bot, most=CHALLENGES_A_POST, linger=CHALLENGE_LINGER)
        self._removing: set[tuple[int, int]] = set()  # warnings due to be removed
        self._removals: set[asyncio.Task] = set()  # members' messages being removed
        self._tasks: set[asyncio.Task] = set()
        self._queues: dict[str, asyncio.Queue[list[Action]]] = {}
        self._workers: dict[str, asyncio.Task] = {}

    def submit(self, actions: list[Action]) -> None:
        """Perform ``actions`` in the background, in order for their member.

        The update that caused them is handled once they are recorded, so the next one need not
        wait for Telegram's answers (four round trips for a violation, more under retries).
        Different members' actions go at once (a raid is many accounts); one member's stay in
        order (a mute before its lifting). A crash before they are done leaves them pending in
        the database, to be issued again at start-up.
        """
        if not actions:
            return
        key = f"{actions[0].community_id}:{actions[0].member_id}"
        queue = self._queues.get(key)
        # Removing a message is the defence: it never waits behind an earlier warning of the
        # same member's that waits its turn within Telegram's limits (20 posts a minute into a
        # group; a raider's tenth message would otherwise stay up for minutes)
        removals = [a for a in actions if a.kind == "delete"]
        if queue is not None and removals and len(removals) < len(actions):
            actions = [a for a in actions if a.kind != "delete"]
            task = asyncio.get_running_loop().create_task(self._perform_logged(removals))
            self._removals.add(task)
            task.add_done_callback(self._removals.discard)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            self._workers[key] = asyncio.get_running_loop().create_task(self._drain(key, queue))
        queue.put_nowait(actions)

    async def _perform_logged(self, actions: list[Action]) -> None:
        try:
            await self.perform(actions)
        except Exception:
            log.exception("performing actions failed")

    async def _drain(self, key: str, queue: asyncio.Queue[list[Action]]) -> None:
        while True:
            actions = await queue.get()
            try:
                await self.perform(actions)
            except Exception:  # one bad action must not stop a member's queue
                log.exception("performing actions failed")
            finally:
                queue.task_done()
            if queue.empty():  # a raid brings thousands of members: keep no idle worker
                del self._queues[key], self._workers[key]
                return

    def pending(self) -> int:
        """Action lists submitted and not yet performed (Telegram's pace holds some back)."""
        return sum(q.qsize() for q in self._queues.values()) + len(self._removals)

    async def flush(self) -> None:
        """Wait until every submitted action was performed."""
        while self._removals:
            await asyncio.gather(*list(self._removals))
        for queue in list(self._queues.values()):
            await queue.join()

    def trouble(self, exc: Exception) -> Trouble | None:
        if isinstance(exc, RetryAfter):
            wait = retry_seconds(exc)
            return Trouble(f"rate limited: retry after {wait:g}s", wait=wait)
        if isinstance(exc, BadRequest):  # (a NetworkError too, but sending it again won't help)
            return Trouble(describe(exc))
        if isinstance(exc, NetworkError):  # 5xx, timeouts, dropped connections
            return Trouble(describe(exc), transient=True)
        if isinstance(exc, TelegramError):
            return Trouble(describe(exc))
        return None

    def deep_link(self, community: str, case: int) -> str:
        return f"https://t.me/{self.bot_username}?start=appeal-{encode_chat(community)}-{case}"

    def keyboard(self, buttons: tuple[tuple[str, str], ...],
                 community: str) -> InlineKeyboardMarkup | None:
        row = self.row(buttons, community)
        return InlineKeyboardMarkup([row]) if row else None

    def row(self, buttons: tuple[tuple[str, str], ...],
            community: str) -> list[InlineKeyboardButton]:
        """Inline buttons for the service's (label, payload) pairs. A callback carries
        ``verb:arg:community`` (what ``TelegramAdapter.on_button`` parses); an appeal is a deep
        link into the private chat."""
        row = []
        for label, payload in buttons:
            verb, _, arg = payload.partition(":")
            if verb == "appeal":
                row.append(InlineKeyboardButton(label, url=self.deep_link(community, int(arg))))
            else:
                row.append(InlineKeyboardButton(label, callback_data=f"{payload}:{community}"))
        return row

    def dashboard(self, label: str, path: str) -> InlineKeyboardButton | None:
        """A button that opens ``path`` of the dashboard, logged in as whoever presses it
        (Telegram's login URL: the same signed data as the Login Widget); None when the
        dashboard has no public address."""
        if not self.web_url:
            return None
        return InlineKeyboardButton(label, login_url=LoginUrl(
            f"{self.web_url}/auth/telegram?next={quote(path, safe='')}"))

    def _keyboard(self, action: Action) -> InlineKeyboardMarkup | None:
        return self.keyboard(action.buttons, action.community_id)

    async def _do(self, action: Action) -> tuple[str, float | None]:
        return await self._call(action), None

    async def _call(self, action: Action) -> str:
        chat = int(action.community_id)
        kind = action.kind
        if kind == "delete":
            try:
                await self.bot.delete_message(chat_id=chat, message_id=int(action.message_id))
            except BadRequest as exc:
                if "not found" not in exc.message.lower():
                    raise
                return "already deleted"  # the goal is met: the message is gone
        elif kind == "warn":
            sent = await self.warnings.post(
                chat, action.text, self.row(action.buttons, action.community_id),
                reply_to=int(action.message_id) if action.message_id else None)
            if action.delete_after:
                self._later(action.delete_after, chat, sent)
        elif kind == "dm":
            await self.bot.send_message(chat_id=int(action.member_id), text=action.text,
                                        reply_markup=self._keyboard(action))
        elif kind in ("mute", "hold"):  # (raid mode's hold: a new member may read, not write)
            until, note = clamp_until(action.until or 0.0, self.service.clock())
            await self.bot.restrict_chat_member(
                chat_id=chat, user_id=int(action.member_id),
                permissions=ChatPermissions.no_permissions(), until_date=until)
            return note
        elif kind in ("unmute", "release"):
            permissions = (await self.bot.get_chat(chat)).permissions or ChatPermissions.all_permissions()
            await self.bot.restrict_chat_member(chat_id=chat, user_id=int(action.member_id),
                                                permissions=permissions)
        elif kind == "ban":
            await self.bot.ban_chat_member(chat_id=chat, user_id=int(action.member_id))
        elif kind == "purge":
            ids = [int(m) for m in action.message_ids]
            for start in range(0, len(ids), 100):  # deleteMessages takes 100 at most
                await self.bot.delete_messages(chat_id=chat, message_ids=ids[start:start + 100])
        elif kind == "unban":
            # (only_if_banned: a member who is in the chat is not removed by the unban)
            await self.bot.unban_chat_member(chat_id=chat, user_id=int(action.member_id),
                                             only_if_banned=True)
        elif kind in ("lockdown", "unlock", "slowmode"):
            return await self._raid_mode(action)
        elif kind in ("approve", "decline"):
            return await self._request(action)
        elif kind == "challenge" and action.channel_id == action.member_id:
            # someone who asked to join is not in the group: asked in a private chat (Telegram
            # lets a bot write to them until it answers the request)
            await self.bot.send_message(chat_id=int(action.member_id), text=action.text,
                                        reply_markup=self._keyboard(action))
        elif kind == "challenge":  # in the group, where the new member is
            # A raid's joiners share posts (24 to a post, each their own row of buttons), or
            # 20 posts a minute would leave a person's challenge behind hundreds of raiders'.
            # So a post is not removed when one member answers: it goes once its time is up.
            sent = await self.challenges.post(chat, action.text,
                                              self.row(action.buttons, action.community_id))
            self._later(action.delete_after, chat, sent)
            return "shared"
        elif kind == "kick":  # a ban lifted at once: removed, free to join and try again
            await self.bot.ban_chat_member(chat_id=chat, user_id=int(action.member_id))
            await self.bot.unban_chat_member(chat_id=chat, user_id=int(action.member_id),
                                             only_if_banned=True)
        elif kind == "grant":
            return ""  # (Telegram has no roles: passing lifts the restriction instead)
        elif kind == "welcome":
            await self.bot.send_message(chat_id=chat, text=action.text)
        elif kind == "modlog":
            text = action.text
            if action.with_outcomes and action.case_number is not None:
                line = await self.service.outcome_line(action.community_id, action.case_number)
                text = f"{text}\n{line}" if line else text
            row = self.row(action.buttons, action.community_id)
            case_page = self.dashboard(
                f"🔗 #{action.case_number}",
                f"/communities/{action.community_id}/cases/{action.case_number}"
            ) if action.case_number is not None else None
            await self.modlog.post(int(action.channel_id), text,
                                   row + [case_page] if case_page else row)
        else:
            raise ValueError(f"unknown action kind {kind!r}")
        return ""

    async def _request(self, action: Action) -> str:
        """A join request answered. One an administrator (or the person) settled first, or
        someone already in, is the goal met, not a failure."""
        chat, user = int(action.community_id), int(action.member_id)
        try:
            if action.kind == "approve":
                await self.bot.approve_chat_join_request(chat_id=chat, user_id=user)
            else:
                await self.bot.decline_chat_join_request(chat_id=chat, user_id=user)
        except BadRequest as exc:
            if not any(m in exc.message.upper() for m in SETTLED_REQUEST):
                raise
            return "already settled"
        return ""

    async def _raid_mode(self, action: Action) -> str:
        """Raid mode's changes to the chat. ``lockdown`` answers with the chat's permissions
        before (for ``unlock`` to restore); "" where nothing changed."""
        chat = int(action.community_id)
        kind = action.kind
        if kind == "lockdown" and action.text == "lock":
            before = (await self.bot.get_chat(chat)).permissions or ChatPermissions.all_permissions()
            await self.bot.set_chat_permissions(chat_id=chat,
                                                permissions=ChatPermissions.no_permissions())
            return json.dumps(before.to_dict(), sort_keys=True)
        elif kind == "unlock" and action.text.startswith("{"):
            await self.bot.set_chat_permissions(
                chat_id=chat, permissions=ChatPermissions.de_json(json.loads(action.text), None))
        # ("restrict" holds members, not the chat; and the Bot API cannot set slow mode)
        return ""

    def _later(self, seconds: int, chat: int, message_id: int) -> None:
        """Remove the bot's own warning after a while, so the chat stays clean (once, though
        a shared post carries several warnings)."""
        if (chat, message_id) in self._removing:
            return
        self._removing.add((chat, message_id))

        async def remove() -> None:
            await asyncio.sleep(seconds)
            self._removing.discard((chat, message_id))
            try:
                await self.bot.delete_message(chat_id=chat, message_id=message_id)
            except TelegramError:
                pass  # already gone, or rights lost: nothing a member needs to hear about
        task = asyncio.get_running_loop().create_task(remove())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, timeout: float = 10.0) -> None:
        try:
            await asyncio.wait_for(self.flush(), timeout)
        except asyncio.TimeoutError:
            log.warning("stopping with actions still queued; they are done at the next start")
        for task in [*self._tasks, *self._removals, *self._workers.values()]:
            task.cancel()
        self.modlog.close()
        self.warnings.close()
        self.challenges.close()
