"""End to end: subscribing in private chats, groups and channels; digests on schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsbot.models import SubscriptionSpec
from newsbot.store import Store
from newsbot.store.subscriptions import Actor
from tests.bot_harness import Running, bot_config, running_bot
from tests.factories import fill, make_article
from tests.fakebotapi import FakeBotApi

ALICE = 2001  # private chat user, Chinese
BOB = 2002  # English
GROUP = -3001
ADMIN_IN_GROUP = 2003
MEMBER_IN_GROUP = 2004
CHANNEL = -1004001
GLOBAL_ADMIN = 2999


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(ALICE, "爱丽丝", language_code="zh-hans")
        server.add_private_chat(BOB, "Bob", language_code="en")
        server.add_private_chat(GLOBAL_ADMIN, "Root", language_code="zh-hans")
        server.add_private_chat(ADMIN_IN_GROUP, "管理员", language_code="zh-hans")
        server.add_group(
            GROUP,
            "读书会",
            members={ADMIN_IN_GROUP: "administrator", MEMBER_IN_GROUP: "member"},
        )
        server.add_channel(
            CHANNEL, "财经快讯", username="money_news", members={ALICE: "creator", BOB: "member"}
        )
        server.add_channel(
            -1004002,
            "无权频道",
            username="no_rights",
            members={ALICE: "administrator"},
            bot_status="member",
        )
        server.add_channel(
            -1004003,
            "只读频道",
            username="read_only",
            members={ALICE: "administrator"},
            bot_status="administrator",
            bot_rights={"can_post_messages": False},
        )
        yield server


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'subs.db'}"
    store = Store.open(url)
    fill(
        store,
        [
            make_article(1, tags=("财经",), body=("股市今天上涨，联合国发布报告。",)),
            make_article(2, tags=("财经",), body=("股市下跌，广告很多。",)),
            make_article(3, tags=("体育",), body=("足球比赛结束。",)),
        ],
    )
    store.close()
    return url


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path, db_file: str) -> AsyncIterator[Running]:
    async with running_bot(
        api, bot_config(api, tmp_path, db_file, admins=(GLOBAL_ADMIN,))
    ) as running:
        yield running


async def ask(api: FakeBotApi, chat: int, text: str, user: int | None = None) -> str:
    before = len(api.sent(chat))
    api.push_message(chat, user, text)
    await api.wait_for(before + 1, chat_id=chat)
    await api.wait_confirmed()
    return "\n".join(m.plain for m in api.sent(chat)[before:])


async def test_subscribe_in_private_chat_and_manage(bot: Running) -> None:
    api = bot.api
    reply = await ask(api, ALICE, "/subscribe #财经 股市 -广告 at 08:00,18:00")
    assert "已订阅" in reply and "#财经" in reply and "包含 股市" in reply and "排除 广告" in reply
    assert "每天 08:00、18:00（Asia/Shanghai）" in reply and "下次推送" in reply
    (sub,) = bot.store.subscriptions.for_chat(ALICE)
    assert {j.name for j in bot.app.job_queue.jobs()} >= {
        f"digest:{sub.id}:08:00",
        f"digest:{sub.id}:18:00",
    }
    listed = await ask(api, ALICE, "/subscriptions")
    assert f"订阅 #{sub.id}" in listed
    preview = await ask(api, ALICE, "/preview")
    assert (
        "预览" in preview
        and make_article(1).title in preview
        and make_article(2).title not in preview
    )
    changed = await ask(api, ALICE, f"/set {sub.id} at=07:30 tz=Europe/Berlin max=3")
    assert "07:30（Europe/Berlin）" in changed and "每次最多 3 条" in changed
    assert {j.name for j in bot.app.job_queue.jobs() if j.name.startswith("digest:")} == {
        f"digest:{sub.id}:07:30"
    }
    bad = await ask(api, ALICE, f"/set {sub.id} at=25:99")
    assert "HH:MM" in bad and "/set" in bad
    english = await ask(api, BOB, "/subscribe at 9am")
    assert "can't read the time" in english
    gone = await ask(api, ALICE, f"/unsubscribe {sub.id}")
    assert f"已退订 #{sub.id}" in gone
    assert not [
        j for j in bot.app.job_queue.jobs() if j.name.startswith("digest:") and not j.removed
    ]
    actions = [e.action for e in reversed(bot.store.subscriptions.audit(ALICE))]
    assert actions == ["subscribe", "set", "unsubscribe"]


async def test_group_admin_may_subscribe_member_may_not(bot: Running) -> None:
    api = bot.api
    refused = await ask(api, GROUP, "/subscribe #财经", MEMBER_IN_GROUP)
    assert "only the group's administrators" in refused
    assert bot.store.subscriptions.for_chat(GROUP) == []
    accepted = await ask(api, GROUP, "/subscribe #财经", ADMIN_IN_GROUP)
    assert "已订阅" in accepted and "读书会" in accepted
    listed = await ask(api, GROUP, "/subscriptions", MEMBER_IN_GROUP)  # anyone may look
    assert "Subscription #" in listed


async def test_channel_management_checks_rights(bot: Running) -> None:
    api = bot.api
    assert "私聊" in await ask(api, GROUP, "/channel list", ADMIN_IN_GROUP)
    assert "找不到频道 @nowhere" in await ask(api, ALICE, "/channel add @nowhere")
    assert "机器人还不是 @no_rights 的管理员" in await ask(api, ALICE, "/channel add @no_rights")
    assert "没有“发布消息”权限" in await ask(api, ALICE, "/channel add @read_only")
    assert "You are not an administrator of @money_news" in await ask(
        api, BOB, "/channel add @money_news"
    )
    added = await ask(api, ALICE, "/channel add @money_news #财经 at 18:00")
    assert "已订阅" in added and "财经快讯" in added
    (sub,) = bot.store.subscriptions.for_chat(CHANNEL)
    assert sub.chat_type == "channel"
    assert "财经快讯" in await ask(api, ALICE, "/channel list")
    assert "No channel subscriptions" in await ask(api, BOB, "/channel list")
    by_root = await ask(api, GLOBAL_ADMIN, "/channel add @money_news at 09:00")  # global admin
    assert "已订阅" in by_root
    assert "usage" in (
        await ask(api, BOB, "/channel frobnicate")
    ).lower() or "/channel add" in await ask(api, BOB, "/channel")
    removed = await ask(api, ALICE, "/channel remove @money_news")
    assert "2" in removed and bot.store.subscriptions.for_chat(CHANNEL) == []


async def test_stats_for_global_admins_only(bot: Running) -> None:
    assert "管理员开放" in await ask(bot.api, ALICE, "/stats")
    stats = await ask(bot.api, GLOBAL_ADMIN, "/stats")
    assert "文章：3" in stats and "订阅：0 个在用" in stats


async def test_digest_now_and_never_twice(bot: Running) -> None:
    api = bot.api
    await ask(api, ALICE, "/subscribe #财经 -广告")
    before = len(api.sent(ALICE))
    api.push_message(ALICE, None, "/digest")
    (digest,) = (await api.wait_for(before + 1, chat_id=ALICE))[before:]
    assert make_article(1).title in digest.plain and make_article(2).title not in digest.plain
    assert "共 1 条" in digest.plain
    again = await ask(api, ALICE, "/digest")
    assert "暂时没有新文章" in again  # delivered articles are not repeated


async def test_digest_arrives_at_its_scheduled_time(bot: Running) -> None:
    api = bot.api
    tz = ZoneInfo("Europe/Berlin")
    due = (datetime.now(tz) + timedelta(seconds=3)).strftime("%H:%M:%S")
    await ask(api, BOB, f"/subscribe #财经 at {due} tz Europe/Berlin")
    before = len(api.sent(BOB))
    (digest,) = (await api.wait_for(before + 1, chat_id=BOB, timeout=15))[before:]
    assert "News digest" in digest.plain and make_article(2).title in digest.plain
    (sub,) = bot.store.subscriptions.for_chat(BOB)
    slot = datetime.now(tz).replace(
        hour=int(due[:2]), minute=int(due[3:5]), second=int(due[6:]), microsecond=0
    )
    assert bot.store.subscriptions.has_digest(sub.id, slot.astimezone(UTC))


async def test_restart_inside_grace_sends_missed_digest_once(
    api: FakeBotApi, tmp_path: Path, db_file: str
) -> None:
    store = Store.open(db_file)
    now = datetime.now(UTC)
    missed = (now - timedelta(hours=2)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    too_old = (now - timedelta(hours=9)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    recent = store.subscriptions.create(
        chat_id=ALICE,
        chat_type="private",
        chat_title="A",
        spec=SubscriptionSpec(times=(missed,)),
        language="zh",
        actor=Actor(None, "cli"),
        now=now - timedelta(days=1),
    )
    old = store.subscriptions.create(
        chat_id=BOB,
        chat_type="private",
        chat_title="B",
        spec=SubscriptionSpec(times=(too_old,)),
        language="en",
        actor=Actor(None, "cli"),
        now=now - timedelta(days=1),
    )
    store.close()
    config = bot_config(api, tmp_path, db_file)
    async with running_bot(api, config) as running:
        (digest,) = await api.wait_for(1, chat_id=ALICE, timeout=10)
        assert "新闻摘要" in digest.plain
        assert running.store.subscriptions.has_digest(old.id, _last(too_old, now))
    assert api.sent(BOB) == []  # beyond grace: skipped, not sent
    async with running_bot(api, config):  # restart right after: nothing repeats
        await api.wait_confirmed()
    assert len(api.sent(ALICE)) == 1
    assert recent.id != old.id


def _last(hhmm: str, now: datetime) -> datetime:
    from newsbot.digest.schedule import previous_slot

    slot = previous_slot(SubscriptionSpec(times=(hhmm,)), now)
    assert slot is not None
    return slot
