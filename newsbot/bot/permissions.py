"""Who may change what: checked against Telegram, never trusted from the message."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from telegram import Bot, ChatFullInfo, ChatMemberAdministrator, ChatMemberOwner, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden

__all__ = [
    "ChannelCheck",
    "Need",
    "as_the_chat",
    "bot_may_post",
    "check_channel",
    "find_channel",
    "is_chat_admin",
    "may_manage_chat",
    "user_may",
]

ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}


class Need(Enum):
    """What a user must be in a channel: any administrator (to look, to stop the bot),
    or one allowed to post (to make the bot post there, or change what it posts)."""

    MANAGE = "manage"
    POST = "post"


async def is_chat_admin(bot: Bot, chat_id: int | str, user_id: int) -> bool:
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except (BadRequest, Forbidden):
        return False
    return member.status in ADMIN_STATUSES


def as_the_chat(update: Update) -> bool:
    """True for a message an administrator sent anonymously, as the group itself:
    Telegram lets only a group's administrators do that."""
    message, chat = update.effective_message, update.effective_chat
    return (
        message is not None
        and chat is not None
        and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    )


async def may_manage_chat(update: Update, bot: Bot, global_admins: tuple[int, ...]) -> bool:
    """A private chat's user, a group's administrators (also when anonymous), or a
    global admin."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if as_the_chat(update):
        return True
    if user.id in global_admins or chat.type == ChatType.PRIVATE:
        return True
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return await is_chat_admin(bot, chat.id, user.id)
    return False


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    """The outcome of checking a channel: ``problem`` is a message key, or None if fine."""

    chat: ChatFullInfo | None
    problem: str | None


async def find_channel(bot: Bot, name: str) -> ChannelCheck:
    """The channel called ``name`` (``@username`` or an id), or why there is none."""
    try:
        chat = await bot.get_chat(name)
    except (BadRequest, Forbidden):
        return ChannelCheck(None, "channel.not_found")
    if chat.type != ChatType.CHANNEL:
        return ChannelCheck(chat, "channel.not_channel")
    return ChannelCheck(chat, None)


async def user_may(
    bot: Bot, chat_id: int, user: User, global_admins: tuple[int, ...], need: Need
) -> str | None:
    """None if ``user`` may do what ``need`` says in the channel, else a message key.

    ``channel.cannot_verify`` means Telegram would not say (a channel shows its
    administrators only to a bot that is one of them): treat it as a refusal.
    """
    if user.id in global_admins:
        return None
    try:
        member = await bot.get_chat_member(chat_id, user.id)
    except (BadRequest, Forbidden):
        return "channel.cannot_verify"
    if isinstance(member, ChatMemberOwner):
        return None
    if not isinstance(member, ChatMemberAdministrator):
        return "channel.user_not_admin"
    if need is Need.POST and not member.can_post_messages:
        return "channel.user_cannot_post"
    return None


async def bot_may_post(bot: Bot, chat_id: int) -> str | None:
    """None if the bot may post in the channel, else a message key."""
    try:
        me = await bot.get_chat_member(chat_id, bot.id)
    except (BadRequest, Forbidden):
        return "channel.bot_not_admin"
    if isinstance(me, ChatMemberOwner):
        return None
    if not isinstance(me, ChatMemberAdministrator):
        return "channel.bot_not_admin"
    if not me.can_post_messages:
        return "channel.bot_cannot_post"
    return None


async def check_channel(
    bot: Bot, name: str, user: User, global_admins: tuple[int, ...]
) -> ChannelCheck:
    """For adding a subscription: the user first (an administrator allowed to post),
    then the bot (an administrator allowed to post)."""
    found = await find_channel(bot, name)
    if found.problem is not None or found.chat is None:
        return found
    problem = await user_may(bot, found.chat.id, user, global_admins, Need.POST)
    if problem == "channel.cannot_verify":
        # Telegram hides the administrators from a bot that is not one: say what to fix.
        problem = "channel.bot_not_admin"
    if problem is None:
        problem = await bot_may_post(bot, found.chat.id)
    return ChannelCheck(found.chat, problem)
