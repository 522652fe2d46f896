"""A fake Telegram Bot API server for end-to-end tests; see README.md."""

from .html import Entity, HtmlParseError, ParsedText, parse_html, strip_text, utf16_len
from .server import (
    DEFAULT_TOKEN,
    MAX_MESSAGE_LENGTH,
    BotKwargs,
    CallbackAnswer,
    ChatType,
    FakeBotApi,
    FakeUser,
    FloodLimits,
    MemberStatus,
    MessageVersion,
    Pushed,
    Rate,
    RecordedRequest,
    SentMessage,
    UploadedFile,
)

__all__ = [
    "DEFAULT_TOKEN",
    "MAX_MESSAGE_LENGTH",
    "BotKwargs",
    "CallbackAnswer",
    "ChatType",
    "Entity",
    "FakeBotApi",
    "FakeUser",
    "FloodLimits",
    "HtmlParseError",
    "MemberStatus",
    "MessageVersion",
    "ParsedText",
    "Pushed",
    "Rate",
    "RecordedRequest",
    "SentMessage",
    "UploadedFile",
    "parse_html",
    "strip_text",
    "utf16_len",
]
