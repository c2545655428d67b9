"""Revisions of the finance database (Alembic; environment in yinling/migrations)."""
