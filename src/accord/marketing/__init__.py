"""Campaigns, their costs, and touchpoints (marketing interactions of contacts)."""
