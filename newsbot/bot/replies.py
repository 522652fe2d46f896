"""Sending rendered messages: several chunks in order, buttons on the last one."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

__all__ = ["edit_chunks", "send_chunks"]

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def send_chunks(
    update: Update, chunks: Sequence[str], markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send each chunk as a message to the update's chat; ``markup`` goes on the last."""
    chat = update.effective_chat
    if chat is None:
        return []
    sent = []
    for i, chunk in enumerate(chunks):
        sent.append(
            await chat.send_message(
                chunk,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                reply_markup=markup if i == len(chunks) - 1 else None,
            )
        )
    return sent


async def edit_chunks(
    update: Update, chunks: Sequence[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the message whose button was pressed; extra chunks follow as new messages."""
    query = update.callback_query
    if query is None or not chunks:
        return
    first, rest = chunks[0], list(chunks[1:])
    try:
        await query.edit_message_text(
            first,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=None if rest else markup,
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
    if rest:
        await send_chunks(update, rest, markup)
