"""A lead definition document in plain words, section by section, for the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accord.definitions.document import LeadDefinitionDocument
from accord.definitions.explanation import describe_engagement, describe_fit


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (what, effect)
    note: str = ""


def _points(value: float) -> str:
    return f"{value:+g} points"


def _fit_effect(points: float, grade: str | None) -> str:
    parts = [_points(points) if points else "", f"grade {grade}" if grade else ""]
    return ", ".join(p for p in parts if p)


def document_sections(doc: LeadDefinitionDocument) -> list[Section]:
    fit = Section(
        "Fit rules",
        [(describe_fit(rule), _fit_effect(rule.points, rule.grade)) for rule in doc.fit_rules],
        note=f"A contact no rule grades gets grade {doc.default_grade}.",
    )
    half_life = (
        f"Points halve every {doc.half_life_days:g} days."
        if doc.half_life_days
        else "Points do not decay."
    )
    engagement = Section(
        "Engagement rules",
        [(describe_engagement(rule), rule.id) for rule in doc.engagement_rules],
        note=half_life,
    )
    signals = doc.negative_signals
    negative = Section(
        "Negative signals (once per contact, never decayed)",
        [
            (label, _points(points))
            for label, points in (
                ("Unsubscribed", signals.unsubscribe),
                ("E-mail bounced", signals.bounce),
                (f"Competitor domain ({', '.join(signals.competitor_domains) or 'none listed'})",
                 signals.competitor),
                (f"Student domain ({', '.join(signals.student_domains) or 'none listed'})",
                 signals.student),
            )
            if points
        ],
    )  # fmt: skip
    thresholds = doc.mql
    if thresholds.matrix is not None:
        rows = [(f"Grade {g}", f"engagement ≥ {v:g}") for g, v in sorted(thresholds.matrix.items())]
        note = "Grades not listed never qualify."
    else:
        rows = [
            ("Fit", f"≥ {thresholds.fit_min or 0:g}"),
            ("Engagement", f"≥ {thresholds.engagement_min or 0:g}"),
        ]
        note = "Both must hold."
    if doc.demote_below:
        note += " An MQL whose score decays below the threshold goes back to lead."
    mql = Section("MQL when", rows, note=note)
    sql = Section(
        "SQL criteria sales confirms",
        [(item, "") for item in doc.sql.checklist],
        note="BANT" if doc.sql.kind == "bant" else "Custom checklist",
    )
    return [fit, engagement, negative, mql, sql]


def starter_document() -> dict[str, Any]:
    """The editor's first draft when a workspace has no definition yet."""
    return {
        "schema_version": 1,
        "fit_rules": [
            {"id": "senior", "attribute": "seniority", "operator": "in",
             "value": ["vp", "executive", "director"], "points": 20, "grade": "A"},
            {"id": "size", "attribute": "company.employee_count", "operator": "range",
             "min": 50, "max": 5000, "points": 10},
        ],
        "engagement_rules": [
            {"id": "forms", "source": "touchpoint", "type": "form_fill", "points": 10, "cap": 30},
            {"id": "webinars", "source": "touchpoint", "type": "webinar", "points": 15},
            {"id": "meetings", "source": "activity", "type": "meeting", "points": 10},
        ],
        "negative_signals": {"unsubscribe": -20, "student": -30},
        "half_life_days": 30,
        "mql": {"fit_min": 20, "engagement_min": 20},
        "sql": {"kind": "bant"},
    }  # fmt: skip
