"""`accord backup` and `accord restore`: a round trip brings back the records and the files,
and a restore never silently overwrites a database that holds data."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accord.crm.models import Contact
from accord.crm.tests.factories import ContactFactory
from accord.identity.models import Workspace


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _emails(workspace: Workspace) -> list[str]:
    return sorted(Contact.objects.for_workspace(workspace).values_list("email", flat=True))


@pytest.fixture
def data_dir(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path / "data"
    (folder / "assets" / "1").mkdir(parents=True)
    (folder / "assets" / "1" / "deck.pdf").write_bytes(b"%PDF-1.4 deck")
    (folder / "imports" / "1").mkdir(parents=True)
    (folder / "imports" / "1" / "leads.csv").write_text("Email\nana@x.example\n")
    (folder / "jobs").mkdir()
    (folder / "jobs" / "import-1.json").write_text("{}")  # transient: not backed up
    (folder / "analytics.duckdb").write_bytes(b"stale copy")  # rebuilt: not backed up
    settings.DATA_DIR = folder
    return folder


@pytest.mark.django_db(transaction=True)
def test_round_trip_brings_back_records_and_files(workspace, data_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for i in range(25):
        ContactFactory(workspace=workspace, email=f"p{i}@firm.example")
    before = _emails(workspace)
    target = tmp_path / "out.tar"
    out = _run("backup", "--output", str(target))
    assert f"{connection.vendor if connection.vendor == 'sqlite' else 'postgresql'} database" in out
    assert "and 2 file(s) to" in out
    with tarfile.open(target) as tar:
        names = sorted(tar.getnames())
    database = "database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump"
    assert names == sorted(
        ["manifest.json", database, "files/assets/1/deck.pdf", "files/imports/1/leads.csv"]
    )

    # Lose data: delete contacts, add one, damage the files.
    Contact.objects.for_workspace(workspace).filter(email__startswith="p1").delete()
    ContactFactory(workspace=workspace, email="new@firm.example")
    (data_dir / "assets" / "1" / "deck.pdf").unlink()
    (data_dir / "assets" / "1" / "extra.pdf").write_bytes(b"not in the backup")
    assert _emails(workspace) != before

    with pytest.raises(CommandError, match=r"already holds workspaces or users.*--force"):
        _run("restore", str(target))
    assert "new@firm.example" in _emails(workspace)  # refused: nothing changed

    out = _run("restore", str(target), "--force")
    assert "and 2 file(s)." in out
    workspace = Workspace.objects.get(slug="acme")
    assert _emails(workspace) == before
    assert (data_dir / "assets" / "1" / "deck.pdf").read_bytes() == b"%PDF-1.4 deck"
    assert not (data_dir / "assets" / "1" / "extra.pdf").exists()
    assert not (data_dir / "analytics.duckdb").exists()  # stale analytics copy dropped
    # The restored database takes writes again.
    ContactFactory(workspace=workspace, email="after@firm.example")
    assert len(_emails(workspace)) == len(before) + 1


@pytest.mark.django_db(transaction=True)
def test_restore_into_an_empty_database_needs_no_force(workspace, data_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ContactFactory(workspace=workspace, email="kept@firm.example")
    target = tmp_path / "b.tar"
    _run("backup", "--output", str(target))
    from django.core.management import call_command as cc

    cc("flush", "--no-input", verbosity=0)
    assert not Workspace.objects.exists()
    _run("restore", str(target))
    assert _emails(Workspace.objects.get(slug="acme")) == ["kept@firm.example"]


@pytest.mark.django_db
def test_restore_rejects_what_is_not_a_backup(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bogus = tmp_path / "bogus.tar"
    bogus.write_text("hello")
    with pytest.raises(CommandError, match="is not an Accord backup"):
        _run("restore", str(bogus))
    with pytest.raises(CommandError, match="No such backup file"):
        _run("restore", str(tmp_path / "missing.tar"))


@pytest.mark.django_db
def test_restore_refuses_a_backup_of_the_other_engine(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    path = tmp_path / "other.tar"
    raw = json.dumps({"format": 1, "engine": other, "database": "x"}).encode()
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    with pytest.raises(CommandError, match=f"holds a {other} database"):
        _run("restore", str(path), "--force")
