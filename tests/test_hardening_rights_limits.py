"""Issue 8, duplicates, limits and mistakes in /subscribe and /set."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.bot_harness import Running, bot_config, running_bot, two_article_store
from tests.fakebotapi import FakeBotApi

ALICE = 2301  # Chinese
BOB = 2302  # English
EDITOR = 2303
ROOT = 2399
CHANNEL = -1005301
OTHER_CHANNEL = -1005302


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        server.add_private_chat(ALICE, "爱丽丝", language_code="zh-hans")
        server.add_private_chat(BOB, "Bob", language_code="en")
        server.add_private_chat(EDITOR, "Editor", language_code="en")
        server.add_private_chat(ROOT, "Root", language_code="en")
        server.add_channel(CHANNEL, "一台", username="one", members={EDITOR: "creator"})
        server.add_channel(OTHER_CHANNEL, "二台", username="two", members={EDITOR: "creator"})
        yield server


@pytest.fixture
def db_file(tmp_path: Path) -> str:
    return two_article_store(tmp_path / "limits.db")


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path, db_file: str) -> AsyncIterator[Running]:
    config = bot_config(api, tmp_path, db_file, admins=(ROOT,))
    config = replace(
        config,
        bot=replace(config.bot, max_subscriptions_per_chat=3, max_channel_subscriptions_per_user=2),
    )
    async with running_bot(api, config) as running:
        yield running


async def ask(api: FakeBotApi, chat: int, text: str, user: int | None = None) -> str:
    before = len(api.sent(chat))
    api.push_message(chat, user, text)
    await api.wait_for(before + 1, chat_id=chat)
    await api.wait_confirmed()
    return "\n".join(m.plain for m in api.sent(chat)[before:])


def test_caps_default_to_ten_per_chat() -> None:
    from newsbot.config import BotConfig

    assert BotConfig().max_subscriptions_per_chat == 10
    assert BotConfig().max_channel_subscriptions_per_user >= 10


async def test_an_identical_subscription_is_refused_and_chats_are_capped(bot: Running) -> None:
    """Item 15: /subscribe twice points to the first; a chat holds at most N."""
    api, subs = bot.api, bot.store.subscriptions
    assert "已订阅" in await ask(api, ALICE, "/subscribe #财经 股市 at 08:00,18:00")
    (first,) = subs.for_chat(ALICE)
    for same in ("/subscribe #财经 股市 at 08:00,18:00", "/subscribe at 18:00,08:00 股市 #财经"):
        twin = await ask(api, ALICE, same)
        assert f"#{first.id}" in twin and "已订阅" not in twin
    assert len(subs.for_chat(ALICE)) == 1
    assert "已订阅" in await ask(api, ALICE, "/subscribe #财经 股市 at 09:00")
    assert "已订阅" in await ask(api, ALICE, "/subscribe #体育")
    full = await ask(api, ALICE, "/subscribe #科技")
    assert "3" in full and "已订阅" not in full
    assert len(subs.for_chat(ALICE)) == 3


async def test_channel_subscriptions_are_capped_per_user(bot: Running) -> None:
    """Item 15: one user cannot flood channels with subscriptions either."""
    api, subs = bot.api, bot.store.subscriptions
    assert "Subscribed" in await ask(api, EDITOR, "/channel add @one #财经")
    twin = await ask(api, EDITOR, "/channel add @one #财经")
    assert "already" in twin and f"#{subs.for_chat(CHANNEL)[0].id}" in twin
    assert "Subscribed" in await ask(api, EDITOR, "/channel add @two #财经")
    refused = await ask(api, EDITOR, "/channel add @two #体育")
    assert "created 2 channel subscriptions" in refused and "Subscribed" not in refused
    assert len(subs.all()) == 2
    assert "Subscribed" in await ask(api, ROOT, "/channel add @two #体育")  # global admin


@pytest.mark.parametrize(
    ("words", "key", "suggestion"),
    [
        ("#财经 weekends", "sub.did_you_mean", "weekdays"),
        ("#财经 weekend", "sub.did_you_mean", "weekdays"),
        ("nosumary", "sub.did_you_mean", "nosummary"),
        ("timezon Europe/Berlin", "sub.did_you_mean", "timezone"),
        ("tiem=08:00", "sub.did_you_mean_setting", "time"),
        ("#", "sub.empty_word", None),
        ("＃ 财经", "sub.empty_word", None),
        ("股市 -", "sub.empty_word", None),
        ("+", "sub.empty_word", None),
        ("tz Asia/Shanghai tz Europe/Berlin", "sub.repeated", None),
        ("max 3 max 5", "sub.repeated", None),
    ],
)
def test_subscribe_mistakes_are_named(words: str, key: str, suggestion: str | None) -> None:
    """Item 16: option-like mistakes are answered, never silently taken as keywords."""
    from newsbot.digest.subscriptions import parse_subscribe
    from newsbot.queries import UsageError

    with pytest.raises(UsageError) as raised:
        parse_subscribe(words.split(), "Asia/Shanghai")
    assert raised.value.key == key
    if suggestion is not None:
        assert raised.value.params["option"] == suggestion


def test_subscribe_accepts_several_at_and_both_forms() -> None:
    """Item 16: every ``at`` counts; ``key=value`` and ``+word`` are understood."""
    from newsbot.digest.subscriptions import parse_subscribe

    spec = parse_subscribe(["#财经", "at", "08:00", "股市", "at", "18:00,07:30"], "Asia/Shanghai")
    assert spec.times == ("07:30", "08:00", "18:00")
    assert spec.filters.tags == ("财经",) and spec.filters.include == ("股市",)
    spec = parse_subscribe(["at=09:00", "max=3", "tz=Europe/Berlin", "+weekend"], "UTC")
    assert spec.times == ("09:00",) and spec.max_items == 3 and spec.timezone == "Europe/Berlin"
    assert spec.filters.include == ("weekend",)
    same = parse_subscribe(["tz", "Asia/Shanghai", "tz", "Asia/Shanghai", "weekday"], "UTC")
    assert same.timezone == "Asia/Shanghai" and same.weekdays_only


def test_set_accepts_the_subscribe_form() -> None:
    """Item 16: ``/set 3 at 07:30`` as well as ``/set 3 at=07:30``."""
    from newsbot.digest.subscriptions import apply_settings
    from newsbot.models import SubscriptionSpec
    from newsbot.queries import UsageError

    spec = apply_settings(
        SubscriptionSpec(),
        ["at", "07:30", "at", "18:00", "max", "5", "nosummary", "weekdays", "tz", "UTC"],
    )
    assert spec.times == ("07:30", "18:00") and spec.max_items == 5
    assert not spec.show_summary and spec.weekdays_only and spec.timezone == "UTC"
    assert apply_settings(spec, ["summary=on", "at=09:00"]).times == ("09:00",)
    with pytest.raises(UsageError) as raised:
        apply_settings(spec, ["nosumary"])
    assert raised.value.params["option"] == "nosummary"
    with pytest.raises(UsageError) as raised:
        apply_settings(spec, ["#财经"])  # filters are set with tags=, words=, exclude=
    assert raised.value.key == "sub.bad_setting"


async def test_the_bot_answers_a_mistake_with_a_suggestion(bot: Running) -> None:
    api, subs = bot.api, bot.store.subscriptions
    reply = await ask(api, BOB, "/subscribe #财经 weekends")
    assert "weekdays" in reply and "Subscribed" not in reply
    assert subs.for_chat(BOB) == []
    assert "Subscribed" in await ask(api, BOB, "/subscribe #财经 at 08:00 at 18:00")
    (sub,) = subs.for_chat(BOB)
    assert sub.spec.times == ("08:00", "18:00")
    changed = await ask(api, BOB, f"/set {sub.id} at 07:30")
    assert "Updated" in changed and "07:30" in changed
