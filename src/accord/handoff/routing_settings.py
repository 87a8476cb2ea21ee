"""Routing settings, written only here: ordered routing rules, each seller's weight and
capacity, out-of-office dates, and the workspace's rejection reason codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.handoff.assignment import lead_owner_team
from accord.handoff.models import (
    OutOfOffice,
    ReasonOutcome,
    RejectionReason,
    RoutingRule,
    SellerSettings,
)
from accord.handoff.routing import Condition
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.models import Team, TeamKind
from accord.identity.permissions import Action

OPERATORS = ("equals", "in", "contains", "range", "is_empty")

# key, label, outcome, needs the SLA's attempts first
DEFAULT_REASONS: tuple[tuple[str, str, ReasonOutcome, bool], ...] = (
    ("not_icp", "Not our ideal customer profile", ReasonOutcome.DISQUALIFIED, False),
    ("no_budget", "No budget", ReasonOutcome.RECYCLED, False),
    ("bad_data", "Bad or wrong contact data", ReasonOutcome.DISQUALIFIED, False),
    ("duplicate", "Duplicate of another lead", ReasonOutcome.DISQUALIFIED, False),
    ("unresponsive", "Unresponsive after the agreed attempts", ReasonOutcome.RECYCLED, True),
    ("student_competitor", "Student, job seeker or competitor", ReasonOutcome.DISQUALIFIED, False),
    ("bad_timing", "Bad timing: interested later", ReasonOutcome.RECYCLED, False),
)


OTHER_REASON = ("other", "Other (see comment)")


def other_reason(workspace_id: int) -> RejectionReason:
    """The catch-all code of rejections not made through a reason code (history before Accord,
    a contact disqualified outside the handoff); created once, like the defaults."""
    ensure_default_reasons(workspace_id)
    reason, _ = RejectionReason.objects.for_workspace(workspace_id).get_or_create(
        workspace_id=workspace_id,
        key=OTHER_REASON[0],
        defaults={"label": OTHER_REASON[1], "outcome": ReasonOutcome.DISQUALIFIED, "position": 99},
    )
    return reason


def ensure_default_reasons(workspace_id: int) -> None:
    """Give a workspace the default reason codes once (existing keys are left alone)."""
    existing = set(
        RejectionReason.objects.for_workspace(workspace_id).values_list("key", flat=True)
    )
    RejectionReason.objects.bulk_create(
        RejectionReason(
            workspace_id=workspace_id,
            key=key,
            label=label,
            outcome=outcome,
            needs_attempts=attempts,
            position=position,
        )
        for position, (key, label, outcome, attempts) in enumerate(DEFAULT_REASONS)
        if key not in existing
    )


# Rules ------------------------------------------------------------------------------------


def clean_conditions(raw: Any) -> list[dict[str, Any]]:
    """Conditions as stored JSON, each checked; errors name `conditions.<i>.<field>`."""
    if not isinstance(raw, list):
        raise ValidationFailed.single("conditions", "Give a list of conditions.")
    cleaned: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        path = f"conditions.{i}"
        if not isinstance(item, Mapping):
            raise ValidationFailed.single(path, "Each condition is an object.")
        unknown = set(item) - {"attribute", "operator", "value", "low", "high"}
        if unknown:
            raise ValidationFailed.single(path, f"Unknown key '{sorted(unknown)[0]}'.")
        attribute = str(item.get("attribute") or "").strip()
        if not attribute or len(attribute) > 80:
            raise ValidationFailed.single(f"{path}.attribute", "Name a field (1-80 characters).")
        operator = item.get("operator")
        if operator not in OPERATORS:
            raise ValidationFailed.single(
                f"{path}.operator", f"'{operator}' is not one of {', '.join(OPERATORS)}."
            )
        condition: dict[str, Any] = {"attribute": attribute, "operator": operator}
        if operator == "range":
            low, high = item.get("low"), item.get("high")
            try:
                low = None if low in (None, "") else float(low)
                high = None if high in (None, "") else float(high)
            except (TypeError, ValueError):
                raise ValidationFailed.single(path, "low and high must be numbers.") from None
            if low is None and high is None:
                raise ValidationFailed.single(path, "A range needs low, high or both.")
            if low is not None and high is not None and low > high:
                raise ValidationFailed.single(path, f"low ({low:g}) is above high ({high:g}).")
            condition.update(low=low, high=high)
        elif operator != "is_empty":
            value = item.get("value")
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(
                isinstance(v, str) and v.strip() for v in values
            ):
                raise ValidationFailed.single(
                    f"{path}.value", "Give a text value (or a list of them for 'in')."
                )
            condition["value"] = value if operator != "in" else list(values)
        Condition(**condition)  # the same object routing uses
        cleaned.append(condition)
    return cleaned


# What the audit log keeps of each routing setting.
RULE_FIELDS = ("name", "position", "conditions", "team", "user", "is_active")
SELLER_FIELDS = ("user", "weight", "capacity", "accepts_leads")
MAX_CAPACITY = 100_000
REASON_FIELDS = ("key", "label", "outcome", "needs_attempts", "is_active")


def _target(actor: Actor, values: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """A sales team, or one person who can work leads (`assignment.lead_owners`): a rule that
    named a marketer would hand leads to someone who cannot accept them."""
    team_id, user_id = values.get("team_id"), values.get("user_id")
    if (team_id in (None, "")) == (user_id in (None, "")):
        raise ValidationFailed(
            "A rule sends leads to a sales team (rotating) or to one person.",
            fields={"team_id": ["Give a team_id or a user_id, not both."]},
        )
    if team_id not in (None, ""):
        team = (
            Team.objects.for_workspace(actor.workspace)
            .filter(pk=_int(team_id, "team_id"), kind=TeamKind.SALES)
            .first()
        )
        if team is None:
            raise ValidationFailed.single("team_id", f"No sales team {team_id} in this workspace.")
        return team.pk, None
    return None, lead_owner_team(actor.workspace.pk, user_id)[0]


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed.single(field, f"'{value}' is not a number.") from None


def _name(values: Mapping[str, Any]) -> str:
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 120:
        raise ValidationFailed.single("name", "Give the rule a name (1-120 characters).")
    return name


@transaction.atomic
def routing_rule_create(*, actor: Actor, values: Mapping[str, Any]) -> RoutingRule:
    actor.require(Action.MANAGE_ROUTING)
    name = _name(values)
    conditions = clean_conditions(values.get("conditions", []))
    team_id, user_id = _target(actor, values)
    scoped = RoutingRule.objects.for_workspace(actor.workspace)
    last = scoped.aggregate(p=Max("position"))["p"]
    rule = RoutingRule(
        workspace=actor.workspace,
        position=(last + 1) if last is not None else 0,
        name=name,
        conditions=conditions,
        team_id=team_id,
        user_id=user_id,
        is_active=bool(values.get("is_active", True)),
    )
    try:
        with transaction.atomic():
            rule.save(force_insert=True)
    except IntegrityError:
        raise Conflict(f"A routing rule named '{rule.name}' already exists.") from None
    audit.record(actor, "routing_rule.created", rule, after=audit.snapshot(rule, RULE_FIELDS))
    return rule


def _locked_rule(actor: Actor, rule_id: int) -> RoutingRule:
    rule = (
        RoutingRule.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(pk=rule_id)
        .first()
    )
    if rule is None:
        raise NotFound(f"No routing rule with id {rule_id} in this workspace.")
    return rule


@transaction.atomic
def routing_rule_update(*, actor: Actor, rule_id: int, values: Mapping[str, Any]) -> RoutingRule:
    actor.require(Action.MANAGE_ROUTING)
    rule = _locked_rule(actor, rule_id)
    before = audit.snapshot(rule, RULE_FIELDS)
    if "name" in values:
        rule.name = _name(values)
    if "conditions" in values:
        rule.conditions = clean_conditions(values["conditions"])
    if "team_id" in values or "user_id" in values:
        rule.team_id, rule.user_id = _target(actor, values)
    if "is_active" in values:
        rule.is_active = bool(values["is_active"])
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise Conflict(f"A routing rule named '{rule.name}' already exists.") from None
    old, new = audit.changes(before, audit.snapshot(rule, RULE_FIELDS))
    if new:
        audit.record(actor, "routing_rule.changed", rule, before=old, after=new)
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: Actor, rule_id: int) -> None:
    actor.require(Action.MANAGE_ROUTING)
    rule = _locked_rule(actor, rule_id)
    audit.record(actor, "routing_rule.deleted", rule, before=audit.snapshot(rule, RULE_FIELDS))
    rule.delete()


@transaction.atomic
def routing_rules_reorder(*, actor: Actor, rule_ids: Sequence[int]) -> list[RoutingRule]:
    """Put the rules in this order (every rule of the workspace, each once)."""
    actor.require(Action.MANAGE_ROUTING)
    scoped = RoutingRule.objects.for_workspace(actor.workspace)
    rules = {r.pk: r for r in scoped.select_for_update()}
    if sorted(rule_ids) != sorted(rules):
        raise ValidationFailed.single(
            "rule_ids", "List every routing rule of this workspace exactly once."
        )
    before = [r.pk for r in sorted(rules.values(), key=lambda r: r.position)]
    for position, rule_id in enumerate(rule_ids):
        rules[rule_id].position = position
    scoped.bulk_update(list(rules.values()), ["position"])
    if before != list(rule_ids):
        audit.record(
            actor,
            "routing_rule.reordered",
            object_type="routing rules",
            label="routing order",
            before={"order": before},
            after={"order": list(rule_ids)},
        )
    return [rules[i] for i in rule_ids]


def _member(actor: Actor, user_id: Any) -> int:
    user = member(user_id, "user_id", actor.workspace.pk)
    if user is None:
        raise ValidationFailed.single("user_id", "Name a member of this workspace.")
    return user


# Sellers ----------------------------------------------------------------------------------


@transaction.atomic
def seller_settings_set(*, actor: Actor, user_id: int, values: Mapping[str, Any]) -> SellerSettings:
    actor.require(Action.MANAGE_ROUTING)
    user = _member(actor, user_id)
    settings, _ = SellerSettings.objects.for_workspace(actor.workspace).get_or_create(
        workspace=actor.workspace, user_id=user
    )
    before = audit.snapshot(settings, SELLER_FIELDS)
    if "weight" in values:
        try:
            weight = float(values["weight"])
        except (TypeError, ValueError):
            raise ValidationFailed.single("weight", "The weight is a number.") from None
        if not 0 <= weight <= 100:
            raise ValidationFailed.single("weight", "The weight is between 0 and 100.")
        settings.weight = weight
    if "capacity" in values:
        capacity = values["capacity"]
        if capacity in (None, ""):
            settings.capacity = None
        else:
            number = _int(capacity, "capacity")
            if not 1 <= number <= MAX_CAPACITY:
                raise ValidationFailed.single(
                    "capacity",
                    f"From 1 to {MAX_CAPACITY:,} open handoffs (leave empty for no limit).",
                )
            settings.capacity = number
    if "accepts_leads" in values:
        settings.accepts_leads = bool(values["accepts_leads"])
    settings.save()
    old, new = audit.changes(before, audit.snapshot(settings, SELLER_FIELDS))
    if new:
        audit.record(actor, "seller_settings.changed", settings, before=old, after=new)
    return settings


@transaction.atomic
def out_of_office_add(
    *, actor: Actor, user_id: int, starts_on: dt.date, ends_on: dt.date, note: str = ""
) -> OutOfOffice:
    """Members record their own absences; managers and admins anyone's."""
    if actor.user is None or actor.user.pk != user_id:
        actor.require(Action.MANAGE_ROUTING)
    else:
        actor.require(Action.WRITE_RECORDS)
    user = _member(actor, user_id)
    if ends_on < starts_on:
        raise ValidationFailed.single("ends_on", "The absence ends before it starts.")
    overlapping = OutOfOffice.objects.for_workspace(actor.workspace).filter(
        user_id=user, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if overlapping.exists():
        other = overlapping.first()
        assert other is not None
        raise Conflict(
            f"This overlaps the absence from {other.starts_on} to {other.ends_on}; "
            "change that one instead."
        )
    absence = OutOfOffice.objects.create(
        workspace=actor.workspace,
        user_id=user,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note.strip()[:200],
    )
    after = audit.snapshot(absence, ABSENCE_FIELDS)
    audit.record(
        actor, "out_of_office.created", absence, label=_absence_label(absence), after=after
    )
    return absence


ABSENCE_FIELDS = ["user", "starts_on", "ends_on", "note"]


def _absence_label(absence: OutOfOffice) -> str:
    return f"user {absence.user_id}: {absence.starts_on} to {absence.ends_on}"


@transaction.atomic
def out_of_office_remove(*, actor: Actor, absence_id: int) -> None:
    absence = OutOfOffice.objects.for_workspace(actor.workspace).filter(pk=absence_id).first()
    if absence is None:
        raise NotFound(f"No absence with id {absence_id} in this workspace.")
    if actor.user is None or actor.user.pk != absence.user_id:
        actor.require(Action.MANAGE_ROUTING)
    before = audit.snapshot(absence, ABSENCE_FIELDS)
    audit.record(
        actor, "out_of_office.deleted", absence, label=_absence_label(absence), before=before
    )
    absence.delete()


# Reason codes -----------------------------------------------------------------------------


@transaction.atomic
def rejection_reason_save(*, actor: Actor, values: Mapping[str, Any]) -> RejectionReason:
    """Create a reason code, or change the label, outcome or activity of an existing key."""
    actor.require(Action.MANAGE_ROUTING)
    key = str(values.get("key") or "").strip().lower()
    if not key or len(key) > 40 or not key.replace("_", "").isalnum():
        raise ValidationFailed.single("key", "Use 1-40 letters, digits or underscores.")
    label = str(values.get("label") or "").strip()
    if not label or len(label) > 120:
        raise ValidationFailed.single("label", "Give a label (1-120 characters).")
    outcome = values.get("outcome", ReasonOutcome.DISQUALIFIED)
    if outcome not in ReasonOutcome.values:
        raise ValidationFailed.single(
            "outcome", f"'{outcome}' is not one of {', '.join(ReasonOutcome.values)}."
        )
    scoped = RejectionReason.objects.for_workspace(actor.workspace)
    reason = scoped.select_for_update().filter(key=key).first()
    before = audit.snapshot(reason, REASON_FIELDS) if reason is not None else None
    if reason is None:
        last = scoped.aggregate(p=Max("position"))["p"]
        reason = RejectionReason(workspace=actor.workspace, key=key, position=(last or 0) + 1)
    reason.label = label
    reason.outcome = outcome
    reason.needs_attempts = bool(values.get("needs_attempts", reason.needs_attempts))
    reason.is_active = bool(values.get("is_active", True))
    reason.save()
    after = audit.snapshot(reason, REASON_FIELDS)
    if before is None:
        audit.record(actor, "rejection_reason.created", reason, after=after)
    elif before != after:
        old, new = audit.changes(before, after)
        audit.record(actor, "rejection_reason.changed", reason, before=old, after=new)
    return reason
