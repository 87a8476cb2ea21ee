"""The enablement library's write path: add an asset (a checked file or an http(s) link) with
its first version, change its title, tags or archive it, add versions, and record that a
seller used an asset on a deal.

Admins, managers and marketers manage assets (`manage_assets`); sales reps, SDRs and managers
record usage (`record_asset_use`); everyone reads. Bad input writes nothing: no row and no file.
Recording the same asset on the same deal twice by the same person changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accord.core import cleaning as c
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.crm.models import Deal
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.permissions import Action
from accord.marketing.asset_files import StoredFile, store_checked
from accord.marketing.enablement_models import Asset, AssetKind, AssetUsage, AssetVersion

MAX_TAGS = 20


def tags(value: Any, field: str, workspace_id: int) -> list[str]:
    """A list (or comma-separated text) of short tags, lower-cased, without duplicates."""
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValidationFailed.single(field, "Give a list of tags or comma-separated text.")
    found = [" ".join(str(x).split()).lower() for x in items if str(x).strip()]
    if any(len(x) > 60 for x in found):
        raise ValidationFailed.single(field, "A tag has at most 60 characters.")
    unique = list(dict.fromkeys(found))
    if len(unique) > MAX_TAGS:
        raise ValidationFailed.single(field, f"At most {MAX_TAGS} tags.")
    return unique


def link(value: Any, field: str, workspace_id: int) -> str:
    text = c.Text(1000)(value, field, workspace_id)
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationFailed.single(field, "Give an http:// or https:// address.")
    return text


ASSET_FIELDS: dict[str, c.Cleaner] = {
    "title": c.Text(200, required=True),
    "description": c.Text(4000),
    "kind": c.Choice(AssetKind, required=True),
    "url": link,
    "stages": tags,
    "personas": tags,
    "industries": tags,
    "owner_id": member,
    "note": c.Text(500),
}
UPDATE_FIELDS: dict[str, c.Cleaner] = {
    **{k: ASSET_FIELDS[k] for k in ("title", "description", "stages", "personas", "industries")},
    "owner_id": member,
    "archived": c.flag,
}


# What the audit log keeps of an asset and of each version (never the stored file's name).
AUDITED_ASSET = [
    "title",
    "description",
    "kind",
    "stages",
    "personas",
    "industries",
    "owner",
    "archived",
]
AUDITED_VERSION = ["number", "url", "file_name", "size", "sha256", "content_type", "note"]


def _title_free(workspace_id: int, title: str, exclude: int | None = None) -> None:
    same = Asset.objects.for_workspace(workspace_id).filter(title__iexact=title)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ValidationFailed.single("title", f"An asset called '{title}' already exists.")


def _store(
    actor: Actor, kind: str, file_name: str | None, chunks: Iterable[bytes] | None, url: str
) -> StoredFile | None:
    if kind == AssetKind.LINK:
        if not url:
            raise ValidationFailed.single("url", "A link needs its http(s) address.")
        if chunks is not None:
            raise ValidationFailed.single("file", "A link has no file; choose kind 'file'.")
        return None
    if url:
        raise ValidationFailed.single("url", "A file asset has no address; choose kind 'link'.")
    if chunks is None or not file_name:
        raise ValidationFailed.single("file", "Choose a file to upload.")
    return store_checked(actor.workspace.pk, file_name, chunks)


def _version_values(
    stored: StoredFile | None, file_name: str | None, url: str, note: str, actor: Actor
) -> dict[str, Any]:
    values: dict[str, Any] = {"url": url, "note": note, "uploaded_by": actor.user}
    if stored is not None:
        values |= {
            "storage_name": stored.storage_name,
            "file_name": (file_name or "")[-255:],
            "size": stored.size,
            "sha256": stored.sha256,
            "content_type": stored.content_type,
        }
    return values


def asset_create(
    *,
    actor: Actor,
    values: Mapping[str, Any],
    file_name: str | None = None,
    chunks: Iterable[bytes] | None = None,
) -> Asset:
    """A new asset with version 1: an uploaded file (`file_name`, `chunks`) or a link (`url`)."""
    actor.require(Action.MANAGE_ASSETS)
    cleaned = c.clean(ASSET_FIELDS, values, actor.workspace.pk, required=["title", "kind"])
    _title_free(actor.workspace.pk, cleaned["title"])
    url, note = cleaned.pop("url", ""), cleaned.pop("note", "")
    cleaned.setdefault("owner_id", actor.user.pk if actor.user else None)
    stored = _store(actor, cleaned["kind"], file_name, chunks, url)
    try:
        with transaction.atomic():
            asset = Asset.objects.create(workspace=actor.workspace, **cleaned)
            first = AssetVersion.objects.create(
                workspace=actor.workspace,
                asset=asset,
                number=1,
                **_version_values(stored, file_name, url, note, actor),
            )
            after = audit.snapshot(asset, AUDITED_ASSET) | {
                "version": audit.snapshot(first, AUDITED_VERSION)
            }
            audit.record(actor, "asset.created", asset, after=after)
    except BaseException:
        if stored is not None:
            stored.path.unlink(missing_ok=True)
        raise
    return asset


def _asset(actor: Actor, asset_id: int, *, lock: bool = False) -> Asset:
    query = Asset.objects.for_workspace(actor.workspace).filter(pk=asset_id)
    asset = (query.select_for_update() if lock else query).first()
    if asset is None:
        raise NotFound(f"No asset with id {asset_id} in this workspace.")
    return asset


@transaction.atomic
def asset_update(*, actor: Actor, asset_id: int, values: Mapping[str, Any]) -> Asset:
    actor.require(Action.MANAGE_ASSETS)
    asset = _asset(actor, asset_id, lock=True)
    cleaned = c.clean(UPDATE_FIELDS, values, actor.workspace.pk)
    if "title" in cleaned:
        if not cleaned["title"]:
            raise ValidationFailed.single("title", "This field is required.")
        _title_free(actor.workspace.pk, cleaned["title"], exclude=asset.pk)
    before = audit.snapshot(asset, AUDITED_ASSET)
    for name, value in cleaned.items():
        setattr(asset, name, value)
    if cleaned:
        asset.save()
    old, new = audit.changes(before, audit.snapshot(asset, AUDITED_ASSET))
    if new:
        action = "asset.changed"
        if set(new) == {"archived"}:
            action = "asset.archived" if new["archived"] else "asset.restored"
        audit.record(actor, action, asset, before=old, after=new)
    return asset


def version_add(
    *,
    actor: Actor,
    asset_id: int,
    file_name: str | None = None,
    chunks: Iterable[bytes] | None = None,
    url: str = "",
    note: str = "",
) -> AssetVersion:
    """The asset's next version: a file for a file asset, an address for a link."""
    actor.require(Action.MANAGE_ASSETS)
    asset = _asset(actor, asset_id)
    if asset.archived:
        raise Conflict("The asset is archived; restore it before adding a version.")
    clean_url = link(url, "url", actor.workspace.pk)
    clean_note = c.Text(500)(note, "note", actor.workspace.pk)
    stored = _store(actor, asset.kind, file_name, chunks, clean_url)
    try:
        with transaction.atomic():
            asset = _asset(actor, asset_id, lock=True)
            latest = asset.versions.aggregate(n=Max("number"))["n"] or 0
            version = AssetVersion.objects.create(
                workspace=actor.workspace,
                asset=asset,
                number=latest + 1,
                **_version_values(stored, file_name, clean_url, clean_note, actor),
            )
            asset.save(update_fields=["updated_at"])
            after = audit.snapshot(version, AUDITED_VERSION)
            audit.record(actor, "asset.version_added", asset, after=after)
    except BaseException:
        if stored is not None:
            stored.path.unlink(missing_ok=True)
        raise
    return version


def usage_record(
    *,
    actor: Actor,
    asset_id: int,
    deal_id: Any,
    note: str = "",
    used_at: dt.datetime | None = None,
) -> tuple[AssetUsage, bool]:
    """Record that the acting seller used the asset's latest version on a deal. Returns the
    usage and whether it is new; the same asset on the same deal by the same person again
    returns the first record unchanged."""
    actor.require(Action.RECORD_ASSET_USE)
    if actor.user is None:
        raise ValidationFailed.single("user", "Usage is recorded by a signed-in person.")
    ws = actor.workspace
    clean_note = c.Text(500)(note, "note", ws.pk)
    deal_pk = c.Ref(Deal, "deal", required=True)(deal_id, "deal_id", ws.pk)
    assert deal_pk is not None  # required=True
    asset = _asset(actor, asset_id)
    if asset.archived:
        raise Conflict("The asset is archived: it can no longer be recorded on deals.")
    existing = AssetUsage.objects.for_workspace(ws).filter(
        asset=asset, deal_id=deal_pk, user=actor.user
    )
    if (found := existing.first()) is not None:
        return found, False
    version = asset.versions.order_by("-number").first()
    if version is None:  # every asset is created with version 1
        raise Conflict("The asset has no version yet.")
    try:
        with transaction.atomic():
            usage = AssetUsage.objects.create(
                workspace=ws,
                asset=asset,
                version=version,
                deal_id=deal_pk,
                user=actor.user,
                used_at=used_at or timezone.now(),
                note=clean_note,
            )
    except IntegrityError:  # recorded by a concurrent request
        found = existing.first()
        if found is None:
            raise
        return found, False
    return usage, True
