"""Live sources and the pages fetched from them (all SQL of the fetch side)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from newsbot.errors import SourceError
from newsbot.models import Source, SourceKind, SourceSpec
from newsbot.store.schema import fetched_pages, robots_files, sources

__all__ = ["KnownPage", "RobotsFiles", "RoundResult", "SourceStore"]


@dataclass(frozen=True, slots=True)
class KnownPage:
    """A page fetched before: what a conditional re-fetch needs."""

    url: str
    final_url: str
    seed_path: str
    etag: str | None
    last_modified: str | None
    index_stamp: str | None


@dataclass(frozen=True, slots=True)
class RoundResult:
    """What one fetch round of a source did, as the store records it."""

    at: datetime
    ok: bool
    next_at: datetime
    error: str | None = None  # one line when not ok
    paused_reason: str | None = None  # set when the failures pause the source
    etag: str | None = None
    last_modified: str | None = None
    pages: int = 0  # pages stored this round


class RobotsFiles:
    """robots.txt files kept between fetch runs (the fetcher's ``RobotsMemory``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def recall(self, origin: str) -> tuple[str | None, datetime] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(robots_files).where(robots_files.c.url == origin)).first()
        return (row.body, row.fetched_at) if row is not None else None

    def remember(self, origin: str, text: str | None, at: datetime) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(robots_files)
                .where(robots_files.c.url == origin)
                .values(body=text, fetched_at=at)
            )
            if done.rowcount == 0:
                conn.execute(insert(robots_files).values(url=origin, body=text, fetched_at=at))


class SourceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.robots = RobotsFiles(engine)

    # ------------------------------------------------------------------ declaring

    def add(self, spec: SourceSpec, *, origin: str, added_by: str, now: datetime) -> Source:
        """Store a new source; SourceError when its name or URL is taken."""
        with self.engine.begin() as conn:
            self._check_free(conn, spec)
            try:
                pk = conn.execute(
                    insert(sources)
                    .values(
                        **_spec_values(spec),
                        origin=origin,
                        added_by=added_by,
                        added_at=now,
                        failures=0,
                        pages=0,
                    )
                    .returning(sources.c.pk)
                ).scalar_one()
            except IntegrityError:
                raise SourceError(f"a source named {spec.name!r} exists already") from None
            row = conn.execute(select(sources).where(sources.c.pk == pk)).one()
        return _to_source(row)

    def _check_free(self, conn: Connection, spec: SourceSpec, keep_pk: int | None = None) -> None:
        for column, value, what in (
            (sources.c.name, spec.name, "name"),
            (sources.c.url, spec.url, "URL"),
        ):
            taken = conn.execute(
                select(sources.c.pk, sources.c.name).where(column == value)
            ).first()
            if taken is not None and taken.pk != keep_pk:
                raise SourceError(f"source {taken.name!r} has this {what} already")

    def sync_config(self, specs: Sequence[SourceSpec], now: datetime) -> None:
        """Make the sources of origin ``config`` be exactly ``specs`` (matched by name).

        A changed URL or setting updates the row and keeps its history; a source
        gone from the file is removed. A name or URL taken by a source added from
        the CLI or Telegram is a SourceError.
        """
        with self.engine.begin() as conn:
            rows = {r.name: r for r in conn.execute(select(sources))}
            wanted = {spec.name: spec for spec in specs}
            for name, row in rows.items():
                if row.origin == "config" and name not in wanted:
                    conn.execute(delete(sources).where(sources.c.pk == row.pk))
            for spec in specs:
                old = rows.get(spec.name)
                if old is not None and old.origin != "config":
                    raise SourceError(
                        f"config source {spec.name!r}: the name is taken by a source added "
                        f"from {old.origin} (remove it with `newsbot sources remove {spec.name}`)"
                    )
                self._check_free(conn, spec, keep_pk=old.pk if old is not None else None)
                if old is None:
                    conn.execute(
                        insert(sources).values(
                            **_spec_values(spec),
                            origin="config",
                            added_by="config",
                            added_at=now,
                            failures=0,
                            pages=0,
                        )
                    )
                elif _to_source(old).spec != spec:
                    changes = _spec_values(spec)
                    if old.url != spec.url:  # another index: its validators do not apply
                        changes.update(etag=None, last_modified=None, next_at=None)
                    conn.execute(update(sources).where(sources.c.pk == old.pk).values(**changes))

    def remove(self, key: str) -> Source | None:
        """Remove a source (by name or id) and its fetch records; the articles stay.

        Sources from the config file are removed by editing the file: SourceError.
        """
        with self.engine.begin() as conn:
            row = conn.execute(select(sources).where(_by_key(key))).first()
            if row is None:
                return None
            if row.origin == "config":
                raise SourceError(
                    f"source {row.name!r} comes from the config file; remove it there"
                )
            conn.execute(delete(fetched_pages).where(fetched_pages.c.source_pk == row.pk))
            conn.execute(delete(sources).where(sources.c.pk == row.pk))
        return _to_source(row)

    # ------------------------------------------------------------------ reading

    def get(self, key: str) -> Source | None:
        """A source by name or id."""
        with self.engine.connect() as conn:
            row = conn.execute(select(sources).where(_by_key(key))).first()
        return _to_source(row) if row is not None else None

    def all(self) -> list[Source]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sources).order_by(sources.c.pk)).all()
        return [_to_source(r) for r in rows]

    def due(self, now: datetime) -> list[Source]:
        """Sources whose next round is due (never fetched, or ``next_at`` passed)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(sources)
                .where((sources.c.next_at.is_(None)) | (sources.c.next_at <= now))
                .order_by(sources.c.pk)
            ).all()
        return [_to_source(r) for r in rows]

    def known_pages(self, urls: Iterable[str]) -> dict[str, KnownPage]:
        """The pages among ``urls`` fetched before (by any source)."""
        wanted = list(dict.fromkeys(urls))
        found: dict[str, KnownPage] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for row in conn.execute(
                    select(fetched_pages).where(fetched_pages.c.url.in_(chunk))
                ):
                    found[row.url] = KnownPage(
                        row.url,
                        row.final_url,
                        row.seed_path,
                        row.etag,
                        row.last_modified,
                        row.index_stamp,
                    )
        return found

    def page_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(fetched_pages)).scalar_one())

    # ------------------------------------------------------------------ recording

    def save_page(
        self,
        source_id: int,
        page: KnownPage,
        now: datetime,
    ) -> None:
        """Record a page stored in the seed store (a new one, or a re-fetch)."""
        values = {
            "source_pk": source_id,
            "final_url": page.final_url,
            "seed_path": page.seed_path,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "index_stamp": page.index_stamp,
            "fetched_at": now,
        }
        with self.engine.begin() as conn:
            done = conn.execute(
                update(fetched_pages).where(fetched_pages.c.url == page.url).values(**values)
            )
            if done.rowcount == 0:
                conn.execute(insert(fetched_pages).values(url=page.url, **values))

    def record_round(self, source_id: int, result: RoundResult) -> None:
        """Store what a round did: success resets the failures and the pause."""
        values: dict[str, object] = {"checked_at": result.at, "next_at": result.next_at}
        if result.ok:
            values.update(
                ok_at=result.at,
                failures=0,
                last_error=None,
                paused_reason=None,
                etag=result.etag,
                last_modified=result.last_modified,
                pages=sources.c.pages + result.pages,
            )
        else:
            values.update(
                failures=sources.c.failures + 1,
                last_error=result.error,
                paused_reason=result.paused_reason,
                pages=sources.c.pages + result.pages,
            )
        with self.engine.begin() as conn:
            conn.execute(update(sources).where(sources.c.pk == source_id).values(**values))


def _by_key(key: str) -> ColumnElement[bool]:
    text = key.strip().lstrip("#")
    if text.isdigit():
        return (sources.c.pk == int(text)) | (sources.c.name == key)
    return sources.c.name == key


def _spec_values(spec: SourceSpec) -> dict[str, object]:
    return {
        "name": spec.name,
        "url": spec.url,
        "kind": spec.kind,
        "pattern": spec.pattern,
        "interval_minutes": spec.interval_minutes,
        "tags": json.dumps(list(spec.tags), ensure_ascii=False),
        "full_page": spec.full_page,
    }


def _to_source(row: Row[Any]) -> Source:
    kind: SourceKind = row.kind
    return Source(
        id=row.pk,
        spec=SourceSpec(
            name=row.name,
            url=row.url,
            kind=kind,
            pattern=row.pattern,
            interval_minutes=row.interval_minutes,
            tags=tuple(json.loads(row.tags)),
            full_page=bool(row.full_page),
        ),
        origin=row.origin,
        added_by=row.added_by,
        added_at=row.added_at,
        etag=row.etag,
        last_modified=row.last_modified,
        checked_at=row.checked_at,
        ok_at=row.ok_at,
        next_at=row.next_at,
        failures=row.failures,
        last_error=row.last_error,
        paused_reason=row.paused_reason,
        pages=row.pages,
    )
