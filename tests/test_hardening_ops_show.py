"""Issue 8, item 20: the lead line of a subscription list never pushes a message past 4096.

`/channel list` (and /subscribe's confirmation, /set's) put a lead line above the
rendered list. When the list's first message is already close to Telegram's limit,
the lead goes in a message of its own instead of making the first one too long
(which Telegram refuses, so the reader got an apology and no list).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsbot.digest.builder import subscriptions_view
from newsbot.models import Filters, SubscriptionSpec
from newsbot.render import Renderer
from newsbot.store import Store
from newsbot.store.subscriptions import Actor
from newsbot.telegram_text import visible_len
from tests.bot_harness import Running, bot_config, running_bot
from tests.fakebotapi import FakeBotApi

ADMIN = 7001
WORDS = tuple(f"词{j:03d}" for j in range(40))


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(ADMIN, "管理员", language_code="zh-hans")
        yield server


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Running]:
    config = bot_config(api, tmp_path, f"sqlite:///{tmp_path / 'show.db'}", admins=(ADMIN,))
    store = Store.open(config.database.url)
    now = datetime.now(UTC)
    for n in range(1, 11):
        # One long filter word in the second subscription fills the first message
        # to just under 4096 units.
        words = ("长" * 1502,) if n == 2 else WORDS
        store.subscriptions.create(
            chat_id=-1001000 - n,
            chat_type="channel",
            chat_title=f"频道{n}",
            spec=SubscriptionSpec(filters=Filters(include=words)),
            language="zh",
            actor=Actor(ADMIN, "管理员"),
            now=now,
        )
    subs = store.subscriptions.all()
    store.close()
    chunks = Renderer(config.tz).render(
        "subscriptions.html.j2", subscriptions_view(subs, datetime.now(UTC)), "zh"
    )
    lead = Renderer(config.tz).text("channel.list_heading", "zh")
    assert visible_len(chunks[0]) <= 4096 < visible_len(lead + "\n" + chunks[0])
    async with running_bot(api, config) as running:
        yield running


async def test_lead_line_gets_its_own_message_when_the_list_fills_one(bot: Running) -> None:
    api = bot.api
    api.push_message(ADMIN, None, "/channel list")
    sent = await api.wait_for(2, chat_id=ADMIN, timeout=15)
    await asyncio.sleep(0.5)
    sent = api.sent(ADMIN)
    text = "\n".join(m.plain for m in sent)
    assert "抱歉" not in text
    assert sent[0].plain.startswith("你管理的频道订阅")
    assert all(f"订阅 #{n}" in text for n in range(1, 11))
    assert all(visible_len(m.text) <= 4096 for m in sent)
