"""Workspaces, users, teams, roles, API tokens and permissions."""
