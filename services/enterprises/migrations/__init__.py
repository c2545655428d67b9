"""Revisions of the enterprises database (Alembic; environment in yinling/migrations)."""
