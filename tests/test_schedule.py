"""Slots in local time, across DST and weekends; subscription arguments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from newsbot.digest.schedule import day_slots, next_slot, parse_hhmm, previous_slot
from newsbot.digest.subscriptions import apply_settings, parse_subscribe
from newsbot.models import Filters, SubscriptionSpec
from newsbot.queries import UsageError

BERLIN = ZoneInfo("Europe/Berlin")


def test_parse_hhmm() -> None:
    assert parse_hhmm("8:00") == time(8, 0)
    assert parse_hhmm("０８：３０") == time(8, 30)
    assert parse_hhmm("0730") == time(7, 30)
    assert parse_hhmm("08:00:15") == time(8, 0, 15)
    for bad in ("25:00", "8", "ab:cd", "8:5", "08:60", ""):
        with pytest.raises(ValueError):
            parse_hhmm(bad)


def test_slots_keep_wall_clock_across_dst() -> None:
    spec = SubscriptionSpec(times=("08:00",), timezone="Europe/Berlin")
    before = day_slots(spec, date(2026, 3, 28))[0]
    after = day_slots(spec, date(2026, 3, 30))[0]
    assert before.astimezone(BERLIN).hour == after.astimezone(BERLIN).hour == 8
    assert before.utcoffset() != after.utcoffset()
    # 02:30 does not exist on the spring-forward night: it falls after the gap.
    gap = day_slots(SubscriptionSpec(times=("02:30",), timezone="Europe/Berlin"), date(2026, 3, 29))
    assert gap[0].astimezone(UTC).hour == 1 and gap[0].astimezone(BERLIN).hour == 3


def test_next_and_previous_slot_and_weekdays() -> None:
    spec = SubscriptionSpec(times=("08:00", "18:00"), timezone="Asia/Shanghai")
    now = datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday
    assert next_slot(spec, now) == now.replace(hour=18)
    assert previous_slot(spec, now) == now.replace(hour=8)
    weekdays = SubscriptionSpec(times=("08:00",), weekdays_only=True, timezone="Asia/Shanghai")
    friday_night = now.replace(hour=20)
    assert next_slot(weekdays, friday_night) == datetime(
        2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert previous_slot(weekdays, sunday) == now.replace(hour=8)


def test_parse_subscribe() -> None:
    spec = parse_subscribe(
        [
            "#高新区",
            "营商",
            "-广告",
            "at",
            "08:00,18:00",
            "tz",
            "Europe/Berlin",
            "max",
            "5",
            "nosummary",
            "weekdays",
        ],
        "Asia/Shanghai",
    )
    assert spec.filters == Filters(("高新区",), ("营商",), ("广告",))
    assert spec.times == ("08:00", "18:00") and spec.timezone == "Europe/Berlin"
    assert spec.max_items == 5 and not spec.show_summary and spec.weekdays_only
    assert parse_subscribe([], "Asia/Shanghai") == SubscriptionSpec(timezone="Asia/Shanghai")


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["at", "25:00"], "sub.bad_time"),
        (["at"], "sub.bad_time"),
        (["tz", "Mars/Base"], "sub.bad_tz"),
        (["max", "0"], "sub.bad_max"),
        (["max", "lots"], "sub.bad_max"),
        (["长" * 31], "sub.word_too_long"),
        (["at", "1:00,2:00,3:00,4:00,5:00,6:00,7:00"], "sub.too_many_times"),
    ],
)
def test_parse_subscribe_errors(args: list[str], key: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_subscribe(args, "Asia/Shanghai")
    assert caught.value.key == key


def test_apply_settings() -> None:
    spec = SubscriptionSpec()
    changed = apply_settings(
        spec, ["at=07:30,18:00", "max=3", "summary=off", "tags=#财经,科技", "exclude=广告"]
    )
    assert changed.times == ("07:30", "18:00") and changed.max_items == 3
    assert not changed.show_summary
    assert changed.filters.tags == ("财经", "科技") and changed.filters.exclude == ("广告",)
    assert apply_settings(changed, ["tags="]).filters.tags == ()
    for bad in (["colour=red"], ["max"], ["summary=maybe"]):
        with pytest.raises(UsageError):
            apply_settings(spec, bad)
