"""The gram index, per database: SQLite FTS5 (contentless) or a PostgreSQL GIN array.

Both answer "which articles contain all these grams" from an index; the caller
confirms longer words by substring on the normalised text (see ``grams.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Connection, bindparam, literal_column, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from newsbot.store.grams import index_grams

__all__ = ["count_candidates", "delete_grams", "grams_match", "write_grams"]


def write_grams(conn: Connection, article_pk: int, search_text: str, title_norm: str) -> None:
    """Index an article's grams: all of its text, and its title on its own."""
    grams = sorted(index_grams(search_text))
    title = sorted(index_grams(title_norm))
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "INSERT INTO article_search (article_pk, grams, title_grams)"
                " VALUES (:pk, :grams, :title)"
                " ON CONFLICT (article_pk) DO UPDATE"
                " SET grams = EXCLUDED.grams, title_grams = EXCLUDED.title_grams"
            ).bindparams(
                bindparam("grams", type_=ARRAY(Text)), bindparam("title", type_=ARRAY(Text))
            ),
            {"pk": article_pk, "grams": grams, "title": title},
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
                + ("title_grams" if title else "grams")
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


def count_candidates(conn: Connection, grams: Iterable[str]) -> int | None:
    """How many articles hold every gram (SQLite only; None where the planner copes alone)."""
    if conn.dialect.name != "sqlite":
        return None
    match = " AND ".join(f'"{gram}"' for gram in grams)
    return int(
        conn.execute(
            text("SELECT count(*) FROM article_fts WHERE article_fts MATCH :match"),
            {"match": match},
        ).scalar_one()
    )
