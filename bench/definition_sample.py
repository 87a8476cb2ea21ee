"""The 30-rule lead definition the scoring benchmarks use, and an independent plain-numpy
evaluation of it over rows read with the sqlite3 module (no Accord code), to compare against."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import numpy as np

_FIT: list[dict[str, Any]] = [
    {"id": "exec", "attribute": "seniority", "operator": "in", "value": ["vp", "executive"],
     "points": 20, "grade": "A"},
    {"id": "director", "attribute": "seniority", "operator": "equals", "value": "director",
     "points": 15, "grade": "B"},
    {"id": "manager", "attribute": "seniority", "operator": "equals", "value": "manager",
     "points": 8, "grade": "C"},
    {"id": "junior", "attribute": "seniority", "operator": "in", "value": ["entry", "other"],
     "points": -10},
    {"id": "buyers", "attribute": "department", "operator": "in",
     "value": ["Revenue Operations", "Marketing", "Sales"], "points": 10},
    {"id": "data", "attribute": "department", "operator": "equals", "value": "Data & Analytics",
     "points": 6},
    {"id": "finance", "attribute": "department", "operator": "equals", "value": "Finance",
     "points": -3},
    {"id": "core-markets", "attribute": "country", "operator": "in",
     "value": ["US", "GB", "DE", "CA"], "points": 5},
    {"id": "eu-markets", "attribute": "country", "operator": "in",
     "value": ["FR", "NL", "ES", "AU"], "points": 2},
    {"id": "industry", "attribute": "company.industry", "operator": "in",
     "value": ["Software", "Financial services"], "points": 10},
    {"id": "education", "attribute": "company.industry", "operator": "equals",
     "value": "Education", "points": -10},
    {"id": "mid-market", "attribute": "company.employee_count", "operator": "range",
     "min": 200, "max": 5000, "points": 15},
    {"id": "smb", "attribute": "company.employee_count", "operator": "range", "min": 50,
     "max": 199, "points": 5},
    {"id": "tiny", "attribute": "company.employee_count", "operator": "range", "min": 1,
     "max": 10, "points": -5},
    {"id": "head-of", "attribute": "title", "operator": "contains", "value": "head",
     "points": 5},
    {"id": "c-level", "attribute": "title", "operator": "regex",
     "value": r"(?i)\b(chief|cmo|cro|ceo|vp)\b", "points": 10},
    {"id": "warm-source", "attribute": "original_source", "operator": "in",
     "value": ["webinar", "event", "referral"], "points": 5},
    {"id": "no-hq", "attribute": "company.country", "operator": "is_empty", "points": -2},
]  # fmt: skip
_ENGAGEMENT: list[dict[str, Any]] = [
    {"id": "forms", "source": "touchpoint", "type": "form_fill", "points": 10, "cap": 40},
    {"id": "webinars", "source": "touchpoint", "type": "webinar", "points": 15, "cap": 45},
    {"id": "events", "source": "touchpoint", "type": "event", "points": 12, "cap": 36},
    {"id": "downloads", "source": "touchpoint", "type": "content_download", "points": 6,
     "cap": 30},
    {"id": "clicks", "source": "touchpoint", "type": "email_click", "points": 3, "cap": 15},
    {"id": "opens", "source": "touchpoint", "type": "email_open", "points": 1, "cap": 5},
    {"id": "visits", "source": "touchpoint", "type": "web_visit", "points": 2, "cap": 10},
    {"id": "ads", "source": "touchpoint", "type": "ad_click", "points": 2, "cap": 10},
    {"id": "calls", "source": "activity", "type": "call", "points": 4, "cap": 20},
    {"id": "meetings", "source": "activity", "type": "meeting", "points": 10, "cap": 30},
    {"id": "emails", "source": "activity", "type": "email", "points": 2, "cap": 10},
]  # fmt: skip
BENCH_DOCUMENT: dict[str, Any] = {
    "schema_version": 1,
    "fit_rules": _FIT,
    "engagement_rules": _ENGAGEMENT,
    "negative_signals": {"unsubscribe": -20, "bounce": -10},
    "half_life_days": 45,
    "mql": {"fit_min": 25, "engagement_min": 20},
}
RULES = len(_FIT) + len(_ENGAGEMENT) + 2  # the two negative signals count as rules

_EPOCH = "(julianday({}) - 2440587.5) * 86400.0"


def _fit_column(rule: dict[str, Any], values: np.ndarray) -> np.ndarray:
    """Whether the rule fires for each value (values: object array of str, '' = unknown)."""
    known = values != ""
    op = rule["operator"]
    if op == "is_empty":
        return ~known
    lowered = np.char.lower(np.char.strip(values.astype(str)))
    if op == "equals":
        return known & (lowered == str(rule["value"]).strip().lower())
    if op == "in":
        return known & np.isin(lowered, [str(v).strip().lower() for v in rule["value"]])
    if op == "contains":
        return known & (np.char.find(lowered, str(rule["value"]).strip().lower()) >= 0)
    if op == "regex":
        pattern = re.compile(rule["value"])
        return np.array([bool(v) and pattern.search(v) is not None for v in values], dtype=bool)
    numbers = np.full(len(values), np.nan)
    numeric = known & np.char.isnumeric(np.char.replace(values.astype(str), ".", ""))
    numbers[numeric] = values[numeric].astype(float)
    low = rule.get("min", -np.inf)
    high = rule.get("max", np.inf)
    return (numbers >= low) & (numbers <= high)


def reference_mql(db: str, workspace_id: int, as_of: float) -> tuple[int, int]:
    """(contacts scored, contacts qualifying) by plain numpy over rows read with sqlite3."""
    con = sqlite3.connect(db)
    contacts = con.execute(
        "SELECT c.id, c.seniority, c.department, c.country, c.title, c.original_source, "
        "COALESCE(co.industry, ''), COALESCE(CAST(co.employee_count AS TEXT), ''), "
        "COALESCE(co.country, '') FROM crm_contact c LEFT JOIN crm_company co "
        "ON co.id = c.company_id WHERE c.workspace_id = ? ORDER BY c.id",
        (workspace_id,),
    ).fetchall()
    columns = list(zip(*contacts, strict=True))
    ids = np.array(columns[0], dtype=np.int64)
    names = ["seniority", "department", "country", "title", "original_source",
             "company.industry", "company.employee_count", "company.country"]  # fmt: skip
    attrs = {n: np.array(columns[i + 1], dtype=object) for i, n in enumerate(names)}
    fit = np.zeros(len(ids))
    for rule in _FIT:
        fit += np.where(_fit_column(rule, attrs[rule["attribute"]]), rule["points"], 0.0)

    engagement = np.zeros(len(ids))
    for table, kind_column, source in (
        ("marketing_touchpoint", "type", "touchpoint"),
        ("crm_activity", "kind", "activity"),
    ):
        rows = con.execute(
            f"SELECT contact_id, {kind_column}, {_EPOCH.format('occurred_at')} FROM {table} "
            "WHERE workspace_id = ? AND contact_id IS NOT NULL",
            (workspace_id,),
        ).fetchall()
        if not rows:
            continue
        contact_id, kind, when = (np.array(c) for c in zip(*rows, strict=True))
        index = np.searchsorted(ids, contact_id.astype(np.int64))
        past = when.astype(float) <= as_of
        weight = 0.5 ** ((as_of - when.astype(float)) / 86400.0 / BENCH_DOCUMENT["half_life_days"])
        for rule in _ENGAGEMENT:
            if rule["source"] != source:
                continue
            hit = past & (kind == rule["type"])
            total = np.bincount(
                index[hit], weights=weight[hit] * rule["points"], minlength=len(ids)
            )
            engagement += np.clip(total, -rule["cap"], rule["cap"])
        if source == "touchpoint":
            for kind_name, points in (("unsubscribe", -20.0), ("bounce", -10.0)):
                hit = past & (kind == kind_name)
                engagement += np.where(np.bincount(index[hit], minlength=len(ids)) > 0, points, 0)
    con.close()
    mql = (fit >= 25) & (engagement >= 20)
    return len(ids), int(mql.sum())
