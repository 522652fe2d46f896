"""Issue 8, who may do what with channels: the user's rights are checked first, with
Telegram, and adding needs the right to post."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import telegram
from telegram.error import BadRequest

from tests.bot_harness import Running, bot_config, running_bot, two_article_store
from tests.factories import make_article
from tests.fakebotapi import FakeBotApi

OWNER = 2101  # created the channel
EDITOR = 2102  # an administrator allowed to post
MODERATOR = 2103  # an administrator without the right to post
READER = 2104  # a subscriber of the channel
STRANGER = 2105  # not in the channel at all
ROOT = 2199  # a global admin
CHANNEL = -1005001


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        for user, name in [
            (OWNER, "Owner"),
            (EDITOR, "Editor"),
            (MODERATOR, "Moderator"),
            (READER, "Reader"),
            (STRANGER, "Stranger"),
            (ROOT, "Root"),
        ]:
            server.add_private_chat(user, name, language_code="en")
        server.add_channel(
            CHANNEL, "早报频道", username="morning", members={OWNER: "creator", READER: "member"}
        )
        server.set_member(CHANNEL, EDITOR, "administrator", can_post_messages=True)
        server.set_member(CHANNEL, MODERATOR, "administrator", can_delete_messages=True)
        yield server


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    return two_article_store(tmp_path / "rights.db")


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path, db_file: str) -> AsyncIterator[Running]:
    async with running_bot(api, bot_config(api, tmp_path, db_file, admins=(ROOT,))) as running:
        yield running


async def ask(api: FakeBotApi, chat: int, text: str, user: int | None = None) -> str:
    before = len(api.sent(chat))
    api.push_message(chat, user, text)
    await api.wait_for(before + 1, chat_id=chat)
    await api.wait_confirmed()
    return "\n".join(m.plain for m in api.sent(chat)[before:])


async def test_fake_hides_channel_members_from_a_bot_that_is_no_admin(api: FakeBotApi) -> None:
    async with telegram.Bot(**api.bot_kwargs()) as plain:
        assert (await plain.get_chat_member(CHANNEL, READER)).status == "member"
        api.set_bot_member(CHANNEL, "left")
        with pytest.raises(BadRequest, match=r"(?i)member list is inaccessible"):
            await plain.get_chat_member(CHANNEL, READER)
        assert (await plain.get_chat_member(CHANNEL, api.bot_user.id)).status == "left"


async def test_stranger_cannot_remove_after_the_bot_lost_its_rights(bot: Running) -> None:
    """Item 8: the user is checked before the bot, whatever state the bot is in."""
    api, subs = bot.api, bot.store.subscriptions
    assert "Subscribed" in await ask(api, OWNER, "/channel add @morning #财经")
    assert "Subscribed" in await ask(api, ROOT, "/channel add @morning #体育")
    api.set_bot_member(CHANNEL, "administrator", can_post_messages=False)
    refused = await ask(api, READER, "/channel remove @morning")
    assert "not an administrator of @morning" in refused
    assert len(subs.for_chat(CHANNEL)) == 2

    api.set_bot_member(CHANNEL, "kicked")  # Telegram no longer tells who administers it
    for user in (READER, STRANGER, MODERATOR, EDITOR):
        refused = await ask(api, user, "/channel remove @morning")
        assert "can't check" in refused and "Removed" not in refused
    assert len(subs.for_chat(CHANNEL)) == 2
    # Whoever created a subscription may still remove it; a global admin may remove any.
    mine = await ask(api, OWNER, "/channel remove @morning")
    assert "Removed 1 subscription(s) of @morning" in mine
    assert [s.created_by for s in subs.for_chat(CHANNEL)] == [ROOT]
    by_root = await ask(api, ROOT, "/channel remove @morning")
    assert "Removed 1 subscription(s) of @morning" in by_root
    assert subs.for_chat(CHANNEL) == []


async def test_adding_needs_the_right_to_post(bot: Running) -> None:
    """Item 9: an administrator who may not post cannot make the bot post there."""
    api, subs = bot.api, bot.store.subscriptions
    refused = await ask(api, MODERATOR, "/channel add @morning #财经")
    assert "lack the “Post messages” right" in refused
    assert subs.for_chat(CHANNEL) == []
    assert "not an administrator" in await ask(api, READER, "/channel add @morning")
    assert "Subscribed" in await ask(api, EDITOR, "/channel add @morning #财经")
    assert "Subscribed" in await ask(api, OWNER, "/channel add @morning #体育")  # creator
    assert [s.created_by for s in subs.for_chat(CHANNEL)] == [EDITOR, OWNER]
    # Any administrator may still stop the bot posting there.
    assert "Removed 2" in await ask(api, MODERATOR, "/channel remove @morning")


async def test_channel_admins_manage_a_channel_subscription_from_a_private_chat(
    bot: Running,
) -> None:
    """Item 14: /preview, /set, /digest, /unsubscribe with a channel subscription's id,
    checked with Telegram; a channel digest carries no management footer."""
    api, subs = bot.api, bot.store.subscriptions
    assert "Subscribed" in await ask(api, EDITOR, "/channel add @morning #财经")
    (sub,) = subs.for_chat(CHANNEL)
    title = make_article(1).title

    preview = await ask(api, MODERATOR, f"/preview {sub.id}")  # any administrator may look
    assert title in preview and f"/set {sub.id}" in preview
    assert "“Post messages”" in await ask(api, MODERATOR, f"/set {sub.id} max=5")
    assert "“Post messages”" in await ask(api, MODERATOR, f"/digest {sub.id}")
    for user in (READER, STRANGER):
        for command in ("/preview", "/set", "/digest", "/unsubscribe"):
            words = f"{command} {sub.id} max=2" if command == "/set" else f"{command} {sub.id}"
            refused = await ask(api, user, words)
            assert f"no subscription #{sub.id}" in refused and title not in refused
    assert subs.for_chat(CHANNEL) == [sub]

    changed = await ask(api, EDITOR, f"/set {sub.id} max=3 at=07:30")
    assert "at most 3 per digest" in changed and "07:30" in changed
    sent = await ask(api, EDITOR, f"/digest {sub.id}")
    assert "早报频道" in sent
    (digest,) = await api.wait_for(1, chat_id=CHANNEL)
    assert title in digest.plain
    assert "/set" not in digest.plain and "/unsubscribe" not in digest.plain
    assert f"#{sub.id}" in await ask(api, MODERATOR, f"/unsubscribe {sub.id}")
    assert subs.for_chat(CHANNEL) == []
    actions = [(e.action, e.actor) for e in reversed(subs.audit(CHANNEL))]
    assert actions == [("subscribe", "Editor"), ("set", "Editor"), ("unsubscribe", "Moderator")]


async def test_any_channel_admin_can_list_its_subscriptions(bot: Running) -> None:
    """Item 14: an administrator who did not create a subscription can find its id."""
    api = bot.api
    assert "Subscribed" in await ask(api, EDITOR, "/channel add @morning #财经")
    assert "No channel subscriptions" in await ask(api, MODERATOR, "/channel list")
    listed = await ask(api, MODERATOR, "/channel list @morning")
    assert "Subscription #1" in listed and "早报频道" in listed
    assert "not an administrator" in await ask(api, READER, "/channel list @morning")
