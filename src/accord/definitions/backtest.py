"""Back-test / what-if: a definition replayed over the workspace's history, beside the active one
(the active version itself beside the version it was based on, its previous one).

For each version: the MQLs it would have produced per month, how many of those contacts went on
to be accepted by sales (SAL), qualified (SQL or further) and won (customer), each rate with a
95% Wilson interval; the contacts that change class between the two versions; and the load on
sales (MQLs per rep per week). Reads only; writes nothing.

Outcomes are what the ledger says each contact reached by the back-test date, whichever
definition made it an MQL at the time, so the two versions are judged on the same outcomes.
Recent months have had less time to convert; that affects both versions alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from django.utils import timezone

from accord.core.intervals import Rate, rate
from accord.crm.models import Contact, LedgerEntry
from accord.definitions.backtest_engine import first_qualified_each
from accord.definitions.contact_loading import load_created
from accord.definitions.copy_inputs import read_from_copy
from accord.definitions.document import LeadDefinitionDocument, parse_stored_document
from accord.definitions.evaluation import load_inputs
from accord.definitions.event_loading import load_event_table_for
from accord.definitions.models import LeadDefinition
from accord.definitions.selectors import active_definition
from accord.identity.models import Membership, Role, Workspace

OUTCOMES: dict[str, tuple[str, ...]] = {
    "sal": ("sal", "sql", "opportunity", "customer"),
    "sql": ("sql", "opportunity", "customer"),
    "won": ("customer",),
}
EXAMPLES = 20
BaselineRole = Literal["active", "previous"]


@dataclass(frozen=True)
class VersionOutcome:
    label: str
    mqls: int
    per_month: list[int]
    rates: dict[str, Rate]
    per_rep_week: float | None
    peak_week: int


@dataclass(frozen=True)
class ChangedContact:
    id: int
    email: str
    name: str


@dataclass(frozen=True)
class Backtest:
    start: dt.datetime
    end: dt.datetime
    months: list[str]  # "2026-01" ...
    contacts: int
    reps: int
    proposed: VersionOutcome
    # The version compared with (None: none is): the active one, or — when the back-tested
    # version is itself the active one — the version it was based on, which `baseline_role`
    # says ("active" or "previous").
    active: VersionOutcome | None
    gained: int = 0  # MQL under the proposed version only
    lost: int = 0  # MQL under the compared version only
    gained_examples: list[ChangedContact] = field(default_factory=list)
    lost_examples: list[ChangedContact] = field(default_factory=list)
    baseline_role: BaselineRole | None = None


def _month_starts(end: dt.datetime, months: int) -> list[dt.datetime]:
    first = end.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(months - 1):
        previous = starts[-1] - dt.timedelta(days=1)
        starts.append(previous.replace(day=1))
    return starts[::-1]


def _positions(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `wanted` sits in the sorted `ids`, and which of them are there at all."""
    if not len(ids):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    position = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return position, ids[position] == wanted


def _epochs(
    workspace: Workspace, ids: np.ndarray, read: tuple[np.ndarray, np.ndarray] | None
) -> np.ndarray:
    """Each contact's creation time (epoch seconds), aligned with `ids` (from `read` when the
    job already has them)."""
    found, when = read if read is not None else load_created(workspace.pk)
    created = np.full(len(ids), np.inf)
    if len(found):
        position, known = _positions(ids, found)
        created[position[known]] = when[known]
    return created


OUTCOME_STAGES = sorted({s for group in OUTCOMES.values() for s in group})


def _reached(
    workspace: Workspace,
    ids: np.ndarray,
    end: dt.datetime,
    read: tuple[np.ndarray, np.ndarray] | None,
) -> dict[str, np.ndarray]:
    """Per outcome, whether each contact reached it in the ledger by `end` (from `read`, the
    (contact, stage) pairs, when the job already has them)."""
    reached = {name: np.zeros(len(ids), dtype=bool) for name in OUTCOMES}
    if read is None:
        rows = list(
            LedgerEntry.objects.for_workspace(workspace)
            .filter(to_stage__in=OUTCOME_STAGES, occurred_at__lte=end)
            .values_list("contact_id", "to_stage")
            .distinct()
        )
        read = (
            np.array([r[0] for r in rows], dtype=np.int64),
            np.array([r[1] for r in rows], dtype=np.str_),
        )
    contact_ids, stage = read
    if not len(contact_ids):
        return reached
    position, known = _positions(ids, contact_ids)
    for name, group in OUTCOMES.items():
        hit = known & np.isin(stage, group)
        reached[name][position[hit]] = True
    return reached


def _reps(workspace: Workspace) -> int:
    return (
        Membership.objects.for_workspace(workspace)
        .filter(role__in=[Role.SALES_REP, Role.SDR])
        .count()
    )


def _outcome(
    label: str,
    first: np.ndarray,
    bounds: np.ndarray,
    reached: dict[str, np.ndarray],
    reps: int,
) -> tuple[VersionOutcome, np.ndarray]:
    start, end = bounds[0], bounds[-1]
    inside = (first >= start) & (first < end)
    per_month = np.histogram(first[inside], bins=bounds)[0].astype(int).tolist()
    mqls = int(inside.sum())
    rates = {name: rate(int((flags & inside).sum()), mqls) for name, flags in reached.items()}
    week = 7 * 86400.0
    weeks = max((end - start) / week, 1.0)
    weekly = np.bincount(((first[inside] - start) // week).astype(np.int64))
    per_rep = float(mqls / weeks / reps) if reps else None
    outcome = VersionOutcome(
        label, mqls, per_month, rates, per_rep, int(weekly.max()) if len(weekly) else 0
    )
    return outcome, inside


def _examples(workspace: Workspace, ids: list[int]) -> list[ChangedContact]:
    rows = (
        Contact.objects.for_workspace(workspace)
        .filter(pk__in=ids[:EXAMPLES])
        .order_by("id")
        .values_list("id", "email", "first_name", "last_name")
    )
    return [ChangedContact(i, e, f"{f} {la}".strip()) for i, e, f, la in rows]


def _loading_document(
    docs: list[LeadDefinitionDocument],
) -> LeadDefinitionDocument:
    """One document naming every attribute the compared versions read (for loading only)."""
    fit = [rule for doc in docs for rule in doc.fit_rules]
    engagement = [rule for doc in docs for rule in doc.engagement_rules]
    return docs[0].model_copy(update={"fit_rules": fit, "engagement_rules": engagement})


def backtest(
    workspace: Workspace,
    document: Any,
    *,
    months: int = 12,
    as_of: dt.datetime | None = None,
    compare_to: LeadDefinition | None = None,
    label: str = "proposed",
    compare_none: bool = False,
    baseline_role: BaselineRole = "active",
) -> Backtest:
    """Replay `document` (and the active definition, or `compare_to`, unless `compare_none`)
    over the last `months` calendar months up to `as_of`. `baseline_role` names what
    `compare_to` is to the replayed version: the active version or the previous one."""
    if not 1 <= months <= 36:
        raise ValueError("months must be between 1 and 36")
    end = (as_of or timezone.now()).astimezone(dt.UTC)
    proposed_doc = document if isinstance(document, LeadDefinitionDocument) else None
    proposed_doc = proposed_doc or parse_stored_document(document)
    other = compare_to if compare_to is not None or compare_none else active_definition(workspace)
    other_doc = parse_stored_document(other.document) if other is not None else None
    docs = [proposed_doc] + ([other_doc] if other_doc is not None else [])
    loading = _loading_document(docs)
    copied = read_from_copy(workspace.pk, loading, created=True, reached=(OUTCOME_STAGES, end))
    if copied is not None:  # a large workspace: the columnar copy
        events, contacts, known = copied.events, copied.contacts, copied.created
        ledger = copied.reached
    else:
        events = load_event_table_for(workspace.pk, loading)  # one sequential read of them all
        contacts, known, ledger = None, None, None
    inputs = load_inputs(
        workspace, loading, only_what_rules_read=True, event_table=events, contact_table=contacts
    )
    created = _epochs(workspace, inputs.ids, known)
    starts = _month_starts(end, months)
    bounds = np.array([s.timestamp() for s in starts] + [end.timestamp()])
    reached = _reached(workspace, inputs.ids, end, ledger)
    reps = _reps(workspace)

    # Both versions in one call: a what-if that moves only thresholds or fit rules replays the
    # engagement once.
    firsts = first_qualified_each(docs, inputs.contacts, inputs.events, created, end.timestamp())
    proposed, proposed_in = _outcome(label, firsts[0], bounds, reached, reps)
    result = Backtest(
        start=starts[0],
        end=end,
        months=[s.strftime("%Y-%m") for s in starts],
        contacts=len(inputs.ids),
        reps=reps,
        proposed=proposed,
        active=None,
    )
    if other_doc is None or other is None:
        return result
    active, active_in = _outcome(other.label, firsts[1], bounds, reached, reps)
    gained = [int(i) for i in inputs.ids[proposed_in & ~active_in]]
    lost = [int(i) for i in inputs.ids[active_in & ~proposed_in]]
    return Backtest(
        start=result.start,
        end=end,
        months=result.months,
        contacts=result.contacts,
        reps=reps,
        proposed=proposed,
        active=active,
        gained=len(gained),
        lost=len(lost),
        gained_examples=_examples(workspace, gained),
        lost_examples=_examples(workspace, lost),
        baseline_role=baseline_role,
    )


def backtest_version(
    workspace: Workspace, definition: LeadDefinition, *, months: int = 12
) -> Backtest:
    """Back-test a stored version against the active one (or, for the active version itself,
    against the version it was based on: `baseline_role` "previous")."""
    active = active_definition(workspace)
    compare_to = active
    role: BaselineRole = "active"
    if active is not None and active.pk == definition.pk:
        role = "previous"
        compare_to = (
            LeadDefinition.objects.for_workspace(workspace)
            .filter(pk=definition.based_on_id)
            .first()
            if definition.based_on_id
            else None
        )
    return backtest(
        workspace,
        definition.document,
        months=months,
        compare_to=compare_to,
        label=definition.label,
        compare_none=compare_to is None,
        baseline_role=role,
    )
