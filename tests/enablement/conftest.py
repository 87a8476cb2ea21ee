"""Fixtures for the enablement library's tests: a team of each role, small valid files, and
deals with a known outcome."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest

from accord.crm.models import Deal
from accord.crm.selectors import pipeline_stages
from accord.crm.services.deals import deal_create
from accord.identity.actor import Actor, Source

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def docx_bytes(part: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(member_factory: Any) -> dict[str, Actor]:
    roles = {"maya": "marketer", "boss": "manager", "sam": "sales_rep", "dee": "sdr",
             "vic": "viewer"}  # fmt: skip
    return {
        name: Actor.for_membership(member_factory(role, email=f"{name}@acme.example"), Source.WEB)
        for name, role in roles.items()
    }


@pytest.fixture
def make_deal(actor: Actor) -> Any:
    def make(name: str, stage: str = "discovery", closed: dt.datetime | None = None) -> Deal:
        stages = {s.key: s for s in pipeline_stages(actor.workspace)}
        values: dict[str, Any] = {"name": name, "amount": "1000", "stage_id": stages[stage].pk}
        if closed is not None:
            values["closed_at"] = closed
        return deal_create(actor=actor, values=values)

    return make
