"""Batch-ingest gateway: reported tables in, validated whole, forwarded to the owning service."""
