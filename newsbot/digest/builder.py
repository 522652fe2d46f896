"""Digests: subscription -> chosen articles -> rendered messages -> outbox.

The store chooses the articles (SQL) and records the digest in one transaction;
this module supplies the rendering and the views, and the plain-words
description of subscriptions shared by the bot and the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from newsbot.digest.schedule import next_slot, parse_hhmm
from newsbot.models import Article, Subscription, SubscriptionSpec
from newsbot.render import Renderer
from newsbot.store import Store
from newsbot.store.subscriptions import DigestRecord
from newsbot.views import DigestView, SubscriptionsView, SubscriptionView, list_view

__all__ = ["DigestBuilder", "look_back", "subscription_view", "subscriptions_view"]

_DAY = timedelta(days=1)


def look_back(spec: SubscriptionSpec) -> timedelta:
    """How far a subscription's first digest looks back from the newest article: what
    one of its regular digests covers at most (the longest gap between two of its
    digest times), and at least a day. So a day, except for a weekdays-only
    subscription, whose Monday digest covers the weekend: two days more."""
    if not (spec.weekdays_only and spec.times):
        return _DAY  # no gap between the times of a day is longer
    times = sorted(parse_hhmm(hhmm) for hhmm in spec.times)
    first, last = (
        timedelta(hours=t.hour, minutes=t.minute, seconds=t.second) for t in (times[0], times[-1])
    )
    return 3 * _DAY - (last - first)  # Friday's last time to Monday's first


def subscription_view(sub: Subscription, now: datetime) -> SubscriptionView:
    spec = sub.spec
    return SubscriptionView(
        id=sub.id,
        chat_title=sub.chat_title,
        chat_type=sub.chat_type,
        tags=spec.filters.tags,
        include=spec.filters.include,
        exclude=spec.filters.exclude,
        times=spec.times,
        weekdays_only=spec.weekdays_only,
        timezone=spec.timezone,
        max_items=spec.max_items,
        show_summary=spec.show_summary,
        active=sub.active,
        inactive_reason=sub.inactive_reason,
        next_at=next_slot(spec, now) if sub.active else None,
    )


def subscriptions_view(subs: Sequence[Subscription], now: datetime) -> SubscriptionsView:
    return SubscriptionsView(tuple(subscription_view(s, now) for s in subs))


class DigestBuilder:
    """Renders and records digests; ``nothing_new`` sends a line when nothing matched."""

    def __init__(self, store: Store, renderer: Renderer, *, nothing_new: bool = False) -> None:
        self.store = store
        self.renderer = renderer
        self.nothing_new = nothing_new

    def render(
        self,
        sub: Subscription,
        chosen: Sequence[Article],
        now: datetime,
        bot_username: str | None,
        *,
        preview: bool = False,
    ) -> list[str]:
        if not chosen:
            if preview or self.nothing_new:
                return [self.renderer.text("digest.nothing_new", sub.language)]
            return []
        items = list_view("latest", "", chosen, 0, False, bot_username).items
        view = DigestView(
            subscription=subscription_view(sub, now),
            date=now.astimezone(ZoneInfo(sub.spec.timezone)),
            items=items,
            show_summary=sub.spec.show_summary,
            preview=preview,
        )
        return self.renderer.render("digest.html.j2", view, sub.language)

    def build(
        self,
        sub: Subscription,
        slot: datetime,
        kind: str,
        now: datetime,
        bot_username: str | None,
    ) -> DigestRecord | None:
        """Record the digest of ``slot`` in the outbox; None if that slot already has one."""
        return self.store.subscriptions.create_digest(
            sub,
            slot,
            kind,
            lambda chosen: self.render(sub, chosen, now, bot_username),
            now,
            look_back(sub.spec),
        )

    def preview(self, sub: Subscription, now: datetime, bot_username: str | None) -> list[str]:
        """What the next digest would say; nothing is marked delivered."""
        chosen = self.store.subscriptions.candidates(sub, now, look_back(sub.spec))
        return self.render(sub, chosen, now, bot_username, preview=True)
