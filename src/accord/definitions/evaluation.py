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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from accord.core.errors import NotFound
from accord.crm.models import LedgerEntry
from accord.crm.services.ledger import change_stage_bulk
from accord.definitions.contact_loading import (
    ContactTable,
    IdRange,
    load_contacts,
)
from accord.definitions.document import LeadDefinitionDocument, parse_stored_document
from accord.definitions.event_loading import EventNeeds, EventTable, load_events
from accord.definitions.explanation import explain
from accord.definitions.models import LeadDefinition
from accord.definitions.score_store import StoredScores, write_scores
from accord.definitions.scoring import (
    ContactColumns,
    EventColumns,
    Explanation,
    score,
)
from accord.definitions.selectors import active_definition
from accord.identity.actor import Actor, Source
from accord.identity.models import Workspace
from accord.identity.permissions import Action


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


def load_inputs(
    workspace: Workspace,
    doc: LeadDefinitionDocument,
    contact_ids: Iterable[int] | None = None,
    id_range: IdRange | None = None,
    *,
    only_what_rules_read: bool = False,
    event_table: EventTable | None = None,
    contact_table: ContactTable | None = None,
) -> ContactInputs:
    """The contacts (all, the listed ids, or those in an id range) and their events, columnar.
    With `only_what_rules_read`, only the attributes and event kinds the document's rules can
    score are read (the bulk paths: re-score and back-test). A bulk job passes the tables it
    read once (`contact_table`, `event_table`) and they are sliced instead of read again."""
    wanted = None if contact_ids is None else [int(i) for i in contact_ids]
    if contact_table is not None and wanted is None:
        ids, stages, contacts = contact_table.select(workspace.pk, doc, id_range)
    else:
        ids, stages, contacts = load_contacts(
            workspace.pk, doc, wanted, id_range, only_used=only_what_rules_read
        )
    events = EventColumns.empty()
    needs = EventNeeds.of(doc)
    if event_table is not None and event_table.covers(needs):
        events = event_table.columns_for(ids)
    elif len(ids) and (wanted is None or wanted):
        events = load_events(
            workspace.pk,
            ids,
            kinds=needs.kinds if only_what_rules_read else None,
            contact_ids=None if wanted is None else ids.tolist(),
            id_range=id_range,
            utm=not only_what_rules_read or needs.utm,
        )
    return ContactInputs(
        ids=ids,
        stages=stages,
        contacts=contacts,
        events=events,
    )


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
    stages = np.asarray(inputs.stages, dtype=np.str_)
    qualified = np.asarray(mql, dtype=bool)
    promote = inputs.ids[(stages == "lead") & qualified].tolist()
    demote: list[int] = []
    if doc.demote_below:
        below = inputs.ids[(stages == "mql") & ~qualified].tolist()
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
    event_table: EventTable | None = None,
    contact_table: ContactTable | None = None,
    stored_scores: StoredScores | None = None,
) -> EvaluationResult:
    """Score the contacts (all of the workspace's when `contact_ids` and `id_range` are None)
    with the active definition, store the scores and append lead ↔ mql transitions. With
    `dry_run`, count what would change and write nothing. A full re-score passes the
    workspace's `event_table` (and, from the columnar copy, `contact_table`) and the
    `stored_scores`, read once, instead of reading them per slice."""
    actor.require(Action.CHANGE_LIFECYCLE)
    definition = active_definition(actor.workspace)
    if definition is None:
        return EvaluationResult(None, 0, 0, 0, dry_run)
    doc = parse_stored_document(definition.document)
    now = as_of or timezone.now()
    inputs = load_inputs(
        actor.workspace,
        doc,
        contact_ids,
        id_range,
        only_what_rules_read=True,
        event_table=event_table,
        contact_table=contact_table,
    )
    result = score(doc, inputs.contacts, inputs.events, now.timestamp())
    promote, demote = _transitions(definition, doc, inputs, result.mql)
    if dry_run:
        return EvaluationResult(
            definition.version, len(inputs.ids), len(promote), len(demote), True
        )
    with transaction.atomic():  # scores and the transitions they cause land together
        write_scores(
            actor.workspace, inputs.ids, definition.version, result, now, known=stored_scores
        )
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
    doc = parse_stored_document(definition.document)
    inputs = load_inputs(workspace, doc, [contact_id])
    if not len(inputs.ids):
        raise NotFound(f"No contact with id {contact_id} in this workspace.")
    when = (as_of or timezone.now()).timestamp()
    return ScoreExplanation(
        contact_id, definition.version, explain(doc, inputs.contacts, inputs.events, when, 0)
    )
