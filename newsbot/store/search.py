"""The gram index, per database: SQLite FTS5 (contentless) or a PostgreSQL GIN index.

Both answer "which articles contain all these grams" from an index; the caller
confirms longer words by substring on the normalised text (see ``grams.py``).

On PostgreSQL an article's grams are one space-separated text (``article_search``),
indexed by GIN as ``string_to_array(grams, ' ')``: the index is the same as over a
``text[]`` column, the stored value smaller (an array spends a 4-byte header and
padding on every gram: 6.0 KB against 4.5 KB before compression, 5.1 KB against 4.3 KB
after, for a 1.6k-character article), and a ``@>`` lookup never reads it back.
The row also carries the article's ``sort_at``, so candidates are put in date order
without visiting the (wide) article rows (migration 0012).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Subquery,
    bindparam,
    column,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Integer, Text

from newsbot.store.grams import index_grams
from newsbot.store.schema import UTCDateTime

__all__ = [
    "PG_GRAMS",
    "PG_TITLE_GRAMS",
    "delete_grams",
    "grams_match",
    "newest_candidates",
    "write_grams",
]

# The indexed expressions (migration 0012); a query must spell them the same way.
PG_GRAMS = "string_to_array(grams, ' ')"
PG_TITLE_GRAMS = "string_to_array(title_grams, ' ')"


def write_grams(
    conn: Connection, article_pk: int, search_text: str, title_norm: str, sort_at: datetime
) -> None:
    """Index an article's grams: all of its text, and its title on its own."""
    grams = sorted(index_grams(search_text))
    title = sorted(index_grams(title_norm))
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "INSERT INTO article_search (article_pk, sort_at, grams, title_grams)"
                " VALUES (:pk, :sort_at, :grams, :title)"
                " ON CONFLICT (article_pk) DO UPDATE SET sort_at = EXCLUDED.sort_at,"
                " grams = EXCLUDED.grams, title_grams = EXCLUDED.title_grams"
            ).bindparams(bindparam("sort_at", type_=UTCDateTime())),
            {
                "pk": article_pk,
                "sort_at": sort_at,
                "grams": " ".join(grams),
                "title": " ".join(title),
            },
        )
    else:
        conn.execute(
            text("INSERT INTO article_fts (rowid, grams) VALUES (:pk, :grams)"),
            {"pk": article_pk, "grams": " ".join(grams)},
        )
        conn.execute(
            text("INSERT INTO title_fts (rowid, grams) VALUES (:pk, :grams)"),
            {"pk": article_pk, "grams": " ".join(title)},
        )


def delete_grams(conn: Connection, article_pk: int, old_search_text: str, old_title: str) -> None:
    """Remove an article's grams (before rewriting them); contentless FTS5 needs the old ones."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DELETE FROM article_search WHERE article_pk = :pk"), {"pk": article_pk})
    else:
        conn.execute(
            text("INSERT INTO article_fts (article_fts, rowid, grams) VALUES ('delete', :pk, :g)"),
            {"pk": article_pk, "g": " ".join(sorted(index_grams(old_search_text)))},
        )
        conn.execute(
            text("INSERT INTO title_fts (title_fts, rowid, grams) VALUES ('delete', :pk, :g)"),
            {"pk": article_pk, "g": " ".join(sorted(index_grams(old_title)))},
        )


def grams_match(
    dialect: str,
    pk_column: ColumnElement[int],
    grams: Iterable[str],
    *,
    title: bool = False,
    min_pk: int | None = None,
) -> ColumnElement[bool]:
    """A WHERE clause: the article whose pk is ``pk_column`` holds every gram.

    Grams are passed as bound values (named uniquely, so one statement may hold
    several of these clauses), never spliced into SQL. For FTS5 each gram is
    a quoted phrase; grams are letters and digits only, so they hold no quote.
    ``min_pk`` limits the index lookup to articles from that pk on (new ones).
    """
    wanted = list(grams)
    if dialect == "postgresql":
        return pk_column.in_(
            text(
                "SELECT article_pk FROM article_search WHERE "
                + (PG_TITLE_GRAMS if title else PG_GRAMS)
                + " @> :grams"
                + ("" if min_pk is None else " AND article_pk >= :min_pk")
            )
            .bindparams(
                bindparam("grams", value=wanted, type_=ARRAY(Text), unique=True),
                *([] if min_pk is None else [bindparam("min_pk", value=min_pk, unique=True)]),
            )
            .columns(literal_column("article_pk"))
        )
    match = " AND ".join(f'"{gram}"' for gram in wanted)
    table = "title_fts" if title else "article_fts"
    query = f"SELECT rowid FROM {table} WHERE {table} MATCH :match"
    params: list[BindParameter[Any]] = [bindparam("match", value=match, unique=True)]
    if min_pk is not None:
        query += " AND rowid >= :min_pk"
        params.append(bindparam("min_pk", value=min_pk, unique=True))
    # unique: several of these in one statement (words and excluded words) keep their values
    return pk_column.in_(text(query).bindparams(*params).columns(literal_column("rowid")))


def newest_candidates(grams: Iterable[str], limit: int, *, title: bool = False) -> Subquery:
    """PostgreSQL: the ``limit`` newest articles holding every gram (``article_pk``,
    ``sort_at``), from the index and ``article_search`` alone (a top-N sort, never
    all the candidates in order); the caller confirms them newest first."""
    return (
        text(
            "SELECT article_pk, sort_at FROM article_search WHERE "
            + (PG_TITLE_GRAMS if title else PG_GRAMS)
            + " @> :grams ORDER BY sort_at DESC, article_pk DESC LIMIT :n"
        )
        .bindparams(
            bindparam("grams", value=list(grams), type_=ARRAY(Text), unique=True),
            bindparam("n", value=limit, unique=True),
        )
        .columns(column("article_pk", Integer), column("sort_at", UTCDateTime()))
        .subquery("candidates")
    )
