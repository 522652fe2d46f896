"""The seed store's files for fetched pages: where they go and the record kept with them.

A page fetched from a live source is saved as ``<seeds>/<host>/<key>.html``: the
bytes exactly as the server sent them, after one first line, an HTML comment that
holds the fetch record as JSON::

    <!-- newsbot-fetch {"url": "https://…", "fetched_at": "…", "charset": "gbk", …} -->

So the seed store stays the one input: re-ingesting works offline, a browser still
opens the file, and the comment is ASCII whatever the page's encoding. A feed item
trusted without its page is saved as ``<key>.json``, an ordinary JSON record file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["FetchRecord", "page_path", "read_fetch_record", "write_fetched"]

_MARK = b"<!-- newsbot-fetch "
_END = b" -->\n"
_HOST_UNSAFE = re.compile(r"[^a-z0-9.-]+")


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """Where a saved page came from, and what its source's index said about it."""

    url: str  # the page's own URL, after redirects: the article's link
    fetched_at: datetime
    source: str | None = None  # the source's name
    charset: str | None = None  # from the Content-Type header
    tags: tuple[str, ...] = ()  # the source's tags
    # What the index (feed item, sitemap entry, list link) said about the page:
    title: str | None = None
    published: str | None = None  # ISO 8601 as the index gave it
    summary: str | None = None
    author: str | None = None
    item_tags: tuple[str, ...] = ()

    def to_json(self) -> str:
        data = {
            "url": self.url,
            "fetched_at": self.fetched_at.isoformat(timespec="seconds"),
            "source": self.source,
            "charset": self.charset,
            "tags": list(self.tags),
            "title": self.title,
            "published": self.published,
            "summary": self.summary,
            "author": self.author,
            "item_tags": list(self.item_tags),
        }
        # ASCII only, and never "-->" inside the comment.
        return json.dumps({k: v for k, v in data.items() if v not in (None, [])}).replace(
            ">", "\\u003e"
        )

    @classmethod
    def from_json(cls, text: str) -> FetchRecord:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            raise ValueError("the fetch record has no url")

        def text_of(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        def list_of(key: str) -> tuple[str, ...]:
            value = data.get(key) or []
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        return cls(
            url=data["url"],
            fetched_at=datetime.fromisoformat(str(data.get("fetched_at"))),
            source=text_of("source"),
            charset=text_of("charset"),
            tags=list_of("tags"),
            title=text_of("title"),
            published=text_of("published"),
            summary=text_of("summary"),
            author=text_of("author"),
            item_tags=list_of("item_tags"),
        )


def page_path(seeds_dir: Path, url: str, suffix: str = ".html") -> Path:
    """Where the page of ``url`` is kept: one folder per host, a stable key per URL."""
    host = _HOST_UNSAFE.sub("_", (urlsplit(url).hostname or "unknown").lower()).strip("._")
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]
    return seeds_dir / (host or "unknown") / f"{key}{suffix}"


def write_fetched(path: Path, record: FetchRecord | None, body: bytes) -> None:
    """Save a fetched page (with its record first) or a JSON item, atomically:
    ingest never sees half a file, and an unchanged file keeps its hash."""
    data = body if record is None else _MARK + record.to_json().encode("ascii") + _END + body
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_bytes() == data:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_fetch_record(data: bytes) -> tuple[FetchRecord | None, bytes]:
    """Split a saved page into its fetch record (None for pages saved otherwise,
    or an unreadable record) and the page's own bytes."""
    if not data.startswith(_MARK):
        return None, data
    end = data.find(_END, len(_MARK))
    if end < 0:
        return None, data
    try:
        record = FetchRecord.from_json(data[len(_MARK) : end].decode("ascii"))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None, data[end + len(_END) :]
    return record, data[end + len(_END) :]
