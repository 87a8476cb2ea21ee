"""The demo's handoff: an SLA agreement both managers signed, routing rules (small companies to
the SDRs, the rest rotating among the account executives), and the handoffs of every past MQL
from the generated history, timed by that agreement — so the inbox, the SLA report and the
dispositions have a year of data. The reps' follow-up speeds are the generator's parameters,
which the SLA report can be checked against."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Min
from django.db.models.functions import TruncMonth

from accord.crm.models import LedgerEntry
from accord.demo.parameters import REJECTION_REASONS
from accord.handoff import agreements, routing_settings
from accord.handoff.backfill import backfill_handoffs
from accord.handoff.models import SlaAgreement
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Role, Team, TeamKind, Workspace

DEMO_FIRST_TOUCH_HOURS = 4.0
DEMO_CALENDAR: dict[str, Any] = {
    "timezone": "UTC",
    "hours": {
        d: [["08:00", "18:00"]] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
    },
}
# The generator's rejection reasons (ledger texts) → the workspace's reason codes.
DEMO_REASON_KEYS = dict(
    zip(
        (text for text, _ in REJECTION_REASONS),
        ("not_icp", "no_budget", "student_competitor", "student_competitor", "bad_data",
         "unresponsive"),
        strict=True,
    )
)  # fmt: skip


def _manager(workspace: Workspace, kind: str) -> Membership | None:
    return (
        Membership.objects.for_workspace(workspace)
        .filter(role=Role.MANAGER, team__kind=kind)
        .select_related("user", "workspace", "team")
        .order_by("id")
        .first()
    )


def monthly_mql_target(workspace: Workspace, as_of: dt.datetime) -> int:
    """A stretch on the recent pace: the mean of the last six full months' MQLs, +5 %."""
    this_month = as_of.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # 170 days back from the 1st always lands in the sixth month before (five months are at
    # most 153 days, six at least 181).
    start = (this_month - dt.timedelta(days=170)).replace(day=1)
    counts = list(
        LedgerEntry.objects.for_workspace(workspace)
        .filter(to_stage="mql", occurred_at__gte=start, occurred_at__lt=this_month)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    mean = sum(counts) / len(counts) if counts else 10
    return max(10, int(round(mean * 1.05, -1)))


def demo_sla_document(target: int) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "marketing": {"targets": [{"mqls": target, "period": "month"}]},
        "sales": {
            "first_touch_hours": DEMO_FIRST_TOUCH_HOURS,
            "attempts_before_unresponsive": 3,
            "attempt_days": 5,
            "manager_grace_hours": 4,
        },
        "buyer": {"max_touches": 6, "window_hours": 24},
        "calendars": {"default": DEMO_CALENDAR},
    }


def set_up_demo_handoff(workspace: Workspace, as_of: dt.datetime) -> int:
    """Returns the number of handoffs written (0 without both managers)."""
    sales, marketing = _manager(workspace, TeamKind.SALES), _manager(workspace, TeamKind.MARKETING)
    if sales is None or marketing is None:
        return 0
    author = Actor.for_membership(sales, Source.DEMO)
    draft = agreements.sla_create_draft(
        actor=author,
        document=demo_sla_document(monthly_mql_target(workspace, as_of)),
        comment="First touch within 4 business hours; at most 6 touches a day per buyer",
    )
    agreements.sla_propose(actor=author, agreement_id=draft.pk)
    for manager in (marketing, sales):
        agreements.sla_approve(
            actor=Actor.for_membership(manager, Source.DEMO), agreement_id=draft.pk
        )
    agreements.sla_activate(actor=author, agreement_id=draft.pk)
    # The demo's year of handoffs ran under this agreement: it is in force from the start of the
    # history, so the SLA report judges marketing's volume over every month of it.
    history_start = LedgerEntry.objects.for_workspace(workspace).aggregate(
        first=Min("occurred_at")
    )["first"]
    if history_start is not None:
        SlaAgreement.objects.for_workspace(workspace).filter(pk=draft.pk).update(
            activated_at=min(history_start, as_of)
        )
    teams = dict(Team.objects.for_workspace(workspace).values_list("name", "id"))
    if "Sales Development" in teams:
        routing_settings.routing_rule_create(
            actor=author,
            values={
                "name": "Small companies to the SDRs",
                "conditions": [
                    {"attribute": "company.employee_count", "operator": "range", "high": 200}
                ],
                "team_id": teams["Sales Development"],
            },
        )
    if "Account Executives" in teams:
        routing_settings.routing_rule_create(
            actor=author,
            values={
                "name": "Everyone else",
                "conditions": [],
                "team_id": teams["Account Executives"],
            },
        )
    return backfill_handoffs(workspace, reason_keys=DEMO_REASON_KEYS, now=as_of)
