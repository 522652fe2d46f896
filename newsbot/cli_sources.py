"""``newsbot sources …`` and ``newsbot fetch``: live sources from the terminal.

Registered on the main command group by :mod:`newsbot.cli`; each command calls one
function of :mod:`newsbot.sources` and prints its result.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from newsbot.cli import State, _errors, _open_store, _progress_bar, pass_state
from newsbot.config import Config
from newsbot.errors import ConfigError, SourceError
from newsbot.models import Source, SourceSpec

__all__ = ["fetch", "sources"]


def _synced(config: Config) -> Any:
    """The store, with the config file's [[sources]] written into it."""
    store = _open_store(config)
    try:
        store.sources.sync_config(config.sources, datetime.now(UTC))
    except SourceError as exc:
        store.close()
        raise ConfigError(str(exc)) from None
    return store


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%m-%d %H:%M")


def source_line(source: Source) -> str:
    """One source in a terminal list."""
    spec = source.spec
    head = (
        f"#{source.id} {spec.name} [{source.status}] {spec.kind} every {spec.interval_minutes} min"
        f"{'' if spec.full_page else ', feed items only'}"
        f"{', tags ' + ' '.join('#' + t for t in spec.tags) if spec.tags else ''}"
        f" ({source.origin})"
    )
    lines = [head, f"    {spec.url}" + (f"  pattern {spec.pattern}" if spec.pattern else "")]
    lines.append(
        f"    {source.pages} pages; last ok {_when(source.ok_at)}; next {_when(source.next_at)}"
    )
    if source.paused_reason:
        lines.append(f"    paused: {source.paused_reason}")
    elif source.last_error:
        lines.append(f"    last error ({source.failures} in a row): {source.last_error}")
    return "\n".join(lines)


def source_json(source: Source) -> dict[str, Any]:
    spec = source.spec
    return {
        "id": source.id,
        "name": spec.name,
        "url": spec.url,
        "kind": spec.kind,
        "pattern": spec.pattern,
        "interval_minutes": spec.interval_minutes,
        "tags": list(spec.tags),
        "full_page": spec.full_page,
        "origin": source.origin,
        "status": source.status,
        "pages": source.pages,
        "ok_at": source.ok_at.isoformat() if source.ok_at else None,
        "next_at": source.next_at.isoformat() if source.next_at else None,
        "failures": source.failures,
        "last_error": source.last_error,
        "paused_reason": source.paused_reason,
    }


@click.group()
def sources() -> None:
    """Live sources: feeds, sitemaps and list pages that `newsbot fetch` reads.

    Sources from the config file's [[sources]] tables are listed too; they are
    changed in the file. `newsbot run` fetches every source on its interval.
    """


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@pass_state
def sources_list(state: State, as_json: bool) -> None:
    """List sources with their status, pages stored, last success and last error."""
    with _errors():
        store = _synced(state.config)
        try:
            found = store.sources.all()
        finally:
            store.close()
    if as_json:
        click.echo(json.dumps([source_json(s) for s in found], ensure_ascii=False))
    elif not found:
        click.echo("no sources yet: newsbot sources add URL")
    else:
        click.echo("\n".join(source_line(s) for s in found))


@sources.command("add")
@click.argument("url")
@click.option("--name", help="Short name without spaces (default: the URL's host).")
@click.option(
    "--kind",
    type=click.Choice(["auto", "feed", "sitemap", "list"]),
    default="auto",
    show_default=True,
    help="What the URL is; auto decides on the first fetch.",
)
@click.option("--pattern", help="List pages: article links whose URL matches this.")
@click.option(
    "--every",
    "interval",
    type=click.IntRange(1, 7 * 24 * 60),
    default=30,
    show_default=True,
    help="Minutes between fetches.",
)
@click.option("--tag", "tag_names", multiple=True, help="A tag for every article (repeatable).")
@click.option("--feed-only", is_flag=True, help="Trust the feed item; do not fetch the page.")
@click.option("--no-check", is_flag=True, help="Store without fetching the URL once first.")
@pass_state
def sources_add(
    state: State,
    url: str,
    name: str | None,
    kind: str,
    pattern: str | None,
    interval: int,
    tag_names: tuple[str, ...],
    feed_only: bool,
    no_check: bool,
) -> None:
    """Add a source after fetching it once: a feed (RSS, Atom, JSON Feed), a sitemap,
    or a list page with --pattern. A web page that names its feed is taken as that
    feed. Exit status 1 when the source cannot be used."""
    from newsbot.sources.manage import add_source, name_for

    config = state.config
    with _errors():
        spec = SourceSpec(
            name=name or name_for(url),
            url=url.strip(),
            kind=kind,  # type: ignore[arg-type]
            pattern=pattern or None,
            interval_minutes=interval,
            tags=tuple(t.strip().lstrip("#") for t in tag_names if t.strip()),
            full_page=not feed_only,
        )
        store = _synced(config)
        try:
            added = asyncio.run(
                add_source(
                    store,
                    spec,
                    origin="cli",
                    added_by="cli",
                    config=config.fetch,
                    check=not no_check,
                )
            )
        finally:
            store.close()
    if added.note:
        click.echo(added.note)
    found = ""
    if added.index is not None:
        count = len(added.index.entries)
        found = f": {added.index.kind}"
        found += f" '{added.index.title}'" if added.index.title else ""
        found += f" with {count} entries" if count or not added.index.children else ""
        found += f", {len(added.index.children)} child sitemaps" if added.index.children else ""
    click.echo(f"added source #{added.source.id} {added.source.name}{found}")
    click.echo("fetch it now with: newsbot fetch --source " + added.source.name)


@sources.command("remove")
@click.argument("key", metavar="NAME|ID")
@pass_state
def sources_remove(state: State, key: str) -> None:
    """Remove a source. Articles already ingested stay; its fetch records go."""
    with _errors():
        store = _synced(state.config)
        try:
            removed = store.sources.remove(key)
        finally:
            store.close()
    if removed is None:
        click.echo(f"error: no source {key!r} (see newsbot sources list)", err=True)
        sys.exit(1)
    click.echo(f"removed source #{removed.id} {removed.name}")


@sources.command("check")
@click.argument("target", metavar="URL|NAME")
@click.option("--pattern", help="Read the URL as a list page with this link pattern.")
@pass_state
def sources_check(state: State, target: str, pattern: str | None) -> None:
    """Fetch a source's index once and show what it lists; stores nothing."""
    from newsbot.errors import BadIndexError, FetchError
    from newsbot.sources.rounds import check_source

    config = state.config
    url = target
    if not target.startswith(("http://", "https://")):
        with _errors():
            store = _synced(config)
            try:
                known = store.sources.get(target)
            finally:
                store.close()
        if known is None:
            raise click.UsageError(f"{target!r} is neither a URL nor a source's name")
        url, pattern = known.spec.url, pattern or known.spec.pattern
    try:
        got, index = asyncio.run(check_source(url, pattern=pattern, config=config.fetch))
    except (FetchError, BadIndexError) as exc:
        click.echo(f"{url}: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"{got.final_url}: {index.kind}"
        + (f" '{index.title}'" if index.title else "")
        + f", {len(index.entries)} entries"
        + (f", {index.skipped} skipped" if index.skipped else "")
        + (f", {len(index.children)} child sitemaps" if index.children else "")
    )
    for entry in index.entries[:10]:
        when = entry.published.isoformat(timespec="minutes") if entry.published else "-"
        click.echo(f"  {when}  {entry.title or '(no title)'}\n      {entry.url}")
    if len(index.entries) > 10:
        click.echo(f"  … and {len(index.entries) - 10} more")


@click.command()
@click.option("--source", "names", multiple=True, help="Only this source (repeatable).")
@click.option("--all", "every", is_flag=True, help="Every source, due or not.")
@click.option("--no-ingest", is_flag=True, help="Only save the pages in the seed store.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."
)
@pass_state
def fetch(
    state: State,
    names: tuple[str, ...],
    every: bool,
    no_ingest: bool,
    as_json: bool,
    progress: bool | None,
) -> None:
    """Fetch the sources that are due (one round), save new pages in the seed store
    and ingest them. Exit status 1 when a source failed (the others still go in)."""
    from newsbot.ingest import ingest as run_ingest
    from newsbot.sources.rounds import fetch_round

    config = state.config
    seeds = Path(config.seeds.dir)
    show_bar = (sys.stderr.isatty() if progress is None else progress) and not as_json
    with _errors():
        store = _synced(config)
        try:
            chosen = None
            if names:
                chosen = []
                for name in names:
                    found = store.sources.get(name)
                    if found is None:
                        raise click.UsageError(f"no source {name!r} (see newsbot sources list)")
                    chosen.append(found)
            elif every:
                chosen = store.sources.all()
            with _progress_bar(show_bar, "fetching pages") as advance:
                done = [0]

                def fetched(count: int) -> None:
                    done[0] += count
                    if advance is not None:
                        advance(done[0], None)

                report = asyncio.run(
                    fetch_round(store, seeds, config.fetch, sources=chosen, progress=fetched)
                )
            ingested = None
            if report.paths and not no_ingest:
                ingested = run_ingest(
                    store, report.paths, max_bytes=int(config.seeds.max_file_mb * 1_000_000)
                )
        finally:
            store.close()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sources": [
                        {
                            "name": r.source,
                            "ok": r.ok,
                            "not_modified": r.not_modified,
                            "entries": r.entries,
                            "stored": r.stored,
                            "unchanged": r.unchanged,
                            "failed": r.failed,
                            "error": r.error,
                            "paused": r.paused,
                        }
                        for r in report.sources
                    ],
                    "ingest": ingested.as_dict() if ingested is not None else None,
                },
                ensure_ascii=False,
            )
        )
    else:
        if not report.sources:
            click.echo("no source is due (newsbot sources list; --all fetches every one)")
        for item in report.sources:
            click.echo(item.line)
        if ingested is not None:
            for failure in ingested.failures:
                click.echo(f"failed: {failure.file}: {failure.reason}", err=True)
            click.echo(
                f"ingested {ingested.files} pages: {ingested.new} new, "
                f"{ingested.updated} updated, {ingested.failed} failed"
            )
    sys.exit(1 if report.failed_sources or (ingested is not None and ingested.failed) else 0)
