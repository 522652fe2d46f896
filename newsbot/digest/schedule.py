"""When a subscription is due: pure functions over its local times and timezone.

Slots are wall-clock times in the subscription's IANA timezone, so a digest at
08:00 stays at 08:00 across daylight-saving changes. A time that does not exist
on a given day (skipped by a DST jump) falls at the first instant after the gap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from newsbot.models import SubscriptionSpec

__all__ = ["day_slots", "next_slot", "parse_hhmm", "previous_slot"]

_SEARCH_DAYS = 8


def parse_hhmm(text: str) -> time:
    """``8:00`` / ``08:00`` / ``0800`` / ``８：００`` (seconds allowed: ``08:00:30``) -> time."""
    value = text.strip().translate(str.maketrans("０１２３４５６７８９：", "0123456789:"))
    if value.count(":") == 2:
        hhmm, _, seconds = value.rpartition(":")
        if not (seconds.isdigit() and len(seconds) == 2):
            raise ValueError(text)
        return parse_hhmm(hhmm).replace(second=int(seconds))
    if ":" in value:
        hours, _, minutes = value.partition(":")
    elif len(value) in (3, 4) and value.isdigit():
        hours, minutes = value[:-2], value[-2:]
    else:
        raise ValueError(text)
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(text)
    return time(int(hours), int(minutes))  # raises ValueError when out of range


def _at(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
    wall = datetime.combine(day, parse_hhmm(hhmm), tzinfo=tz)
    # Round-trip through UTC: a nonexistent wall time moves past the gap.
    return wall.astimezone(UTC).astimezone(tz)


def day_slots(spec: SubscriptionSpec, day: date) -> list[datetime]:
    """The slots of one local day (none on weekends for weekday-only subscriptions)."""
    if spec.weekdays_only and day.weekday() >= 5:
        return []
    tz = ZoneInfo(spec.timezone)
    return sorted({_at(day, hhmm, tz) for hhmm in spec.times})


def next_slot(spec: SubscriptionSpec, now: datetime) -> datetime | None:
    """The first slot strictly after ``now``."""
    local_today = now.astimezone(ZoneInfo(spec.timezone)).date()
    for offset in range(_SEARCH_DAYS):
        for slot in day_slots(spec, local_today + timedelta(days=offset)):
            if slot > now:
                return slot
    return None


def previous_slot(spec: SubscriptionSpec, now: datetime) -> datetime | None:
    """The latest slot at or before ``now``."""
    local_today = now.astimezone(ZoneInfo(spec.timezone)).date()
    for offset in range(_SEARCH_DAYS):
        for slot in reversed(day_slots(spec, local_today - timedelta(days=offset))):
            if slot <= now:
                return slot
    return None
