"""Walk the seed store, parse what is new or changed, hand batches to the store.

Each file is read once and hashed; a file whose hash the store already holds is
skipped without parsing. A file that fails is reported by name with a one-line
reason and writes nothing; the others go in.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from newsbot.errors import (
    BinaryFileError,
    EmptyFileError,
    FileTooLargeError,
    InvalidRecordError,
    NoArticleError,
    SeedError,
    UndecodableError,
)
from newsbot.limits import bound_article
from newsbot.models import ArticleIn
from newsbot.ops.metrics import METRICS
from newsbot.parsing import PageHints, parse_html, parse_page
from newsbot.processes import ignore_interrupts
from newsbot.records import looks_like_json, parse_json_records
from newsbot.seedstore import read_fetch_record
from newsbot.store import SeedFile, SeedRecord, Store
from newsbot.textio import decode_seed

__all__ = [
    "SEED_SUFFIXES",
    "Failure",
    "IngestReport",
    "discover",
    "html_seed_article",
    "ingest",
    "prepare_seed",
]

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm")
SEED_SUFFIXES = frozenset({".txt", ".text", ".json", ".jsonl", ".ndjson", *HTML_SUFFIXES})
BATCH_SIZE = 200

Progress = Callable[[int, int], None]
"""Called with (files done, files in all) as work advances."""


@dataclass(frozen=True, slots=True)
class Failure:
    file: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    files: int = 0
    skipped: int = 0  # unchanged files recognised by their hash, not parsed again
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    # Parsed articles whose title or date the parser is unsure of
    # (``newsbot parse --explain FILE`` says why).
    uncertain_titles: int = 0
    uncertain_dates: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "skipped": self.skipped,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "failures": [{"file": f.file, "reason": f.reason} for f in self.failures],
            "seconds": round(self.seconds, 3),
            "uncertain": {"title": self.uncertain_titles, "published": self.uncertain_dates},
        }


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Seed files under ``paths``, sorted: folders are walked (hidden entries skipped)
    for known suffixes; a file named directly is taken whatever its suffix."""
    for path in paths:
        if path.is_dir():
            found: list[Path] = []
            for root, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.extend(
                    Path(root, name)
                    for name in files
                    if not name.startswith(".") and Path(name).suffix.lower() in SEED_SUFFIXES
                )
            yield from sorted(found)
        else:
            yield path


def _read(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(f"too large: {size:,} bytes (limit {max_bytes:,})")
    return path.read_bytes()


_REASONS: tuple[tuple[type[SeedError], str], ...] = (
    (EmptyFileError, "empty"),
    (BinaryFileError, "binary"),
    (UndecodableError, "undecodable"),
    (FileTooLargeError, "too large"),
    (NoArticleError, "no recognisable article"),
    (InvalidRecordError, "invalid record"),
)


def reason_of(exc: SeedError) -> str:
    """A one-line reason that starts with the kind of failure, then the detail."""
    detail = " ".join(str(exc).split())
    for kind, label in _REASONS:
        if isinstance(exc, kind):
            return detail if detail.lower().startswith(label) else f"{label}: {detail}"
    return detail


def prepare_seed(key: str, data: bytes, raw_hash: str, max_bytes: int) -> SeedFile | Failure:
    """Decode and parse one file's bytes, every field within its limit
    (:mod:`newsbot.limits`); pure, so it may run in a worker process."""
    try:
        if key.lower().endswith(HTML_SUFFIXES):
            if not data.strip():
                raise EmptyFileError("empty")
            article = bound_article(html_seed_article(data))
            return SeedFile(key, raw_hash, len(data), (SeedRecord(key, article),))
        text = decode_seed(data, max_bytes=max_bytes)
        if looks_like_json(text):
            records = tuple(
                SeedRecord(f"{key}#{line}", bound_article(article))
                for line, article in parse_json_records(text, name=key)
            )
        else:
            records = (SeedRecord(key, bound_article(parse_page(text))),)
    except SeedError as exc:
        return Failure(key, reason_of(exc))
    return SeedFile(key, raw_hash, len(data), records)


def html_seed_article(data: bytes) -> ArticleIn:
    """An HTML seed file's article: a fetched page is read with what its fetch record
    says (the page's URL, the header's charset, the index entry as evidence) and gets
    its source's tags; a page saved otherwise is read on its own."""
    record, page = read_fetch_record(data)
    if record is None:
        return parse_html(page)
    published = None
    if record.published:
        try:
            published = datetime.fromisoformat(record.published)
        except ValueError:
            published = None
    hints = PageHints(
        title=record.title,
        published=published,
        summary=record.summary,
        author=record.author,
        tags=record.item_tags,
    )
    article = parse_html(page, url=record.url, charset=record.charset, hints=hints)
    if record.tags:
        article = replace(article, tags=tuple(dict.fromkeys((*record.tags, *article.tags))))
    return article


def ingest(
    store: Store,
    paths: Iterable[Path],
    *,
    max_bytes: int = 5_000_000,
    progress: Progress | None = None,
    workers: int = 1,
) -> IngestReport:
    """Ingest the seed files under ``paths`` into ``store``; never raises for a bad file."""
    started = time.perf_counter()
    report = IngestReport()
    files = list(discover(paths))
    report.files = len(files)
    known = store.seed_hashes()
    done = 0
    pending: list[tuple[str, bytes, str]] = []
    # Files are read and parsed a batch at a time, so memory stays flat however big
    # the store is; the pool (if any) is started only when there is enough to parse.
    executor: Executor | None = None
    try:
        for path in files:
            key = str(path.resolve())
            try:
                data = _read(path, max_bytes)
            except FileTooLargeError as exc:
                _fail(report, key, str(exc))
            except OSError as exc:
                _fail(report, key, f"cannot read: {exc.strerror or exc}")
            else:
                raw_hash = hashlib.sha256(data).hexdigest()
                previous = known.get(key)
                if previous is not None and previous[0] == raw_hash:
                    report.skipped += 1
                    report.unchanged += previous[1]
                else:
                    pending.append((key, data, raw_hash))
            done += 1
            if len(pending) >= BATCH_SIZE:
                if executor is None and workers > 1:
                    # Workers leave Ctrl-C to this process, which stops them below.
                    executor = ProcessPoolExecutor(
                        max_workers=workers, initializer=ignore_interrupts
                    )
                _ingest_batch(store, pending, max_bytes, executor, report)
                pending = []
            if progress:
                progress(done, len(files))
        if pending:
            _ingest_batch(store, pending, max_bytes, executor, report)
            if progress:
                progress(done, len(files))
    finally:
        if executor is not None:
            # On Ctrl-C (or any error) the files not yet parsed are dropped, not waited for.
            executor.shutdown(cancel_futures=True)
    report.seconds = time.perf_counter() - started
    log.info(
        "ingest: %d files, %d new, %d updated, %d unchanged, %d failed in %.1fs",
        report.files,
        report.new,
        report.updated,
        report.unchanged,
        report.failed,
        report.seconds,
    )
    METRICS.ingested(report)
    return report


def _ingest_batch(
    store: Store,
    batch: list[tuple[str, bytes, str]],
    max_bytes: int,
    executor: Executor | None,
    report: IngestReport,
) -> None:
    """Parse a batch (in the pool when there is one) and store what parsed, in one step."""
    keys, blobs, hashes = (
        [k for k, _, _ in batch],
        [d for _, d, _ in batch],
        [h for _, _, h in batch],
    )
    if executor is not None:
        prepared = list(
            executor.map(prepare_seed, keys, blobs, hashes, [max_bytes] * len(batch), chunksize=16)
        )
    else:
        prepared = [prepare_seed(k, d, h, max_bytes) for k, d, h in batch]
    for item in prepared:
        if isinstance(item, Failure):
            _fail(report, item.file, item.reason)
    good = [p for p in prepared if isinstance(p, SeedFile)]
    for seed in good:
        for record in seed.records:
            report.uncertain_titles += "title" in record.article.uncertain
            report.uncertain_dates += "published" in record.article.uncertain
    for outcomes in store.save_seed_files(good):
        for outcome in outcomes:
            setattr(report, outcome, getattr(report, outcome) + 1)


def _fail(report: IngestReport, key: str, reason: str) -> None:
    report.failed += 1
    report.failures.append(Failure(key, reason))
    log.warning("seed file %s failed: %s", key, reason)
