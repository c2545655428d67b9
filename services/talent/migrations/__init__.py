"""Revisions of the talent database (Alembic; environment in yinling/migrations)."""
