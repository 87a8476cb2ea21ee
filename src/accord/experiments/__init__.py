"""Experiments: campaign and handoff tests judged on pipeline outcomes."""
