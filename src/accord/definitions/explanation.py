"""Why a contact scores what it does: each rule that fired for it, in words, under a lead
definition (the contact page and the score API), computed with the same pieces as `score`."""

from __future__ import annotations

import numpy as np

from accord.definitions.document import (
    EngagementRule,
    FitRule,
    LeadDefinitionDocument,
    clamped,
)
from accord.definitions.scoring import (
    ContactColumns,
    EventColumns,
    Explanation,
    FiredRule,
    _in_window,
    _negative_masks,
    _rule_events,
    _rule_totals,
    decay_factor,
    fit_rule_fires,
    score,
)


def describe_fit(rule: FitRule) -> str:
    if rule.operator == "range":
        low = "…" if rule.min is None else f"{rule.min:g}"
        high = "…" if rule.max is None else f"{rule.max:g}"
        return f"{rule.attribute} between {low} and {high}"
    if rule.operator == "is_empty":
        return f"{rule.attribute} is unknown"
    value = ", ".join(rule.value) if isinstance(rule.value, list) else rule.value
    return f"{rule.attribute} {rule.operator.replace('_', ' ')} {value}"


def describe_engagement(rule: EngagementRule) -> str:
    text = f"{rule.points:g} points per {rule.source} '{rule.type}'"
    if rule.campaign_id is not None:
        text += f" in campaign {rule.campaign_id}"
    if rule.utm_content is not None:
        text += f" with utm_content '{rule.utm_content}'"
    if rule.cap is not None:
        text += f", capped at {rule.cap:g}"
    return text


def _explain_fit(doc: LeadDefinitionDocument, one: ContactColumns) -> list[FiredRule]:
    fired: list[FiredRule] = []
    for rule in doc.fit_rules:
        if bool(fit_rule_fires(rule, one)[0]):
            fired.append(
                FiredRule(
                    rule.id,
                    "fit",
                    describe_fit(rule),
                    rule.points,
                    rule.points,
                    grade=rule.grade or "",
                )
            )
    return fired


def _explain_engagement(
    doc: LeadDefinitionDocument, one: ContactColumns, events: EventColumns, as_of: float
) -> list[FiredRule]:
    kept, age = _in_window(events, as_of)
    weights = decay_factor(age, doc.half_life_days)
    fired: list[FiredRule] = []
    for rule in doc.engagement_rules:
        count = int(_rule_events(rule, kept).sum())
        if not count:
            continue
        capped, uncapped = _rule_totals(rule, kept, weights, 1)
        fired.append(
            FiredRule(
                rule.id,
                "engagement",
                describe_engagement(rule),
                float(capped[0]),
                raw_points=rule.points * count,
                events=count,
                capped=bool(capped[0] != uncapped[0]),
            )
        )
    for name, points, hit in _negative_masks(doc, one, kept):
        if bool(hit[0]):
            fired.append(FiredRule(name, "negative", f"negative signal: {name}", points, points))
    return fired


def explain(
    doc: LeadDefinitionDocument,
    contacts: ContactColumns,
    events: EventColumns,
    as_of: float,
    index: int,
) -> Explanation:
    """Which rules fired for the contact at `index`, with points, decay and caps."""
    doc = clamped(doc)
    one = contacts.take(np.array([index], dtype=np.int64))
    mask = events.contact_index == index
    mine = events.select(mask, np.zeros(int(mask.sum()), dtype=np.int64))
    result = score(doc, one, mine, as_of)
    return Explanation(
        fit=float(result.fit[0]),
        grade=str(result.grade[0]),
        engagement=float(result.engagement[0]),
        mql=bool(result.mql[0]),
        half_life_days=doc.half_life_days,
        rules=_explain_fit(doc, one) + _explain_engagement(doc, one, mine, as_of),
    )
