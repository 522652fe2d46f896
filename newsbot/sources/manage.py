"""Adding a source the way an operator expects: checked once before it is stored.

Shared by ``newsbot sources add`` and the bot's ``/source add``: the URL is fetched
once; a feed, a sitemap or a list page with matching links is accepted; a web page
that names exactly one feed is taken as that feed (and the caller is told); any
other answer refuses the source with the one-line reason, so nothing is stored
that would only fail in every round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from newsbot.config import FetchConfig
from newsbot.errors import BadIndexError, FetchError, SourceError
from newsbot.models import Source, SourceSpec
from newsbot.sources.entries import Index
from newsbot.sources.fetch import Fetcher
from newsbot.sources.rounds import INDEX_ACCEPT, feeds_of_page, policy_of, read_source_index
from newsbot.store import Store

__all__ = ["Added", "add_source", "name_for"]

_NAME_UNSAFE = re.compile(r"[^\w.-]+")


@dataclass(frozen=True, slots=True)
class Added:
    source: Source
    index: Index | None  # what the check found (None when not checked)
    note: str | None = None  # e.g. "the page names its feed: using https://…/rss"


def name_for(url: str) -> str:
    """A default source name from the URL's host: ``news.example.org`` -> ``news.example.org``."""
    host = (urlsplit(url).hostname or "source").lower()
    host = host.removeprefix("www.")
    return _NAME_UNSAFE.sub("-", host)[:64] or "source"


async def add_source(
    store: Store,
    spec: SourceSpec,
    *,
    origin: str,
    added_by: str,
    config: FetchConfig,
    check: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Added:
    """Check ``spec`` (unless ``check`` is off) and store it; SourceError says why not."""
    if store.sources.get(spec.name) is not None:
        raise SourceError(f"a source named {spec.name!r} exists already")
    index: Index | None = None
    note: str | None = None
    if check:
        try:
            async with Fetcher(
                policy_of(config), transport=transport, robots_memory=store.sources.robots
            ) as fetcher:
                index, feed = await _read_once(fetcher, spec)
                if feed is not None:  # a web page naming one feed: that feed is the source
                    note = f"the page names its feed: using {feed}"
                    spec = replace(spec, url=feed, kind="feed")
                    index, _ = await _read_once(fetcher, spec)
        except (FetchError, BadIndexError) as exc:
            raise SourceError(f"{spec.url}: {exc}") from None
        if index is None:
            raise SourceError(f"{spec.url}: no feed found")
        if not index.entries and not index.children:
            raise SourceError(f"{spec.url}: the {index.kind} lists no articles")
    source = store.sources.add(spec, origin=origin, added_by=added_by, now=datetime.now(UTC))
    return Added(source, index, note)


async def _read_once(fetcher: Fetcher, spec: SourceSpec) -> tuple[Index | None, str | None]:
    """The source's index, or (None, its feed) for a page that names one feed."""
    got = await fetcher.get(spec.url, accept=INDEX_ACCEPT)
    pattern = spec.pattern if spec.kind in ("list", "auto") else None
    try:
        return read_source_index(got, spec.kind, pattern), None
    except BadIndexError:
        feeds = feeds_of_page(got) if not spec.pattern else ()
        if len(feeds) != 1:
            raise
        return None, feeds[0]
