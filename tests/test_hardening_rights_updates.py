"""Issue 8, which updates are commands: not edits, not channel posts, not commands for
other bots; anonymous group administrators are administrators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.bot_harness import Running, bot_config, running_bot, two_article_store
from tests.fakebotapi import FakeBotApi

ALICE = 2201
ADMIN = 2202
MEMBER = 2203
GROUP = -3201
SUPERGROUP = -1003202
CHANNEL = -1005201


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(ALICE, "爱丽丝", language_code="zh-hans")
        server.add_group(GROUP, "读书会", members={ADMIN: "administrator", MEMBER: "member"})
        server.add_supergroup(SUPERGROUP, "大群", members={ADMIN: "creator", MEMBER: "member"})
        server.add_channel(CHANNEL, "频道", username="chan", members={ALICE: "creator"})
        yield server


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    return two_article_store(tmp_path / "updates.db")


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path, db_file: str) -> AsyncIterator[Running]:
    async with running_bot(api, bot_config(api, tmp_path, db_file)) as running:
        yield running


async def ask(api: FakeBotApi, chat: int, text: str, user: int | None = None) -> str:
    before = len(api.sent(chat))
    api.push_message(chat, user, text)
    await api.wait_for(before + 1, chat_id=chat)
    await api.wait_confirmed()
    return "\n".join(m.plain for m in api.sent(chat)[before:])


async def test_an_edited_command_is_not_run_again(bot: Running) -> None:
    """Item 11: fixing a typo in a command sent earlier does nothing."""
    api, subs = bot.api, bot.store.subscriptions
    first = api.push_message(ALICE, None, "/subscribe #财经")
    await api.wait_for(1, chat_id=ALICE)
    api.edit_message(ALICE, first.message_id, "/subscribe #体育")
    digest = api.push_message(ALICE, None, "/digest")
    await api.wait_for(2, chat_id=ALICE)
    api.edit_message(ALICE, digest.message_id, "/digest 1")
    group = api.push_message(GROUP, ADMIN, "/subscribe #财经")
    await api.wait_for(1, chat_id=GROUP)
    api.edit_message(GROUP, group.message_id, "/subscribe #体育")
    # Updates are handled in order: once this is answered, the edits were seen.
    listed = await ask(api, ALICE, "/subscriptions")
    assert "#体育" not in listed
    assert len(api.sent(ALICE)) == 3
    assert len(api.sent(GROUP)) == 1
    assert [s.spec.filters.tags for s in subs.for_chat(ALICE)] == [("财经",)]
    assert [s.spec.filters.tags for s in subs.for_chat(GROUP)] == [("财经",)]


async def test_channel_posts_and_other_bots_commands_get_no_answer(bot: Running) -> None:
    """Item 12: no public "no such command" in a channel; commands for other bots ignored."""
    api, subs = bot.api, bot.store.subscriptions
    api.push_channel_post(CHANNEL, "/help")
    post = api.push_channel_post(CHANNEL, "/subscribe #财经")
    api.edit_message(CHANNEL, post.message_id, "/subscribe #体育")
    for chat in (GROUP, SUPERGROUP):
        api.push_message(chat, MEMBER, "/help@other_bot")
        api.push_message(chat, MEMBER, "/frobnicate@other_bot")
        api.push_message(chat, ADMIN, "/subscribe@other_bot #财经")
    # Addressed to this bot (any case), a command is answered as usual.
    mine = await ask(api, SUPERGROUP, "/subscriptions@NewsBot_Test_Bot", MEMBER)
    assert "还没有订阅" in mine or "no subscriptions" in mine.lower()
    assert "还没有订阅" in await ask(api, ALICE, "/subscriptions")
    assert api.sent(CHANNEL) == []
    assert api.sent(GROUP) == []
    assert len(api.sent(SUPERGROUP)) == 1
    assert subs.all() == []


async def test_anonymous_group_admins_are_admins_of_that_group(bot: Running) -> None:
    """Item 10: a message sent as the group comes from one of its administrators."""
    api, subs = bot.api, bot.store.subscriptions
    for chat in (GROUP, SUPERGROUP):
        before = len(api.sent(chat))
        api.push_message(chat, ADMIN, "/subscribe #财经", as_chat=True)
        (reply,) = (await api.wait_for(before + 1, chat_id=chat))[before:]
        assert "已订阅" in reply.plain
    (sub,) = subs.for_chat(GROUP)
    before = len(api.sent(GROUP))
    api.push_message(GROUP, ADMIN, f"/set {sub.id} max=3", as_chat=True)
    (changed,) = (await api.wait_for(before + 1, chat_id=GROUP))[before:]
    assert "每次最多 3 条" in changed.plain
    assert "only the group's administrators" in await ask(
        api, GROUP, f"/unsubscribe {sub.id}", MEMBER
    )
    (entry, *_) = subs.audit(GROUP)
    assert entry.action == "set" and "读书会" in entry.actor


async def test_relayed_channel_posts_and_bare_unknown_commands_in_groups(bot: Running) -> None:
    """Item 12, the same in a group: a channel post relayed into its discussion group,
    and an unknown bare ``/roll`` (another bot's), get no answer there."""
    api = bot.api
    api.push_update(
        {
            "message": {
                "message_id": 900,
                "date": 1_750_000_000,
                "chat": {"id": SUPERGROUP, "type": "supergroup", "title": "大群"},
                "sender_chat": {"id": CHANNEL, "type": "channel", "title": "频道"},
                "from": {"id": 777000, "is_bot": False, "first_name": "Telegram"},
                "is_automatic_forward": True,
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            }
        }
    )
    api.push_message(SUPERGROUP, MEMBER, "/roll 2d6")
    api.push_message(GROUP, MEMBER, "/roll")
    assert "/help" in await ask(api, GROUP, "/frobnicate@newsbot_test_bot", MEMBER)
    assert "/help" in await ask(api, ALICE, "/roll")  # a private chat is told, as before
    mine = await ask(api, SUPERGROUP, "/subscriptions", MEMBER)
    assert len(api.sent(SUPERGROUP)) == 1 and "No subscriptions here" in mine
    assert len(api.sent(GROUP)) == 1
