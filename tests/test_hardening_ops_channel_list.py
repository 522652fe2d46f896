"""Issue 8, item 20: `/channel list` asks the database for the user's channel
subscriptions only, instead of loading every subscription and filtering them.

Observed on the real engine: the statements run while the command is handled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from newsbot.models import Filters, SubscriptionSpec
from newsbot.store import Store
from newsbot.store.subscriptions import Actor
from tests.bot_harness import Running, bot_config, running_bot
from tests.fakebotapi import FakeBotApi

OWNER = 7101
OTHER = 7102


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(OWNER, "频道主", language_code="zh-hans")
        yield server


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[Running]:
    config = bot_config(api, tmp_path, f"sqlite:///{tmp_path / 'list.db'}")
    store = Store.open(config.database.url)
    now = datetime.now(UTC)
    spec = SubscriptionSpec(filters=Filters(include=("城市",)))
    for n, (chat_id, kind, who) in enumerate(
        [(-1001001, "channel", OWNER), (-1001002, "channel", OTHER), (5001, "private", OWNER)]
        + [(6000 + i, "private", 6000 + i) for i in range(50)]
    ):
        store.subscriptions.create(
            chat_id=chat_id,
            chat_type=kind,
            chat_title=f"chat {n}",
            spec=spec,
            language="zh",
            actor=Actor(who, "user"),
            now=now,
        )
    store.close()
    async with running_bot(api, config) as running:
        yield running


async def test_channel_list_queries_only_the_users_channel_subscriptions(bot: Running) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(bot.store.engine, "before_cursor_execute", seen)
    try:
        bot.api.push_message(OWNER, None, "/channel list")
        (reply,) = await bot.api.wait_for(1, chat_id=OWNER, timeout=10)
        await asyncio.sleep(0.2)
    finally:
        event.remove(bot.store.engine, "before_cursor_execute", seen)
    assert "chat 0" in reply.plain and "chat 1" not in reply.plain
    reads = [s for s in statements if "FROM subscriptions" in s and s.startswith("SELECT")]
    assert reads, statements
    assert all("WHERE" in s and "chat_type" in s for s in reads), reads


async def test_channel_remove_with_an_id_names_that_subscription(bot: Running) -> None:
    api = bot.api
    api.add_channel(-1001001, "早报频道", username="morning", members={OWNER: "creator"})
    api.push_message(OWNER, None, "/channel remove @morning 1")
    (reply,) = await api.wait_for(1, chat_id=OWNER, timeout=10)
    assert "#1" in reply.plain and "全部" not in reply.plain, reply.plain
    assert [s.id for s in bot.store.subscriptions.for_chat(-1001001)] == []
    assert len(bot.store.subscriptions.for_chat(-1001002)) == 1
