"""Indicators service: keeps the plan's indicators current from the source domains' events."""
