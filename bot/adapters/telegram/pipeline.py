"""The group's messages as the service sees them: every message, edited message and media
caption becomes an ``Incoming`` (with the author's name and the message's link for the mod
log), and its actions are handed to the performer; new members are checked and welcomed, and
requests to join are checked (and, where the community verifies, answered after a challenge)."""

from __future__ import annotations

import time

from telegram import Update
from telegram.constants import MessageEntityType, MessageOriginType
from telegram.ext import ContextTypes

from bot.adapters.telegram.directory import ANONYMOUS_ADMIN
from bot.adapters.telegram.shared import Shared
from bot.adapters.telegram.texts import user_language
from bot.service import Incoming


class GroupPipeline:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    async def on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg = update.effective_message
        chat = update.effective_chat
        if msg is None or chat is None:
            return
        author = msg.from_user
        if author is None or author.is_bot and author.id != ANONYMOUS_ADMIN:
            return
        self.s.directory.remember(author)
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
            link=msg.link or "",
            forwarded=msg.forward_origin is not None
            and msg.forward_origin.type == MessageOriginType.CHANNEL,
            contact=msg.contact is not None)
        actions = await self.s.service.on_message(
            incoming, is_moderator=lambda: self.s.directory.is_admin(chat.id, author.id))
        self.s.performer.submit(actions)
        if any(a.kind == "mute" for a in actions):
            self.s.scheduler.wake()

    async def on_new_members(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat = update.effective_message, update.effective_chat
        if msg is None or chat is None:
            return
        for user in msg.new_chat_members or ():
            if user.is_bot:
                continue
            name = user.full_name + (f" @{user.username}" if user.username else "")
            actions = await self.s.service.on_member_joined(
                "telegram", str(chat.id), str(user.id), name, user_language(user))
            # in the background like a message's: a raid brings hundreds of joins a minute
            self.s.performer.submit(actions)

    async def on_join_request(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        request = update.chat_join_request
        if request is None:
            return
        user = request.from_user
        name = user.full_name + (f" @{user.username}" if user.username else "")
        actions = await self.s.service.on_join_request(
            "telegram", str(request.chat.id), str(user.id), name, user_language(user))
        self.s.performer.submit(actions)
