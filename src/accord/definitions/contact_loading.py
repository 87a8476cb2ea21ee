"""Loading contacts (with their company's attributes) as columns for scoring: one parameterised
statement joining contact and company, no model instances, and custom fields decoded only when
the definition reads one. Missing values become "" (unknown), as the scoring module expects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from accord.core.normalise import email_domain_sql
from accord.crm.models import Company, Contact
from accord.definitions.document import (
    COMPANY_ATTRIBUTES,
    CONTACT_ATTRIBUTES,
    LeadDefinitionDocument,
)
from accord.definitions.event_loading import epoch_sql
from accord.definitions.models import ContactPrediction
from accord.definitions.scoring import ContactColumns, IntArray

IdRange = tuple[int, int]  # inclusive lower, exclusive upper contact id
PREDICTED_CONVERSION = "predicted_conversion"  # derived from the predictive model


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _custom_names(doc: LeadDefinitionDocument, prefix: str) -> list[str]:
    return sorted(
        {r.attribute[len(prefix) :] for r in doc.fit_rules if r.attribute.startswith(prefix)}
    )


def _decoded(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # SQLite hands JSON back as text, PostgreSQL as a dict
        value = json.loads(value or "{}")
    return value if isinstance(value, dict) else {}


def encode_column(values: Sequence[Any] | pa.Array) -> tuple[np.ndarray, IntArray]:
    """A text column as (distinct values, stripped and sorted; each row's index into them).
    Arrow's hash-based dictionary encoding does the million rows; only the few distinct values
    are stripped and sorted in Python. Unknown (None) is ""."""
    column = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    encoded = column.dictionary_encode()
    labels = [_text(value) for value in encoded.dictionary.to_pylist()]
    uniques, relabel = np.unique(np.array(labels or [""], dtype=np.str_), return_inverse=True)
    codes = pc.fill_null(encoded.indices, len(labels)).to_numpy(zero_copy_only=False)
    if encoded.null_count:  # None: index past the labels, mapped to ""
        empty = np.searchsorted(uniques, "")
        if empty == len(uniques) or uniques[empty] != "":
            uniques = np.insert(uniques, empty, "")
            relabel = np.where(relabel >= empty, relabel + 1, relabel)
        relabel = np.append(relabel, empty)
    return uniques, relabel.reshape(-1).astype(np.int64)[codes]


def _statement(
    workspace_id: int,
    contact_ids: Sequence[int] | None,
    id_range: IdRange | None,
    extra: list[str],
    names: Sequence[str],
) -> tuple[str, list[Any]]:
    contact, company = Contact._meta.db_table, Company._meta.db_table
    workspace_column = "c.workspace_id"
    if connection.vendor == "sqlite" and (contact_ids is not None or id_range is not None):
        # Keep SQLite on the primary key for an id slice, not the (workspace, created) index.
        workspace_column = "+c.workspace_id"
    # Every attribute comes back as text, "" when unknown, so rows turn into columns in C.
    columns = [
        "c.id",
        email_domain_sql("c.email", connection.vendor),
        *(
            f"COALESCE(CAST(co.{name.split('.', 1)[1]} AS TEXT), '')"
            if name.startswith("company.")
            else f"c.{name}"
            for name in names
        ),
        *extra,
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {contact} c "  # noqa: S608 - fixed names; values are placeholders
        f"LEFT JOIN {company} co ON co.id = c.company_id WHERE {workspace_column} = %s"
    )
    params: list[Any] = [workspace_id]
    if id_range is not None:
        sql += " AND c.id >= %s AND c.id < %s"
        params += list(id_range)
    if contact_ids is not None:
        sql += f" AND c.id IN ({', '.join('%s' for _ in contact_ids)})"
        params += list(contact_ids)
    return sql + " ORDER BY c.id", params


@dataclass(frozen=True)
class ContactTable:
    """Every contact of a workspace with the attributes a document's rules read, dictionary-
    encoded, read once for a bulk job (from the columnar copy) and sliced by id range."""

    ids: IntArray  # ascending
    distinct: dict[str, tuple[npt.NDArray[np.str_], IntArray]]  # lifecycle_stage always
    domains: tuple[npt.NDArray[np.str_], IntArray]

    def select(
        self,
        workspace_id: int,
        doc: LeadDefinitionDocument,
        id_range: IdRange | None = None,
    ) -> tuple[IntArray, list[str], ContactColumns]:
        """The contacts in `id_range` (all without one), as `load_contacts` returns them."""
        lo, hi = np.searchsorted(self.ids, id_range) if id_range else (0, len(self.ids))
        rows = slice(lo, hi)
        ids = self.ids[rows]
        distinct = {
            name: (uniques, codes[rows]) for name, (uniques, codes) in self.distinct.items()
        }
        if any(r.attribute == PREDICTED_CONVERSION for r in doc.fit_rules) and len(ids):
            distinct[PREDICTED_CONVERSION] = encode_column(
                _predicted_conversion(workspace_id, ids.tolist())
            )
        stage_values, stage_codes = distinct["lifecycle_stage"]
        domains = self.domains[0][self.domains[1][rows]]
        return (
            ids,
            stage_values[stage_codes].tolist(),
            ContactColumns.encoded(len(ids), distinct, domains),
        )


def _predicted_conversion(workspace_id: int, ids: list[int]) -> list[str]:
    """The predictive score in percent per contact ("" = unknown: no prediction yet)."""
    query = ContactPrediction.objects.for_workspace(workspace_id).filter(
        contact_id__gte=ids[0], contact_id__lte=ids[-1]
    )
    if len(ids) <= 5000:
        query = query.filter(contact_id__in=ids)
    percent = {c: f"{100 * p:.2f}" for c, p in query.values_list("contact_id", "probability")}
    return [percent.get(contact_id, "") for contact_id in ids]


def read_attributes(doc: LeadDefinitionDocument, only_used: bool) -> list[str]:
    """The standard attributes to read: all, or those `doc`'s fit rules read (and the
    lifecycle stage, which decides who can move). A million contacts' unread columns cost
    seconds of fetching and stripping."""
    names = [*CONTACT_ATTRIBUTES, *COMPANY_ATTRIBUTES]
    if not only_used:
        return names
    used = {rule.attribute for rule in doc.fit_rules} | {"lifecycle_stage"}
    return [name for name in names if name in used]


def load_created(workspace_id: int) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Every contact's id and creation time in epoch seconds, in one statement (a million
    datetimes built by the ORM take seconds)."""
    table = Contact._meta.db_table
    sql = f"SELECT id, {epoch_sql('created_at')} FROM {table} WHERE workspace_id = %s"  # noqa: S608 - fixed names
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace_id])
        rows = cursor.fetchall()
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=2 * len(rows))
    pairs = flat.reshape(-1, 2)
    return pairs[:, 0].astype(np.int64), np.ascontiguousarray(pairs[:, 1])


def load_contacts(
    workspace_id: int,
    doc: LeadDefinitionDocument,
    contact_ids: Sequence[int] | None = None,
    id_range: IdRange | None = None,
    *,
    only_used: bool = False,
) -> tuple[IntArray, list[str], ContactColumns]:
    """(ids in ascending order, lifecycle stages, attribute columns) of the chosen contacts.
    With `only_used`, attributes no fit rule reads are left out (unknown for everyone)."""
    if contact_ids is not None and not contact_ids:
        return np.zeros(0, dtype=np.int64), [], ContactColumns.empty()
    contact_custom = _custom_names(doc, "custom:")
    company_custom = _custom_names(doc, "company.custom:")
    extra = (["c.custom_fields"] if contact_custom else []) + (
        ["co.custom_fields"] if company_custom else []
    )
    names = read_attributes(doc, only_used)
    sql, params = _statement(workspace_id, contact_ids, id_range, extra, names)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), [], ContactColumns.empty()
    raw = list(zip(*rows, strict=True))
    ids = np.array(raw[0], dtype=np.int64)
    distinct = {name: encode_column(raw[i + 2]) for i, name in enumerate(names)}
    at = 2 + len(names)
    for prefix, custom in (("custom:", contact_custom), ("company.custom:", company_custom)):
        if custom:
            decoded = [_decoded(value) for value in raw[at]]
            for name in custom:
                distinct[f"{prefix}{name}"] = encode_column([_text(d.get(name)) for d in decoded])
            at += 1
    if any(r.attribute == PREDICTED_CONVERSION for r in doc.fit_rules):
        percent = _predicted_conversion(workspace_id, ids.tolist())
        distinct[PREDICTED_CONVERSION] = encode_column(percent)
    stages = list(raw[2 + names.index("lifecycle_stage")])
    contacts = ContactColumns.encoded(len(rows), distinct, np.array(raw[1], dtype=np.str_))
    return ids, stages, contacts
