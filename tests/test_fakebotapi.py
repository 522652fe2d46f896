"""Tests of the fake Telegram Bot API itself: over raw HTTP and through a real telegram.Bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fakebotapi import FakeBotApi, FloodLimits, HtmlParseError, Rate, parse_html, utf16_len

USER = 1001
GROUP = -4001
SUPERGROUP = -1001234567890
CHANNEL = -1009876543210


class FakeClock:
    """A wall clock that moves only when told to."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(USER, "Li", language_code="zh-hans")
        yield server


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(**api.bot_kwargs()) as real_bot:
        yield real_bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in data]])


# -- the HTML parser -------------------------------------------------------------------


def test_html_entities_are_measured_in_utf16_units() -> None:
    parsed = parse_html(
        '😀 <b>粗体</b> <a href="https://e.org/?a=1&amp;b=2">链接</a> &lt;&#39;&#x41;'
    )
    assert parsed.text == "😀 粗体 链接 <'A"
    bold, link = parsed.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 3, 2)
    assert (link.type, link.url, parsed.slice(link)) == (
        "text_link",
        "https://e.org/?a=1&b=2",
        "链接",
    )
    assert utf16_len("😀a") == 3


def test_html_nested_and_special_tags() -> None:
    parsed = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>'
        '<blockquote expandable>q</blockquote><span class="tg-spoiler">s</span>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji><b>b<i>i</i></b>'
    )
    types = [(e.type, e.language) for e in parsed.entities]
    assert types == [
        ("pre", "python"),
        ("expandable_blockquote", None),
        ("spoiler", None),
        ("custom_emoji", None),
        ("bold", None),
        ("italic", None),
    ]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("ab <foo>x</foo>", 'Unsupported start tag "foo" at byte offset 3'),
        ("价 <br>", 'Unsupported start tag "br" at byte offset 4'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("AT&T", "Unsupported HTML entity at byte offset 2"),
        ("&nbsp;", "Unsupported HTML entity at byte offset 0"),
    ],
)
def test_html_errors_name_the_byte_offset(html: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as error:
        parse_html(html)
    assert error.value.reason.startswith(reason)


def test_bare_ampersand_is_literal_when_not_strict() -> None:
    assert parse_html("AT&T &lt", strict_entities=False).text == "AT&T <"


# -- raw HTTP ----------------------------------------------------------------------------


def test_wire_format_errors(api: FakeBotApi) -> None:
    with httpx.Client(base_url=api.url) as client:
        wrong_token = client.post("/bot123:wrong/getMe")
        assert wrong_token.status_code == 401
        assert wrong_token.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        unknown = client.post(f"/bot{api.token}/sendTelepathy")
        assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        no_chat = client.post(f"/bot{api.token}/sendMessage", json={"chat_id": 5, "text": "hi"})
        assert no_chat.status_code == 400
        assert no_chat.json()["description"] == "Bad Request: chat not found"


def test_every_parameter_encoding_is_accepted(api: FakeBotApi) -> None:
    send = f"/bot{api.token}/sendMessage"
    with httpx.Client(base_url=api.url) as client:
        assert client.post(send, json={"chat_id": USER, "text": "json"}).json()["ok"]
        assert client.post(send, data={"chat_id": str(USER), "text": "form"}).json()["ok"]
        assert client.get(send, params={"chat_id": USER, "text": "query"}).json()["ok"]
        multipart = client.post(
            send, data={"chat_id": str(USER), "text": "multi"}, files={"doc": ("a.txt", b"x")}
        )
        assert multipart.json()["result"]["text"] == "multi"
    assert [m.plain for m in api.sent(USER)] == ["json", "form", "query", "multi"]
    assert api.requests("sendMessage")[1].params == {"chat_id": USER, "text": "form"}


def test_long_poll_honours_timeout_and_a_newer_poll_wins(api: FakeBotApi) -> None:
    url = f"{api.url}/bot{api.token}/getUpdates"
    started = time.monotonic()
    assert httpx.post(url, json={"timeout": 0.2}).json() == {"ok": True, "result": []}
    assert 0.15 < time.monotonic() - started < 2

    def older_poll() -> httpx.Response:
        return httpx.post(url, json={"timeout": 5}, timeout=10)

    async def race() -> httpx.Response:
        older = asyncio.create_task(asyncio.to_thread(older_poll))
        await api.wait_until(lambda: api.is_polling)
        assert httpx.post(url, json={"timeout": 0}).json()["result"] == []
        return await older

    conflict = asyncio.run(race())
    assert conflict.status_code == 409
    assert conflict.json()["description"].startswith("Conflict: terminated by other getUpdates")


def test_stop_ends_a_pending_long_poll_quickly() -> None:
    api = FakeBotApi().start()
    url = f"{api.url}/bot{api.token}/getUpdates"

    async def scenario() -> None:
        poll = asyncio.create_task(asyncio.to_thread(httpx.post, url, json={"timeout": 30}))
        await api.wait_until(lambda: api.is_polling)
        started = time.monotonic()
        await asyncio.to_thread(api.stop)
        with pytest.raises(httpx.HTTPError):  # answered with [] or cut: either way, not hanging
            response = await poll
            response.raise_for_status()
            raise httpx.RemoteProtocolError("answered before the socket closed")
        assert time.monotonic() - started < 2

    asyncio.run(scenario())


def test_sync_waiting_helpers(api: FakeBotApi) -> None:
    send = f"{api.url}/bot{api.token}/sendMessage"
    with httpx.Client() as client:
        client.post(send, json={"chat_id": USER, "text": "one"})
        assert [m.plain for m in api.wait_for_sync(1, chat_id=USER)] == ["one"]
        assert api.wait_for_request_sync("sendMessage")[0].status == 200
    with pytest.raises(TimeoutError, match="sent so far"):
        api.wait_for_sync(2, timeout=0.05)


# -- through a real telegram.Bot ----------------------------------------------------------


async def test_get_me(bot: telegram.Bot, api: FakeBotApi) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (api.bot_user.id, "newsbot_test_bot", True)


async def test_send_valid_html(bot: telegram.Bot, api: FakeBotApi) -> None:
    message = await bot.send_message(
        USER,
        "  <b>今日要闻</b>\n<i>3</i> 篇 &amp; 更多  ",
        parse_mode="HTML",
        reply_markup=keyboard("more"),
        disable_web_page_preview=True,
    )
    assert message.text == "今日要闻\n3 篇 & 更多"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 4),
        ("italic", 5, 1),
    ]
    assert message.reply_markup == keyboard("more")
    assert message.from_user is not None and message.from_user.is_bot
    [sent] = api.sent(USER)
    assert sent.text.startswith("  <b>今日要闻</b>")
    assert sent.plain == message.text
    assert sent.callback_data == ["more"]
    assert sent.entity_texts("bold") == ["今日要闻"]


async def test_invalid_html_is_a_bad_request(bot: telegram.Bot, api: FakeBotApi) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag"):
        await bot.send_message(USER, "<b>x</b> <h1>y</h1>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    assert api.sent() == []


async def test_length_limit_counts_utf16_units_after_parsing(bot: telegram.Bot) -> None:
    ok = await bot.send_message(USER, "<b>" + "字" * 4000 + "</b>" + "x" * 96, parse_mode="HTML")
    assert ok.text is not None and len(ok.text) == 4096
    emoji = await bot.send_message(USER, "😀" * 2048)  # 2048 characters, 4096 UTF-16 units
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "😀" * 2048 + "a")
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.edit_message_text("a" * 4097, USER, emoji.message_id)


async def test_edits_keep_history_and_refuse_no_op(bot: telegram.Bot, api: FakeBotApi) -> None:
    first = await bot.send_message(USER, "第 1 页", reply_markup=keyboard("next"))
    prev = keyboard("prev")
    await bot.edit_message_text("第 2 页", USER, first.message_id, reply_markup=prev)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "第 2 页", USER, first.message_id, reply_markup=keyboard("prev")
        )
    edited = api.message(USER, first.message_id)
    assert (edited.plain, edited.callback_data) == ("第 2 页", ["prev"])
    assert edited.original.plain == "第 1 页"
    assert [v.plain for v in edited.edits] == ["第 2 页"]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", USER, 999)


async def test_long_polling_returns_a_pushed_message(bot: telegram.Bot, api: FakeBotApi) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await api.wait_until(lambda: api.is_polling)
    started = time.monotonic()
    pushed = api.push_message(USER, None, "/start@newsbot_test_bot hello")
    [update] = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    assert update.update_id == pushed.update_id
    assert update.message is not None and update.message.text == "/start@newsbot_test_bot hello"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "zh-hans"
    assert update.message.parse_entities(["bot_command"])
    # The offset confirms; nothing is delivered twice.
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert api.pending_updates() == 0


async def test_group_messages_and_unknown_chats(bot: telegram.Bot, api: FakeBotApi) -> None:
    api.add_group(GROUP, "读书会", members={2002: "creator"})
    api.push_message(GROUP, 2003, "/digest", language_code="en")
    [update] = await bot.get_updates()
    assert update.effective_chat is not None and update.effective_chat.type == "group"
    assert update.effective_user is not None and update.effective_user.id == 2003
    member = await bot.get_chat_member(GROUP, 2003)
    assert member.status == "member"
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-999, "hi")


async def test_replies_reference_the_message(bot: telegram.Bot, api: FakeBotApi) -> None:
    api.add_group(GROUP, members={2002: "member"})
    pushed = api.push_message(GROUP, 2002, "/digest")
    [update] = await bot.get_updates()
    assert update.message is not None
    reply = await update.message.reply_text("好的", do_quote=True)
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == pushed.message_id == 1
    assert (reply.message_id, api.sent(GROUP)[0].reply_to_message_id) == (2, 1)
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(GROUP, "x", reply_parameters=telegram.ReplyParameters(999))


async def test_button_press_and_answer(bot: telegram.Bot, api: FakeBotApi) -> None:
    sent = await bot.send_message(USER, "订阅？", reply_markup=keyboard("sub:yes", "sub:no"))
    pushed = api.press_button(USER, sent.message_id, "sub:yes")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.data == "sub:yes"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await query.answer("已订阅")
    assert api.callback_answers()[str(pushed.callback_query_id)].text == "已订阅"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("again")
    with pytest.raises(LookupError):
        api.press_button(USER, sent.message_id, "sub:maybe")


async def test_injected_faults_become_ptb_exceptions(bot: telegram.Bot, api: FakeBotApi) -> None:
    api.fail_next("sendMessage", chat_id=USER, error_code=429, retry_after=7)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await bot.send_message(USER, "hi")
    assert (await bot.send_message(USER, "hi")).message_id == 1  # the fault is used up

    api.fail_next("getChat", error_code=500, count=2)
    for _ in range(2):
        with pytest.raises(telegram.error.NetworkError, match="Internal Server Error"):
            await bot.get_chat(USER)
    assert (await bot.get_chat(USER)).id == USER


async def test_blocked_user_and_migrated_group(bot: telegram.Bot, api: FakeBotApi) -> None:
    api.block_bot(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")
    api.add_user(2002, "Wang")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(2002, "hi")

    api.add_group(GROUP, "读书会", members={2002: "creator"})
    api.migrate_group(GROUP, SUPERGROUP)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(GROUP, "hi")
    assert migrated.value.new_chat_id == SUPERGROUP
    assert (await bot.send_message(SUPERGROUP, "hi")).chat.type == "supergroup"


async def test_chat_members_and_rights(bot: telegram.Bot, api: FakeBotApi) -> None:
    api.add_supergroup(SUPERGROUP, "新闻群", members={2002: "creator", 2003: "member"})
    api.set_member(SUPERGROUP, 2004, "administrator", can_delete_messages=True)
    admin = await bot.get_chat_member(SUPERGROUP, 2004)
    assert isinstance(admin, telegram.ChatMemberAdministrator) and admin.can_delete_messages
    assert (await bot.get_chat_member(SUPERGROUP, 2003)).status == "member"
    assert (await bot.get_chat_member(SUPERGROUP, USER)).status == "left"
    admins = await bot.get_chat_administrators(SUPERGROUP)
    assert sorted(a.user.id for a in admins) == [2002, 2004]

    api.add_channel(CHANNEL, "每日新闻", username="daily_news")
    me = await bot.get_chat_member(CHANNEL, api.bot_user.id)
    assert isinstance(me, telegram.ChatMemberAdministrator) and me.can_post_messages
    assert (await bot.send_message("@daily_news", "早报")).sender_chat is not None
    api.set_bot_member(CHANNEL, "administrator", can_post_messages=False)
    with pytest.raises(BadRequest, match=r"(?i)need administrator rights"):
        await bot.send_message(CHANNEL, "早报")
    api.set_bot_member(CHANNEL, "kicked")
    with pytest.raises(Forbidden, match="kicked from the channel chat"):
        await bot.send_message(CHANNEL, "早报")
    assert (await bot.get_chat(CHANNEL)).title == "每日新闻"


async def test_flood_limits_answer_429() -> None:
    clock = FakeClock()
    limits = FloodLimits(overall=Rate(30, 1), private_chat=Rate(1, 1), group_chat=Rate(20, 60))
    async with FakeBotApi(flood_limits=limits, clock=clock) as api:
        api.add_private_chat(USER)
        api.add_group(GROUP)
        async with telegram.Bot(**api.bot_kwargs()) as bot:
            await bot.send_message(USER, "1")
            with pytest.raises(RetryAfter):
                await bot.send_message(USER, "2")
            clock.advance(1)
            await bot.send_message(USER, "2")

            for i in range(20):
                await bot.send_message(GROUP, str(i))
            with pytest.raises(RetryAfter, match="Retry in 60 seconds"):
                await bot.send_message(GROUP, "21")
    assert (api.throttled(USER), api.throttled(GROUP), api.throttled()) == (1, 1, 2)
    assert len(api.sent()) == 22


async def test_commands_per_scope_and_language(bot: telegram.Bot, api: FakeBotApi) -> None:
    await bot.set_my_commands([("start", "Start"), ("digest", "Today's digest")])
    await bot.set_my_commands([("start", "开始"), ("digest", "今日摘要")], language_code="zh")
    await bot.set_my_commands([("start", "开始")], scope=telegram.BotCommandScopeAllPrivateChats())
    assert api.commands(language_code="zh") == [("start", "开始"), ("digest", "今日摘要")]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "digest"]
    assert api.visible_commands(USER) == [("start", "开始")]
    await bot.delete_my_commands(scope=telegram.BotCommandScopeAllPrivateChats())
    assert api.visible_commands(USER) == [("start", "开始"), ("digest", "今日摘要")]
    with pytest.raises(BadRequest, match=r"(?i)invalid language code"):
        await bot.set_my_commands([("start", "开始")], language_code="zh-hans")
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start", "x")])


async def test_chat_action_and_webhook(bot: telegram.Bot, api: FakeBotApi) -> None:
    assert await bot.send_chat_action(USER, "typing")
    api.push_message(USER, None, "old")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()
    assert await bot.log_out() and await bot.close()
    assert [r.method for r in api.requests()][-2:] == ["logOut", "close"]


async def test_a_real_application_end_to_end(api: FakeBotApi) -> None:
    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>欢迎</b>使用 newsbot")

    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=10)
        api.push_message(USER, None, "/start")
        [reply] = await api.wait_for(1, chat_id=USER)
        [bold] = await api.wait_for(lambda m: "欢迎" in m.entity_texts("bold"))
        await app.updater.stop()
        await app.stop()
    assert reply.plain == "欢迎使用 newsbot" and bold.message_id == reply.message_id
    assert [r.method for r in api.requests()][:2] == ["getMe", "deleteWebhook"]
