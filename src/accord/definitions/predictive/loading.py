"""Bulk inputs of the predictive score: the contacts and their events through the evaluation's
`load_inputs` (one query per table), their creation times, and their first arrival in a target
stage from the ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Min

from accord.crm.models import Contact, LedgerEntry
from accord.definitions.document import LeadDefinitionDocument, MqlThresholds
from accord.definitions.evaluation import load_inputs
from accord.definitions.predictive.features import ContactTable
from accord.identity.models import Workspace

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# A document with no rules: loads the standard attributes only (used when no definition is
# active, and for single contacts).
PLAIN_DOCUMENT = LeadDefinitionDocument(mql=MqlThresholds(fit_min=0))


def _aligned(ids: IntArray, pairs: Iterable[tuple[int, Any]], default: float) -> FloatArray:
    """Epoch seconds per id of `ids` (sorted) from (id, datetime) pairs; `default` if absent."""
    out = np.full(len(ids), default, dtype=np.float64)
    known = [(c, when.timestamp()) for c, when in pairs if when is not None]
    if not len(ids) or not known:
        return out
    keys = np.array([c for c, _ in known], dtype=np.int64)
    values = np.array([t for _, t in known], dtype=np.float64)
    position = np.searchsorted(ids, keys)
    found = (position < len(ids)) & (ids[np.minimum(position, len(ids) - 1)] == keys)
    out[position[found]] = values[found]
    return out


def load_table(
    workspace: Workspace,
    doc: LeadDefinitionDocument = PLAIN_DOCUMENT,
    contact_ids: Sequence[int] | None = None,
) -> tuple[IntArray, ContactTable]:
    """The workspace's contacts (or the listed ones), ordered by id, as a `ContactTable`."""
    inputs = load_inputs(workspace, doc, contact_ids)
    query = Contact.objects.for_workspace(workspace)
    if contact_ids is not None:
        query = query.filter(pk__in=list(contact_ids))
    created = _aligned(inputs.ids, query.values_list("id", "created_at").iterator(), np.nan)
    # A contact created between the two queries has no time yet: treat it as created now.
    created = np.where(np.isnan(created), np.nanmax(created, initial=0.0), created)
    return inputs.ids, ContactTable(created=created, contacts=inputs.contacts, events=inputs.events)


def load_conversions(workspace: Workspace, ids: IntArray, stages: Sequence[str]) -> FloatArray:
    """Each contact's first arrival in any of `stages` per the ledger (NaN if never)."""
    firsts = (
        LedgerEntry.objects.for_workspace(workspace)
        .filter(to_stage__in=list(stages))
        .values("contact_id")
        .annotate(first=Min("occurred_at"))
        .values_list("contact_id", "first")
    )
    return _aligned(ids, firsts.iterator(), np.nan)
