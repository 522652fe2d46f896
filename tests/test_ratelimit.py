"""The rate limiter: sliding windows overall and per chat, pauses after 429s."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from newsbot.delivery.ratelimit import Rate, RateLimiter, RateLimits


class FakeTime:
    """A monotonic clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(limits: RateLimits, fake: FakeTime | None = None) -> RateLimiter:
    fake = fake or FakeTime()
    return RateLimiter(limits, clock=fake, sleep=fake.sleep)


def test_rates_from_configuration() -> None:
    assert Rate.per_second(30) == Rate(30, 1.0)
    assert Rate.per_minute(20) == Rate(20, 60.0)
    assert Rate.per_second(0.5) == Rate(1, 2.0)
    with pytest.raises(ValueError):
        Rate.per_second(0)
    assert RateLimits().for_chat("private") == Rate(1, 1.0)
    assert RateLimits().for_chat("channel") == Rate(20, 60.0)
    assert RateLimits().for_chat("supergroup") == Rate(20, 60.0)


def test_overall_window_counts_sends_from_when_they_end() -> None:
    rl = limiter(RateLimits(overall=Rate(2, 1.0), private=None, group=None))
    a = rl.reserve(1, "private", now=0.0)
    b = rl.reserve(2, "private", now=0.0)
    assert rl.delay(3, "private", now=0.0) is None  # full of sends in flight
    rl.release(a, now=0.2)
    # b is still in flight; a counts until it leaves the window at 1.2
    assert rl.delay(3, "private", now=0.2) == pytest.approx(1.0)
    rl.release(b, now=0.3)
    assert rl.delay(3, "private", now=0.3) == pytest.approx(0.9)
    assert rl.delay(3, "private", now=1.2) == 0.0


def test_private_and_group_chats_have_their_own_limits() -> None:
    rl = limiter(RateLimits(overall=None, private=Rate(1, 1.0), group=Rate(3, 60.0)))
    rl.release(rl.reserve(1, "private", now=0.0), now=0.0)
    assert rl.chat_delay(1, "private", now=0.5) == pytest.approx(0.5)
    assert rl.delay(2, "private", now=0.5) == 0.0  # another chat is free
    for t in (0.0, 1.0, 2.0):
        rl.release(rl.reserve(-5, "group", now=t), now=t)
    assert rl.delay(-5, "group", now=3.0) == pytest.approx(57.0)
    assert rl.delay(-5, "group", now=60.0) == 0.0


def test_pauses_only_grow_and_a_chat_pause_is_its_own() -> None:
    rl = limiter(RateLimits.off())
    rl.pause(5.0, now=0.0)
    rl.pause(1.0, now=1.0)  # shorter: the 5 s pause stands
    assert rl.delay(1, "private", now=2.0) == pytest.approx(3.0)
    assert rl.paused_for(now=4.0) == pytest.approx(1.0)
    rl.pause_chat(7, 10.0, now=5.0)
    assert rl.delay(1, "private", now=5.0) == 0.0
    assert rl.delay(7, "private", now=5.0) == pytest.approx(10.0)
    assert rl.chat_delay(7, "group", now=14.0) == pytest.approx(1.0)


async def test_acquire_waits_out_a_pause_in_full() -> None:
    # AIORateLimiter's pause after a 429 was reported to end early (upstream #5338).
    fake = FakeTime()
    rl = limiter(RateLimits.off(), fake)
    start = fake.now
    rl.pause(3.0)
    async with rl.slot(1, "private"):
        assert fake.now - start >= 3.0


async def test_acquire_keeps_every_window_within_its_rate() -> None:
    fake = FakeTime()
    rl = limiter(RateLimits(overall=Rate(3, 1.0), private=Rate(1, 1.0), group=None), fake)
    ends: list[tuple[float, int]] = []

    async def send(chat_id: int) -> None:
        async with rl.slot(chat_id, "private"):
            await fake.sleep(0.01)  # the request itself
            ends.append((fake.now, chat_id))

    await asyncio.gather(*(send(chat) for chat in [1, 2, 3, 4, 1, 1, 2, 5, 6, 7]))
    assert len(ends) == 10
    times = sorted(t for t, _ in ends)
    for i in range(len(times) - 3):
        assert times[i + 3] - times[i] >= 1.0 - 1e-9  # never 4 in one second
    ones = sorted(t for t, chat in ends if chat == 1)
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(ones))


async def test_a_send_in_flight_holds_its_place_until_released() -> None:
    fake = FakeTime()
    rl = limiter(RateLimits(overall=Rate(1, 1.0), private=None, group=None), fake)
    ticket = await rl.acquire(1, "private")
    waiter = asyncio.create_task(rl.acquire(2, "private"))
    await asyncio.sleep(0)
    assert not waiter.done()
    rl.release(ticket)
    second = await asyncio.wait_for(waiter, 5)
    assert fake.now >= 100.0 + 1.0  # one second after the first send ended
    rl.release(second)


async def test_no_limits_means_no_waiting() -> None:
    fake = FakeTime()
    rl = limiter(RateLimits.off(), fake)
    for chat in range(100):
        rl.release(await rl.acquire(chat % 3, "private"))
    assert fake.sleeps == []
