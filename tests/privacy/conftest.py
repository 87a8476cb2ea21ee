from __future__ import annotations

from typing import Any

import pytest

from tests.privacy.world import World, build


@pytest.fixture(autouse=True)
def own_data_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path  # import files and the columnar copy per test


@pytest.fixture
def world(actor: Any, member_factory: Any) -> World:
    return build(actor, member_factory("sales_rep", email="rep@acme.example"))
