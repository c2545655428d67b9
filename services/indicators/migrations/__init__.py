"""Revisions of the indicators database (Alembic; environment in yinling/migrations)."""
