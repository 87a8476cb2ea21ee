"""The alignment readings as plain documents, the same for the API and the CLI's JSON."""

from __future__ import annotations

from typing import Any

from accord.alignment.behaviour import BehaviourIndex, Component
from accord.alignment.scorecard import Scorecard
from accord.alignment.survey_results import Gap, PulseResult, Score


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def score_out(score: Score) -> dict[str, Any]:
    return {"score": _number(score.value), "respondents": score.n, "hidden": score.hidden or None}


def gap_out(gap: Gap | None) -> dict[str, Any] | None:
    if gap is None:
        return None
    return {"sales_minus_marketing": _number(gap.value), "low": _number(gap.low),
            "high": _number(gap.high), "clear": gap.clear}  # fmt: skip


def pulse_document(result: PulseResult) -> dict[str, Any]:
    p = result.pulse
    return {
        "id": p.pk,
        "title": p.title,
        "status": p.status,
        "survey_version": result.version,
        "opened_at": p.opened_at.isoformat(),
        "closes_at": p.closes_at.isoformat(),
        "asked": result.asked,
        "answered": result.answered,
        "counted": result.counted,
        "overall": {t: score_out(s) for t, s in result.overall.items()},
        "areas": [
            {"area": a.area, "title": a.title, "gap": gap_out(a.gap),
             **{t: score_out(s) for t, s in a.scores.items()}}
            for a in result.areas
        ],
        "items": [
            {"key": i.key, "text": i.text, "area": i.area, "gap": gap_out(i.gap),
             **{t: score_out(s) for t, s in i.scores.items()}}
            for i in result.items
        ],
    }  # fmt: skip


def component_out(c: Component) -> dict[str, Any]:
    return {
        "key": c.spec.key,
        "title": c.spec.title,
        "area": c.spec.area,
        "sign": c.spec.sign,
        "definition": c.spec.definition,
        "score": _number(c.score),
        "previous": _number(c.previous),
        "change": _number(c.change),
        "detail": c.detail,
        "weight": c.weight,
        "parts": {k: _number(v) for k, v in c.parts.items()},
    }


def index_document(index: BehaviourIndex) -> dict[str, Any]:
    return {
        "start": index.start.isoformat(),
        "end": index.end.isoformat(),
        "weighting_version": index.weighting_version,
        "score": _number(index.score),
        "components": [component_out(c) for c in index.components],
    }


def scorecard_document(card: Scorecard) -> dict[str, Any]:
    weakest = card.weakest_component
    return {
        "pulse": pulse_document(card.pulse) if card.pulse else None,
        "previous_pulse": card.previous.pulse.pk if card.previous else None,
        "behaviour": index_document(card.index),
        "weakest_component": weakest.spec.key if weakest else None,
        "areas": [
            {"area": a.area, "title": a.title, "combined": _number(a.combined), "weak": a.weak,
             "survey": _number(a.survey), "survey_sales": _number(a.survey_sales),
             "survey_marketing": _number(a.survey_marketing),
             "survey_change": _number(a.survey_change), "behaviour": _number(a.behaviour),
             "components": [c.spec.key for c in a.components], "practices": list(a.practices)}
            for a in card.areas
        ],
        "trend": [
            {"pulse": t.pulse.pk, "title": t.pulse.title,
             "opened_at": t.pulse.opened_at.isoformat(),
             "areas": {a: {team: _number(v) for team, v in teams.items()}
                       for a, teams in t.areas.items()}}
            for t in card.trend
        ],
        "perception_gaps": [
            {"key": i.key, "text": i.text, "area": i.area, "gap": gap_out(i.gap)}
            for i in card.gaps
        ],
    }  # fmt: skip
