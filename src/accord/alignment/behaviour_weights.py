"""The behavioural alignment index's components — what each measures, the sign of alignment
(or its absence) it reads, and the area it belongs to — and the default weights. Kept apart
from the computation so the write path can validate a weighting without running queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.core.errors import ValidationFailed


@dataclass(frozen=True)
class ComponentSpec:
    key: str
    title: str
    area: str  # an `instrument.AREAS` key
    sign: str  # the sign from the articles it measures
    definition: str


COMPONENTS: tuple[ComponentSpec, ...] = (
    ComponentSpec(
        "crm_adoption", "CRM adoption", "shared_feedback",
        "The CRM not used: sales skips steps or stops using it.",
        "Per week of the period, the share of each team's people who recorded something: an "
        "activity, a decision on a handed-off lead, or the review or dispute of a rejected "
        "lead's reason; the two teams' weekly shares averaged.",
    ),
    ComponentSpec(
        "fresh_records", "Records kept fresh", "shared_feedback",
        "Pipelines that look better than they are.",
        "The share of open deals with an activity in the last 30 days (100 minus the stale "
        "share).",
    ),
    ComponentSpec(
        "sla_sales", "Sales' SLA kept", "shared_metrics",
        "'Salespeople don't follow through on the leads we give them.'",
        "The share of handed-off leads first touched within the agreed time (the catalogue's "
        "sla_sales).",
    ),
    ComponentSpec(
        "sla_marketing", "Marketing's SLA kept", "shared_metrics",
        "Marketing delivers the lead volume it agreed to.",
        "Marketing's MQLs against the agreed volume target, period by period (the SLA "
        "report's months or quarters; the one in progress against what is expected by now), "
        "each capped at 100 % and weighted by its days in the window.",
    ),
    ComponentSpec(
        "acceptance", "Lead acceptance", "shared_feedback",
        "'The leads we get from marketing are garbage.'",
        "The share of decided handed-off leads sales accepted (the catalogue's "
        "acceptance_rate), with its change against the period before.",
    ),
    ComponentSpec(
        "feedback_latency", "Feedback loop closed", "shared_feedback",
        "Feedback shared directly, and heard.",
        "Of the leads sales rejected in the period, the share marketing reviewed (or disputed) "
        "within 72 hours; the median hours to the review shown beside it.",
    ),
    ComponentSpec(
        "goal_attainment", "Shared goals met", "shared_metrics",
        "Working toward the same goals.",
        "Revenue against the shared goals: for a goal under way, actual to date over the "
        "amount expected by now; for one that ended in the period, actual over target; "
        "capped at 100 % and averaged.",
    ),
    ComponentSpec(
        "meeting_cadence", "Joint meetings held", "shared_time",
        "Neither team meets regularly with the other.",
        "Joint meetings held over the meetings the agreed cadence expected in the period.",
    ),
    ComponentSpec(
        "action_items", "Action items done on time", "shared_time",
        "Accountability suffers.",
        "Of the meetings' action items due in the period, the share done by their due date.",
    ),
    ComponentSpec(
        "recognition", "Marketing recognised in wins", "shared_recognition",
        "Is marketing's contribution recognised when major deals are announced?",
        "The share of deals won in the period whose announcement credits marketing's "
        "campaigns or marketers.",
    ),
)  # fmt: skip
COMPONENT_KEYS = tuple(c.key for c in COMPONENTS)
DEFAULT_WEIGHTS: dict[str, float] = dict.fromkeys(COMPONENT_KEYS, 1.0)


def validate_weights(weights: Any) -> dict[str, float]:
    """{component: weight >= 0} for every component, at least one positive."""
    if not isinstance(weights, dict):
        raise ValidationFailed.single("weights", "Give the weights as {component: number}.")
    fields: dict[str, list[str]] = {}
    clean: dict[str, float] = {}
    unknown = sorted(set(map(str, weights)) - set(COMPONENT_KEYS))
    if unknown:
        fields["weights"] = [
            f"Unknown components: {', '.join(unknown)}; use: {', '.join(COMPONENT_KEYS)}."
        ]
    for key in COMPONENT_KEYS:
        raw = weights.get(key, DEFAULT_WEIGHTS[key])
        try:
            value = float(raw)
        except (TypeError, ValueError):
            fields[key] = [f"'{raw}' is not a number."]
            continue
        if not 0 <= value <= 100:  # NaN fails this too
            fields[key] = ["A weight is between 0 and 100."]
        clean[key] = value
    if not fields and not any(clean.values()):
        fields["weights"] = ["At least one weight must be above 0."]
    if fields:
        raise ValidationFailed("The weighting is not valid; nothing was saved.", fields=fields)
    return clean
