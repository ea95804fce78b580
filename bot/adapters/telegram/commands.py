"""Moderators' commands in a group (only the chat's administrators may use them; every
operation is the service's), and /rules for everyone."""

from __future__ import annotations

import json

from telegram import InlineKeyboardMarkup, InputFile, Message as TgMessage, Update
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot.adapters.telegram.shared import Shared
from bot.adapters.telegram.texts import user_language
from bot.service import ServiceError, parse_duration, purge_amount, when

MOD_COMMANDS = [
    ("cases", "cases of a member (reply, @username or id)"), ("case", "one case: /case N"),
    ("warn", "warn the replied member"), ("mute", "mute: /mute 10m [reason]"),
    ("unmute", "lift a mute"), ("ban", "ban the replied member"),
    ("purge", "remove a member's recent messages: /purge @user [20 | 10m]"),
    ("raid", "raid mode: /raid status | start | end | extend [30m] | ban-joined 10m [yes]"),
    ("pardon", "pardon a case: /pardon N [reason]; a misfired rule: /pardon rule R since 2h"), ("reason", "edit a reason: /reason N text"),
    ("review", "low-confidence hits waiting for review"), ("appeals", "open appeals"),
    ("approve", "approve an appeal: /approve N reason"),
    ("reject", "reject an appeal: /reject N reason"), ("setlog", "send the mod log here"),
    ("config", "show or change settings"), ("stats", "moderation statistics"),
    ("dashboard", "open the moderators' dashboard"),
    ("export", "a member's stored data, sent to you privately"),
    ("forget", "delete a member's data: /forget (reply, @username or id) yes"),
    ("rules", "the community's rules"),
]
MEMBER_COMMANDS = [("rules", "the community's rules")]


class ModeratorCommands:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    def guarded(self, handler):
        """Wrap a moderator command: refuse anyone who is not an administrator of this chat."""
        async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
            if msg is None or chat is None or user is None:
                return
            if not await self.s.directory.is_admin(chat.id, user.id):
                await msg.reply_text("Chỉ quản trị viên mới dùng được lệnh này. / "
                                     "Only administrators can use this command.")
                return
            try:
                await handler(msg, str(chat.id), str(user.id), context.args or [])
            except ServiceError as exc:
                await msg.reply_text(str(exc))
        return command

    async def _target(self, msg: TgMessage, args: list[str]) -> tuple[str | None, list[str]]:
        """The member a command is about: the replied message's author, @username, or an id."""
        if msg.reply_to_message and msg.reply_to_message.from_user:
            return str(msg.reply_to_message.from_user.id), args
        if args:
            first = args[0]
            known = self.s.directory.user_id(first[1:]) if first.startswith("@") else None
            if known is not None:
                return str(known), args[1:]
            if first.lstrip("-").isdigit():
                return first, args[1:]
        return None, args

    # -- moderator commands ----------------------------------------------------------------

    async def cmd_cases(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        member, _ = await self._target(msg, args)
        cases = await self.s.service.list_cases(community, member=member, limit=15)
        if not cases:
            await msg.reply_text("Không có vụ nào. / No cases.")
            return
        zone = (await self.s.service.settings(community)).zone
        lines = [f"#{c.number} {when(c.created_at, zone)} member {c.member_id}: {c.action} "
                 f"({c.status}) {', '.join(c.rule_ids)}" for c in cases]
        await msg.reply_text("\n".join(lines))

    async def cmd_case(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        case, history, appeals = await self.s.service.show_case(community, _number(args))
        lines = [f"Case #{case.number} · member {case.member_id} · {case.action} · {case.status}",
                 f"Rules: {', '.join(case.rule_ids) or '-'}", f"Excerpt: {case.excerpt or '-'}",
                 f"By: {case.actor} · reason: {case.reason or '-'}"]
        lines += [f"Outcome: {k} {s}{': ' + r if r else ''}" for k, s, r in case.outcomes]
        lines += [f"Appeal: {a.status} — {a.text}" for a in appeals]
        zone = (await self.s.service.settings(community)).zone
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
        case, actions = await self.s.service.manual(
            community, "telegram", member, mod, action, reason, minutes=minutes,
            channel=community, message_id=str(replied.message_id) if replied else "",
            text=(replied.text or replied.caption or "") if replied else "",
            member_name=target.full_name if target else "",
            member_username=(target.username or "") if target else "",
            link=(replied.link or "") if replied else "")
        await self.s.performer.perform(actions)
        self.s.scheduler.wake()
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
        await self.s.performer.perform(await self.s.service.unmute(community, member, mod))
        await msg.reply_text(f"Unmuted member {member}.")

    async def cmd_purge(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        """``/purge`` (reply, @username or id) ``[N | 10m]``: the member's recent messages."""
        member, rest = await self._target(msg, args)
        if member is None:
            raise ServiceError("reply to the member's message, or give @username or an id, "
                               "then how many (20) or how far back (10m)")
        count, minutes = purge_amount(" ".join(rest[:1]))
        removed, actions = await self.s.service.purge(community, member, mod, count, minutes)
        await self.s.performer.perform(actions)
        await msg.reply_text(f"Removing {removed} recent message(s) of member {member}."
                             if removed else f"No recent message of member {member} to remove.")

    async def cmd_raid(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        """``/raid status|start|end|extend [30m]|ban-joined 10m [yes]``."""
        service = self.s.service
        verb = (args[:1] or ["status"])[0].lower()
        zone = (await service.settings(community)).zone
        if verb == "status":
            await msg.reply_text((await service.raid_status(community)).said(zone))
            return
        if verb == "start":
            actions = await service.raid_start("telegram", community, mod)
            reply = "Raid mode is on."
        elif verb == "end":
            actions = await service.raid_end(community, mod)
            reply = "Raid mode ended; its changes are being undone."
        elif verb == "extend":
            minutes = parse_duration(args[1]) if len(args) > 1 else 30.0
            until = await service.raid_extend(community, mod, minutes * 60)
            actions, reply = [], f"Raid mode stays on until at least {when(until, zone)}."
        elif verb == "ban-joined" and len(args) >= 2:
            confirm = args[-1].lower() == "yes"
            since = service.clock() - parse_duration(args[1]) * 60
            summary, actions = await service.raid_ban_joined(community, since, mod, confirm)
            reply = summary.said(zone, f"/raid ban-joined {args[1]} yes")
        else:
            raise ServiceError("use: /raid status | start | end | extend [30m] | "
                               "ban-joined 10m (then the same with yes)")
        await msg.reply_text(reply)
        self.s.performer.submit(actions)

    async def cmd_pardon(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        if args[:1] == ["rule"]:
            await self._pardon_rule(msg, community, mod, args[1:])
            return
        number = _number(args)
        reason = " ".join(args[1:]) or "pardoned by a moderator"
        await self.s.performer.perform(await self.s.service.pardon(community, number, mod, reason))
        await msg.reply_text(f"Case #{number} pardoned.")

    async def _pardon_rule(self, msg: TgMessage, community: str, mod: str,
                           args: list[str]) -> None:
        """``/pardon rule RULE since 2h [yes]``: a misfired rule's cases overturned at once,
        after a preview that says what it will touch."""
        words = [a for a in args if a.lower() != "since"]
        confirm = bool(words) and words[-1].lower() == "yes"
        words = words[:-1] if confirm else words
        if len(words) != 2:
            raise ServiceError("use: /pardon rule RULE since 2h (then the same with yes)")
        rule, window = words
        since = self.s.service.clock() - parse_duration(window) * 60
        summary, actions = await self.s.service.pardon_rule(community, rule, since, mod, confirm)
        await self.s.performer.perform(actions)
        zone = (await self.s.service.settings(community)).zone
        await msg.reply_text(summary.said(zone, f"/pardon rule {rule} since {window} yes"))

    async def cmd_reason(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        number = _number(args)
        if len(args) < 2:
            raise ServiceError("usage: /reason N new reason")
        await self.s.service.edit_reason(community, number, mod, " ".join(args[1:]))
        await msg.reply_text(f"Case #{number}: reason updated.")

    async def cmd_export(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        """Decree 13/2023 right of access: the data goes to the moderator's private chat, never
        to the group."""
        member, _ = await self._target(msg, args)
        if member is None:
            raise ServiceError("reply to the member's message, or give @username or an id")
        data = await self.s.service.export_member(community, member, mod)
        body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        try:
            await self.s.app.bot.send_document(
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
        counts = await self.s.service.forget_member(community, member, mod)
        await msg.reply_text(f"Member {member} forgotten: "
                             + ", ".join(f"{k} {v}" for k, v in counts.items()))

    async def cmd_review(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        items = await self.s.service.review_queue(community)
        if not items:
            await msg.reply_text("Hàng đợi trống. / The review queue is empty.")
        for item in items[:10]:
            await msg.reply_text(
                f"Review #{item.id} · member {item.member_id} · {', '.join(item.rule_ids)} · "
                f"confidence {item.confidence:.2f}\nExcerpt: {item.excerpt}",
                reply_markup=self.s.performer.keyboard(
                    (("Confirm", f"review-confirm:{item.id}"), ("Dismiss", f"review-dismiss:{item.id}")),
                    community))

    async def cmd_appeals(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        appeals = await self.s.service.open_appeals(community)
        if not appeals:
            await msg.reply_text("Không có kháng nghị nào. / No open appeals.")
        for a in appeals[:10]:
            await msg.reply_text(
                f"Appeal of case #{a.case_number} by member {a.member_id}:\n{a.text}",
                reply_markup=self.s.performer.keyboard(
                    (("Approve", f"appeal-approve:{a.case_number}"),
                     ("Reject", f"appeal-reject:{a.case_number}")), community))

    async def _decide(self, msg: TgMessage, community: str, mod: str, args: list[str],
                      approve: bool) -> None:
        number = _number(args)
        reason = " ".join(args[1:])
        await self.s.performer.perform(
            await self.s.service.decide_appeal(community, number, mod, approve, reason))
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
            if not await self.s.directory.is_admin(int(target), int(mod)):
                raise ServiceError(f"you are not an administrator of {target}")
        await self.s.service.update_settings(target, mod, {"log_channel": community})
        await msg.reply_text(f"Mod log of {target} goes to this chat.")

    async def cmd_config(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        name = args[0] if args else ""
        typed = " ".join(args[1:]) if len(args) >= 2 else None
        await msg.reply_text(await self.s.service.configure(community, mod, name, typed))

    async def cmd_stats(self, msg: TgMessage, community: str, mod: str, args: list[str]) -> None:
        stats = await self.s.service.stats(community)
        lines = ["By action: " + ", ".join(f"{k} {v}" for k, v in stats["by_action"].items()),
                 "By status: " + ", ".join(f"{k} {v}" for k, v in stats["by_status"].items())]
        lines += [f"{rule}: {row['cases']} cases, {row['overturn_rate']:.0%} overturned"
                  for rule, row in list(stats["by_rule"].items())[:15]]
        await msg.reply_text("\n".join(lines))

    async def cmd_dashboard(self, msg: TgMessage, community: str, mod: str,
                            args: list[str]) -> None:
        button = self.s.performer.dashboard("Mở bảng điều khiển / Open the dashboard",
                                            f"/communities/{community}/cases")
        if button is None:
            await msg.reply_text("Bảng điều khiển chưa được bật ở đây (QUYTAC_WEB_URL). / "
                                 "The dashboard is not set up here (QUYTAC_WEB_URL).")
            return
        await msg.reply_text("Bảng điều khiển của nhóm này. / This group's dashboard.",
                             reply_markup=InlineKeyboardMarkup([[button]]))

    async def cmd_rules(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if msg is None or chat is None:
            return
        settings = await self.s.service.settings(str(chat.id))
        lang = settings.language if settings.language != "auto" else user_language(user)
        await msg.reply_text(await self.s.service.rules_text(str(chat.id), lang))


def _number(args: list[str]) -> int:
    if not args or not args[0].lstrip("#").isdigit():
        raise ServiceError("give a case number, e.g. /case 12")
    return int(args[0].lstrip("#"))
