"""Writers of earlier schema revisions, for tests that fill a database made before a
migration with today's store (which writes today's layout)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

import newsbot.store.store as store_module
from newsbot.store.grams import index_grams

__all__ = ["grams_before_0012"]

_write_grams = store_module.write_grams


def _array_write_grams(
    conn: Connection, pk: int, search_text: str, title_norm: str, sort_at: datetime
) -> None:
    if conn.dialect.name != "postgresql":  # SQLite's FTS5 tables did not change
        _write_grams(conn, pk, search_text, title_norm, sort_at)
        return
    conn.execute(
        text(
            "INSERT INTO article_search (article_pk, grams, title_grams) VALUES (:pk, :g, :t)"
        ).bindparams(bindparam("g", type_=ARRAY(Text)), bindparam("t", type_=ARRAY(Text))),
        {"pk": pk, "g": sorted(index_grams(search_text)), "t": sorted(index_grams(title_norm))},
    )


@contextmanager
def grams_before_0012(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The store writes its grams as before migration 0012: PostgreSQL text arrays,
    without ``sort_at``."""
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "write_grams", _array_write_grams)
        yield
