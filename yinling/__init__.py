"""Yinling shared kernel: config, event envelope, outbox, broker, db, metrics, plan model."""
