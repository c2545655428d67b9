"""Revisions of the platforms database (Alembic; environment in yinling/migrations)."""
