"""Read-only facts for operators: is the database there."""

from __future__ import annotations

from sqlalchemy import Engine, text

__all__ = ["ping"]


def ping(engine: Engine) -> None:
    """One ``SELECT 1``; raises the driver's error when the database does not answer."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1")).scalar_one()
