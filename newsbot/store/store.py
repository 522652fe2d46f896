"""The Store: one object owns the engine; every method is one unit of work.

Callers get frozen models back, never rows or sessions.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    func,
    insert,
    select,
    update,
)

from newsbot.errors import QueryError
from newsbot.models import Article, ArticleIn, TagCount
from newsbot.store.budget import BudgetStore
from newsbot.store.engine import create_store_engine, migrate
from newsbot.store.grams import MAX_QUERY_CHARS, SearchPlan, normalize, plan_query
from newsbot.store.leases import LeaseStore, UpdateLog
from newsbot.store.outbox import OutboxStore
from newsbot.store.schema import (
    article_tags,
    articles,
    ingest_sequence,
    seed_files,
    seed_origins,
    tags,
)
from newsbot.store.search import (
    delete_grams,
    grams_match,
    newest_candidates,
    write_grams,
)
from newsbot.store.sources import SourceStore
from newsbot.store.subscriptions import SubscriptionStore

__all__ = ["Outcome", "Page", "SeedFile", "SeedRecord", "Store", "fingerprint_of"]

Outcome = Literal["new", "updated", "unchanged"]
# Search: the newest rows it checks before it turns to the gram index (a title is
# checked in about 1 µs, a text in about 10; measured at 1M articles on both engines)
TITLE_WALK = 2000
TEXT_WALK = 400
# ... where PostgreSQL takes the newest candidates, 10x more a round until enough
FIRST_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class SeedRecord:
    """One parsed article and where it came from (a path, or ``path#line``)."""

    origin: str
    article: ArticleIn


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A seed file that parsed cleanly, with its articles; stored all or nothing."""

    path: str
    raw_hash: str
    size: int
    records: tuple[SeedRecord, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list query; ``has_more`` says whether a next page exists."""

    articles: tuple[Article, ...]
    offset: int
    has_more: bool


_RECENT = 4  # articles whose normalised texts are kept while one is being stored
# What an Article is built from: every column but the search text (large, and only
# ever compared in SQL).
_SHOWN = tuple(c for c in articles.c if c.name != "search_text")


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


@functools.lru_cache(maxsize=_RECENT)
def fingerprint_of(article: ArticleIn) -> str:
    """Identity of an article: its normalised title and body, whatever the file or encoding."""
    return _digest(normalize(article.title).strip(), normalize(article.body_text).strip())


def _content_hash(article: ArticleIn) -> str:
    return _digest(
        json.dumps(
            [
                article.title,
                article.summary,
                article.summary_generated,
                article.source,
                article.published.isoformat() if article.published else None,
                article.published_precision,
                article.author,
                article.editor,
                list(article.breadcrumb),
                list(article.keywords),
                list(article.tags),
                article.url,
                list(article.body),
            ],
            ensure_ascii=False,
        )
    )


def _short_id(fingerprint: str, length: int) -> str:
    raw = base64.b32encode(bytes.fromhex(fingerprint)).decode("ascii").lower()
    return raw[:length]


@functools.lru_cache(maxsize=_RECENT)  # asked twice per stored article; NFKC is not cheap
def _search_text(article: ArticleIn) -> str:
    """The normalised text a search looks in: the article's words, and who wrote, edited
    and published it (readers look for a reporter's name or a paper too). Migration
    0008 builds the same text for articles stored before."""
    credits = [part for part in (article.author, article.editor, article.source) if part]
    return normalize("\n".join([article.title, article.summary, *article.body, *credits]))


class Store:
    """All SQL of newsbot. Open with :meth:`open`, which migrates the schema."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.subscriptions = SubscriptionStore(engine, self._to_models)
        self.outbox = OutboxStore(engine)
        self.leases = LeaseStore(engine)
        self.updates = UpdateLog(engine)
        self.sources = SourceStore(engine)
        self.budget = BudgetStore(engine)

    @classmethod
    def open(cls, url: str) -> Store:
        engine = create_store_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- ingest side

    def seed_hashes(self) -> dict[str, tuple[str, int]]:
        """path -> (raw hash, articles it carried) of every seed file stored so far."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(seed_files.c.path, seed_files.c.raw_hash, seed_files.c.records)
            )
            return {row.path: (row.raw_hash, row.records) for row in rows}

    def save_seed_files(
        self, files: Sequence[SeedFile], now: datetime | None = None
    ) -> list[list[Outcome]]:
        """Store parsed seed files in one transaction; the outcome of each record, per file.

        Safe to run from several processes at once: the transaction starts by taking
        the next ingest number, a row lock held until it commits, so ingests queue
        behind each other and each sees what the one before it stored. The number
        stamps the articles it adds: the commit order digests follow.
        """
        if not files:
            return []
        now = now or datetime.now(UTC)
        results: list[list[Outcome]] = []
        touched_tags: set[int] = set()
        with self.engine.begin() as conn:
            seq = conn.execute(
                update(ingest_sequence)
                .where(ingest_sequence.c.pk == 1)
                .values(seq=ingest_sequence.c.seq + 1)
                .returning(ingest_sequence.c.seq)
            ).scalar_one()
            tag_pks: dict[str, int] = {}
            for seed in files:
                outcomes = [
                    self._save_record(conn, record, now, seq, tag_pks, touched_tags)
                    for record in seed.records
                ]
                self._upsert_seed_file(conn, seed, now)
                results.append(outcomes)
            if touched_tags:
                self._recount_tags(conn, touched_tags)
        return results

    def _upsert_seed_file(self, conn: Connection, seed: SeedFile, now: datetime) -> None:
        values = {
            "raw_hash": seed.raw_hash,
            "size": seed.size,
            "records": len(seed.records),
            "ingested_at": now,
        }
        done = conn.execute(
            update(seed_files).where(seed_files.c.path == seed.path).values(**values)
        )
        if done.rowcount == 0:
            conn.execute(insert(seed_files).values(path=seed.path, **values))

    def _save_record(
        self,
        conn: Connection,
        record: SeedRecord,
        now: datetime,
        seq: int,
        tag_pks: dict[str, int],
        touched_tags: set[int],
    ) -> Outcome:
        art = record.article
        fp = fingerprint_of(art)
        content = _content_hash(art)
        same = conn.execute(
            select(
                articles.c.pk,
                articles.c.content_hash,
                articles.c.search_text,
                articles.c.title_norm,
                articles.c.ingested_at,
            ).where(articles.c.fingerprint == fp)
        ).first()
        linked = conn.execute(
            select(seed_origins.c.article_pk).where(seed_origins.c.origin == record.origin)
        ).scalar()
        if same is not None:
            self._link_origin(conn, record.origin, same.pk, linked)
            if same.content_hash == content:
                return "unchanged"
            self._write_article(
                conn,
                same.pk,
                art,
                fp,
                content,
                now,
                same.ingested_at,
                (same.search_text, same.title_norm),
                tag_pks,
                touched_tags,
            )
            return "updated"
        if linked is not None:
            old = conn.execute(
                select(articles.c.search_text, articles.c.title_norm, articles.c.ingested_at).where(
                    articles.c.pk == linked
                )
            ).one()
            self._write_article(
                conn,
                linked,
                art,
                fp,
                content,
                now,
                old.ingested_at,
                (old.search_text, old.title_norm),
                tag_pks,
                touched_tags,
            )
            return "updated"
        pk = self._insert_article(conn, art, fp, content, now, seq)
        self._link_origin(conn, record.origin, pk, None)
        self._write_tags(conn, pk, art, _sort_at(art, now), tag_pks, touched_tags)
        write_grams(conn, pk, _search_text(art), normalize(art.title), _sort_at(art, now))
        return "new"

    def _link_origin(
        self, conn: Connection, origin: str, article_pk: int, linked: int | None
    ) -> None:
        if linked == article_pk:
            return
        if linked is None:
            conn.execute(insert(seed_origins).values(origin=origin, article_pk=article_pk))
        else:
            conn.execute(
                update(seed_origins)
                .where(seed_origins.c.origin == origin)
                .values(article_pk=article_pk)
            )

    def _columns(
        self, art: ArticleIn, fp: str, content: str, sort_at: datetime, now: datetime
    ) -> dict[str, Any]:
        offset = art.published.utcoffset() if art.published else None
        return {
            "fingerprint": fp,
            "content_hash": content,
            "title": art.title,
            "summary": art.summary,
            "summary_generated": art.summary_generated,
            "source": art.source,
            "published": art.published,
            "published_offset": int(offset.total_seconds() // 60) if offset is not None else None,
            "published_precision": art.published_precision,
            "author": art.author,
            "editor": art.editor,
            "breadcrumb": json.dumps(list(art.breadcrumb), ensure_ascii=False),
            "keywords": json.dumps(list(art.keywords), ensure_ascii=False),
            "url": art.url,
            "body": art.body_text,
            "title_norm": normalize(art.title),
            "search_text": _search_text(art),
            "sort_at": sort_at,
            "updated_at": now,
        }

    def _insert_article(
        self, conn: Connection, art: ArticleIn, fp: str, content: str, now: datetime, seq: int
    ) -> int:
        length = 8
        while True:
            short = _short_id(fp, length)
            taken = conn.execute(select(articles.c.pk).where(articles.c.id == short)).first()
            if taken is None:
                break
            length += 2
        values = self._columns(art, fp, content, _sort_at(art, now), now)
        result = conn.execute(
            insert(articles).values(id=short, ingested_at=now, ingest_seq=seq, **values)
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def _write_article(
        self,
        conn: Connection,
        pk: int,
        art: ArticleIn,
        fp: str,
        content: str,
        now: datetime,
        ingested_at: datetime,
        old_text: tuple[str, str],
        tag_pks: dict[str, int],
        touched_tags: set[int],
    ) -> None:
        sort_at = _sort_at(art, ingested_at)
        conn.execute(
            update(articles)
            .where(articles.c.pk == pk)
            .values(**self._columns(art, fp, content, sort_at, now))
        )
        old_tags = conn.execute(
            select(article_tags.c.tag_pk).where(article_tags.c.article_pk == pk)
        ).scalars()
        touched_tags.update(old_tags)
        conn.execute(article_tags.delete().where(article_tags.c.article_pk == pk))
        self._write_tags(conn, pk, art, sort_at, tag_pks, touched_tags)
        delete_grams(conn, pk, *old_text)
        write_grams(conn, pk, _search_text(art), normalize(art.title), sort_at)

    def _write_tags(
        self,
        conn: Connection,
        pk: int,
        art: ArticleIn,
        sort_at: datetime,
        tag_pks: dict[str, int],
        touched_tags: set[int],
    ) -> None:
        rows = []
        seen: set[int] = set()
        for position, name in enumerate(art.tags):
            name = normalize(name).strip()[:64]
            if not name:
                continue
            tag_pk = tag_pks.get(name)
            if tag_pk is None:
                tag_pk = conn.execute(select(tags.c.pk).where(tags.c.name == name)).scalar()
                if tag_pk is None:
                    inserted = conn.execute(
                        insert(tags).values(name=name, article_count=0)
                    ).inserted_primary_key
                    assert inserted is not None
                    tag_pk = int(inserted[0])
                tag_pks[name] = tag_pk
            if tag_pk in seen:
                continue
            seen.add(tag_pk)
            touched_tags.add(tag_pk)
            rows.append(
                {"article_pk": pk, "tag_pk": tag_pk, "position": position, "sort_at": sort_at}
            )
        if rows:
            conn.execute(insert(article_tags), rows)

    def _recount_tags(self, conn: Connection, tag_pk_set: Iterable[int]) -> None:
        pks = sorted(tag_pk_set)
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            rows = conn.execute(
                select(article_tags.c.tag_pk, func.count())
                .where(article_tags.c.tag_pk.in_(chunk))
                .group_by(article_tags.c.tag_pk)
            )
            counts = {int(row[0]): int(row[1]) for row in rows}
            for tag_pk in chunk:
                conn.execute(
                    update(tags)
                    .where(tags.c.pk == tag_pk)
                    .values(article_count=counts.get(tag_pk, 0))
                )

    # ----------------------------------------------------------------- query side

    def count_articles(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(articles)).scalar_one())

    def get(self, article_id: str) -> Article | None:
        """The article with this short id, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_SHOWN).where(articles.c.id == article_id.strip().lower())
            ).first()
            return self._to_models(conn, [row])[0] if row is not None else None

    def latest(self, limit: int = 5, offset: int = 0) -> Page:
        query = select(*_SHOWN).order_by(articles.c.sort_at.desc(), articles.c.pk.desc())
        return self._page(query, limit, offset)

    def by_tag(self, tag: str, limit: int = 5, offset: int = 0) -> Page:
        name = normalize(tag).strip().lstrip("#")
        # The tag's pk as a value (not a join), so PostgreSQL walks its slice of
        # ix_article_tags_tag_sort newest first and stops at the page, instead of
        # sorting every article of a popular tag.
        tag_pk = select(tags.c.pk).where(tags.c.name == name).scalar_subquery()
        query = (
            select(*_SHOWN)
            .join(article_tags, article_tags.c.article_pk == articles.c.pk)
            .where(article_tags.c.tag_pk == tag_pk)
            .order_by(article_tags.c.sort_at.desc(), article_tags.c.article_pk.desc())
        )
        return self._page(query, limit, offset)

    def top_tags(self, limit: int = 20) -> list[TagCount]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tags.c.name, tags.c.article_count)
                .where(tags.c.article_count > 0)
                .order_by(tags.c.article_count.desc(), tags.c.name)
                .limit(limit)
            )
            return [TagCount(row.name, row.article_count) for row in rows]

    def similar_tags(self, word: str, limit: int = 5) -> list[TagCount]:
        """Tags that contain the word or one of its characters, most used first."""
        term = normalize(word).strip().lstrip("#")
        if not term:
            return []
        found: list[TagCount] = []
        with self.engine.connect() as conn:
            for needle in [term, *dict.fromkeys(ch for ch in term if ch.isalnum())]:
                rows = conn.execute(
                    select(tags.c.name, tags.c.article_count)
                    .where(tags.c.name.contains(needle, autoescape=True), tags.c.article_count > 0)
                    .order_by(tags.c.article_count.desc(), tags.c.name)
                    .limit(limit)
                )
                for row in rows:
                    if row.name != term and all(t.tag != row.name for t in found):
                        found.append(TagCount(row.name, row.article_count))
                if len(found) >= limit:
                    break
        return found[:limit]

    def search(self, words: Sequence[str], limit: int = 5, offset: int = 0) -> Page:
        """Articles containing every word (substring, any length), title hits then newest."""
        if sum(len(w) for w in words) + max(len(words) - 1, 0) > MAX_QUERY_CHARS:
            raise QueryError(f"query longer than {MAX_QUERY_CHARS} characters")
        plan = plan_query(list(words))
        if plan is None:
            raise QueryError("nothing to search for: give at least one word with letters or digits")
        # Title hits first, then the other matches; each part newest first.
        limit, offset = max(1, limit), max(0, offset)
        return self._search_newest_first(plan, limit, offset)

    def _search_newest_first(self, plan: SearchPlan, limit: int, offset: int) -> Page:
        """Title hits, then the other matches, each newest first.

        Each part first reads the newest rows of ``ix_articles_sort_at`` (a bounded
        number), checking every word on the row, and stops when the page is full: words
        found in many articles, which the gram index answers slowly (long posting lists,
        many rows to count or sort: 100-300 ms at 1M articles), are answered in a few
        hundred rows. A part that does not fill the page there turns to the gram index:
        on SQLite FTS5's candidates, sorted; on PostgreSQL the newest candidates from
        ``article_search`` (which keeps their dates), confirmed newest first until the
        page is full. Only the page's own rows are then fetched whole.
        """
        wanted = offset + limit + 1
        with self.engine.connect() as conn:
            pks = self._newest_matches(conn, plan, title=True, wanted=wanted)
            if len(pks) < wanted:  # all of the title hits: the other matches follow
                pks += self._newest_matches(conn, plan, title=False, wanted=wanted - len(pks))
            page = pks[offset : offset + limit]
            if not page:
                return Page((), offset, False)
            rows = {
                row.pk: row for row in conn.execute(select(*_SHOWN).where(articles.c.pk.in_(page)))
            }
            models = self._to_models(conn, [rows[pk] for pk in page])
        return Page(tuple(models), offset, len(pks) > offset + limit)

    def _newest_matches(
        self, conn: Connection, plan: SearchPlan, *, title: bool, wanted: int
    ) -> list[int]:
        """Up to ``wanted`` pks of title hits (``title``) or of the other matches, newest
        first: from the newest rows if enough are there, else from the gram index."""

        # plain substring tests (LIKE reads UTF-8 a character at a time, 3x slower)
        find = func.strpos if self.dialect == "postgresql" else func.instr

        def holds(source: Any, words: Sequence[str]) -> list[ColumnElement[bool]]:
            in_title = [find(source.title_norm, w) > 0 for w in words]
            if title:
                return in_title
            not_title = ~and_(*(find(source.title_norm, w) > 0 for w in plan.terms))
            return [*(find(source.search_text, w) > 0 for w in words), not_title]

        def walk(budget: int) -> list[int]:
            # The LIMIT inside bounds the walk whatever the planner thinks of the words.
            recent = (
                select(
                    articles.c.pk,
                    articles.c.sort_at,
                    articles.c.title_norm,
                    *([] if title else [articles.c.search_text]),
                )
                .order_by(articles.c.sort_at.desc(), articles.c.pk.desc())
                .limit(budget)
                .subquery("recent")
            )
            return list(
                conn.execute(
                    select(recent.c.pk)
                    .where(*holds(recent.c, plan.terms))
                    .order_by(recent.c.sort_at.desc(), recent.c.pk.desc())
                    .limit(wanted)
                ).scalars()
            )

        budget = TITLE_WALK if title else TEXT_WALK
        walked = walk(budget)
        if 0 < len(walked) < wanted:  # some: read on as far as they promise, up to 4x
            walked = walk(min(4 * budget, 2 * budget * wanted // len(walked)))
        if len(walked) >= wanted:
            return walked
        if self.dialect != "postgresql":
            # FTS5's candidates in date order (their dates only: no text read), then
            # confirmed a chunk at a time, newest first, until the page is full.
            ordered = list(
                conn.execute(
                    select(articles.c.pk)
                    .where(grams_match(self.dialect, articles.c.pk, plan.grams, title=title))
                    .order_by(articles.c.sort_at.desc(), articles.c.pk.desc())
                ).scalars()
            )
            checks = holds(articles.c, plan.confirm)
            if not checks:
                return ordered[:wanted]
            confirmed: list[int] = []
            step = max(50, wanted)
            for start in range(0, len(ordered), step):
                chunk = ordered[start : start + step]
                kept = set(
                    conn.execute(
                        select(articles.c.pk).where(articles.c.pk.in_(chunk), *checks)
                    ).scalars()
                )
                confirmed += [pk for pk in chunk if pk in kept]
                if len(confirmed) >= wanted:
                    break
            return confirmed[:wanted]
        # The newest candidates (a top-N sort), more each round, until enough are
        # confirmed or the candidates are all read.
        limit = max(FIRST_CANDIDATES, 20 * wanted)
        while True:
            found = newest_candidates(plan.grams, limit, title=title)
            pks = list(
                conn.execute(
                    select(articles.c.pk)
                    .join(found, found.c.article_pk == articles.c.pk)
                    .where(*holds(articles.c, plan.confirm))
                    .order_by(found.c.sort_at.desc(), found.c.article_pk.desc())
                    .limit(wanted)
                ).scalars()
            )
            if len(pks) >= wanted:
                return pks
            read = conn.execute(select(func.count()).select_from(found)).scalar_one()
            if read < limit:
                return pks
            limit *= 10

    def _page(self, query: Any, limit: int, offset: int) -> Page:
        limit = max(1, limit)
        offset = max(0, offset)
        with self.engine.connect() as conn:
            rows = list(conn.execute(query.limit(limit + 1).offset(offset)))
            models = self._to_models(conn, rows[:limit])
        return Page(tuple(models), offset, len(rows) > limit)

    def _to_models(self, conn: Connection, rows: Sequence[Row[Any]]) -> list[Article]:
        if not rows:
            return []
        tag_rows = conn.execute(
            select(article_tags.c.article_pk, tags.c.name)
            .join(tags, tags.c.pk == article_tags.c.tag_pk)
            .where(article_tags.c.article_pk.in_([row.pk for row in rows]))
            .order_by(article_tags.c.article_pk, article_tags.c.position)
        )
        by_article: dict[int, list[str]] = {}
        for tag_row in tag_rows:
            by_article.setdefault(tag_row.article_pk, []).append(tag_row.name)
        return [_to_article(row, tuple(by_article.get(row.pk, ()))) for row in rows]


def _sort_at(art: ArticleIn, fallback: datetime) -> datetime:
    return art.published if art.published is not None else fallback


def _to_article(row: Row[Any], tag_names: tuple[str, ...]) -> Article:
    published = row.published
    if published is not None and row.published_offset is not None:
        published = published.astimezone(timezone(timedelta(minutes=row.published_offset)))
    return Article(
        id=row.id,
        title=row.title,
        body=tuple(p for p in row.body.split("\n\n") if p),
        summary=row.summary,
        summary_generated=bool(row.summary_generated),
        source=row.source,
        published=published,
        published_precision=row.published_precision,
        author=row.author,
        editor=row.editor,
        breadcrumb=tuple(json.loads(row.breadcrumb)),
        keywords=tuple(json.loads(row.keywords)),
        tags=tag_names,
        url=row.url,
        ingested_at=row.ingested_at,
    )
