"""/source add|list|remove and the sources in /stats, end to end: the real Application
against the fake Bot API, and a real local HTTP server as the news site."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from newsbot.config import FetchConfig
from newsbot.sources.entries import Entry
from newsbot.sources.feeds import write_rss
from newsbot.store.sources import RoundResult
from tests.bot_harness import Running, bot_config, running_bot
from tests.fakebotapi import FakeBotApi

ADMIN = 2999
READER = 2001
READER_EN = 2002


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(ADMIN, "Root", language_code="zh-hans")
        server.add_private_chat(READER, "读者", language_code="zh-hans")
        server.add_private_chat(READER_EN, "Eve", language_code="en")
        yield server


@pytest.fixture
def site(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    entries = [
        Entry(url=httpserver.url_for(f"/a{n}.html"), title=f"新闻{n}") for n in range(1, 4)
    ]
    httpserver.expect_request("/rss").respond_with_data(
        write_rss("本地新闻", httpserver.url_for("/"), entries),
        content_type="application/rss+xml",
    )
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    return httpserver


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Running]:
    config = bot_config(api, tmp_path, f"sqlite:///{tmp_path / 'b.db'}", admins=(ADMIN,))
    config = replace(config, fetch=FetchConfig(host_delay_seconds=0.0, retries=0))
    async with running_bot(api, config) as running:
        yield running


async def ask(api: FakeBotApi, chat: int, text: str) -> str:
    before = len(api.sent(chat))
    api.push_message(chat, None, text)
    await api.wait_for(before + 1, chat_id=chat)
    await api.wait_confirmed()
    return "\n".join(m.plain for m in api.sent(chat)[before:])


async def test_only_global_admins_manage_sources(bot: Running, site: HTTPServer) -> None:
    assert "管理员开放" in await ask(bot.api, READER, f"/source add {site.url_for('/rss')}")
    assert "administrators" in await ask(bot.api, READER_EN, "/source list")
    assert bot.store.sources.all() == []


async def test_admin_adds_lists_and_removes_a_source(bot: Running, site: HTTPServer) -> None:
    reply = await ask(bot.api, ADMIN, f"/source add {site.url_for('/rss')} 本地")
    assert "已添加来源 #1 本地：rss，目前有 3 篇文章" in reply
    listing = await ask(bot.api, ADMIN, "/source list")
    assert "#1 本地 · 等待首次抓取" in listing and site.url_for("/rss") in listing
    assert "已移除来源 #1 本地" in await ask(bot.api, ADMIN, "/source remove 本地")
    assert "还没有来源" in await ask(bot.api, ADMIN, "/source list")


async def test_bad_source_and_bad_usage_get_reasons(bot: Running, site: HTTPServer) -> None:
    assert "HTTP 500" in await ask(bot.api, ADMIN, f"/source add {site.url_for('/broken')}")
    assert "http:// or https://" in await ask(bot.api, ADMIN, "/source add ftp://x.org/rss")
    assert "用法" in await ask(bot.api, ADMIN, "/source")
    assert "没有名为 nope 的来源" in await ask(bot.api, ADMIN, "/source remove nope")
    assert bot.store.sources.all() == []


async def test_stats_shows_a_paused_source_with_its_reason(bot: Running, site: HTTPServer) -> None:
    await ask(bot.api, ADMIN, f"/source add {site.url_for('/rss')} 本地")
    now = datetime.now(UTC)
    bot.store.sources.record_round(
        1,
        RoundResult(
            at=now,
            ok=False,
            next_at=now + timedelta(hours=6),
            error="HTTP 500 after 3 tries",
            paused_reason="5 failed rounds in a row: HTTP 500 after 3 tries",
        ),
    )
    stats = await ask(bot.api, ADMIN, "/stats")
    assert "来源" in stats and "#1 本地 · 已暂停：5 failed rounds in a row: HTTP 500" in stats


async def test_fetched_articles_link_to_their_own_pages_in_latest(
    bot: Running, httpserver: HTTPServer
) -> None:
    """What the bot's fetch job does (fetch_and_ingest), then /latest: the links are the
    pages' own URLs, not deep links into the bot."""
    import asyncio

    from newsbot.bot.app import fetch_and_ingest

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    body = "".join(f"<p>第{n}段：市民服务中心延长办理时间，方便上班族办事。</p>" for n in range(6))
    for n in (1, 2):
        httpserver.expect_request(f"/news/{n}.html").respond_with_data(
            f"<html><head><title>服务中心延时服务{n}_示例网</title></head><body>"
            f"<h1>服务中心延时服务{n}</h1><p>2024-06-0{n} 08:00 来源：示例日报</p>"
            f"{body}</body></html>",
            content_type="text/html; charset=utf-8",
        )
    entries = [Entry(url=httpserver.url_for(f"/news/{n}.html")) for n in (1, 2)]
    httpserver.expect_request("/feed").respond_with_data(
        write_rss("示例网", httpserver.url_for("/"), entries), content_type="application/rss+xml"
    )
    await ask(bot.api, ADMIN, f"/source add {httpserver.url_for('/feed')} 示例")
    await asyncio.to_thread(fetch_and_ingest, bot.store, bot.config)
    before = len(bot.api.sent(READER))
    bot.api.push_message(READER, None, "/latest 2")
    (page,) = (await bot.api.wait_for(before + 1, chat_id=READER))[before:]
    links = [e.url for e in page.entities if e.type == "text_link"]  # type: ignore[attr-defined]
    assert links == [httpserver.url_for("/news/2.html"), httpserver.url_for("/news/1.html")]
