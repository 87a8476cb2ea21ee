"""The `accord` console entry; it dispatches to each context's management commands."""
