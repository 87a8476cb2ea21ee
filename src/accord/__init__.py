"""Accord: the shared revenue workspace for B2B sales and marketing teams."""

__version__ = "0.1.0"
