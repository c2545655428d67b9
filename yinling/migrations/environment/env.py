"""Alembic environment shared by every service database: the connection (already in the
transaction that holds the migration lock) and the service's own tables come from
yinling.migrations through the Config's attributes."""
from __future__ import annotations

from alembic import context

config = context.config
if context.is_offline_mode():
    raise SystemExit("yinling migrations run against a database (yinling.migrations.upgrade); "
                     "offline SQL scripts are not supported")
context.configure(connection=config.attributes["connection"],
                  target_metadata=config.attributes["target_metadata"],
                  render_as_batch=True,   # SQLite alters tables by copying them
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
