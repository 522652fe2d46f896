"""End to end: the real Application against the fake Bot API, as a reader sees it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from newsbot.render import hashtag
from tests.bot_harness import Running, bot_config, fill, running_bot
from tests.factories import make_article
from tests.fakebotapi import FakeBotApi

ZH = 1001
EN = 1002


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(ZH, "李雷", language_code="zh-hans")
        server.add_private_chat(EN, "Ann", language_code="en")
        yield server


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Running]:
    config = bot_config(api, tmp_path, f"sqlite:///{tmp_path / 'bot.db'}")
    from newsbot.store import Store

    store = Store.open(config.database.url)
    articles = [
        make_article(n, tags=("城市", "交通") if n % 2 else ("城市", "营商环境")) for n in range(12)
    ]
    articles.append(
        make_article(
            99,
            title='<b>危险</b> & "引号" 😀 ' + "长" * 300,
            summary="<script>alert(1)</script> &amp; " + "x" * 500,
            tags=("<i>", "a&b"),
            body=("没有标点的超长文字" * 1200, "第二段。"),
        )
    )
    fill(store, articles)
    store.close()
    async with running_bot(api, config) as running:
        yield running


async def ask(api: FakeBotApi, chat: int, text: str, count: int = 1) -> list[object]:
    before = len(api.sent(chat))
    api.push_message(chat, None, text)
    sent = await api.wait_for(before + count, chat_id=chat)
    return sent[before:]


async def test_command_menu_in_both_languages(bot: Running) -> None:
    zh = dict(bot.api.commands("default", ""))
    en = dict(bot.api.commands("default", "en"))
    assert zh["latest"] == "最新文章" and en["latest"] == "newest articles"
    wanted = {"latest", "tag", "tags", "search", "read", "start", "help", "subscribe", "channel"}
    assert wanted <= set(zh)


async def test_start_and_help_in_chinese_and_english(bot: Running) -> None:
    (welcome,) = await ask(bot.api, ZH, "/start")
    assert "你好" in welcome.plain and "/latest" in welcome.plain  # type: ignore[attr-defined]
    (hello,) = await ask(bot.api, EN, "/start")
    assert "Hello" in hello.plain  # type: ignore[attr-defined]
    (helped,) = await ask(bot.api, ZH, "/help")
    for command in ("/latest", "/tag", "/tags", "/search", "/read"):
        assert command in helped.plain  # type: ignore[attr-defined]
    assert "/search 高新区 服务" in helped.plain  # type: ignore[attr-defined]


async def test_latest_pages_in_place(bot: Running) -> None:
    api = bot.api
    (page,) = await ask(api, ZH, "/latest")
    assert "最新文章" in page.plain and "第 1–5 条" in page.plain  # type: ignore[attr-defined]
    assert page.plain.count("来源") == 5  # type: ignore[attr-defined]
    assert "第99号测试新闻" not in page.plain  # type: ignore[attr-defined]
    buttons = page.buttons  # type: ignore[attr-defined]
    assert [b["text"] for b in buttons[0]] == ["下一页 ›"]
    api.press_button(ZH, page.message_id, buttons[0][0]["callback_data"], ZH)  # type: ignore[attr-defined]
    await api.wait_until(lambda: len(api.message(ZH, page.message_id).edits) >= 1)  # type: ignore[attr-defined]
    edited = api.message(ZH, page.message_id)  # type: ignore[attr-defined]
    assert "第 6–10 条" in edited.plain
    assert [b["text"] for b in edited.buttons[0]] == ["‹ 上一页", "下一页 ›"]
    assert len(api.sent(ZH)) == 1  # edited, not a new message


async def test_latest_counts(bot: Running) -> None:
    (capped,) = await ask(bot.api, ZH, "/latest 9999")
    assert "最多显示 20 条" in capped.plain and "第 1–13 条" in capped.plain  # type: ignore[attr-defined]
    for bad in ("/latest -3", "/latest abc", "/latest 0", "/latest 1 2"):
        (reply,) = await ask(bot.api, ZH, bad)
        assert ("/latest" in reply.plain and "用法" in reply.plain) or "数量" in reply.plain  # type: ignore[attr-defined]
    (english,) = await ask(bot.api, EN, "/latest abc")
    assert "count must be" in english.plain  # type: ignore[attr-defined]


async def test_tag_tags_and_tag_buttons(bot: Running) -> None:
    api = bot.api
    (listed,) = await ask(api, ZH, "/tag 营商环境 3")
    assert "标签 #营商环境" in listed.plain and "第 1–3 条" in listed.plain  # type: ignore[attr-defined]
    (counts,) = await ask(api, ZH, "/tags")
    assert "#城市 (12)" in counts.plain  # type: ignore[attr-defined]
    (menu,) = await ask(api, ZH, "/tag")
    texts = [b["text"] for row in menu.buttons for b in row]  # type: ignore[attr-defined]
    assert "#营商环境" in texts
    data = next(b["callback_data"] for row in menu.buttons for b in row if b["text"] == "#交通")  # type: ignore[attr-defined]
    api.press_button(ZH, menu.message_id, data, ZH)  # type: ignore[attr-defined]
    (opened,) = (await api.wait_for(4, chat_id=ZH))[3:]
    assert "标签 #交通" in opened.plain
    (none,) = await ask(api, ZH, "/tag 营商")
    assert "没有标签为 #营商 的文章" in none.plain and "/tag 营商环境" in none.plain  # type: ignore[attr-defined]


async def test_search(bot: Running) -> None:
    api = bot.api
    (found,) = await ask(api, ZH, "/search 联合")
    assert "搜索「联合」" in found.plain  # type: ignore[attr-defined]
    (both,) = await ask(api, ZH, "/search 第3号 地铁")
    assert "第3号测试新闻" in both.plain and "第 1–1 条" in both.plain  # type: ignore[attr-defined]
    (nothing,) = await ask(api, ZH, "/search 火星基地")
    assert "没有找到" in nothing.plain  # type: ignore[attr-defined]
    (usage,) = await ask(api, ZH, "/search")
    assert "/search 关键词" in usage.plain  # type: ignore[attr-defined]
    (long,) = await ask(api, ZH, "/search " + "长" * 101)
    assert "太长" in long.plain  # type: ignore[attr-defined]
    for hostile in [
        '"联合',
        "*",
        "联合 AND NEAR(x)",
        "%",
        "_",
        "'; DROP TABLE articles; --",
        "<b>",
    ]:
        (reply,) = await ask(api, ZH, f"/search {hostile}")
        assert reply.plain  # type: ignore[attr-defined]
    assert bot.store.count_articles() == 13


async def test_read_and_deep_link(bot: Running) -> None:
    api = bot.api
    article = bot.store.latest(20).articles[-1]  # make_article(0)
    (full,) = await ask(api, ZH, f"/read {article.id}")
    assert article.title in full.plain and "作者: 李明" in full.plain  # type: ignore[attr-defined]
    assert "联合国" in full.plain  # type: ignore[attr-defined]
    (deep,) = await ask(api, EN, f"/start a_{article.id}")
    assert article.title in deep.plain and "Author: 李明" in deep.plain  # type: ignore[attr-defined]
    (missing,) = await ask(api, ZH, "/read zzzz9999")
    assert "没有编号为 zzzz9999 的文章" in missing.plain  # type: ignore[attr-defined]
    (usage,) = await ask(api, ZH, "/read")
    assert "/read" in usage.plain and "用法" in usage.plain  # type: ignore[attr-defined]


async def test_list_links_to_deep_link(bot: Running) -> None:
    (page,) = await ask(bot.api, ZH, "/latest 1")
    links = [e.url for e in page.entities if e.type == "text_link"]  # type: ignore[attr-defined]
    assert links and links[0].startswith("https://t.me/newsbot_test_bot?start=a_")


async def test_hostile_article_renders_and_long_article_splits(bot: Running) -> None:
    api = bot.api
    hostile = bot.store.search(["危险"]).articles[0]
    (listed,) = await ask(api, ZH, "/search 危险")
    assert '<b>危险</b> & "引号" 😀' in listed.plain  # type: ignore[attr-defined]
    assert hashtag("a&b") in listed.plain  # type: ignore[attr-defined]
    api.push_message(ZH, None, f"/read {hostile.id}")
    sent = await api.wait_for(lambda m: "第二段。" in m.plain, chat_id=ZH)
    parts = [m for m in api.sent(ZH)][1:]
    assert len(parts) >= 3 and sent
    text = "".join(m.plain for m in parts).replace("\n", "")
    assert text.count("没有标点的超长文字") == 1200  # nothing truncated


async def test_unknown_command_and_plain_text(bot: Running) -> None:
    (hint,) = await ask(bot.api, ZH, "/foo")
    assert "/help" in hint.plain  # type: ignore[attr-defined]
    (suggest,) = await ask(bot.api, EN, "联合国")
    assert "/search 联合国" in suggest.plain  # type: ignore[attr-defined]


async def test_unexpected_error_apologises_and_keeps_running(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    with bot.store.engine.begin() as conn:
        conn.execute(text("DROP TABLE article_tags"))
    with caplog.at_level(logging.INFO):
        (sorry,) = await ask(bot.api, ZH, "/latest")
        assert "抱歉" in sorry.plain  # type: ignore[attr-defined]
        (helped,) = await ask(bot.api, ZH, "/help")
        assert "/latest" in helped.plain  # type: ignore[attr-defined]
    assert any("error while handling update" in r.getMessage() for r in caplog.records)
    update_lines = [r for r in caplog.records if r.getMessage().startswith("update ")]
    assert len(update_lines) == 2
    assert all(bot.api.token not in r.getMessage() for r in caplog.records)
