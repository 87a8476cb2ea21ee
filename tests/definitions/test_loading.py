"""The columnar loaders read what the ORM would: custom fields (JSON on both databases),
company attributes through the join, unknown values as "", e-mail domains."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.crm.tests.factories import CompanyFactory, ContactFactory
from accord.definitions.contact_loading import encode_column, load_contacts
from accord.definitions.document import parse_document
from accord.definitions.evaluation import evaluate_contacts
from accord.definitions.models import ContactScore
from accord.definitions.tests.factories import active_version
from accord.identity.actor import Actor, Source

pytestmark = pytest.mark.django_db

DOC: dict[str, Any] = {
    "schema_version": 1,
    "fit_rules": [
        {"id": "plan", "attribute": "custom:plan", "operator": "equals", "value": "pro",
         "points": 10},
        {"id": "tier", "attribute": "company.custom:tier", "operator": "in", "value": ["1", "2"],
         "points": 5},
        {"id": "size", "attribute": "company.employee_count", "operator": "range", "min": 100,
         "points": 3},
        {"id": "nohq", "attribute": "company.country", "operator": "is_empty", "points": 1},
    ],
    "mql": {"fit_min": 18, "engagement_min": 0},
}  # fmt: skip


def test_custom_fields_and_company_attributes(workspace: Any, other_workspace: Any) -> None:
    company = CompanyFactory(
        workspace=workspace, employee_count=250, country="", custom_fields={"tier": 1}
    )
    full = ContactFactory(
        workspace=workspace,
        email="ana@Firm.example",
        company=company,
        custom_fields={"plan": "Pro "},
    )
    bare = ContactFactory(workspace=workspace, email="bo@free.example", company=None)
    ContactFactory(workspace=other_workspace, custom_fields={"plan": "pro"})
    ids, stages, columns = load_contacts(workspace.pk, parse_document(DOC))
    assert ids.tolist() == sorted([full.pk, bare.pk])
    first = 0 if full.pk < bare.pk else 1
    assert columns.column("custom:plan")[first] == "Pro"
    assert columns.column("company.custom:tier")[first] == "1"
    assert columns.column("company.employee_count")[first] == "250"
    assert columns.column("company.employee_count")[1 - first] == ""
    assert columns.email_domain.tolist()[first] == "firm.example"
    assert stages == ["lead", "lead"]

    active_version(workspace, DOC)
    evaluate_contacts(Actor.system(workspace, Source.SYSTEM))
    scores = dict(ContactScore.objects.for_workspace(workspace).values_list("contact_id", "fit"))
    assert scores == {full.pk: 19.0, bare.pk: 1.0}


def test_the_bulk_read_leaves_out_attributes_no_rule_reads(workspace: Any) -> None:
    company = CompanyFactory(workspace=workspace, employee_count=250, country="DE")
    ContactFactory(workspace=workspace, company=company, seniority="vp", title="CFO")
    doc = parse_document(DOC)
    _, everything_stages, everything = load_contacts(workspace.pk, doc)
    _, stages, used = load_contacts(workspace.pk, doc, only_used=True)
    assert set(everything.attributes) >= {"seniority", "title", "company.industry"}
    assert set(used.attributes) == {
        "lifecycle_stage",
        "company.employee_count",
        "company.country",
        "custom:plan",
        "company.custom:tier",
    }
    assert stages == everything_stages == ["lead"]
    for name in used.attributes:
        assert used.column(name).tolist() == everything.column(name).tolist()
    assert used.column("seniority").tolist() == [""]  # not read: unknown, as documented


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=" \tab\u00e9Z\n", max_size=4)), min_size=1))
def test_encoding_a_column_keeps_every_value(values: list[str | None]) -> None:
    """The dictionary encoding gives each row its stripped value ("" for unknown), with the
    distinct values sorted and unique, as np.unique over the plain column would."""
    uniques, codes = encode_column(values)
    plain = [("" if v is None else v.strip()) for v in values]
    assert uniques[codes].tolist() == plain
    expected_uniques, expected_codes = np.unique(
        np.array(plain, dtype=np.str_), return_inverse=True
    )
    assert uniques.tolist() == expected_uniques.tolist()
    assert codes.tolist() == expected_codes.reshape(-1).tolist()
