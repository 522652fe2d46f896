"""Who may change what: checked against Telegram, never trusted from the message."""

from __future__ import annotations

from telegram import Bot, ChatFullInfo, ChatMemberAdministrator, ChatMemberOwner, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden

__all__ = ["ChannelCheck", "check_channel", "is_chat_admin", "may_manage_chat"]

ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}


async def is_chat_admin(bot: Bot, chat_id: int | str, user_id: int) -> bool:
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except (BadRequest, Forbidden):
        return False
    return member.status in ADMIN_STATUSES


async def may_manage_chat(update: Update, bot: Bot, global_admins: tuple[int, ...]) -> bool:
    """A private chat's user, a group's administrators, or a global admin."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if user.id in global_admins or chat.type == ChatType.PRIVATE:
        return True
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return await is_chat_admin(bot, chat.id, user.id)
    return False


class ChannelCheck:
    """The outcome of checking a channel: ``problem`` is a message key, or None if fine."""

    def __init__(self, chat: ChatFullInfo | None, problem: str | None) -> None:
        self.chat = chat
        self.problem = problem


async def check_channel(
    bot: Bot, name: str, user: User, global_admins: tuple[int, ...]
) -> ChannelCheck:
    """The bot must be an administrator allowed to post; the user an administrator there."""
    try:
        chat = await bot.get_chat(name)
    except (BadRequest, Forbidden):
        return ChannelCheck(None, "channel.not_found")
    if chat.type != ChatType.CHANNEL:
        return ChannelCheck(chat, "channel.not_channel")
    try:
        me = await bot.get_chat_member(chat.id, bot.id)
    except (BadRequest, Forbidden):
        return ChannelCheck(chat, "channel.bot_not_admin")
    if isinstance(me, ChatMemberOwner):
        pass
    elif not isinstance(me, ChatMemberAdministrator):
        return ChannelCheck(chat, "channel.bot_not_admin")
    elif not me.can_post_messages:
        return ChannelCheck(chat, "channel.bot_cannot_post")
    if user.id not in global_admins and not await is_chat_admin(bot, chat.id, user.id):
        return ChannelCheck(chat, "channel.user_not_admin")
    return ChannelCheck(chat, None)
