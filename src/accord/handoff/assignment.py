"""Handing new MQLs to sales: the routing of `routing.route` over the workspace's rules, sales
teams, seller settings and absences, one handoff per lead with its SLA clock, and the contact's
owner set to whoever got it. A lead no seller can take goes to the fallback queue (a handoff
without owner) and the sales managers are alerted, so no MQL is ever left unassigned.

`route_contacts` handles many leads at once (a re-score can promote thousands): the roster is
read once, the rotation states are locked once, the handoffs are written in bulk.

Who can own a lead (`lead_owners`): an active user who is a member on a *sales* team with a role
that works handoffs — a sales rep or SDR (they rotate), or the team's manager or an admin on it
(they own accounts and can be named by a rule or given a lead, but do not rotate). An account
owner, a rule's person or a reassignment to anyone else (a former member, a deactivated user, a
marketer, a marketing manager, someone on no sales team) is skipped or refused, so a lead never
waits on someone who cannot work it, and its team — whose calendar times the clock and whose
managers hear of breaches — is always the owner's sales team.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from accord.core.errors import ValidationFailed
from accord.core.events import publish
from accord.crm.models import Contact
from accord.crm.services.contacts import contacts_assign_owner
from accord.handoff import routing
from accord.handoff.agreements import active_agreement
from accord.handoff.clocks import start_clock
from accord.handoff.models import (
    EscalationKind,
    Handoff,
    HandoffStatus,
    OutOfOffice,
    RoutingRule,
    SellerSettings,
    SlaState,
    TeamRotation,
)
from accord.handoff.notify import escalate
from accord.handoff.rotation import Candidate, RotationState
from accord.identity.actor import Actor, Source
from accord.identity.cleaning import member
from accord.identity.models import Membership, Role, Team, TeamKind, Workspace

logger = logging.getLogger(__name__)

SELLER_ROLES = (Role.SALES_REP, Role.SDR)  # they rotate inside their sales team
OWNER_ROLES = (*SELLER_ROLES, Role.MANAGER, Role.ADMIN)  # on a sales team: may own leads
CONTACT_ATTRIBUTES = (
    "country",
    "title",
    "seniority",
    "department",
    "lead_status",
    "original_source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
)
COMPANY_ATTRIBUTES = ("name", "domain", "industry", "employee_count", "country")


def contact_attributes(contact: Contact) -> dict[str, str]:
    """What routing conditions can test: the contact's fields, `company.<field>`, custom fields
    (`custom.<key>`, also bare when no field has that name), and the score's grade."""
    out = {name: str(getattr(contact, name) or "") for name in CONTACT_ATTRIBUTES}
    company = contact.company
    for name in COMPANY_ATTRIBUTES:
        value = getattr(company, name) if company is not None else None
        out[f"company.{name}"] = "" if value is None else str(value)
    customs: dict[str, Any] = {}
    if company is not None:
        customs.update(company.custom_fields or {})
    customs.update(contact.custom_fields or {})
    for key, value in customs.items():
        text = "" if value is None else str(value)
        out[f"custom.{key}"] = text
        out.setdefault(key, text)  # e.g. "segment", "territory"
    score = getattr(contact, "score", None)
    out["grade"] = score.grade if score is not None else ""
    return out


def lead_owners(workspace_id: int) -> QuerySet[Membership]:
    """The members who can own a lead: active users on a sales team whose role works leads."""
    return Membership.objects.for_workspace(workspace_id).filter(
        role__in=OWNER_ROLES, team__kind=TeamKind.SALES, user__is_active=True
    )


def lead_owner_team(workspace_id: int, user_id: Any, field: str = "user_id") -> tuple[int, int]:
    """(user id, sales team id) of a member who can own leads; otherwise a field error that
    says why (`lead_owners`)."""
    user = member(user_id, field, workspace_id)
    if user is None:
        raise ValidationFailed.single(field, "Name a seller of this workspace.")
    team_id = lead_owners(workspace_id).filter(user_id=user).values_list("team_id", flat=True)
    found = team_id.first()
    if found is None:
        raise ValidationFailed.single(
            field,
            f"User {user} cannot work leads: only active sales reps, SDRs, managers and "
            "admins on a sales team can.",
        )
    return user, found


def load_roster(workspace_id: int, on: dt.date) -> tuple[routing.Roster, dict[int, int]]:
    """Every sales team's sellers as rotation candidates, the other people who can own leads
    (`lead_owners`) outside the rotation, and each one's team id."""
    memberships = list(lead_owners(workspace_id).values_list("user_id", "team_id", "role"))
    settings = {s.user_id: s for s in SellerSettings.objects.for_workspace(workspace_id)}
    away: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for user_id, start, end in (
        OutOfOffice.objects.for_workspace(workspace_id)
        .filter(ends_on__gte=on)
        .values_list("user_id", "starts_on", "ends_on")
    ):
        away[user_id].append((start, end))
    open_counts = dict(
        Handoff.objects.for_workspace(workspace_id)
        .filter(status=HandoffStatus.OPEN, owner__isnull=False)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    teams: dict[str, list[Candidate]] = defaultdict(list)
    people: dict[int, Candidate] = {}
    team_of: dict[int, int] = {}
    for user_id, team_id, role in memberships:
        s = settings.get(user_id)
        weight = (s.weight if s.accepts_leads else 0.0) if s else 1.0
        candidate = Candidate(
            user_id=user_id,
            weight=weight,
            away=tuple(away.get(user_id, ())),
            capacity=s.capacity if s else None,
            open_handoffs=open_counts.get(user_id, 0),
        )
        if role in SELLER_ROLES:
            teams[str(team_id)].append(candidate)
        else:
            people[user_id] = candidate
        team_of[user_id] = team_id
    return routing.Roster(teams=dict(teams), people=people), team_of


def load_rules(workspace_id: int) -> tuple[list[routing.RoutingRule], dict[str, int]]:
    rules, ids = [], {}
    for rule in RoutingRule.objects.for_workspace(workspace_id).filter(is_active=True):
        rules.append(
            routing.RoutingRule(
                name=rule.name,
                conditions=[routing.Condition(**c) for c in rule.conditions],
                team=str(rule.team_id) if rule.team_id else None,
                user_id=rule.user_id,
            )
        )
        ids[rule.name] = rule.pk
    return rules, ids


@transaction.atomic
def route_contacts(
    workspace_id: int,
    contact_ids: Sequence[int],
    *,
    at: dt.datetime | None = None,
    definition_version: str = "",
) -> list[Handoff]:
    """Hand each contact that is an MQL without an open handoff to a seller (or the fallback
    queue). Idempotent: contacts already handed over are skipped."""
    at = at or timezone.now()
    workspace = Workspace.objects.get(pk=workspace_id)
    actor = Actor.system(workspace, Source.RULE, rule="routing")
    # One router at a time per workspace: the rotation credits and capacities stay exact.
    Workspace.objects.select_for_update().filter(pk=workspace_id).first()
    already = set(
        Handoff.objects.for_workspace(workspace_id)
        .filter(contact_id__in=contact_ids, status=HandoffStatus.OPEN)
        .values_list("contact_id", flat=True)
    )
    contacts = list(
        Contact.objects.for_workspace(workspace_id)
        .filter(pk__in=[i for i in contact_ids if i not in already], lifecycle_stage="mql")
        .select_related("company", "score")
        .order_by("id")
    )
    if not contacts:
        return []
    roster, team_of = load_roster(workspace_id, at.date())
    rotations = {
        str(r.team_id): r
        for r in TeamRotation.objects.for_workspace(workspace_id).select_for_update()
    }
    roster.states = {k: RotationState.from_json(r.credit) for k, r in rotations.items()}
    rules, rule_ids = load_rules(workspace_id)
    agreement = active_agreement(workspace_id)
    team_names = dict(Team.objects.for_workspace(workspace_id).values_list("id", "name"))
    handoffs: list[Handoff] = []
    for contact in contacts:
        owner = contact.company.owner_id if contact.company is not None else None
        chosen = routing.route(
            contact_attributes(contact), rules, roster, at.date(), account_owner=owner
        )
        team_id = int(chosen.team) if chosen.team else None
        if chosen.user_id is not None:
            team_id = team_id or team_of[chosen.user_id]  # routing picks only roster people
            _count_open(roster, chosen.user_id)
        handoff = Handoff(
            workspace_id=workspace_id,
            contact=contact,
            owner_id=chosen.user_id,
            team_id=team_id,
            routing_rule_id=rule_ids.get(chosen.rule) if chosen.rule else None,
            chosen_by=chosen.chosen_by[:200],
            assigned_at=at,
            definition_version=definition_version[:40],
        )
        if agreement is not None:
            clock = start_clock(agreement[1], team_names.get(team_id) if team_id else None, at)
            handoff.agreement = agreement[0]
            handoff.sla_state = SlaState.DUE
            handoff.first_touch_due_at = clock.first_touch_due_at
            handoff.attempts_due_at = clock.attempts_due_at
        handoffs.append(handoff)
    Handoff.objects.bulk_create(handoffs, batch_size=500)
    _save_rotations(workspace_id, roster, rotations)
    _set_owners(actor, handoffs)
    for handoff in handoffs:
        publish(
            workspace_id,
            "handoff.assigned",
            {
                "handoff_id": handoff.pk,
                "contact_id": handoff.contact_id,
                "owner_id": handoff.owner_id,
                "chosen_by": handoff.chosen_by,
                "first_touch_due_at": (
                    handoff.first_touch_due_at.isoformat() if handoff.first_touch_due_at else None
                ),
            },
        )
    unassigned = [h for h in handoffs if h.owner_id is None]
    if unassigned:
        escalate(workspace_id, unassigned, EscalationKind.UNASSIGNED)
    return handoffs


def route_contacts_isolated(
    workspace_id: int, contact_ids: Sequence[int], *, definition_version: str = ""
) -> list[Handoff]:
    """`route_contacts`, but a lead that cannot be routed does not hold up the others: if the
    batch fails, each contact is routed on its own and the failures are logged (the sweep
    tries them again)."""
    failed = "routing contacts %s of workspace %s failed"
    try:
        return route_contacts(workspace_id, contact_ids, definition_version=definition_version)
    except Exception:
        logger.exception(failed, list(contact_ids)[:20], workspace_id)
        if len(contact_ids) == 1:
            return []
    routed: list[Handoff] = []
    for contact_id in contact_ids:
        try:
            routed += route_contacts(
                workspace_id, [contact_id], definition_version=definition_version
            )
        except Exception:
            logger.exception(failed, [contact_id], workspace_id)
    return routed


def _count_open(roster: routing.Roster, user_id: int) -> None:
    """The new lead counts against the seller's capacity for the rest of this batch."""

    def plus_one(m: Candidate) -> Candidate:
        return Candidate(m.user_id, m.weight, m.away, m.capacity, m.open_handoffs + 1)

    for team, members in roster.teams.items():
        roster.teams = {
            **roster.teams,
            team: [plus_one(m) if m.user_id == user_id else m for m in members],
        }
    if user_id in roster.people:
        roster.people = {**roster.people, user_id: plus_one(roster.people[user_id])}


def _save_rotations(
    workspace_id: int, roster: routing.Roster, rotations: dict[str, TeamRotation]
) -> None:
    for team, state in roster.states.items():
        row = rotations.get(team)
        if row is None:
            TeamRotation.objects.create(
                workspace_id=workspace_id, team_id=int(team), credit=state.to_json()
            )
        elif row.credit != state.to_json():
            row.credit = state.to_json()
            row.save(update_fields=["credit", "updated_at"])


def _set_owners(actor: Actor, handoffs: Sequence[Handoff]) -> None:
    by_owner: dict[int, list[int]] = defaultdict(list)
    for handoff in handoffs:
        if handoff.owner_id is not None:
            by_owner[handoff.owner_id].append(handoff.contact_id)
    for owner_id, contact_ids in by_owner.items():
        contacts_assign_owner(actor=actor, contact_ids=contact_ids, owner_id=owner_id)
