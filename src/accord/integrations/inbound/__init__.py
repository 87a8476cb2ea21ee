"""Inbound events: marketing systems post batches of touchpoints to /api/v1/events, identified
by an integration key, optionally signed, and made safe to retry with an Idempotency-Key."""
