"""The API test helpers (Api client, tokens) for the definitions tests."""

from __future__ import annotations

from tests.api.conftest import api, api_as, fast_password_hashing, other_api

__all__ = ["api", "api_as", "fast_password_hashing", "other_api"]
