"""The gram index, per database: SQLite FTS5 (contentless) or a PostgreSQL GIN array.

Both answer "which articles contain all these grams" from an index; the caller
confirms longer words by substring on the normalised text (see ``grams.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, bindparam, literal_column, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from newsbot.store.grams import index_grams

__all__ = ["delete_grams", "grams_match", "write_grams"]


def write_grams(conn: Connection, article_pk: int, search_text: str) -> None:
    grams = sorted(index_grams(search_text))
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "INSERT INTO article_search (article_pk, grams) VALUES (:pk, :grams)"
                " ON CONFLICT (article_pk) DO UPDATE SET grams = EXCLUDED.grams"
            ).bindparams(bindparam("grams", type_=ARRAY(Text))),
            {"pk": article_pk, "grams": grams},
        )
    else:
        conn.execute(
            text("INSERT INTO article_fts (rowid, grams) VALUES (:pk, :grams)"),
            {"pk": article_pk, "grams": " ".join(grams)},
        )


def delete_grams(conn: Connection, article_pk: int, old_search_text: str) -> None:
    """Remove an article's grams (before rewriting them); contentless FTS5 needs the old ones."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DELETE FROM article_search WHERE article_pk = :pk"), {"pk": article_pk})
    else:
        conn.execute(
            text("INSERT INTO article_fts (article_fts, rowid, grams) VALUES ('delete', :pk, :g)"),
            {"pk": article_pk, "g": " ".join(sorted(index_grams(old_search_text)))},
        )


def grams_match(
    dialect: str, pk_column: ColumnElement[int], grams: Iterable[str]
) -> ColumnElement[bool]:
    """A WHERE clause: the article whose pk is ``pk_column`` holds every gram.

    Grams are passed as bound values, never spliced into SQL. For FTS5 each gram is
    a quoted phrase; grams are letters and digits only, so they hold no quote.
    """
    wanted = list(grams)
    if dialect == "postgresql":
        return pk_column.in_(
            text("SELECT article_pk FROM article_search WHERE grams @> :grams")
            .bindparams(bindparam("grams", value=wanted, type_=ARRAY(Text)))
            .columns(literal_column("article_pk"))
        )
    match = " AND ".join(f'"{gram}"' for gram in wanted)
    return pk_column.in_(
        text("SELECT rowid FROM article_fts WHERE article_fts MATCH :match")
        .bindparams(match=match)
        .columns(literal_column("rowid"))
    )
