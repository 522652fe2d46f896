"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 speaking the Bot API wire format.

End-to-end tests run the real python-telegram-bot ``Application`` against it::

    with FakeBotApi() as api:
        app = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )

The HTTP side is a :class:`~http.server.ThreadingHTTPServer` in a background thread, one
thread per connection, so a long-polling ``getUpdates`` waits while other requests are
served. The *control side* (``add_*``, ``push_message``, ``press_button``, ``fail_next``,
``sent``, ``wait_for`` ...) is a plain in-process Python API. All state sits behind one
condition variable; every change wakes long polls and both sync and async waiters, so
nothing busy-spins.

Errors are answered exactly as Telegram shapes them:
``{"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}``,
with ``parameters.retry_after`` / ``parameters.migrate_to_chat_id`` where Telegram sends them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Literal, TypedDict, TypeVar
from urllib.parse import parse_qsl, urlsplit

from .html import Entity, HtmlParseError, ParsedText, parse_html, strip_text, utf16_len

__all__ = [
    "DEFAULT_TOKEN",
    "GROUP_ANONYMOUS_BOT",
    "MAX_MESSAGE_LENGTH",
    "BotKwargs",
    "CallbackAnswer",
    "ChatType",
    "FakeBotApi",
    "FakeUser",
    "FloodLimits",
    "MemberStatus",
    "MessageVersion",
    "Pushed",
    "Rate",
    "RecordedRequest",
    "SentMessage",
    "UploadedFile",
]

_LOG = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:AAHfakeTokenForNewsbotTests-0123456789"
MAX_MESSAGE_LENGTH = 4096
_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]
JSONDict = dict[str, Any]
T = TypeVar("T")

# Rights of a ChatMemberAdministrator; PTB requires the first twelve to be present.
_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
_CHANNEL_ADMIN_RIGHTS = ("can_post_messages", "can_edit_messages")
_GROUP_ADMIN_RIGHTS = ("can_pin_messages",)
_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "cache_time",
        "message_thread_id",
        "reply_to_message_id",
        "from_chat_id",
    }
)
_FLOAT_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset(
    {
        "disable_web_page_preview",
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "link_preview_options",
        "entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
# Telegram's stand-in sender of anonymous group administrators' messages.
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


# --------------------------------------------------------------------------------------
# Value objects seen by tests
# --------------------------------------------------------------------------------------


class BotKwargs(TypedDict):
    """What ``telegram.Bot`` needs to talk to the fake."""

    token: str
    base_url: str
    base_file_url: str


@dataclass(frozen=True)
class Rate:
    """At most ``count`` messages in any window of ``period`` seconds."""

    count: int
    period: float


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits, enforced when passed to :class:`FakeBotApi`.

    Only the methods in ``methods`` count, and only requests that would otherwise
    succeed. A request over a limit gets 429 with ``retry_after`` = seconds until the
    oldest message leaves the window (at least 1).
    """

    overall: Rate = Rate(30, 1.0)
    private_chat: Rate = Rate(1, 1.0)
    group_chat: Rate = Rate(20, 60.0)  # groups, supergroups and channels
    methods: frozenset[str] = frozenset({"sendMessage", "editMessageText"})


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_api(self) -> JSONDict:
        """The User object as Telegram sends it."""
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None and not self.is_bot:
            data["language_code"] = self.language_code
        return data


GROUP_ANONYMOUS_BOT = FakeUser(1087968824, "Group", username="GroupAnonymousBot", is_bot=True)
"""The sender Telegram shows for a message an administrator posted as the group."""


@dataclass(frozen=True)
class MessageVersion:
    """One state of a message: as sent, or after an edit."""

    text: str  # the raw text as the bot sent it (HTML source when parse_mode=HTML)
    plain: str  # the visible text after entity parsing and trimming
    entities: tuple[Entity, ...]
    reply_markup: JSONDict | None  # the inline keyboard, if any
    date: int
    parse_mode: str | None


@dataclass(frozen=True)
class SentMessage:
    """A snapshot of a message the bot sent; ``text``/``plain``/... are its current state."""

    chat_id: int
    message_id: int
    text: str
    plain: str
    entities: tuple[Entity, ...]
    reply_markup: JSONDict | None
    date: int
    original: MessageVersion
    edits: tuple[MessageVersion, ...]
    reply_to_message_id: int | None  # the message it answers (reply_parameters)
    deleted: bool
    params: Mapping[str, Any]  # the normalised sendMessage parameters

    @property
    def buttons(self) -> list[list[JSONDict]]:
        """The rows of the inline keyboard ([] without one)."""
        if self.reply_markup is None:
            return []
        return [list(row) for row in self.reply_markup.get("inline_keyboard", [])]

    @property
    def callback_data(self) -> list[str]:
        """Every button's callback_data, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def entity_texts(self, entity_type: str) -> list[str]:
        """The visible text covered by each entity of ``entity_type``."""
        parsed = ParsedText(self.plain, self.entities)
        return [parsed.slice(e) for e in self.entities if e.type == entity_type]


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request to the Bot API; ``status`` is None while it is still being served."""

    method: str
    params: Mapping[str, Any]
    time: float
    status: int | None
    description: str | None


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for one button press."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class Pushed:
    """What the control side queued: the update, and the message or callback query in it."""

    update_id: int
    message_id: int | None = None
    callback_query_id: str | None = None


# --------------------------------------------------------------------------------------
# Internal state
# --------------------------------------------------------------------------------------


class _ApiError(Exception):
    def __init__(
        self, code: int, description: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = dict(parameters or {})

    def payload(self) -> JSONDict:
        data: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def _bad(description: str, **parameters: Any) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}", parameters)


@dataclass
class _Membership:
    status: MemberStatus
    rights: dict[str, bool] = field(default_factory=dict)
    custom_title: str | None = None

    def to_api(self, user: FakeUser, chat_type: ChatType) -> JSONDict:
        data: JSONDict = {"user": user.to_api(), "status": self.status}
        if self.status == "creator":
            data["is_anonymous"] = self.rights.get("is_anonymous", False)
        elif self.status == "administrator":
            names = list(_ADMIN_RIGHTS)
            if chat_type == "channel":
                names += _CHANNEL_ADMIN_RIGHTS
            else:
                names += _GROUP_ADMIN_RIGHTS
            defaults = {"can_manage_chat": True}
            data |= {name: self.rights.get(name, defaults.get(name, False)) for name in names}
        elif self.status == "restricted":
            data["is_member"] = self.rights.get("is_member", True)
            data |= {name: self.rights.get(name, True) for name in _RESTRICTED_RIGHTS}
            data["until_date"] = 0
        elif self.status == "kicked":
            data["until_date"] = 0
        if self.custom_title is not None and self.status in ("creator", "administrator"):
            data["custom_title"] = self.custom_title
        return data


@dataclass
class _Chat:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    user: FakeUser | None = None  # the other party of a private chat
    members: dict[int, _Membership] = field(default_factory=dict)
    bot: _Membership = field(default_factory=lambda: _Membership("member"))
    migrated_to: int | None = None
    blocked: bool = False
    next_message_id: int = 1

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.type == "private":
            assert self.user is not None
            data["first_name"] = self.user.first_name
            if self.user.last_name is not None:
                data["last_name"] = self.user.last_name
            if self.user.username is not None:
                data["username"] = self.user.username
        else:
            data["title"] = self.title
            if self.username is not None:
                data["username"] = self.username
        return data

    def kind(self) -> str:
        return {"group": "group", "supergroup": "supergroup", "channel": "channel"}.get(
            self.type, "private"
        )


@dataclass
class _Message:
    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    sender: FakeUser | None
    versions: list[MessageVersion]
    params: JSONDict
    reply_to: int | None = None
    deleted: bool = False
    edit_date: int | None = None
    as_chat: bool = False  # posted on behalf of the chat (channel post, anonymous admin)

    def snapshot(self) -> SentMessage:
        current = self.versions[-1]
        return SentMessage(
            chat_id=self.chat_id,
            message_id=self.message_id,
            text=current.text,
            plain=current.plain,
            entities=current.entities,
            reply_markup=current.reply_markup,
            date=self.date,
            original=self.versions[0],
            edits=tuple(self.versions[1:]),
            reply_to_message_id=self.reply_to,
            deleted=self.deleted,
            params=dict(self.params),
        )


@dataclass
class _Request:
    method: str
    params: JSONDict
    time: float
    status: int | None = None
    description: str | None = None

    def snapshot(self) -> RecordedRequest:
        return RecordedRequest(
            self.method, dict(self.params), self.time, self.status, self.description
        )


@dataclass
class _Fault:
    method: str  # lower case
    chat_id: int | str | None
    error: _ApiError
    remaining: int


@dataclass(frozen=True)
class _Probe(Generic[T]):
    check: Callable[[], T | None]  # a result, or None while the wait goes on
    describe: Callable[[], str]  # what the timeout error says


@dataclass
class _AsyncWaiter:
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event


def _scope_key(scope: Mapping[str, Any] | str | None) -> tuple[str, int | None, int | None]:
    if scope is None:
        return ("default", None, None)
    if isinstance(scope, str):
        return (scope, None, None)
    chat_id = scope.get("chat_id")
    user_id = scope.get("user_id")
    return (
        str(scope.get("type", "default")),
        int(chat_id) if chat_id is not None else None,
        int(user_id) if user_id is not None else None,
    )


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class FakeBotApi:
    """A fake Telegram Bot API server with an in-process control side.

    ``strict_html_entities``: reject a bare ``&`` in HTML (Telegram shows it as is).
    ``flood_limits``: enforce Telegram's flood limits (off by default).
    ``clock``: wall clock for message dates and flood windows; inject a fake one to
    test flood limits without sleeping.
    ``port``: 0 (default) binds a free port; a fixed one lets a test start the server
    after the bot, to play a Bot API that is unreachable at first.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "newsbot_test_bot",
        bot_name: str = "NewsBot",
        flood_limits: FloodLimits | None = None,
        strict_html_entities: bool = True,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        bot_id = token.split(":", 1)[0]
        if not bot_id.isdigit():
            raise ValueError("a bot token looks like '<bot id>:<secret>'")
        self.token = token
        self.bot_user = FakeUser(int(bot_id), bot_name, username=bot_username, is_bot=True)
        self.flood_limits = flood_limits
        self.strict_html_entities = strict_html_entities
        self._clock = clock
        self._host = host
        self._port = port  # 0: a free port; a fixed one lets a test start the API late

        self._cond = threading.Condition(threading.RLock())
        self._async_waiters: list[_AsyncWaiter] = []
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, _Chat] = {}
        self._messages: dict[tuple[int, int], _Message] = {}
        self._sent_order: list[tuple[int, int]] = []
        self._updates: list[tuple[int, JSONDict]] = []
        self._every_update: dict[int, JSONDict] = {}  # by id, kept for post_to_webhook
        self._webhook: tuple[str, str] | None = None  # (url, secret_token) from setWebhook
        self._next_update_id = 1
        self._confirmed_below = 1  # every update_id below this has been confirmed
        self._poll_generation = 0
        self._polls_waiting = 0
        self._requests: list[_Request] = []
        self._faults: list[_Fault] = []
        self._commands: dict[tuple[tuple[str, int | None, int | None], str], list[JSONDict]] = {}
        self._callback_queries: dict[str, _Chat] = {}
        self._callback_answers: dict[str, CallbackAnswer] = {}
        self._next_callback_id = 1
        self._flood_overall: deque[float] = deque()
        self._flood_chat: dict[int, deque[float]] = defaultdict(deque)
        self._throttled: dict[int, int] = defaultdict(int)
        self._stopping = False
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, tuple[str, Callable[[JSONDict], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setWebhook": self._set_webhook,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getChatAdministrators": self._get_chat_administrators,
                "getChatMemberCount": self._get_chat_member_count,
            }.items()
        }

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        """Bind ``port`` (default: a free one) on ``host`` and serve in a background thread."""
        if self._httpd is not None:
            raise RuntimeError("FakeBotApi is already running")
        self._stopping = False
        self._httpd = _HTTPServer((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-bot-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Answer pending long polls, close every connection and stop the thread."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        with self._cond:
            self._stopping = True
            self._changed()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeBotApi:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._httpd is None:
            raise RuntimeError("FakeBotApi is not running; call start() or use it as a context")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """What to pass as PTB's ``base_url`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass as PTB's ``base_file_url``."""
        return f"{self.url}/file/bot"

    def bot_kwargs(self) -> BotKwargs:
        """Keyword arguments for ``telegram.Bot(**api.bot_kwargs())``."""
        return {"token": self.token, "base_url": self.base_url, "base_file_url": self.base_file_url}

    # -- control side: users and chats -------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """Declare (or replace) a user."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(
            user_id,
            first_name or f"User{user_id}",
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        with self._cond:
            self._users[user_id] = user
            chat = self._chats.get(user_id)
            if chat is not None and chat.type == "private":
                chat.user = user
        return user

    def add_private_chat(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        username: str | None = None,
        language_code: str | None = None,
        blocked: bool = False,
    ) -> int:
        """A private chat with a user who has started the bot; returns the chat id (= user id).

        The user is declared too (``language_code`` "en" unless given); the details of an
        already declared user are kept unless given here.
        """
        with self._cond:
            known = self._users.get(user_id)
            user = self.add_user(
                user_id,
                first_name or (known.first_name if known else None),
                last_name=known.last_name if known else None,
                username=username or (known.username if known else None),
                language_code=language_code or (known.language_code if known else "en"),
            )
            self._chats[user_id] = _Chat(
                user_id,
                "private",
                user=user,
                members={user_id: _Membership("member")},
                blocked=blocked,
            )
            self._changed()
        return user_id

    def add_group(
        self,
        chat_id: int,
        title: str = "Test group",
        *,
        members: Mapping[int, MemberStatus] | None = None,
        bot_status: MemberStatus = "member",
        bot_rights: Mapping[str, bool] | None = None,
    ) -> int:
        """A basic group (negative id) with ``members`` as {user_id: status}."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        return self._add_chat(chat_id, "group", title, None, members, bot_status, bot_rights)

    def add_supergroup(
        self,
        chat_id: int,
        title: str = "Test supergroup",
        *,
        username: str | None = None,
        members: Mapping[int, MemberStatus] | None = None,
        bot_status: MemberStatus = "member",
        bot_rights: Mapping[str, bool] | None = None,
    ) -> int:
        """A supergroup (id like -100xxxxxxxxxx)."""
        if not str(chat_id).startswith("-100"):
            raise ValueError("supergroup ids look like -100xxxxxxxxxx")
        return self._add_chat(
            chat_id, "supergroup", title, username, members, bot_status, bot_rights
        )

    def add_channel(
        self,
        chat_id: int,
        title: str = "Test channel",
        *,
        username: str | None = None,
        members: Mapping[int, MemberStatus] | None = None,
        bot_status: MemberStatus = "administrator",
        bot_rights: Mapping[str, bool] | None = None,
    ) -> int:
        """A channel; by default the bot is an administrator with ``can_post_messages``."""
        if not str(chat_id).startswith("-100"):
            raise ValueError("channel ids look like -100xxxxxxxxxx")
        if bot_rights is None and bot_status == "administrator":
            bot_rights = {"can_post_messages": True, "can_edit_messages": True}
        return self._add_chat(chat_id, "channel", title, username, members, bot_status, bot_rights)

    def set_member(
        self,
        chat_id: int,
        user_id: int,
        status: MemberStatus,
        *,
        custom_title: str | None = None,
        **rights: bool,
    ) -> None:
        """Set a user's status (and admin rights such as ``can_post_messages=True``)."""
        with self._cond:
            chat = self._control_chat(chat_id)
            self._ensure_user(user_id)
            chat.members[user_id] = _Membership(status, dict(rights), custom_title)
            self._changed()

    def set_bot_member(self, chat_id: int, status: MemberStatus, **rights: bool) -> None:
        """Set the bot's own status and rights in a chat."""
        with self._cond:
            self._control_chat(chat_id).bot = _Membership(status, dict(rights))
            self._changed()

    def migrate_group(self, group_id: int, supergroup_id: int, *, title: str | None = None) -> int:
        """Upgrade a group: a supergroup with the same members; the old id answers 400 + migrate."""
        with self._cond:
            group = self._control_chat(group_id)
            if group.type != "group":
                raise ValueError(f"chat {group_id} is a {group.type}, not a group")
            self.add_supergroup(supergroup_id, title or group.title or "Test supergroup")
            new = self._chats[supergroup_id]
            new.members = {
                uid: _Membership(m.status, dict(m.rights)) for uid, m in group.members.items()
            }
            new.bot = _Membership(group.bot.status, dict(group.bot.rights))
            group.migrated_to = supergroup_id
            self._changed()
        return supergroup_id

    def block_bot(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sending to them answers 403."""
        with self._cond:
            chat = self._control_chat(user_id)
            if chat.type != "private":
                raise ValueError(f"chat {user_id} is not a private chat")
            chat.blocked = blocked
            self._changed()

    # -- control side: incoming updates ------------------------------------------------

    def push_message(
        self,
        chat_id: int,
        user_id: int | None,
        text: str,
        *,
        language_code: str | None = None,
        reply_to_message_id: int | None = None,
        as_chat: bool = False,
    ) -> Pushed:
        """A user writes ``text`` in a chat; queues a ``message`` update.

        ``as_chat``: an administrator of a group writes anonymously, as the group
        (``sender_chat`` is the group, ``from`` is ``GroupAnonymousBot``).

        In a private chat ``user_id`` may be None (= the chat id); an unknown positive
        ``chat_id`` becomes a private chat (the user started the bot), and a message
        in a private chat unblocks the bot, as pressing "Restart" does. Groups must be
        declared; an unknown sender joins the group as a member. ``language_code``, when
        given, becomes the user's client language from then on. Text starting with a
        command gets a ``bot_command`` entity.
        """
        with self._cond:
            chat = self._chats.get(chat_id)
            if chat is None:
                if chat_id <= 0:
                    raise LookupError(f"declare chat {chat_id} with add_group/... first")
                if user_id not in (None, chat_id):
                    raise ValueError("in a private chat the sender is the chat's user")
                self.add_private_chat(chat_id, language_code=language_code)
                chat = self._chats[chat_id]
            if chat.type == "channel":
                raise ValueError("push_message is for users' messages, not channel posts")
            if chat.migrated_to is not None:
                raise ValueError(f"group {chat_id} was migrated to {chat.migrated_to}")
            if user_id is None:
                if chat.type != "private":
                    raise ValueError("a group message needs a user_id")
                user_id = chat_id
            user = self._ensure_user(user_id)
            if language_code is not None and user.language_code != language_code:
                user = self.add_user(
                    user.id,
                    user.first_name,
                    last_name=user.last_name,
                    username=user.username,
                    language_code=language_code,
                )
            if chat.type == "private":
                if as_chat:
                    raise ValueError("only group administrators write as the chat")
                chat.blocked = False
            elif as_chat:
                status = chat.members.get(user_id, _Membership("left")).status
                if status not in ("creator", "administrator"):
                    raise ValueError(f"user {user_id} is no administrator of {chat_id}")
            elif chat.members.get(user_id, _Membership("left")).status in ("left", "kicked"):
                chat.members[user_id] = _Membership("member")

            if reply_to_message_id is not None and (chat.id, reply_to_message_id) not in (
                self._messages
            ):
                raise LookupError(f"no message {reply_to_message_id} in chat {chat_id}")
            message = self._user_message(
                chat, user, text, reply_to=reply_to_message_id, as_chat=as_chat
            )
            update_id = self._queue_update({"message": self._message_payload(chat, message)})
            return Pushed(update_id, message_id=message.message_id)

    def push_channel_post(self, chat_id: int, text: str) -> Pushed:
        """An administrator posts ``text`` in a channel; queues a ``channel_post`` update
        (the bot receives it only as an administrator of the channel)."""
        with self._cond:
            chat = self._control_chat(chat_id)
            if chat.type != "channel":
                raise ValueError(f"chat {chat_id} is a {chat.type}, not a channel")
            message = self._user_message(chat, None, text, as_chat=True)
            update_id = self._queue_update({"channel_post": self._message_payload(chat, message)})
            return Pushed(update_id, message_id=message.message_id)

    def edit_message(self, chat_id: int, message_id: int, text: str) -> Pushed:
        """A user edits their message (or an administrator a channel post); queues an
        ``edited_message`` (``edited_channel_post``) update with the new text."""
        with self._cond:
            chat = self._control_chat(chat_id)
            message = self._messages.get((chat_id, message_id))
            if message is None or message.deleted or message.from_bot:
                raise LookupError(f"no user message {message_id} in chat {chat_id}")
            date = int(self._clock())
            message.versions.append(
                MessageVersion(text, text, _command_entities(text), None, date, None)
            )
            message.edit_date = date
            kind = "edited_channel_post" if chat.type == "channel" else "edited_message"
            update_id = self._queue_update({kind: self._message_payload(chat, message)})
            return Pushed(update_id, message_id=message_id)

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        user_id: int | None = None,
        *,
        check_button: bool = True,
    ) -> Pushed:
        """A user presses an inline button of a bot message; queues a ``callback_query``.

        With ``check_button`` the message must carry a button with that callback_data.
        """
        with self._cond:
            chat = self._control_chat(chat_id)
            message = self._messages.get((chat_id, message_id))
            if message is None or message.deleted or not message.from_bot:
                raise LookupError(f"no bot message {message_id} in chat {chat_id}")
            if check_button and callback_data not in message.snapshot().callback_data:
                raise LookupError(
                    f"message {message_id} has no button with callback_data {callback_data!r}"
                )
            if user_id is None:
                if chat.type != "private":
                    raise ValueError("a button press in a group needs a user_id")
                user_id = chat_id
            user = self._ensure_user(user_id)
            query_id = str(self._next_callback_id)
            self._next_callback_id += 1
            self._callback_queries[query_id] = chat
            query = {
                "id": query_id,
                "from": user.to_api(),
                "message": self._message_payload(chat, message),
                "chat_instance": str(abs(chat_id) * 7919 % 10**12),
                "data": callback_data,
            }
            update_id = self._queue_update({"callback_query": query})
            return Pushed(update_id, message_id=message_id, callback_query_id=query_id)

    def push_update(self, update: Mapping[str, Any]) -> Pushed:
        """Queue any other update (``my_chat_member``...); ``update_id`` is filled in."""
        with self._cond:
            return Pushed(self._queue_update(dict(update)))

    @property
    def webhook(self) -> tuple[str, str] | None:
        """(url, secret_token) of the webhook the bot registered; None: polling."""
        with self._cond:
            return self._webhook

    def post_to_webhook(
        self, update: Pushed | int, *, url: str | None = None, secret: str | None = None
    ) -> int:
        """POST a queued update to a webhook as Telegram does, with the secret token in
        ``X-Telegram-Bot-Api-Secret-Token``; returns the HTTP status. ``url`` and
        ``secret`` default to what setWebhook registered (pass ``url`` to play a load
        balancer choosing an instance). Posting one update twice plays Telegram
        delivering it again. The update leaves the getUpdates queue."""
        update_id = update.update_id if isinstance(update, Pushed) else update
        with self._cond:
            payload = self._every_update[update_id]
            registered = self._webhook
            self._updates = [u for u in self._updates if u[0] != update_id]
        if url is None or secret is None:
            if registered is None:
                raise RuntimeError("no webhook registered: pass url and secret")
            url = url if url is not None else registered[0]
            secret = secret if secret is not None else registered[1]
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json", _SECRET_HEADER: secret},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    # -- control side: fault injection -------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (to ``chat_id``, if given) with an error.

        The description defaults to Telegram's for the code, e.g. 429 → "Too Many
        Requests: retry after N" with ``parameters.retry_after`` (default 1).
        """
        parameters: JSONDict = {}
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
            description = description or (
                "Bad Request: group chat was upgraded to a supergroup chat"
            )
        description = description or _DEFAULT_DESCRIPTIONS.get(error_code, "Error")
        fault = _Fault(
            method.lower(), chat_id, _ApiError(error_code, description, parameters), count
        )
        with self._cond:
            self._faults.append(fault)

    def throttled(self, chat_id: int | None = None) -> int:
        """How many 429s the flood limits served (to one chat, or overall)."""
        with self._cond:
            if chat_id is None:
                return sum(self._throttled.values())
            return self._throttled.get(chat_id, 0)

    # -- control side: what happened ---------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent (to one chat), in order, as snapshots of their current state."""
        with self._cond:
            return self._sent_unlocked(chat_id)

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """One bot message by id."""
        with self._cond:
            stored = self._messages.get((chat_id, message_id))
            if stored is None or not stored.from_bot:
                raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}")
            return stored.snapshot()

    def requests(self, method: str | None = None) -> list[RecordedRequest]:
        """Every request received (or those of one method), in arrival order."""
        with self._cond:
            return [
                r.snapshot()
                for r in self._requests
                if method is None or r.method.lower() == method.lower()
            ]

    def callback_answers(self) -> dict[str, CallbackAnswer]:
        """answerCallbackQuery calls, by callback query id."""
        with self._cond:
            return dict(self._callback_answers)

    def commands(
        self, scope: Mapping[str, Any] | str = "default", language_code: str = ""
    ) -> list[tuple[str, str]]:
        """The commands set for exactly this scope and language (what getMyCommands returns)."""
        with self._cond:
            stored = self._commands.get((_scope_key(scope), language_code), [])
            return [(c["command"], c["description"]) for c in stored]

    def visible_commands(self, chat_id: int, user_id: int | None = None) -> list[tuple[str, str]]:
        """The command menu a user sees in a chat, resolving scopes as Telegram documents."""
        with self._cond:
            chat = self._control_chat(chat_id)
            uid = user_id if user_id is not None else chat_id
            user = self._users.get(uid)
            lang = (user.language_code or "")[:2] if user else ""
            scopes: list[tuple[str, int | None, int | None]]
            if chat.type == "private":
                scopes = [("chat", chat_id, None), ("all_private_chats", None, None)]
            else:
                is_admin = chat.members.get(uid, _Membership("left")).status in (
                    "creator",
                    "administrator",
                )
                scopes = [("chat_member", chat_id, uid)]
                if is_admin:
                    scopes.append(("chat_administrators", chat_id, None))
                scopes.append(("chat", chat_id, None))
                if is_admin:
                    scopes.append(("all_chat_administrators", None, None))
                scopes.append(("all_group_chats", None, None))
            scopes.append(("default", None, None))
            for key in scopes:
                for language in (lang, ""):
                    stored = self._commands.get((key, language))
                    if stored is not None:
                        return [(c["command"], c["description"]) for c in stored]
            return []

    @property
    def is_polling(self) -> bool:
        """True while a long-polling getUpdates is waiting."""
        with self._cond:
            return self._polls_waiting > 0

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a later getUpdates offset."""
        with self._cond:
            return len(self._updates)

    # -- control side: waiting ---------------------------------------------------------

    async def wait_for(
        self,
        what: int | Callable[[SentMessage], bool] = 1,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,
    ) -> list[SentMessage]:
        """Wait until the bot sent ``what`` messages (to ``chat_id``), or one matching ``what``.

        Returns all sent messages (count) or the matching ones (predicate); messages are
        re-checked after every change, so a predicate can wait for an edit.
        """
        return await self._wait_async(self._sent_probe(what, chat_id), timeout)

    def wait_for_sync(
        self,
        what: int | Callable[[SentMessage], bool] = 1,
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,
    ) -> list[SentMessage]:
        """Blocking :meth:`wait_for`; never call it on the event loop the bot runs on."""
        return self._wait_sync(self._sent_probe(what, chat_id), timeout)

    async def wait_for_request(
        self, method: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Wait until ``method`` was requested ``count`` times and answered; return them."""
        return await self._wait_async(self._request_probe(method, count), timeout)

    def wait_for_request_sync(
        self, method: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Blocking :meth:`wait_for_request`."""
        return self._wait_sync(self._request_probe(method, count), timeout)

    async def wait_until(self, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Wait until ``condition()`` (called under the server's lock) is true."""
        await self._wait_async(_bool_probe(condition), timeout)

    def wait_until_sync(self, condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
        """Blocking :meth:`wait_until`."""
        self._wait_sync(_bool_probe(condition), timeout)

    async def wait_confirmed(self, *, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed (fetched and acknowledged) every queued update."""
        target = self._next_update_id
        await self.wait_until(lambda: self._confirmed_below >= target, timeout=timeout)

    def _sent_probe(
        self, what: int | Callable[[SentMessage], bool], chat_id: int | None
    ) -> _Probe[list[SentMessage]]:
        def probe() -> list[SentMessage] | None:
            sent = self._sent_unlocked(chat_id)
            if isinstance(what, int):
                return sent if len(sent) >= what else None
            matching = [m for m in sent if what(m)]
            return matching or None

        def describe() -> str:
            target = f"{what} message(s)" if isinstance(what, int) else "a matching message"
            where = f" to chat {chat_id}" if chat_id is not None else ""
            texts = [
                f"{m.chat_id}#{m.message_id}: {m.plain[:80]!r}" for m in self._sent_unlocked(None)
            ]
            return f"timed out waiting for {target}{where}; sent so far: {texts}"

        return _Probe(probe, describe)

    def _request_probe(self, method: str, count: int) -> _Probe[list[RecordedRequest]]:
        def matching() -> list[RecordedRequest]:
            return [
                r.snapshot()
                for r in self._requests
                if r.method.lower() == method.lower() and r.status is not None
            ]

        def probe() -> list[RecordedRequest] | None:
            found = matching()
            return found if len(found) >= count else None

        def describe() -> str:
            seen = [r.method for r in self._requests]
            return f"timed out waiting for {count} {method} request(s); requests so far: {seen}"

        return _Probe(probe, describe)

    async def _wait_async(self, probe: _Probe[T], timeout: float) -> T:
        loop = asyncio.get_running_loop()
        waiter = _AsyncWaiter(loop, asyncio.Event())
        with self._cond:
            self._async_waiters.append(waiter)
        try:
            deadline = loop.time() + timeout
            while True:
                waiter.event.clear()
                with self._cond:
                    result = probe.check()
                    if result is not None:
                        return result
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        raise TimeoutError(probe.describe())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.event.wait(), remaining)
        finally:
            with self._cond:
                self._async_waiters.remove(waiter)

    def _wait_sync(self, probe: _Probe[T], timeout: float) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = probe.check()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(probe.describe())
                self._cond.wait(remaining)

    # -- internals (call with the lock held) -------------------------------------------

    def _changed(self) -> None:
        """Wake long polls and all waiters; called with the lock held after every change."""
        self._cond.notify_all()
        for waiter in self._async_waiters:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is closed
                waiter.loop.call_soon_threadsafe(waiter.event.set)

    def _add_chat(
        self,
        chat_id: int,
        chat_type: ChatType,
        title: str,
        username: str | None,
        members: Mapping[int, MemberStatus] | None,
        bot_status: MemberStatus,
        bot_rights: Mapping[str, bool] | None,
    ) -> int:
        with self._cond:
            for user_id in members or {}:
                self._ensure_user(user_id)
            self._chats[chat_id] = _Chat(
                chat_id,
                chat_type,
                title=title,
                username=username.removeprefix("@") if username else None,
                members={uid: _Membership(status) for uid, status in (members or {}).items()},
                bot=_Membership(bot_status, dict(bot_rights or {})),
            )
            self._changed()
        return chat_id

    def _control_chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise LookupError(f"chat {chat_id} is not declared")
        return chat

    def _ensure_user(self, user_id: int) -> FakeUser:
        user = self._users.get(user_id)
        return user if user is not None else self.add_user(user_id)

    def _user_message(
        self,
        chat: _Chat,
        sender: FakeUser | None,
        text: str,
        *,
        reply_to: int | None = None,
        as_chat: bool = False,
    ) -> _Message:
        """Store a message written by a user (not the bot); a leading command gets an entity."""
        date = int(self._clock())
        message = _Message(
            chat_id=chat.id,
            message_id=self._next_message_id(chat),
            date=date,
            from_bot=False,
            sender=sender,
            versions=[MessageVersion(text, text, _command_entities(text), None, date, None)],
            params={},
            reply_to=reply_to,
            as_chat=as_chat,
        )
        self._messages[(chat.id, message.message_id)] = message
        return message

    def _next_message_id(self, chat: _Chat) -> int:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

    def _queue_update(self, body: JSONDict) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append((update_id, {"update_id": update_id, **body}))
        self._every_update[update_id] = self._updates[-1][1]
        self._changed()
        return update_id

    def _sent_unlocked(self, chat_id: int | None) -> list[SentMessage]:
        return [
            self._messages[key].snapshot()
            for key in self._sent_order
            if chat_id is None or key[0] == chat_id
        ]

    def _message_payload(self, chat: _Chat, message: _Message, nested: bool = False) -> JSONDict:
        current = message.versions[-1]
        data: JSONDict = {"message_id": message.message_id, "date": message.date}
        if (message.from_bot or message.as_chat) and chat.type == "channel":
            data["sender_chat"] = chat.to_api()
        elif message.as_chat:
            data["sender_chat"] = chat.to_api()
            data["from"] = GROUP_ANONYMOUS_BOT.to_api()
        elif message.from_bot:
            data["from"] = self.bot_user.to_api()
        elif message.sender is not None:
            data["from"] = message.sender.to_api()
        data["chat"] = chat.to_api()
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        data["text"] = current.plain
        if current.entities:
            data["entities"] = [e.to_api() for e in current.entities]
        if current.reply_markup is not None:
            data["reply_markup"] = current.reply_markup
        replied = self._messages.get((chat.id, message.reply_to or 0))
        if replied is not None and not nested:
            data["reply_to_message"] = self._message_payload(chat, replied, nested=True)
        return data

    # -- HTTP dispatch -----------------------------------------------------------------

    def _dispatch(self, path: str, raw: JSONDict) -> tuple[int, JSONDict]:
        """Serve one request: ``path`` is ``/bot<token>/<method>``; returns (status, body)."""
        match = re.fullmatch(r"/bot([^/]*)/([A-Za-z_]+)/?", path)
        if match is None:
            return 404, _ApiError(404, "Not Found").payload()
        token, method = match.groups()
        if token != self.token:
            if not re.fullmatch(r"\d+:[\w-]+", token):
                return 404, _ApiError(404, "Not Found").payload()
            return 401, _ApiError(401, "Unauthorized").payload()
        name, handler = self._methods.get(method.lower(), (method, None))
        invalid: _ApiError | None = None
        try:
            params = _normalise(raw)
        except _ApiError as error:
            params, invalid = dict(raw), error
        record = _Request(name, params, time.time())
        with self._cond:
            self._requests.append(record)
            self._changed()
        try:
            if invalid is not None:
                raise invalid
            with self._cond:
                self._take_fault(name, params)
                if handler is None:
                    raise _ApiError(404, "Not Found")
                result = handler(params)
            status, body = 200, {"ok": True, "result": result}
        except _ApiError as error:
            status, body = error.code, error.payload()
        except Exception:  # a bug in the fake: answer like Telegram's 500 and log it
            _LOG.exception("fake Bot API failed on %s", name)
            status, body = 500, _ApiError(500, "Internal Server Error").payload()
        with self._cond:
            record.status = status
            record.description = body.get("description")
            self._changed()
        return status, body

    def _take_fault(self, method: str, params: JSONDict) -> None:
        for fault in self._faults:
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and fault.chat_id != params.get("chat_id"):
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            raise fault.error

    # -- Bot API methods (called with the lock held) -----------------------------------

    def _true(self, params: JSONDict) -> bool:
        return True

    def _get_me(self, params: JSONDict) -> JSONDict:
        return self.bot_user.to_api() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed()  # an older long poll ends with 409 Conflict
        if isinstance(offset, int):
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u[0] >= offset]
            if self._updates:
                self._confirmed_below = max(self._confirmed_below, self._updates[0][0])
            else:
                self._confirmed_below = max(
                    self._confirmed_below, min(offset, self._next_update_id)
                )
            self._changed()
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            if self._updates or self._stopping:
                return [payload for _, payload in self._updates[:limit]]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._polls_waiting += 1
            self._changed()
            try:
                self._cond.wait(remaining)
            finally:
                self._polls_waiting -= 1

    def _set_webhook(self, params: JSONDict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self._webhook = None
            return True
        if not url.startswith("https://") and not url.startswith("http://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self._webhook = (url, str(params.get("secret_token") or ""))
        self._changed()
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            if self._updates:
                self._confirmed_below = self._updates[-1][0] + 1
            self._updates.clear()
            self._changed()
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {
            "url": self._webhook[0] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _commands_key(self, params: JSONDict) -> tuple[tuple[str, int | None, int | None], str]:
        scope = params.get("scope")
        if scope is not None and not isinstance(scope, dict):
            raise _bad("can't parse BotCommandScope JSON object")
        language_code = str(params.get("language_code") or "")
        if language_code and not re.fullmatch(r"[a-z]{2}", language_code):
            raise _bad("invalid language code specified")
        key = _scope_key(scope)
        if key[0] in ("chat", "chat_administrators", "chat_member"):
            self._resolve_chat(key[1])
        return key, language_code

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        cleaned = [{"command": c["command"], "description": c["description"]} for c in commands]
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        self._changed()
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return list(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        self._changed()
        return True

    def _resolve_chat(self, chat_id: Any) -> _Chat:
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            for chat in self._chats.values():
                if chat.username is not None and chat.username.lower() == wanted:
                    return chat
            raise _bad("chat not found")
        found = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if found is None:
            if isinstance(chat_id, int) and chat_id in self._users:
                raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise _bad("chat not found")
        return found

    def _writable_chat(self, params: JSONDict) -> _Chat:
        """The target chat, if the bot may post there (Telegram's 400/403 otherwise)."""
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.migrated_to is not None:
            raise _bad(
                "group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        if chat.type == "private":
            if chat.blocked:
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            return chat
        status, kind = chat.bot.status, chat.kind()
        if status == "kicked":
            raise _ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        if status == "left":
            raise _ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        if chat.type == "channel":
            may_post = status == "creator" or (
                status == "administrator" and chat.bot.rights.get("can_post_messages", False)
            )
            if not may_post:
                raise _bad("need administrator rights in the channel chat")
        elif status == "restricted" and not chat.bot.rights.get("can_send_messages", True):
            raise _bad("not enough rights to send text messages to the chat")
        return chat

    def _formatted_text(
        self, params: JSONDict, too_long: str
    ) -> tuple[str, ParsedText, str | None]:
        raw = params.get("text")
        if raw is None or raw == "":
            raise _bad("message text is empty")
        raw = str(raw)
        parse_mode = params.get("parse_mode") or None
        if parse_mode is not None:
            mode = str(parse_mode).lower()
            if mode == "html":
                try:
                    parsed = parse_html(raw, strict_entities=self.strict_html_entities)
                except HtmlParseError as error:
                    raise _bad(f"can't parse entities: {error.reason}") from None
            elif mode in ("markdown", "markdownv2"):
                raise _bad("the fake Bot API implements only parse_mode HTML")
            else:
                raise _bad("unsupported parse_mode")
        else:
            entities = params.get("entities") or []
            if not isinstance(entities, list):
                raise _bad("can't parse entities JSON object")
            try:
                parsed = ParsedText(raw, tuple(Entity.from_api(e) for e in entities))
            except (KeyError, TypeError, ValueError):
                raise _bad("can't parse MessageEntity JSON object") from None
        parsed = strip_text(parsed)
        if not parsed.text:
            raise _bad("message text is empty")
        if parsed.utf16_length > MAX_MESSAGE_LENGTH:
            raise _bad(too_long)
        return raw, parsed, parse_mode

    def _inline_markup(self, params: JSONDict) -> JSONDict | None:
        """The inline keyboard to store on the message (other keyboards aren't part of it)."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        actions = (
            "url",
            "callback_data",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "login_url",
            "web_app",
            "pay",
            "callback_game",
            "copy_text",
            "switch_inline_query_chosen_chat",
        )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not str(button.get("text", "")):
                    raise _bad("can't parse inline keyboard button: Text must be non-empty")
                if not any(k in button for k in actions):
                    raise _bad("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise _bad("BUTTON_DATA_INVALID")
        return {"inline_keyboard": [[dict(b) for b in row] for row in rows]}

    def _check_flood(self, chat: _Chat, method: str) -> None:
        limits = self.flood_limits
        if limits is None or method not in limits.methods:
            return
        now = self._clock()
        per_chat = limits.private_chat if chat.type == "private" else limits.group_chat
        windows = [(self._flood_overall, limits.overall), (self._flood_chat[chat.id], per_chat)]
        for window, rate in windows:
            while window and window[0] <= now - rate.period:
                window.popleft()
            if len(window) >= rate.count:
                retry_after = max(1, math.ceil(window[0] + rate.period - now))
                self._throttled[chat.id] += 1
                raise _ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
        for window, _ in windows:
            window.append(now)

    def _send_message(self, params: JSONDict) -> JSONDict:
        raw, parsed, parse_mode = self._formatted_text(params, "message is too long")
        chat = self._writable_chat(params)
        markup = self._inline_markup(params)
        reply_to = self._reply_target(chat, params)
        self._check_flood(chat, "sendMessage")
        date = int(self._clock())
        message = _Message(
            chat_id=chat.id,
            message_id=self._next_message_id(chat),
            date=date,
            from_bot=True,
            sender=None,
            versions=[MessageVersion(raw, parsed.text, parsed.entities, markup, date, parse_mode)],
            params=dict(params),
            reply_to=reply_to,
        )
        self._messages[(chat.id, message.message_id)] = message
        self._sent_order.append((chat.id, message.message_id))
        self._changed()
        return self._message_payload(chat, message)

    def _reply_target(self, chat: _Chat, params: JSONDict) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, lenient = reply.get("message_id"), reply.get("allow_sending_without_reply")
        else:
            message_id = params.get("reply_to_message_id")
            lenient = params.get("allow_sending_without_reply")
        if message_id is None:
            return None
        target = self._messages.get((chat.id, int(message_id)))
        if target is None or target.deleted:
            if lenient:
                return None
            raise _bad("message to be replied not found")
        return target.message_id

    def _editable_message(self, params: JSONDict) -> tuple[_Chat, _Message]:
        if params.get("inline_message_id"):
            raise _bad("the fake Bot API does not implement inline messages")
        chat = self._writable_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        message = self._messages.get((chat.id, message_id))
        if message is None or message.deleted:
            raise _bad("message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        return chat, message

    def _store_edit(self, chat: _Chat, message: _Message, version: MessageVersion) -> JSONDict:
        current = message.versions[-1]
        if (version.plain, version.entities, version.reply_markup) == (
            current.plain,
            current.entities,
            current.reply_markup,
        ):
            raise _ApiError(400, _NOT_MODIFIED)
        message.versions.append(version)
        message.edit_date = version.date
        self._changed()
        return self._message_payload(chat, message)

    def _edit_message_text(self, params: JSONDict) -> JSONDict:
        raw, parsed, parse_mode = self._formatted_text(params, "MESSAGE_TOO_LONG")
        chat, message = self._editable_message(params)
        markup = self._inline_markup(params)
        self._check_flood(chat, "editMessageText")
        date = int(self._clock())
        version = MessageVersion(raw, parsed.text, parsed.entities, markup, date, parse_mode)
        return self._store_edit(chat, message, version)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        chat, message = self._editable_message(params)
        markup = self._inline_markup(params)
        current = message.versions[-1]
        version = MessageVersion(
            current.text,
            current.plain,
            current.entities,
            markup,
            int(self._clock()),
            current.parse_mode,
        )
        return self._store_edit(chat, message, version)

    def _delete_message(self, params: JSONDict) -> bool:
        chat = self._resolve_chat(params.get("chat_id"))
        message_id = params.get("message_id")
        message = self._messages.get((chat.id, message_id)) if isinstance(message_id, int) else None
        if message is None or message.deleted:
            raise _bad("message to delete not found")
        message.deleted = True
        self._changed()
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callback_queries or query_id in self._callback_answers:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._callback_answers[query_id] = CallbackAnswer(
            query_id,
            text=None if text is None else str(text),
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=params.get("cache_time"),
        )
        self._changed()
        return True

    def _send_chat_action(self, params: JSONDict) -> bool:
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._writable_chat(params)
        return True

    def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        return chat.to_api() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member(self, chat: _Chat, user_id: int) -> JSONDict:
        if user_id == self.bot_user.id:
            return chat.bot.to_api(self.bot_user, chat.type)
        user = self._users.get(user_id)
        if user is None:
            raise _bad("user not found")
        membership = chat.members.get(user_id, _Membership("left"))
        return membership.to_api(user, chat.type)

    def _check_member_list(self, chat: _Chat) -> None:
        """A channel shows its members only to its administrators (the bot included)."""
        if chat.type == "channel" and chat.bot.status not in ("creator", "administrator"):
            raise _bad("member list is inaccessible")

    def _get_chat_member(self, params: JSONDict) -> JSONDict:
        chat = self._resolve_chat(params.get("chat_id"))
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad("user_id is empty" if user_id is None else "invalid user_id specified")
        if user_id != self.bot_user.id:
            self._check_member_list(chat)
        return self._member(chat, user_id)

    def _get_chat_administrators(self, params: JSONDict) -> list[JSONDict]:
        chat = self._resolve_chat(params.get("chat_id"))
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        self._check_member_list(chat)
        admins = [
            self._member(chat, uid)
            for uid, m in chat.members.items()
            if m.status in ("creator", "administrator")
        ]
        if chat.bot.status in ("creator", "administrator"):
            admins.append(self._member(chat, self.bot_user.id))
        return admins

    def _get_chat_member_count(self, params: JSONDict) -> int:
        chat = self._resolve_chat(params.get("chat_id"))
        present = ("creator", "administrator", "member", "restricted")
        count = sum(1 for m in chat.members.values() if m.status in present)
        return count + (1 if chat.bot.status in present else 0)


# --------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: FakeBotApi) -> None:
        self.api = api
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, active: bool) -> None:
        with self._connections_lock:
            if active:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        _LOG.debug("fake Bot API connection error", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: avoid a 40 ms stall
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        if split.path.startswith("/file/"):
            status, payload = 404, _ApiError(404, "Not Found").payload()
        else:
            try:
                raw = _decode_params(split.query, self.headers.get("Content-Type", ""), body)
            except ValueError as error:
                status, payload = 400, _bad(str(error)).payload()
            else:
                status, payload = self.server.api._dispatch(split.path, raw)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client went away (e.g. a cancelled long poll)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds the token; log only the method.
        _LOG.debug("fake Bot API %s", self.path.rsplit("/", 1)[-1])


def _decode_params(query: str, content_type: str, body: bytes) -> JSONDict:
    """Query string, JSON, urlencoded and multipart parameters, as received."""
    params: JSONDict = dict(parse_qsl(query, keep_blank_values=True))
    mime = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if mime == "application/json":
        try:
            decoded = json.loads(body)
        except json.JSONDecodeError:
            raise ValueError("can't parse JSON encoded request: invalid JSON") from None
        if not isinstance(decoded, dict):
            raise ValueError("can't parse JSON encoded request: expected an object")
        params.update(decoded)
    elif mime == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif mime == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                params[str(name)] = UploadedFile(filename, part.get_content_type(), data)
            else:
                params[str(name)] = data.decode(part.get_content_charset() or "utf-8")
    return params


def _normalise(raw: Mapping[str, Any]) -> JSONDict:
    """Give well-known parameters their types, whichever encoding carried them."""
    params: JSONDict = {}
    for name, value in raw.items():
        if isinstance(value, str):
            if name in _INT_PARAMS:
                value = int(value) if re.fullmatch(r"-?\d+", value.strip()) else value
            elif name in _FLOAT_PARAMS:
                try:
                    value = float(value)
                except ValueError:
                    raise _bad(f"invalid {name} specified") from None
            elif name in _BOOL_PARAMS:
                value = value.strip().lower() in ("true", "1")
            elif name in _JSON_PARAMS:
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    raise _bad(f"can't parse {name} JSON object") from None
        params[name] = value
    return params


def _command_entities(text: str) -> tuple[Entity, ...]:
    command = _BOT_COMMAND_RE.match(text)
    if command is None:
        return ()
    return (Entity("bot_command", 0, utf16_len(command.group())),)


def _bool_probe(condition: Callable[[], bool]) -> _Probe[bool]:
    return _Probe(lambda: True if condition() else None, lambda: "timed out waiting for condition")
