"""Shared kernel: base models, workspace scoping, money and normalisation helpers, errors."""
