"""Revisions of the ingest database (Alembic; environment in yinling/migrations)."""
