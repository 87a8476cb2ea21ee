"""Evaluation: score contacts with the active lead definition and append the transitions.

Inputs are loaded in bulk (`values_list`, one query per table), scored by the pure
`accord.definitions.scoring` module, and the scores are written with one bulk upsert. Only the
stage changes go through `crm.services.ledger.change_stage`, one per contact that moves, each
naming the definition version (``v7``) and acting as the rule ``lead definition v7``.

- lead → mql when a contact in stage ``lead`` qualifies;
- mql → lead, only when the definition sets ``demote_below``, for contacts that no longer
  qualify and whose last move into ``mql`` was made by a definition (a hand-made MQL is left
  alone).

Running it twice writes no new ledger rows: a contact that moved is no longer a candidate.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from accord.core.errors import NotFound
from accord.crm.models import Company, Contact, LedgerEntry
from accord.crm.services.ledger import change_stage_bulk
from accord.definitions.document import (
    COMPANY_ATTRIBUTES,
    CONTACT_ATTRIBUTES,
    LeadDefinitionDocument,
    parse_document,
)
from accord.definitions.event_loading import load_events
from accord.definitions.models import ContactPrediction, ContactScore, LeadDefinition
from accord.definitions.scoring import ContactColumns, EventColumns, Explanation, explain, score
from accord.definitions.selectors import active_definition
from accord.identity.actor import Actor, Source
from accord.identity.models import Workspace
from accord.identity.permissions import Action

_CONTACT_FIELDS = ("id", "email", *CONTACT_ATTRIBUTES, "custom_fields", "company_id")
_COMPANY_FIELDS = ("id", "industry", "employee_count", "country", "custom_fields")


@dataclass(frozen=True)
class EvaluationResult:
    version: int | None
    scored: int
    promoted: int
    demoted: int
    dry_run: bool


@dataclass(frozen=True)
class ContactInputs:
    ids: np.ndarray[Any, np.dtype[np.int64]]
    stages: list[str]
    contacts: ContactColumns
    events: EventColumns


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _custom_names(doc: LeadDefinitionDocument, prefix: str) -> list[str]:
    return sorted(
        {r.attribute[len(prefix) :] for r in doc.fit_rules if r.attribute.startswith(prefix)}
    )


def _company_columns(
    workspace: Workspace, company_ids: Sequence[int | None], doc: LeadDefinitionDocument
) -> dict[str, list[str]]:
    wanted = {c for c in company_ids if c is not None}
    rows = (
        {
            row[0]: row
            for row in Company.objects.for_workspace(workspace)
            .filter(pk__in=wanted)
            .values_list(*_COMPANY_FIELDS)
        }
        if wanted
        else {}
    )
    customs = _custom_names(doc, "company.custom:")
    empty: tuple[Any, ...] = (None, None, None, None, {})
    picked = [rows.get(c, empty) if c is not None else empty for c in company_ids]
    columns = {
        name: [_text(row[i + 1]) for row in picked] for i, name in enumerate(COMPANY_ATTRIBUTES)
    }
    for name in customs:
        columns[f"company.custom:{name}"] = [_text((row[4] or {}).get(name)) for row in picked]
    return columns


IdRange = tuple[int, int]  # inclusive lower, exclusive upper contact id


def _contact_rows(
    workspace: Workspace, contact_ids: Iterable[int] | None, id_range: IdRange | None
) -> list[tuple[Any, ...]]:
    query = Contact.objects.for_workspace(workspace).order_by("id")
    if contact_ids is not None:
        query = query.filter(pk__in=list(contact_ids))
    if id_range is not None:
        query = query.filter(pk__gte=id_range[0], pk__lt=id_range[1])
    return list(query.values_list(*_CONTACT_FIELDS))


def _contact_columns(
    workspace: Workspace, rows: list[tuple[Any, ...]], doc: LeadDefinitionDocument
) -> ContactColumns:
    columns: dict[str, list[str]] = {
        name: [_text(row[i + 2]) for row in rows] for i, name in enumerate(CONTACT_ATTRIBUTES)
    }
    custom_at = len(CONTACT_ATTRIBUTES) + 2
    for name in _custom_names(doc, "custom:"):
        columns[f"custom:{name}"] = [_text((row[custom_at] or {}).get(name)) for row in rows]
    columns.update(_company_columns(workspace, [row[-1] for row in rows], doc))
    if any(r.attribute == "predicted_conversion" for r in doc.fit_rules):
        columns["predicted_conversion"] = _predicted_conversion(workspace, [r[0] for r in rows])
    domains = [str(row[1]).rpartition("@")[2].lower() for row in rows]
    return ContactColumns(
        size=len(rows),
        attributes={k: np.array(v, dtype=np.str_) for k, v in columns.items()},
        email_domain=np.array(domains, dtype=np.str_),
    )


def _predicted_conversion(workspace: Workspace, ids: list[int]) -> list[str]:
    """The predictive score in percent per contact ("" = unknown: no prediction yet)."""
    query = ContactPrediction.objects.for_workspace(workspace)
    if len(ids) <= 5000:
        query = query.filter(contact_id__in=ids)
    percent = {c: f"{100 * p:.2f}" for c, p in query.values_list("contact_id", "probability")}
    return [percent.get(contact_id, "") for contact_id in ids]


def load_inputs(
    workspace: Workspace,
    doc: LeadDefinitionDocument,
    contact_ids: Iterable[int] | None = None,
    id_range: IdRange | None = None,
    *,
    scored_kinds_only: bool = False,
) -> ContactInputs:
    """The contacts (all, the listed ids, or those in an id range) and their events, columnar.
    With `scored_kinds_only`, only the event kinds the document's rules can score are read."""
    rows = _contact_rows(workspace, contact_ids, id_range)
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    stage_at = 2 + CONTACT_ATTRIBUTES.index("lifecycle_stage")
    wanted = None if contact_ids is None else [int(i) for i in ids]
    events = EventColumns.empty()
    if len(ids) and (wanted is None or wanted):
        events = load_events(
            workspace.pk,
            ids,
            kinds={r.kind for r in doc.engagement_rules} if scored_kinds_only else None,
            contact_ids=wanted,
            id_range=id_range,
            utm=not scored_kinds_only or any(r.utm_content for r in doc.engagement_rules),
        )
    return ContactInputs(
        ids=ids,
        stages=[row[stage_at] for row in rows],
        contacts=_contact_columns(workspace, rows, doc),
        events=events,
    )


_SCORE_COLUMNS = (
    "workspace_id, contact_id, definition_version, fit, grade, engagement, mql, computed_at, "
    "created_at, updated_at"
)
_SCORE_UPSERT = (
    f"INSERT INTO {ContactScore._meta.db_table} ({_SCORE_COLUMNS}) "  # noqa: S608 - fixed names
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (contact_id) DO UPDATE SET "
    "definition_version = excluded.definition_version, fit = excluded.fit, "
    "grade = excluded.grade, engagement = excluded.engagement, mql = excluded.mql, "
    "computed_at = excluded.computed_at, updated_at = excluded.updated_at"
)


def _write_scores(
    workspace: Workspace, ids: Sequence[int], version: int, result: Any, now: dt.datetime
) -> None:
    """Upsert every score with one prepared statement: a million rows in seconds, where model
    instances would take minutes."""
    stamp = connection.ops.adapt_datetimefield_value(now)
    rows = zip(
        itertools.repeat(workspace.pk),
        ids,
        itertools.repeat(version),
        result.fit.tolist(),
        result.grade.tolist(),
        result.engagement.tolist(),
        result.mql.tolist(),
        itertools.repeat(stamp),
        itertools.repeat(stamp),
        itertools.repeat(stamp),
        strict=False,
    )
    with connection.cursor() as cursor:
        cursor.executemany(_SCORE_UPSERT, rows)


def _made_by_definition(workspace: Workspace, contact_ids: list[int]) -> set[int]:
    """Contacts whose latest move into mql was made by a lead definition."""
    latest: dict[int, str] = {}
    entries = (
        LedgerEntry.objects.for_workspace(workspace)
        .filter(contact_id__in=contact_ids, to_stage="mql")
        .order_by("occurred_at", "id")
        .values_list("contact_id", "definition_version")
    )
    for contact_id, version in entries:
        latest[contact_id] = version
    return {c for c, version in latest.items() if version}


def _transitions(
    definition: LeadDefinition, doc: LeadDefinitionDocument, inputs: ContactInputs, mql: Any
) -> tuple[list[int], list[int]]:
    ids = [int(i) for i in inputs.ids]
    promote = [c for i, c in enumerate(ids) if inputs.stages[i] == "lead" and bool(mql[i])]
    demote: list[int] = []
    if doc.demote_below:
        below = [c for i, c in enumerate(ids) if inputs.stages[i] == "mql" and not bool(mql[i])]
        if below:
            ours = _made_by_definition(definition.workspace, below)
            demote = [c for c in below if c in ours]
    return promote, demote


def _apply(definition: LeadDefinition, promote: list[int], demote: list[int]) -> tuple[int, int]:
    label = definition.label
    rule_actor = Actor.system(definition.workspace, Source.RULE, rule=f"lead definition {label}")
    promoted = change_stage_bulk(
        actor=rule_actor,
        contact_ids=promote,
        from_stage="lead",
        to_stage="mql",
        reason=f"qualified under lead definition {label}",
        definition_version=label,
    )
    demoted = change_stage_bulk(
        actor=rule_actor,
        contact_ids=demote,
        from_stage="mql",
        to_stage="lead",
        reason=f"score decayed below the MQL threshold of {label}",
        definition_version=label,
    )
    return len(promoted), len(demoted)


def evaluate_contacts(
    actor: Actor,
    contact_ids: Iterable[int] | None = None,
    *,
    dry_run: bool = False,
    as_of: dt.datetime | None = None,
    id_range: IdRange | None = None,
) -> EvaluationResult:
    """Score the contacts (all of the workspace's when `contact_ids` and `id_range` are None)
    with the active definition, store the scores and append lead ↔ mql transitions. With
    `dry_run`, count what would change and write nothing."""
    actor.require(Action.CHANGE_LIFECYCLE)
    definition = active_definition(actor.workspace)
    if definition is None:
        return EvaluationResult(None, 0, 0, 0, dry_run)
    doc = parse_document(definition.document)
    now = as_of or timezone.now()
    inputs = load_inputs(actor.workspace, doc, contact_ids, id_range, scored_kinds_only=True)
    result = score(doc, inputs.contacts, inputs.events, now.timestamp())
    promote, demote = _transitions(definition, doc, inputs, result.mql)
    if dry_run:
        return EvaluationResult(
            definition.version, len(inputs.ids), len(promote), len(demote), True
        )
    with transaction.atomic():  # scores and the transitions they cause land together
        _write_scores(actor.workspace, inputs.ids.tolist(), definition.version, result, now)
        promoted, demoted = _apply(definition, promote, demote)
    return EvaluationResult(definition.version, len(inputs.ids), promoted, demoted, False)


@dataclass(frozen=True)
class ScoreExplanation:
    contact_id: int
    version: int
    explanation: Explanation


def contact_score_explanation(
    workspace: Workspace, contact_id: int, as_of: dt.datetime | None = None
) -> ScoreExplanation:
    """Which rules of the active definition fired for one contact, with points and decay."""
    definition = active_definition(workspace)
    if definition is None:
        raise NotFound("This workspace has no active lead definition yet.")
    doc = parse_document(definition.document)
    inputs = load_inputs(workspace, doc, [contact_id])
    if not len(inputs.ids):
        raise NotFound(f"No contact with id {contact_id} in this workspace.")
    when = (as_of or timezone.now()).timestamp()
    return ScoreExplanation(
        contact_id, definition.version, explain(doc, inputs.contacts, inputs.events, when, 0)
    )
