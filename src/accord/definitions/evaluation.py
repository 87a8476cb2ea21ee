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
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.utils import timezone

from accord.core.errors import NotFound
from accord.crm.models import Contact, LedgerEntry
from accord.crm.services.ledger import change_stage_bulk
from accord.definitions.contact_loading import (
    ContactTable,
    IdRange,
    load_contacts,
)
from accord.definitions.document import GRADES, LeadDefinitionDocument, parse_document
from accord.definitions.event_loading import EventNeeds, EventTable, load_events
from accord.definitions.models import ContactScore, LeadDefinition
from accord.definitions.scoring import (
    ContactColumns,
    EventColumns,
    Explanation,
    Scores,
    explain,
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


_SCORE_COLUMNS = (
    "workspace_id, contact_id, definition_version, fit, grade, engagement, mql, computed_at, "
    "created_at, updated_at"
)
# A contact deleted since its inputs were read (a bulk job reads the columnar copy first) gets
# no score: the row is written only while the contact exists.
_SCORE_UPSERT = (
    f"INSERT INTO {ContactScore._meta.db_table} ({_SCORE_COLUMNS}) "  # noqa: S608 - fixed names
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s "
    f"WHERE EXISTS (SELECT 1 FROM {Contact._meta.db_table} WHERE id = %s) "
    "ON CONFLICT (contact_id) DO UPDATE SET "
    "definition_version = excluded.definition_version, fit = excluded.fit, "
    "grade = excluded.grade, engagement = excluded.engagement, mql = excluded.mql, "
    "computed_at = excluded.computed_at, updated_at = excluded.updated_at"
)
_GRADE_CODE = " ".join(f"WHEN '{g}' THEN {i}" for i, g in enumerate(GRADES))
_UNKNOWN_GRADE = 7


def _packed(version: int, grade: npt.NDArray[np.int64], mql: npt.NDArray[np.bool_]) -> Any:
    """Version, grade and MQL flag as one number, as the stored rows are read."""
    return version * 16 + grade * 2 + mql.astype(np.int64)


def _unchanged(
    workspace_id: int, ids: npt.NDArray[np.int64], version: int, result: Scores
) -> npt.NDArray[np.bool_]:
    """Which of `ids` already have this version's score stored (engagement to two decimals,
    as it is shown and stored). One read of the stored rows as four numbers each (version,
    grade and flag packed into one), compared as columns."""
    unchanged = np.zeros(len(ids), dtype=bool)
    if not len(ids):
        return unchanged
    table = ContactScore._meta.db_table
    plus = "+" if connection.vendor == "sqlite" else ""  # use the contact index, not (ws, grade)
    sql = (
        f"SELECT contact_id, definition_version * 16 "  # noqa: S608 - fixed names
        f"+ (CASE grade {_GRADE_CODE} ELSE {_UNKNOWN_GRADE} END) * 2 "
        f"+ (CASE WHEN mql THEN 1 ELSE 0 END), fit, engagement FROM {table} "
        f"WHERE {plus}workspace_id = %s AND contact_id >= %s AND contact_id <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace_id, int(ids[0]), int(ids[-1])])
        rows = cursor.fetchall()
    if not rows:
        return unchanged
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=4 * len(rows))
    stored = flat.reshape(-1, 4)  # ids and packed flags are exact in float64 below 2**53
    contact = stored[:, 0].astype(np.int64)
    at = np.minimum(np.searchsorted(ids, contact), len(ids) - 1)
    letters, inverse = np.unique(result.grade, return_inverse=True)
    grade = np.array([GRADES.index(str(g)) for g in letters], dtype=np.int64)[inverse.reshape(-1)]
    same = (
        (ids[at] == contact)
        & (stored[:, 1] == _packed(version, grade[at], result.mql[at]))
        & (stored[:, 2] == result.fit[at])
        & (np.round(stored[:, 3], 2) == np.round(result.engagement[at], 2))
    )
    unchanged[at[same]] = True
    return unchanged


def _write_scores(
    workspace: Workspace, ids: npt.NDArray[np.int64], version: int, result: Scores, now: dt.datetime
) -> int:
    """Upsert the scores that changed, with one prepared statement: a million rows in seconds,
    where model instances would take minutes. `computed_at` is when a contact's stored score
    last changed."""
    changed = ~_unchanged(workspace.pk, ids, version, result)
    if not changed.any():
        return 0
    stamp = connection.ops.adapt_datetimefield_value(now)
    columns = zip(
        ids[changed].tolist(),
        result.fit[changed].tolist(),
        result.grade[changed].tolist(),
        np.round(result.engagement[changed], 2).tolist(),
        result.mql[changed].tolist(),
        strict=True,
    )
    rows = [
        (workspace.pk, c, version, fit, grade, eng, mql, stamp, stamp, stamp, c)
        for c, fit, grade, eng, mql in columns
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_SCORE_UPSERT, rows)
    return len(rows)


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
) -> EvaluationResult:
    """Score the contacts (all of the workspace's when `contact_ids` and `id_range` are None)
    with the active definition, store the scores and append lead ↔ mql transitions. With
    `dry_run`, count what would change and write nothing. A full re-score passes the
    workspace's `event_table` (and, from the columnar copy, `contact_table`), read once,
    instead of reading them per slice."""
    actor.require(Action.CHANGE_LIFECYCLE)
    definition = active_definition(actor.workspace)
    if definition is None:
        return EvaluationResult(None, 0, 0, 0, dry_run)
    doc = parse_document(definition.document)
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
        _write_scores(actor.workspace, inputs.ids, definition.version, result, now)
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
