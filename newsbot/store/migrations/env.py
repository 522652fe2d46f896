"""Alembic environment: newsbot runs migrations itself on a connection it passes in."""

from __future__ import annotations

from alembic import context

from newsbot.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise RuntimeError("run migrations through newsbot (newsbot db upgrade), not alembic")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
