"""Search finds an article by its reporter's and editor's names and by its source.

Each article's normalised search text gains its author, editor and source (in the
order ``Store`` writes it), and its text grams are indexed again; its title grams do
not change. SQLite's contentless FTS5 table is emptied and refilled; PostgreSQL's
gram arrays are rewritten in place. One pass over the articles, a batch at a time.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from newsbot.store.grams import index_grams, normalize

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    _reindex(op.get_bind(), with_credits=True)


def downgrade() -> None:
    _reindex(op.get_bind(), with_credits=False)


def _search_text(row: Any, with_credits: bool) -> str:
    # The stored body is the paragraphs joined by a blank line; the search text joins
    # them by one newline, as the store does when it saves an article.
    paragraphs = row.body.split("\n\n") if row.body else []
    parts = [row.title, row.summary or "", *paragraphs]
    if with_credits:
        parts += [part for part in (row.author, row.editor, row.source) if part]
    return normalize("\n".join(parts))


def _reindex(conn: Connection, *, with_credits: bool) -> None:
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # Contentless: rows cannot be deleted without their old grams; start empty.
        conn.execute(text("INSERT INTO article_fts (article_fts) VALUES ('delete-all')"))
        write = text("INSERT INTO article_fts (rowid, grams) VALUES (:pk, :grams)")
    else:
        write = text("UPDATE article_search SET grams = :grams WHERE article_pk = :pk").bindparams(
            bindparam("grams", type_=ARRAY(Text))
        )
    last = 0
    while True:
        rows = conn.execute(
            text(
                "SELECT pk, title, summary, body, author, editor, source FROM articles"
                " WHERE pk > :last ORDER BY pk LIMIT :batch"
            ),
            {"last": last, "batch": _BATCH},
        ).all()
        if not rows:
            return
        texts = [(row.pk, _search_text(row, with_credits)) for row in rows]
        conn.execute(
            text("UPDATE articles SET search_text = :text WHERE pk = :pk"),
            [{"pk": pk, "text": new} for pk, new in texts],
        )
        conn.execute(
            write,
            [
                {"pk": pk, "grams": " ".join(g) if sqlite else g}
                for pk, g in ((pk, sorted(index_grams(new))) for pk, new in texts)
            ],
        )
        last = rows[-1].pk
