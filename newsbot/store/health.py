"""Read-only facts for operators: is the database there, and who holds which lease.

The leases table belongs to the leadership of several instances; it may not exist
(older schema, SQLite), so it is read by reflection, whatever its columns are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, MetaData, Table, inspect, select, text

__all__ = ["leases", "ping"]


def ping(engine: Engine) -> None:
    """One ``SELECT 1``; raises the driver's error when the database does not answer."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar_one()


def leases(engine: Engine) -> list[dict[str, Any]] | None:
    """Every row of the ``leases`` table as a dict, None when there is no such table."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("leases"):
            return None
        table = Table("leases", MetaData(), autoload_with=conn)
        return [dict(row._mapping) for row in conn.execute(select(table))]
