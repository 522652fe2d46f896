"""Fetch rounds: each due source's index, then its new pages, into the seed store.

One round of a source:

1. its index (feed, sitemap, list page) is fetched conditionally; a 304 ends the
   round at once, having stored nothing;
2. the entries it names are compared with the pages fetched before: a page is
   fetched once, and again only when its index entry shows a new date;
3. each new page is saved in the seed store (:mod:`newsbot.seedstore`) with its
   fetch record, or, for a source that trusts its feed, the item becomes a JSON
   record; the store records what was fetched, with the validators for next time;
4. the round is recorded: a failure counts, and enough failures in a row pause the
   source (still tried every ``paused_retry_hours``); one success resumes it.

Nothing stored is ever removed by a failing round. Ingest is the caller's next step.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from newsbot.config import FetchConfig
from newsbot.errors import BadIndexError, FetchError
from newsbot.models import Source
from newsbot.ops.metrics import METRICS
from newsbot.seedstore import FetchRecord, page_path, write_fetched
from newsbot.sources.entries import Entry, Index
from newsbot.sources.fetch import Fetched, Fetcher, FetchPolicy, Validators
from newsbot.sources.index import read_index
from newsbot.sources.pages import discover_feeds
from newsbot.store import Store
from newsbot.store.sources import KnownPage, RoundResult

__all__ = [
    "INDEX_ACCEPT",
    "RoundReport",
    "SourceReport",
    "check_source",
    "fetch_round",
    "policy_of",
    "read_source_index",
]

log = logging.getLogger(__name__)

INDEX_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9,"
    " text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
MAX_CHILD_SITEMAPS = 5  # child sitemaps of a sitemap index read per round, first first
PAGES_AT_ONCE = 4  # pages of one source in flight (the fetcher still asks one host at a time)
_GONE = (404, 410)  # pages recorded as fetched (nothing stored) so they are not asked again

PageProgress = Callable[[int], None]
"""Called with the number of pages just finished (stored, unchanged or failed)."""


@dataclass(slots=True)
class SourceReport:
    """What one round did for one source; ``line`` is what lists and logs show."""

    source: str
    ok: bool = True
    not_modified: bool = False
    entries: int = 0
    stored: int = 0  # pages (or items) written to the seed store
    unchanged: int = 0  # pages asked again that had not changed (304)
    failed: int = 0  # pages that could not be fetched
    error: str | None = None  # why the round failed (index unreadable, ...)
    page_error: str | None = None  # the first page failure's reason
    paused: bool = False
    paths: list[Path] = field(default_factory=list)

    @property
    def line(self) -> str:
        if not self.ok:
            return f"{self.source}: failed: {self.error}" + (" (paused)" if self.paused else "")
        if self.not_modified:
            return f"{self.source}: not modified"
        text = f"{self.source}: {self.entries} entries, {self.stored} new pages"
        if self.unchanged:
            text += f", {self.unchanged} unchanged"
        if self.failed:
            text += f", {self.failed} failed ({self.page_error})"
        return text


@dataclass(slots=True)
class RoundReport:
    sources: list[SourceReport] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [path for report in self.sources for path in report.paths]

    @property
    def stored(self) -> int:
        return sum(r.stored for r in self.sources)

    @property
    def failed_sources(self) -> int:
        return sum(not r.ok for r in self.sources)


def policy_of(config: FetchConfig) -> FetchPolicy:
    """The fetcher's policy from the ``[fetch]`` settings."""
    agent = config.user_agent or FetchPolicy().user_agent
    return FetchPolicy(
        user_agent=agent,
        timeout=config.timeout_seconds,
        max_bytes=int(config.max_page_mb * 1_000_000),
        host_delay=config.host_delay_seconds,
        retries=config.retries,
        obey_robots=config.obey_robots,
    )


async def fetch_round(
    store: Store,
    seeds_dir: Path,
    config: FetchConfig,
    *,
    sources: Sequence[Source] | None = None,
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: PageProgress | None = None,
) -> RoundReport:
    """Fetch every due source (or ``sources``) once; never raises for a source's fault."""
    now = now or datetime.now(UTC)
    chosen = list(sources) if sources is not None else store.sources.due(now)
    report = RoundReport()
    if not chosen:
        return report
    async with Fetcher(
        policy_of(config), transport=transport, robots_memory=store.sources.robots
    ) as fetcher:
        results = await asyncio.gather(
            *(_round(store, fetcher, seeds_dir, config, source, now, progress) for source in chosen)
        )
    report.sources.extend(results)
    for item in results:
        log.info("fetch: %s", item.line)
        METRICS.fetched(item)
    return report


async def check_source(
    url: str,
    *,
    pattern: str | None = None,
    config: FetchConfig | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[Fetched, Index]:
    """Fetch and read an index once, storing nothing (``sources check``, ``sources add``).

    An HTML page that names its feed raises BadIndexError with the feed's URL; use
    :func:`feeds_of_page` to get the URL as a value.
    """
    async with Fetcher(policy_of(config or FetchConfig()), transport=transport) as fetcher:
        got = await fetcher.get(url, accept=INDEX_ACCEPT)
    index = read_index(
        got.body, got.final_url, content_type=got.content_type, pattern=pattern, charset=got.charset
    )
    return got, index


def feeds_of_page(got: Fetched) -> tuple[str, ...]:
    """The feeds an HTML page names in ``<link rel=alternate>``, absolute."""
    return discover_feeds(got.body, got.final_url)


# ---------------------------------------------------------------------- one source


async def _round(
    store: Store,
    fetcher: Fetcher,
    seeds_dir: Path,
    config: FetchConfig,
    source: Source,
    now: datetime,
    progress: PageProgress | None,
) -> SourceReport:
    report = SourceReport(source.name)
    validators = Validators(source.etag, source.last_modified)
    try:
        got = await fetcher.get(source.spec.url, validators, accept=INDEX_ACCEPT)
        if got.not_modified:
            report.not_modified = True
            entries: list[Entry] = []
            outlet = None
            validators = got.validators
        else:
            index = _read(got, source)
            entries = list(index.entries)
            outlet = index.title if index.kind in ("rss", "atom", "json") else None
            if index.children:
                entries += await _children(store, fetcher, source, index.children, now)
            validators = got.validators
    except (FetchError, BadIndexError) as exc:
        return _failed(store, source, report, str(exc), now, config)
    except Exception as exc:  # a defect must not stop the other sources' rounds
        log.exception("fetch: source %s: unexpected error", source.name)
        return _failed(store, source, report, f"internal error: {type(exc).__name__}", now, config)
    report.entries = len(entries)
    todo = _pages_to_fetch(store, entries, config.max_pages_per_round)
    # A gate per source: a slow host holds back only its own source's pages.
    gate = asyncio.Semaphore(PAGES_AT_ONCE)
    await asyncio.gather(
        *(
            _page(store, fetcher, gate, seeds_dir, source, outlet, entry, known, report, progress)
            for entry, known in todo
        )
    )
    store.sources.record_round(
        source.id,
        RoundResult(
            at=now,
            ok=True,
            next_at=now + timedelta(minutes=source.spec.interval_minutes),
            etag=validators.etag,
            last_modified=validators.last_modified,
            pages=report.stored,
        ),
    )
    return report


def _read(got: Fetched, source: Source) -> Index:
    spec = source.spec
    return read_source_index(
        got, spec.kind, spec.pattern if spec.kind in ("list", "auto") else None
    )


def read_source_index(got: Fetched, wanted: str, pattern: str | None) -> Index:
    """Read a fetched index, refusing one of another kind than the source says."""
    index = read_index(
        got.body,
        got.final_url,
        content_type=got.content_type,
        pattern=pattern,
        charset=got.charset,
    )
    if wanted == "feed" and index.kind not in ("rss", "atom", "json"):
        raise BadIndexError(f"expected a feed, found a {index.kind}")
    if wanted == "sitemap" and index.kind not in ("sitemap", "sitemapindex"):
        raise BadIndexError(f"expected a sitemap, found a {index.kind}")
    return index


async def _children(
    store: Store, fetcher: Fetcher, source: Source, children: Sequence[str], now: datetime
) -> list[Entry]:
    """The entries of a sitemap index's first child sitemaps, each asked conditionally
    (their validators are kept like a page's, without a seed file)."""
    entries: list[Entry] = []
    known = store.sources.known_pages(children[:MAX_CHILD_SITEMAPS])
    for url in children[:MAX_CHILD_SITEMAPS]:
        old = known.get(url)
        sent = Validators(old.etag, old.last_modified) if old is not None else None
        try:
            got = await fetcher.get(url, sent, accept=INDEX_ACCEPT)
            if got.not_modified:
                continue
            entries.extend(
                read_index(got.body, got.final_url, content_type=got.content_type).entries
            )
        except (FetchError, BadIndexError) as exc:
            log.info("fetch: source %s: child sitemap %s: %s", source.name, url, exc)
            continue
        store.sources.save_page(
            source.id,
            KnownPage(
                url, got.final_url, "", got.validators.etag, got.validators.last_modified, None
            ),
            now,
        )
    return entries


def _stamp(entry: Entry) -> str | None:
    return entry.published.isoformat() if entry.published is not None else None


def _pages_to_fetch(
    store: Store, entries: Sequence[Entry], limit: int
) -> list[tuple[Entry, KnownPage | None]]:
    """New entries, and known ones whose index date changed; newest first, at most ``limit``."""
    unique = list({entry.url: entry for entry in reversed(entries)}.values())[::-1]
    known = store.sources.known_pages(entry.url for entry in unique)
    todo = [
        (entry, known.get(entry.url))
        for entry in unique
        if entry.url not in known or known[entry.url].index_stamp != _stamp(entry)
    ]
    if any(entry.published is not None for entry, _ in todo):
        todo.sort(key=lambda pair: _sort_key(pair[0]), reverse=True)
    return todo[:limit]


def _sort_key(entry: Entry) -> float:
    if entry.published is None:
        return float("-inf")
    moment = entry.published
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


async def _page(
    store: Store,
    fetcher: Fetcher,
    gate: asyncio.Semaphore,
    seeds_dir: Path,
    source: Source,
    outlet: str | None,
    entry: Entry,
    known: KnownPage | None,
    report: SourceReport,
    progress: PageProgress | None,
) -> None:
    now = datetime.now(UTC)
    try:
        if not source.spec.full_page:
            path = page_path(seeds_dir, entry.url, ".json")
            write_fetched(path, None, _item_record(entry, source, outlet))
            _stored(
                store,
                source,
                report,
                KnownPage(entry.url, entry.url, _rel(path, seeds_dir), None, None, _stamp(entry)),
                path,
                now,
            )
            return
        sent = Validators(known.etag, known.last_modified) if known is not None else None
        async with gate:
            try:
                got = await fetcher.get(entry.url, sent, accept=PAGE_ACCEPT)
            except FetchError as exc:
                report.failed += 1
                report.page_error = report.page_error or str(exc)
                if exc.kind == "status" and getattr(exc, "status", None) in _GONE:
                    store.sources.save_page(
                        source.id,
                        KnownPage(entry.url, entry.url, "", None, None, _stamp(entry)),
                        now,
                    )
                return
        if got.not_modified and known is not None:
            report.unchanged += 1
            store.sources.save_page(
                source.id,
                KnownPage(
                    entry.url,
                    known.final_url,
                    known.seed_path,
                    got.validators.etag,
                    got.validators.last_modified,
                    _stamp(entry),
                ),
                now,
            )
            return
        record = FetchRecord(
            url=got.final_url,
            fetched_at=got.fetched_at,
            source=source.name,
            charset=got.charset,
            tags=source.spec.tags,
            title=entry.title,
            published=_stamp(entry),
            summary=entry.summary,
            author=entry.author,
            item_tags=entry.tags,
        )
        path = page_path(seeds_dir, entry.url)
        write_fetched(path, record, got.body)
        _stored(
            store,
            source,
            report,
            KnownPage(
                entry.url,
                got.final_url,
                _rel(path, seeds_dir),
                got.validators.etag,
                got.validators.last_modified,
                _stamp(entry),
            ),
            path,
            now,
        )
    except OSError as exc:
        report.failed += 1
        report.page_error = report.page_error or f"cannot write the seed store: {exc.strerror}"
    finally:
        if progress is not None:
            progress(1)


def _stored(
    store: Store, source: Source, report: SourceReport, page: KnownPage, path: Path, now: datetime
) -> None:
    store.sources.save_page(source.id, page, now)
    report.stored += 1
    report.paths.append(path)


def _rel(path: Path, seeds_dir: Path) -> str:
    try:
        return str(path.relative_to(seeds_dir))
    except ValueError:
        return str(path)


def _item_record(entry: Entry, source: Source, outlet: str | None) -> bytes:
    """A feed item as a JSON record file (:mod:`newsbot.records`): the article itself,
    its 来源 the feed's own title."""
    from newsbot.parsing import html_to_text

    body = html_to_text(entry.content_html) if entry.content_html else ""
    body = body.strip() or (entry.summary or "").strip() or (entry.title or "").strip()
    record = {
        "title": (entry.title or "").strip() or body[:40],
        "body": body,
        "url": entry.url,
        "published": entry.published.isoformat() if entry.published else None,
        "author": entry.author,
        "source": outlet,
        "summary": entry.summary,
        "tags": list(dict.fromkeys((*source.spec.tags, *entry.tags))) or None,
    }
    return json.dumps({k: v for k, v in record.items() if v}, ensure_ascii=False).encode("utf-8")


def _failed(
    store: Store,
    source: Source,
    report: SourceReport,
    reason: str,
    now: datetime,
    config: FetchConfig,
) -> SourceReport:
    reason = " ".join(reason.split())[:300]
    report.ok = False
    report.error = reason
    failures = source.failures + 1
    paused = failures >= config.pause_after_failures
    report.paused = paused
    wait = (
        timedelta(hours=config.paused_retry_hours)
        if paused
        else timedelta(minutes=source.spec.interval_minutes)
    )
    store.sources.record_round(
        source.id,
        RoundResult(
            at=now,
            ok=False,
            next_at=now + wait,
            error=reason,
            paused_reason=f"{failures} failed rounds in a row: {reason}" if paused else None,
        ),
    )
    if paused and source.paused_reason is None:
        log.warning(
            "fetch: source %s paused after %d failed rounds: %s", source.name, failures, reason
        )
    return report
