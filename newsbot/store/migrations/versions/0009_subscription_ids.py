"""Subscription ids are never given again: SQLite's subscriptions table gets AUTOINCREMENT.

A plain SQLite rowid takes max(id) + 1, so the newest subscription's id came back
after it was deleted and the audit log named two subscriptions by one id. SQLite
cannot add AUTOINCREMENT to a table, so the table is rebuilt; and since dropping a
table deletes its rows (cascading to ``digests``, ``outbox`` and ``delivered`` while
foreign keys are on, which they are inside this transaction), the tables pointing at
it are rebuilt with it: each is copied to a new table whose foreign keys point at
the new ones, the old ones are dropped children first, the new ones take their
names (SQLite rewrites the references), and the indexes are created again. Every
table keeps its exact definition, AUTOINCREMENT aside. The counter starts past the
highest id the audit log has seen, deleted subscriptions included.

PostgreSQL's sequence never goes back: nothing to do there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import re

from alembic import op
from sqlalchemy import Connection, text

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Parents before children; only subscriptions and digests are referenced by the others.
_FAMILY = ("subscriptions", "digests", "outbox", "delivered")
_REFERENCED = ("subscriptions", "digests")
_PLAIN_PK = re.compile(r"(\n\s*pk INTEGER NOT NULL),((?:.|\n)*?),\s*PRIMARY KEY \(pk\)")
_AUTO_PK = re.compile(r"\n(\s*)pk INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,((?:.|\n)*?)\n\)")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _rebuild(conn, autoincrement=True)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        _rebuild(conn, autoincrement=False)


def _with_autoincrement(sql: str) -> str:
    changed, done = _PLAIN_PK.subn(r"\1 PRIMARY KEY AUTOINCREMENT,\2", sql, count=1)
    if not done:
        raise RuntimeError(f"unexpected definition of subscriptions: {sql}")
    return changed


def _without_autoincrement(sql: str) -> str:
    changed, done = _AUTO_PK.subn(r"\n\1pk INTEGER NOT NULL,\2, \n\1PRIMARY KEY (pk)\n)", sql)
    if not done:
        raise RuntimeError(f"unexpected definition of subscriptions: {sql}")
    return changed


def _renamed(name: str, sql: str) -> str:
    """The definition of ``name`` as ``name_new``, pointing at the other new tables."""
    sql = re.sub(r'^CREATE TABLE "?\w+"?', f"CREATE TABLE {name}_new", sql, count=1)
    return re.sub(
        r'REFERENCES "?(' + "|".join(_REFERENCED) + r')"?\s*\(', r"REFERENCES \1_new (", sql
    )


def _rebuild(conn: Connection, *, autoincrement: bool) -> None:
    # A write first, so the driver has opened the transaction before the DDL below:
    # the rebuild is then all or nothing.
    conn.execute(text("UPDATE subscriptions SET pk = pk WHERE 0"))
    names = ", ".join(f"'{name}'" for name in _FAMILY)
    tables: dict[str, str] = {
        name: sql
        for name, sql in conn.execute(
            text(f"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({names})")
        )
    }
    indexes = (
        conn.execute(
            text(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                f" AND tbl_name IN ({names})"
            )
        )
        .scalars()
        .all()
    )
    for name in _FAMILY:
        sql = tables[name]
        if name == "subscriptions":
            sql = _with_autoincrement(sql) if autoincrement else _without_autoincrement(sql)
        conn.execute(text(_renamed(name, sql)))
        columns = ", ".join(
            row[1] for row in conn.execute(text(f"PRAGMA table_info({name})")).all()
        )
        conn.execute(text(f"INSERT INTO {name}_new ({columns}) SELECT {columns} FROM {name}"))
    for name in reversed(_FAMILY):
        conn.execute(text(f"DROP TABLE {name}"))
    for name in _FAMILY:
        conn.execute(text(f"ALTER TABLE {name}_new RENAME TO {name}"))
    for sql in indexes:
        conn.execute(text(sql))
    if autoincrement:
        # Ids of subscriptions deleted before this migration are in the audit log only.
        highest = conn.execute(
            text(
                "SELECT max(coalesce((SELECT max(pk) FROM subscriptions), 0),"
                " coalesce((SELECT max(subscription_pk) FROM audit_log), 0))"
            )
        ).scalar_one()
        conn.execute(text("DELETE FROM sqlite_sequence WHERE name = 'subscriptions'"))
        conn.execute(
            text("INSERT INTO sqlite_sequence (name, seq) VALUES ('subscriptions', :seq)"),
            {"seq": highest},
        )
    problems = conn.execute(text("PRAGMA foreign_key_check")).all()
    if problems:
        raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")
