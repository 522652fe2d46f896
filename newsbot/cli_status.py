"""``newsbot status``: what ``/healthz`` and ``/metrics`` tell, read from the database.

Registered on the main command group by :mod:`newsbot.cli`; the facts come from
:func:`newsbot.ops.status.gather_status`, this module only prints them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from newsbot.cli import State, _errors, _open_store, pass_state
from newsbot.ops.status import SourceLine, Status
from newsbot.store.leases import Lease

__all__ = ["age_text", "status", "status_text"]


def age_text(seconds: float) -> str:
    """A duration as an operator reads it: ``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, _ = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%m-%d %H:%M")


def _leader_line(lease: Lease | None, now: datetime) -> str:
    if lease is None:
        return "nobody holds the lease"
    left = (lease.expires_at - now).total_seconds()
    state = f"in {age_text(left)}" if left >= 0 else f"lapsed {age_text(-left)} ago"
    until = lease.expires_at.astimezone().strftime("%H:%M:%S")
    return f"held by {lease.holder} until {until} ({state})"


def _source_line(source: SourceLine) -> str:
    line = (
        f"  {source.name} [{source.status}] {source.pages} pages;"
        f" last ok {_when(source.ok_at)}; next {_when(source.next_at)}"
    )
    return line + (f"\n    {source.error}" if source.error and source.status != "ok" else "")


def status_text(found: Status, now: datetime) -> str:
    """The status as lines for a terminal."""
    schema = found.schema or "empty"
    behind = "" if found.schema == found.schema_head else f" (newest {found.schema_head})"
    oldest = (
        f", oldest {age_text(found.outbox_oldest_age_seconds)} old"
        if found.outbox_oldest_age_seconds is not None
        else ""
    )
    lines = [
        f"database       {found.database}: reachable, schema {schema}{behind}",
        f"articles       {found.articles}",
        f"subscriptions  {found.subscriptions_active} active,"
        f" {found.subscriptions_inactive} inactive",
        f"outbox         {found.outbox_pending} pending{oldest}",
        f"today          {found.sent_today} sent, {found.failed_today} failed,"
        f" {found.flood_waits_today} flood waits (429)",
    ]
    lines.append(f"leader         {_leader_line(found.leader, now)}")
    lines.append(f"sources        {len(found.sources) or 'none'}")
    lines.extend(_source_line(s) for s in found.sources)
    return "\n".join(lines)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_state
def status(state: State, as_json: bool) -> None:
    """Database, articles, subscriptions, outbox, today's sends, sources, leader.

    The same facts as the bot's /healthz and /metrics endpoint (see [ops] in the
    config), read from the database; exit status 3 when it cannot be used.
    """
    from newsbot.ops.status import gather_status

    config = state.config
    now = datetime.now(UTC)
    with _errors():
        store = _open_store(config)
        try:
            found = gather_status(store, config.database.display_url, config.tz, now)
        finally:
            store.close()
    if as_json:
        click.echo(json.dumps(found.as_dict(), ensure_ascii=False))
    else:
        click.echo(status_text(found, now))
