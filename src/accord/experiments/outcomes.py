"""What happened to each variant's contacts after they joined the experiment, metric by
metric — the pipeline outcomes both teams care about, not clicks.

Every outcome counts only what happened at or after the contact's assignment:

- conversion to MQL / SAL / SQL: the contact reached that stage or a later one (the lifecycle
  ledger, the metrics layer's stage entries);
- conversion to won: a deal with the contact as primary contact was won;
- acceptance rate: of the contacts whose first handoff after assignment sales decided, the
  share accepted (the handoff's own disposition);
- pipeline / revenue per lead: the amounts of the deals created / won, per assigned contact
  (0 for a contact with none), a mean over every assigned contact;
- hours to first touch: from the handoff to the seller's first touch, per touched contact.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accord.crm.models import Deal, LedgerEntry
from accord.experiments.models import Assignment, Experiment, Variant
from accord.handoff.models import Handoff

RATES = ("mql_rate", "sal_rate", "sql_rate", "won_rate", "acceptance_rate")
MEANS = ("pipeline_per_lead", "revenue_per_lead", "hours_to_first_touch")
_LATER = ("mql", "sal", "sql", "opportunity", "customer")
STAGES_REACHED = {"mql_rate": _LATER, "sal_rate": _LATER[1:], "sql_rate": _LATER[2:]}


@dataclass
class VariantOutcome:
    variant: Variant
    assigned: int = 0
    successes: dict[str, int] = field(default_factory=dict)  # rate metric -> contacts
    trials: dict[str, int] = field(default_factory=dict)  # rate metric -> contacts counted
    values: dict[str, list[float]] = field(default_factory=dict)  # mean metric -> per contact
    # The same contacts' values before they joined (a CUPED covariate), aligned with `values`.
    before: dict[str, list[float]] = field(default_factory=dict)


def outcomes(experiment: Experiment) -> list[VariantOutcome]:
    """Per variant (the control first), every metric's raw outcome."""
    ws = experiment.workspace_id
    variants = list(experiment.variants.all())
    by_id = {v.pk: VariantOutcome(v) for v in variants}
    joined: dict[int, tuple[int, dt.datetime]] = {
        contact: (variant, at)
        for contact, variant, at in Assignment.objects.for_workspace(ws)
        .filter(experiment=experiment)
        .values_list("contact_id", "variant_id", "assigned_at")
    }
    members = (
        Assignment.objects.for_workspace(ws).filter(experiment=experiment).values("contact_id")
    )
    for variant, _ in joined.values():
        by_id[variant].assigned += 1
    reached = _stages_reached(ws, members, joined)
    deals = _deal_amounts(ws, members, joined)
    handoffs = _handoffs(ws, members, joined)
    for contact, (variant, _) in joined.items():
        out = by_id[variant]
        for metric, stages in STAGES_REACHED.items():
            _count(out, metric, bool(reached[contact] & set(stages)))
        amounts = deals.get(contact, _NO_DEALS)
        _count(out, "won_rate", amounts.any_won)
        for metric, after, before in (
            ("pipeline_per_lead", amounts.created, amounts.created_before),
            ("revenue_per_lead", amounts.won, amounts.won_before),
        ):
            out.values.setdefault(metric, []).append(float(after))
            out.before.setdefault(metric, []).append(float(before))
        decided, accepted, hours = handoffs.get(contact, (False, False, None))
        if decided:
            _count(out, "acceptance_rate", accepted)
        if hours is not None:
            out.values.setdefault("hours_to_first_touch", []).append(hours)
    for out in by_id.values():
        for metric in RATES:
            out.trials.setdefault(metric, 0)
            out.successes.setdefault(metric, 0)
        for metric in MEANS:
            out.values.setdefault(metric, [])
            out.before.setdefault(metric, [])
    return [by_id[v.pk] for v in sorted(variants, key=lambda v: (not v.is_control, v.pk))]


def _count(out: VariantOutcome, metric: str, success: bool) -> None:
    out.trials[metric] = out.trials.get(metric, 0) + 1
    out.successes[metric] = out.successes.get(metric, 0) + int(success)


def _stages_reached(ws: int, members: Any, joined: dict[int, tuple[int, dt.datetime]]
                    ) -> dict[int, set[str]]:  # fmt: skip
    reached: dict[int, set[str]] = defaultdict(set)
    for contact, stage, at in (
        LedgerEntry.objects.for_workspace_by_other_key(ws)
        .filter(contact_id__in=members, to_stage__in=_LATER)
        .values_list("contact_id", "to_stage", "occurred_at")
        .iterator(chunk_size=20_000)
    ):
        if at >= joined[contact][1]:
            reached[contact].add(stage)
    return reached


@dataclass
class _Amounts:
    created: Decimal = Decimal(0)  # since the contact joined
    won: Decimal = Decimal(0)
    any_won: bool = False  # a deal of amount 0 counts as won too
    created_before: Decimal = Decimal(0)  # before it joined: the CUPED covariate
    won_before: Decimal = Decimal(0)


_NO_DEALS = _Amounts()


def _deal_amounts(ws: int, members: Any, joined: dict[int, tuple[int, dt.datetime]]
                  ) -> dict[int, _Amounts]:  # fmt: skip
    """Per contact: the amounts of its deals created and won since it joined, and before."""
    found: dict[int, _Amounts] = {}
    for contact, amount, status, created, closed in (
        Deal.objects.for_workspace_by_other_key(ws)
        .filter(primary_contact_id__in=members)
        .values_list("primary_contact_id", "amount", "status", "created_at", "closed_at")
    ):
        since = joined[contact][1]
        sums = found.setdefault(contact, _Amounts())
        if created >= since:
            sums.created += amount
        else:
            sums.created_before += amount
        if status == "won" and closed is not None:
            if closed >= since:
                sums.won, sums.any_won = sums.won + amount, True
            else:
                sums.won_before += amount
    return found


def _handoffs(ws: int, members: Any, joined: dict[int, tuple[int, dt.datetime]]
              ) -> dict[int, tuple[bool, bool, float | None]]:  # fmt: skip
    """Per contact, its first handoff since it joined: decided?, accepted?, hours to the first
    touch (None when not touched)."""
    first: dict[int, tuple[bool, bool, float | None]] = {}
    for contact, status, assigned, touched in (
        Handoff.objects.for_workspace_by_other_key(ws)
        .filter(contact_id__in=members)
        .order_by("assigned_at", "pk")
        .values_list("contact_id", "status", "assigned_at", "first_touched_at")
    ):
        if contact in first or assigned < joined[contact][1]:
            continue
        hours = (touched - assigned).total_seconds() / 3600 if touched else None
        first[contact] = (status in ("accepted", "rejected"), status == "accepted", hours)
    return first
