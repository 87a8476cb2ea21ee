"""Factories for handoff tests: a workspace with a sales team of sellers, both managers, an
active SLA agreement, and MQLs made through the ledger (so routing runs as in production)."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.crm.models import Contact
from accord.crm.services import contacts as contact_services
from accord.crm.services.ledger import change_stage
from accord.handoff import agreements
from accord.handoff.models import SlaAgreement
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Role, Team, TeamKind, Workspace
from accord.identity.tests.factories import MembershipFactory, TeamFactory, UserFactory

# Round the clock, every day: due times are plain hours, which keeps clock tests readable.
ALWAYS_OPEN = {
    "timezone": "UTC",
    "hours": {
        d: [["00:00", "23:59:59"]]
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    },
}


def sla_document(**sides: Any) -> dict[str, Any]:
    doc = copy.deepcopy(agreements.DEFAULT_SLA)
    for side, values in sides.items():
        if isinstance(values, dict) and side in doc:
            doc[side] = {**doc[side], **values}
        else:
            doc[side] = values
    return doc


@dataclass
class SalesFloor:
    workspace: Workspace
    team: Team
    sellers: list[Membership]
    sales_manager: Membership
    marketing_manager: Membership
    marketer: Membership
    admin: Membership

    def actor(self, membership: Membership, source: Source = Source.API) -> Actor:
        return Actor.for_membership(membership, source)

    @property
    def system(self) -> Actor:
        return Actor.system(self.workspace, Source.RULE, rule="test")


def sales_floor(workspace: Workspace, sellers: int = 3) -> SalesFloor:
    slug = workspace.slug
    team = TeamFactory(workspace=workspace, name="Account Executives", kind=TeamKind.SALES)
    marketing = TeamFactory(workspace=workspace, name="Marketing", kind=TeamKind.MARKETING)

    def member(role: str, email: str, on: Team | None) -> Membership:
        return MembershipFactory(
            workspace=workspace, user=UserFactory(email=email), role=role, team=on
        )

    return SalesFloor(
        workspace=workspace,
        team=team,
        sellers=[member(Role.SALES_REP, f"rep{i}@{slug}.example", team) for i in range(sellers)],
        sales_manager=member(Role.MANAGER, f"sm@{slug}.example", team),
        marketing_manager=member(Role.MANAGER, f"mm@{slug}.example", marketing),
        marketer=member(Role.MARKETER, f"marketer@{slug}.example", marketing),
        admin=member(Role.ADMIN, f"boss@{slug}.example", None),
    )


def activate_sla(
    floor: SalesFloor,
    document: dict[str, Any] | None = None,
    in_force_since: dt.datetime | None = None,
) -> SlaAgreement:
    """Activate an SLA now; `in_force_since` backdates it, for histories written in the past
    (marketing's volume is owed only from when the SLA came into force)."""
    author = floor.actor(floor.sales_manager)
    draft = agreements.sla_create_draft(
        actor=author, document=document or sla_document(calendars={"default": ALWAYS_OPEN})
    )
    agreements.sla_propose(actor=author, agreement_id=draft.pk)
    for manager in (floor.marketing_manager, floor.sales_manager):
        agreements.sla_approve(actor=floor.actor(manager), agreement_id=draft.pk)
    agreement = agreements.sla_activate(actor=author, agreement_id=draft.pk)
    if in_force_since is not None:
        agreement.activated_at = in_force_since
        agreement.save(update_fields=["activated_at"])
    return agreement


def make_mql(floor: SalesFloor, email: str, **values: Any) -> Contact:
    """A lead moved to MQL through the ledger: the router hands it over on commit."""
    contact = contact_services.contact_create(
        actor=floor.system, values={"email": email, "lifecycle_stage": "lead", **values}
    )
    change_stage(actor=floor.system, contact_id=contact.pk, to_stage="mql", definition_version="v1")
    return contact
