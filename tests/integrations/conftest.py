from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def importer(workspace, member_factory):  # type: ignore[no-untyped-def]
    """An admin named Ana Ruiz with email ana@acme.example (the sample files name her)."""
    membership = member_factory("admin", email="ana@acme.example")
    membership.user.full_name = "Ana Ruiz"
    membership.user.save(update_fields=["full_name"])
    return membership


@pytest.fixture
def run_import(importer):  # type: ignore[no-untyped-def]
    def run(path: Path, *args: str) -> str:
        out = io.StringIO()
        call_command(
            "import", str(path), "--workspace", "acme", "--user", "ana@acme.example",
            "--no-progress", *args, stdout=out,
        )  # fmt: skip
        return out.getvalue()

    return run
