"""Integration keys: created and revoked by workspace admins, checked on every inbound request.

How a request to /api/v1/events is authenticated, on top of its API token:

- ``X-Accord-Integration: <key_id>`` names the sending system. An unknown or revoked key, or
  a key of another workspace, is refused (401 ``integration_key_invalid``).
- A key with ``require_signature`` needs a valid ``X-Accord-Signature`` (401
  ``signature_missing`` / ``signature_invalid`` / ``signature_expired``). A signature sent
  with a key that does not require one is still checked: a wrong signature is never accepted.
- Without the header the request is accepted on the token alone, unless the workspace has an
  active key that requires signatures: then every request must name a key (401
  ``integration_key_required``), so leaving the header out cannot skip the signature check.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accord.core import cleaning as c
from accord.core.errors import Conflict, NotFound
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.models import Workspace
from accord.identity.permissions import Action
from accord.integrations.models import IntegrationKey
from accord.integrations.signing import (
    SignatureRejected,
    derive_secret,
    new_salt,
    verify_signature,
)

KEY_HEADER = "X-Accord-Integration"
PURPOSE = "accord-integration"
KEY_PREFIX = "ik_"

KEY_FIELDS: dict[str, c.Cleaner] = {
    "name": c.Text(120, required=True),
}


def signing_secret(key: IntegrationKey) -> str:
    """The key's signing secret: HMAC-SHA256(SECRET_KEY, 'accord-integration:<key_id>:<salt>')."""
    return derive_secret(PURPOSE, key.key_id, key.salt)


@transaction.atomic
def integration_key_create(
    *, actor: Actor, name: str, require_signature: bool = False
) -> tuple[IntegrationKey, str]:
    """Create a key. Returns it with its signing secret, which is shown this once."""
    actor.require(Action.MANAGE_WORKSPACE)
    cleaned = c.clean(KEY_FIELDS, {"name": name}, actor.workspace.pk, required=["name"])
    for _ in range(5):
        try:
            with transaction.atomic():
                key = IntegrationKey.objects.create(
                    workspace=actor.workspace,
                    name=cleaned["name"],
                    key_id=KEY_PREFIX + secrets.token_hex(10),
                    salt=new_salt(),
                    require_signature=bool(require_signature),
                    created_by=actor.user,
                )
        except IntegrityError:  # key_id collision: astronomically rare, draw again
            continue
        after = audit.snapshot(key, ["name", "key_id", "require_signature"])
        audit.record(actor, "integration_key.created", key, label=key.name, after=after)
        return key, signing_secret(key)
    raise Conflict("Could not allocate a unique key id; try again.")


@transaction.atomic
def integration_key_revoke(*, actor: Actor, key_pk: int) -> IntegrationKey:
    actor.require(Action.MANAGE_WORKSPACE)
    key = (
        IntegrationKey.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=key_pk)
        .first()
    )
    if key is None:
        raise NotFound(f"No integration key with id {key_pk} in this workspace.")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        after = audit.snapshot(key, ["revoked_at"])
        audit.record(actor, "integration_key.revoked", key, label=key.name,
                     before={"revoked_at": None}, after=after)  # fmt: skip
    return key


def integration_key_list(workspace: Workspace) -> QuerySet[IntegrationKey]:
    return (
        IntegrationKey.objects.for_workspace(workspace)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def integration_key_get(workspace: Workspace, key_pk: int) -> IntegrationKey:
    key = integration_key_list(workspace).filter(pk=key_pk).first()
    if key is None:
        raise NotFound(f"No integration key with id {key_pk} in this workspace.")
    return key


def authenticate_integration(
    workspace: Workspace, key_id: str | None, signature: str | None, body: bytes
) -> IntegrationKey | None:
    """The integration key a request names, after its signature checks (see the module
    docstring); None for a request that names no key and needs none."""
    keys = IntegrationKey.objects.for_workspace(workspace).filter(revoked_at__isnull=True)
    key_id = (key_id or "").strip()
    if not key_id:
        if keys.filter(require_signature=True).exists():
            raise SignatureRejected(
                "integration_key_required",
                f"This workspace requires signed event requests: send {KEY_HEADER}: <key_id> "
                "and X-Accord-Signature.",
            )
        if signature:
            raise SignatureRejected(
                "integration_key_required",
                f"A signature needs the {KEY_HEADER} header naming the key that signed it.",
            )
        return None
    key = keys.filter(key_id=key_id[:40]).first()
    if key is None:
        raise SignatureRejected(
            "integration_key_invalid",
            f"{KEY_HEADER}: no active integration key '{key_id[:40]}' in this workspace.",
        )
    if key.require_signature or signature:
        verify_signature(signing_secret(key), signature, body)
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        IntegrationKey.objects.for_workspace(workspace).filter(pk=key.pk).update(last_used_at=now)
    return key
