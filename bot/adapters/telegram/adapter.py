"""Translate Telegram updates into service calls and the service's answers into Bot API calls.

Nothing here decides: moderation, permissions of members over cases, appeals and settings all live
in the service. What this module adds is Telegram's own knowledge: who is a chat administrator
(getChatAdministrators, cached for at most a minute), deep links, and inline buttons.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from telegram import (
    BotCommand, BotCommandScopeAllChatAdministrators, BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats, InlineKeyboardMarkup, InputFile, Message as TgMessage, Update,
)
from telegram.constants import ChatMemberStatus, MessageEntityType
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters,
)

from bot.adapters.telegram.perform import Performer, decode_chat
from bot.core import Engine
from bot.service import (
    LRU, Incoming, ModerationService, Scheduler, ServiceError, parse_duration, when,
)


log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 60.0
ANONYMOUS_ADMIN = 1087968824  # the "Group" user Telegram shows for anonymous administrators

MOD_COMMANDS = [
    ("cases", "cases of a member (reply, @username or id)"), ("case", "one case: /case N"),
    ("warn", "warn the replied member"), ("mute", "mute: /mute 10m [reason]"),
    ("unmute", "lift a mute"), ("ban", "ban the replied member"),
    ("pardon", "pardon a case: /pardon N [reason]"), ("reason", "edit a reason: /reason N text"),
    ("review", "low-confidence hits waiting for review"), ("appeals", "open appeals"),
    ("approve", "approve an appeal: /approve N reason"),
    ("reject", "reject an appeal: /reject N reason"), ("setlog", "send the mod log here"),
    ("config", "show or change settings"), ("stats", "moderation statistics"),
    ("export", "a member's stored data, sent to you privately"),
    ("forget", "delete a member's data: /forget (reply, @username or id) yes"),
    ("rules", "the community's rules"),
]
MEMBER_COMMANDS = [("rules", "the community's rules")]
PRIVATE_COMMANDS = [("appeal", "appeal one of your cases"), ("start", "start")]


class TelegramAdapter:
    def __init__(self, app: Application, service: ModerationService, engine: Engine) -> None:
        self.app = app
        self.service = service
        self.engine = engine
        self.performer = Performer(app.bot, service)
        # bounded: a long-running bot in busy groups must not grow without limit
        self._admins: LRU[tuple[int, int], tuple[float, bool]] = LRU(100_000)
        self._admin_lists: LRU[int, tuple[float, frozenset[int]]] = LRU(10_000)
        self._usernames: LRU[str, int] = LRU(100_000)
        self._stop = asyncio.Event()
        self._scheduler_task: asyncio.Task | None = None
        self.scheduler = Scheduler(service, self.performer.perform)

    # -- wiring ----------------------------------------------------------------------------

    def install(self) -> None:
        groups = filters.ChatType.GROUPS
        private = filters.ChatType.PRIVATE
        app = self.app
        # Group text first: almost every update is one, and python-telegram-bot tries handlers
        # in order (the filters keep commands out, so the order changes no outcome).
        content = (filters.TEXT | filters.CAPTION) & ~filters.COMMAND
        app.add_handler(MessageHandler(
            groups & content & (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE),
            self.on_group_message))
        app.add_handler(CommandHandler("start", self.cmd_start, filters=private))
        app.add_handler(CommandHandler("appeal", self.cmd_appeal, filters=private))
        app.add_handler(CommandHandler("rules", self.cmd_rules))
        for name, _ in MOD_COMMANDS:
            if name != "rules":
                app.add_handler(CommandHandler(name, self._mod(getattr(self, f"cmd_{name}")),
                                               filters=groups))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(groups & filters.StatusUpdate.NEW_CHAT_MEMBERS,
                                       self.on_new_members))
        app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND
                                       & filters.UpdateType.MESSAGE, self.on_private_text))
        app.add_error_handler(self.on_error)

    async def on_start(self, app: Application) -> None:
        """post_init: register commands, then run what fell due while the bot was down."""
        self.performer.bot_username = app.bot.username
        try:
            await app.bot.set_my_commands([BotCommand(*c) for c in MEMBER_COMMANDS],
                                          scope=BotCommandScopeAllGroupChats())
            await app.bot.set_my_commands([BotCommand(*c) for c in MOD_COMMANDS],
                                          scope=BotCommandScopeAllChatAdministrators())
            await app.bot.set_my_commands([BotCommand(*c) for c in PRIVATE_COMMANDS],
                                          scope=BotCommandScopeAllPrivateChats())
        except TelegramError as exc:
            log.warning("setMyCommands failed: %s", exc.message)
        # what a crash left undone first: actions recorded but never confirmed, then expiries
        await self.performer.perform(await self.service.unfinished_actions())
        await self.scheduler.tick()
        self._scheduler_task = asyncio.create_task(self.scheduler.run(self._stop))

    async def on_stop(self, app: Application) -> None:
        self._stop.set()
        if self._scheduler_task is not None:
            await self._scheduler_task
        await self.performer.close()

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error handling an update", exc_info=context.error)

    # -- members' messages -----------------------------------------------------------------

    async def on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        chat = update.effective_chat
        if msg is None or chat is None:
            return
        author = msg.from_user
        if author is None or author.is_bot and author.id != ANONYMOUS_ADMIN:
            return
        if author.username:
            self._usernames[author.username.lower()] = author.id
        text = msg.text or msg.caption or ""
        entities = msg.entities or msg.caption_entities or ()
        mentions = sum(1 for e in entities if e.type in (MessageEntityType.MENTION,
                                                         MessageEntityType.TEXT_MENTION))
        anonymous = author.id == ANONYMOUS_ADMIN or (
            msg.sender_chat is not None and msg.sender_chat.id == chat.id)
        incoming = Incoming(
            platform="telegram", community_id=str(chat.id),
            channel_id=f"{chat.id}:{msg.message_thread_id or 0}", message_id=str(msg.message_id),
            author_id=str(author.id), text=text, timestamp=time.time(),
            author_is_moderator=anonymous, mention_count=mentions,
            author_name=author.full_name, author_username=author.username or "",
            link=msg.link or "")
        actions = await self.service.on_message(
            incoming, is_moderator=lambda: self.is_admin(chat.id, author.id))
        self.performer.submit(actions)
        if any(a.kind == "mute" for a in actions):
            self.scheduler.wake()

    # -- administrators --------------------------------------------------------------------

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """Whether the user administers the chat, from the chat's administrator list.

        One getChatAdministrators per chat and minute answers for every member: a raid of a
        thousand new accounts costs one call, not a thousand getChatMember calls.
        """
        now = time.monotonic()
        cached = self._admin_lists.get(chat_id)
        if cached is None or now - cached[0] >= ADMIN_CACHE_SECONDS:
            try:
                admins = await self.app.bot.get_chat_administrators(chat_id)
                cached = (now, frozenset(m.user.id for m in admins if m.status in (
                    ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)))
            except TelegramError:
                return await self._is_admin_one(chat_id, user_id, now)
            self._admin_lists[chat_id] = cached
        return user_id in cached[1]

    async def _is_admin_one(self, chat_id: int, user_id: int, now: float) -> bool:
        """The same for one user, when the list is refused (a chat the bot cannot list)."""
        key = (chat_id, user_id)
        cached = self._admins.get(key)
        if cached and now - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            member = await self.app.bot.get_chat_member(chat_id, user_id)
            admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
        except TelegramError:
            admin = False
        self._admins[key] = (now, admin)
        return admin

    def _mod(self, handler):
        """Wrap a moderator command: refuse anyone who is not an administrator of this chat."""
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
            if msg is None or chat is None or user is None:
                return
            if not await self.is_admin(chat.id, user.id):
                await msg.reply_text("Chỉ quản trị viên mới dùng được lệnh này. / "
                                     "Only administrators can use this command.")
                return
            try:
                await handler(msg, str(chat.id), str(user.id), context.args or [])
            except ServiceError as exc:
                await msg.reply_text(str(exc))
        return guarded

    async def _target(self, msg: TgMessage, args: list[str]) -> tuple[str | None, list[str]]:
        """The member a command is about: the replied message's author, @username, or an id."""
        if msg.reply_to_message and msg.reply_to_message.from_user:
            return str(msg.reply_to_message.from_user.id), args
        if args:
            first = args[0]
            if first.startswith("@") and first[1:].lower() in self._usernames:
                return str(self._usernames[first[1:].lower()]), args[1:]
            if first.lstrip("-").isdigit():
                return first, args[1:]
        return None, args

    # -- moderator commands ----------------------------------------------------------------

    async def cmd_cases(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        member, _ = await self._target(msg, args)
        cases = await self.service.list_cases(community, member=member, limit=15)
        if not cases:
            await msg.reply_text("Không có vụ nào. / No cases.")
            return
        zone = (await self.service.settings(community)).zone
        lines = [f"#{c.number} {when(c.created_at, zone)} member {c.member_id}: {c.action} "
                 f"({c.status}) {', '.join(c.rule_ids)}" for c in cases]
        await msg.reply_text("\n".join(lines))

    async def cmd_case(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        case, history, appeals = await self.service.show_case(community, _number(args))
        lines = [f"Case #{case.number} · member {case.member_id} · {case.action} · {case.status}",
                 f"Rules: {', '.join(case.rule_ids) or '-'}", f"Excerpt: {case.excerpt or '-'}",
                 f"By: {case.actor} · reason: {case.reason or '-'}"]
        lines += [f"Outcome: {k} {s}{': ' + r if r else ''}" for k, s, r in case.outcomes]
        lines += [f"Appeal: {a.status} — {a.text}" for a in appeals]
        zone = (await self.service.settings(community)).zone
        lines += [f"{when(h.at, zone)} {h.actor}: {h.action}" for h in history]
        await msg.reply_text("\n".join(lines))

    async def _manual(self, msg: TgMessage, community: str, mod: str, args: list[str],
                      action: str) -> None:
        member, rest = await self._target(msg, args)
        if member is None:
            raise ServiceError("reply to the member's message, or give @username or an id")
        minutes = None
        if action == "mute":
            if not rest:
                raise ServiceError("give a duration: /mute 10m [reason]")
            minutes, rest = parse_duration(rest[0]), rest[1:]
        reason = " ".join(rest) or f"{action} by a moderator"
        replied = msg.reply_to_message
        target = replied.from_user if replied else None
        target = target if target is not None and str(target.id) == member else None
        # the replied message's text teaches the community's model (a violation); only its
        # hashed features are kept
        case, actions = await self.service.manual(
            community, "telegram", member, mod, action, reason, minutes=minutes,
            channel=community, message_id=str(replied.message_id) if replied else "",
            text=(replied.text or replied.caption or "") if replied else "",
            member_name=target.full_name if target else "",
            member_username=(target.username or "") if target else "",
            link=(replied.link or "") if replied else "")
        await self.performer.perform(actions)
        self.scheduler.wake()
        await msg.reply_text(f"Case #{case.number}: {action} member {member}.")

    async def cmd_warn(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        await self._manual(msg, community, mod, args, "warn")

    async def cmd_mute(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        await self._manual(msg, community, mod, args, "mute")

    async def cmd_ban(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        await self._manual(msg, community, mod, args, "ban")

    async def cmd_unmute(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        member, _ = await self._target(msg, args)
        if member is None:
            raise ServiceError("reply to the member's message, or give @username or an id")
        await self.performer.perform(await self.service.unmute(community, member, mod))
        await msg.reply_text(f"Unmuted member {member}.")

    async def cmd_pardon(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        number = _number(args)
        reason = " ".join(args[1:]) or "pardoned by a moderator"
        await self.performer.perform(await self.service.pardon(community, number, mod, reason))
        await msg.reply_text(f"Case #{number} pardoned.")

    async def cmd_reason(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        number = _number(args)
        if len(args) < 2:
            raise ServiceError("usage: /reason N new reason")
        await self.service.edit_reason(community, number, mod, " ".join(args[1:]))
        await msg.reply_text(f"Case #{number}: reason updated.")

    async def cmd_export(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        """Decree 13/2023 right of access: the data goes to the moderator's private chat, never
        to the group."""
        member, _ = await self._target(msg, args)
        if member is None:
            raise ServiceError("reply to the member's message, or give @username or an id")
        data = await self.service.export_member(community, member, mod)
        body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        try:
            await self.app.bot.send_document(
                int(mod), InputFile(body, filename=f"member-{member}.json"),
                caption=f"Data of member {member} in {community}: {len(data['cases'])} cases.")
        except Forbidden:
            await msg.reply_text("Hãy mở chat riêng với bot (/start) rồi thử lại. / "
                                 "Open a private chat with me (/start), then try again.")
            return
        await msg.reply_text(f"Sent the data of member {member} to you privately.")

    async def cmd_forget(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        member, rest = await self._target(msg, args)
        if member is None:
            raise ServiceError("reply to the member's message, or give @username or an id")
        if [a.lower() for a in rest] != ["yes"]:
            raise ServiceError(f"This deletes the texts of member {member} and replaces their id "
                               "for good. Confirm with: /forget <member> yes")
        counts = await self.service.forget_member(community, member, mod)
        await msg.reply_text(f"Member {member} forgotten: "
                             + ", ".join(f"{k} {v}" for k, v in counts.items()))

    async def cmd_review(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        items = await self.service.review_queue(community)
        if not items:
            await msg.reply_text("Hàng đợi trống. / The review queue is empty.")
        for item in items[:10]:
            await msg.reply_text(
                f"Review #{item.id} · member {item.member_id} · {', '.join(item.rule_ids)} · "
                f"confidence {item.confidence:.2f}\nExcerpt: {item.excerpt}",
                reply_markup=self.performer.keyboard(
                    (("Confirm", f"review-confirm:{item.id}"), ("Dismiss", f"review-dismiss:{item.id}")),
                    community))

    async def cmd_appeals(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        appeals = await self.service.open_appeals(community)
        if not appeals:
            await msg.reply_text("Không có kháng nghị nào. / No open appeals.")
        for a in appeals[:10]:
            await msg.reply_text(
                f"Appeal of case #{a.case_number} by member {a.member_id}:\n{a.text}",
                reply_markup=self.performer.keyboard(
                    (("Approve", f"appeal-approve:{a.case_number}"),
                     ("Reject", f"appeal-reject:{a.case_number}")), community))

    async def _decide(self, msg: TgMessage, community: str, mod: str, args: list[str],
                      approve: bool) -> None:
        number = _number(args)
        reason = " ".join(args[1:])
        await self.performer.perform(
            await self.service.decide_appeal(community, number, mod, approve, reason))
        await msg.reply_text(f"Appeal of case #{number} {'approved' if approve else 'rejected'}.")

    async def cmd_approve(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        await self._decide(msg, community, mod, args, True)

    async def cmd_reject(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        await self._decide(msg, community, mod, args, False)

    async def cmd_setlog(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        """``/setlog`` here: this chat logs itself; ``/setlog <group id>``: this chat receives
        that group's log (the caller must administer both)."""
        target = community
        if args:
            target = args[0]
            if not await self.is_admin(int(target), int(mod)):
                raise ServiceError(f"you are not an administrator of {target}")
        await self.service.update_settings(target, mod, {"log_channel": community})
        await msg.reply_text(f"Mod log of {target} goes to this chat.")

    async def cmd_config(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        name = args[0] if args else ""
        typed = " ".join(args[1:]) if len(args) >= 2 else None
        await msg.reply_text(await self.service.configure(community, mod, name, typed))

    async def cmd_stats(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        stats = await self.service.stats(community)
        lines = ["By action: " + ", ".join(f"{k} {v}" for k, v in stats["by_action"].items()),
                 "By status: " + ", ".join(f"{k} {v}" for k, v in stats["by_status"].items())]
        lines += [f"{rule}: {row['cases']} cases, {row['overturn_rate']:.0%} overturned"
                  for rule, row in list(stats["by_rule"].items())[:15]]
        await msg.reply_text("\n".join(lines))

    # -- everyone --------------------------------------------------------------------------

    async def cmd_rules(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if msg is None or chat is None:
            return
        settings = await self.service.settings(str(chat.id))
        lang = settings.language if settings.language != "auto" else _user_language(user)
        await msg.reply_text(await self.service.rules_text(str(chat.id), lang))

    async def on_new_members(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat = update.effective_message, update.effective_chat
        if msg is None or chat is None:
            return
        for user in msg.new_chat_members or ():
            if user.is_bot:
                continue
            name = user.full_name + (f" @{user.username}" if user.username else "")
            actions = await self.service.on_member_joined(
                "telegram", str(chat.id), str(user.id), name, _user_language(user))
            await self.performer.perform(actions)

    async def cmd_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None:
            return
        arg = (context.args or [""])[0]
        if not arg.startswith("appeal-"):
            await msg.reply_text("Xin chào! Dùng nút Kháng nghị trong tin cảnh báo để kháng nghị.\n"
                                 "Hello! Use the Appeal button on a warning to appeal it.")
            return
        try:
            encoded, _, number = arg[len("appeal-"):].rpartition("-")
            community, case_no = decode_chat(encoded), int(number)
            case = await self.service.begin_appeal("telegram", community, case_no, str(user.id))
        except (ValueError, ServiceError) as exc:
            await msg.reply_text(str(exc) if isinstance(exc, ServiceError) else "Unknown link.")
            return
        vi = case.language == "vi"
        await msg.reply_text(
            (f"Vụ #{case.number}, quy tắc {', '.join(case.rule_ids) or '-'}.\n"
             "Hãy viết lý do kháng nghị trong một tin nhắn.") if vi else
            (f"Case #{case.number}, rule {', '.join(case.rule_ids) or '-'}.\n"
             "Write why you appeal, in one message."))

    async def cmd_appeal(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(
                "Bấm nút Kháng nghị trong tin cảnh báo hoặc tin nhắn riêng của bot.\n"
                "Press the Appeal button on the warning or on the bot's direct message.")

    async def on_private_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, user = update.effective_message, update.effective_user
        if msg is None or user is None:
            return
        try:
            begun = await self.service.appeal_begun("telegram", str(user.id), msg.text or "",
                                                    user.full_name, user.username or "")
        except ServiceError as exc:
            await msg.reply_text(str(exc))
            return
        if begun is None:
            return
        number, _, actions = begun
        await self.performer.perform(actions)
        await msg.reply_text(f"Đã gửi kháng nghị vụ #{number}. / Your appeal of case #{number} "
                             "was sent to the moderators.")

    # -- buttons ---------------------------------------------------------------------------

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        verb, arg, community = (query.data.split(":", 2) + ["", ""])[:3]
        if not arg.isdigit() or not community.lstrip("-").isdigit():
            await query.answer("Unknown button.", show_alert=True)
            return
        mod = str(query.from_user.id)
        if not await self.is_admin(int(community), query.from_user.id):
            await query.answer("Only moderators of that group can do this.", show_alert=True)
            return
        number = int(arg)
        try:
            if verb == "pardon":
                actions = await self.service.pardon(community, number, mod, None)
            elif verb in ("appeal-approve", "appeal-reject"):
                approve = verb == "appeal-approve"
                actions = await self.service.decide_appeal(community, number, mod, approve, None)
            elif verb == "review-confirm":
                actions = await self.service.confirm_review(community, number, mod)
            elif verb == "review-dismiss":
                await self.service.dismiss_review(community, number, mod)
                actions = []
            else:
                await query.answer("Unknown button.", show_alert=True)
                return
        except ServiceError as exc:
            await query.answer(str(exc), show_alert=True)
            return
        await self.performer.perform(actions)
        await query.answer("✓")
        if query.message is not None and isinstance(query.message, TgMessage):
            # a mod-log post may carry several entries, each with a row of buttons: the row of
            # the one decided goes, the others stay
            name = query.from_user.username or query.from_user.first_name
            markup = query.message.reply_markup
            pressed = [b.text for row in (markup.inline_keyboard if markup else ())
                       for b in row if b.callback_data == query.data]
            rows = [row for row in (markup.inline_keyboard if markup else ())
                    if not any(b.callback_data == query.data for b in row)]
            try:
                # the button's own label says what was done, in the log's language
                done = pressed[0] if pressed else f"{verb} #{number}"
                await query.edit_message_text(
                    f"{query.message.text or ''}\n✔ {done} — {name}",
                    reply_markup=InlineKeyboardMarkup(rows) if rows else None)
            except TelegramError:
                pass


def _user_language(user) -> str:
    code = (getattr(user, "language_code", None) or "vi")[:2]
    return "en" if code == "en" else "vi"


def _number(args: list[str]) -> int:
    if not args or not args[0].lstrip("#").isdigit():
        raise ServiceError("give a case number, e.g. /case 12")
    return int(args[0].lstrip("#"))

