"""Generating again: the same seed and size reuse the dataset, anything else replaces it, and
the data is a function of (seed, contacts, as_of)."""

from __future__ import annotations

import pytest

from accord.core.errors import Conflict, ValidationFailed
from accord.crm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    DealStageChange,
    LedgerEntry,
)
from accord.crm.tests.factories import ContactFactory
from accord.demo.loader import demo_generate
from accord.demo.models import DemoDataset
from accord.demo.reset import demo_workspace_delete
from accord.identity.models import User, Workspace
from accord.identity.services import workspace_create
from accord.identity.tests.factories import WorkspaceFactory
from accord.marketing.models import Campaign, CampaignCost, Touchpoint
from tests.demo.conftest import FAST_HASHERS, as_of_yesterday

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_MODELS = (
    Company, Contact, Deal, DealStageChange, LedgerEntry, Activity, Touchpoint, Campaign,
    CampaignCost, DemoDataset,
)  # fmt: skip


@pytest.fixture(autouse=True)
def _fast(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DATA_DIR = tmp_path


def _snapshot(dataset: DemoDataset) -> dict[str, object]:
    ws = dataset.workspace_id
    return {
        "summary": {k: v for k, v in dataset.summary.items() if k != "seconds"},
        "contacts": list(
            Contact.objects.for_workspace(ws)
            .order_by("pk")
            .values_list(
                "email",
                "first_name",
                "last_name",
                "title",
                "company__domain",
                "country",
                "lifecycle_stage",
                "lead_status",
                "original_source",
                "utm_campaign",
                "created_at",
                "owner__email",
            )[:300]
        ),
        "ledger": list(
            LedgerEntry.objects.for_workspace(ws)
            .order_by("pk")
            .values_list(
                "contact__email",
                "from_stage",
                "to_stage",
                "occurred_at",
                "reason",
                "actor_user__email",
            )[:400]
        ),
        "deals": list(
            Deal.objects.for_workspace(ws)
            .order_by("pk")
            .values_list("name", "amount", "status", "stage__key", "created_at", "closed_at")
        ),
        "touchpoints": list(
            Touchpoint.objects.for_workspace(ws)
            .order_by("pk")
            .values_list("contact__email", "campaign__name", "type", "occurred_at", "landing_page")[
                :400
            ]
        ),
        "activities": list(
            Activity.objects.for_workspace(ws)
            .order_by("pk")
            .values_list("contact__email", "kind", "outcome", "subject", "occurred_at")[:300]
        ),
        "costs": list(
            CampaignCost.objects.for_workspace(ws)
            .order_by("campaign__name", "date")
            .values_list("campaign__name", "date", "amount")
        ),
    }


def test_the_same_seed_and_size_give_the_same_data() -> None:
    as_of = as_of_yesterday()
    first = _snapshot(demo_generate(seed=7, contacts=1_500, as_of=as_of).dataset)
    again = _snapshot(demo_generate(seed=7, contacts=1_500, as_of=as_of, fresh=True).dataset)
    other = _snapshot(demo_generate(seed=8, contacts=1_500, as_of=as_of).dataset)

    assert first == again
    assert len(first["contacts"]) == 300 and len(first["deals"]) > 0  # type: ignore[arg-type]
    for key in ("summary", "contacts", "ledger", "deals", "touchpoints", "activities", "costs"):
        assert other[key] != first[key], key


def test_the_same_seed_and_size_reuse_the_dataset() -> None:
    first = demo_generate(seed=3, contacts=1_000, as_of=as_of_yesterday())
    again = demo_generate(seed=3, contacts=1_000)

    assert (first.reused, again.reused) == (False, True)
    assert again.dataset.pk == first.dataset.pk
    assert Workspace.objects.filter(slug="demo").count() == 1


def test_another_size_replaces_the_old_demo_and_nothing_else() -> None:
    other = WorkspaceFactory(slug="customer")
    kept = ContactFactory(workspace=other, email="kept@customer.example")
    first = demo_generate(seed=3, contacts=1_000, as_of=as_of_yesterday())
    second = demo_generate(seed=3, contacts=1_200, as_of=as_of_yesterday())
    old = first.dataset.workspace_id

    assert second.reused is False
    assert Workspace.objects.get(slug="demo").pk == second.dataset.workspace_id != old
    assert not Workspace.objects.filter(pk=old).exists()
    assert Contact.objects.for_workspace(second.dataset.workspace_id).count() == 1_200
    for model in DEMO_MODELS:
        assert model.objects.for_workspace(old).count() == 0, model.__name__
    assert Contact.objects.for_workspace(other).get().pk == kept.pk
    assert LedgerEntry.objects.for_workspace(other).count() == 1


def test_deleting_the_only_workspace_empties_the_demo_tables() -> None:
    result = demo_generate(seed=4, contacts=1_000, as_of=as_of_yesterday())
    workspace = result.dataset.workspace

    demo_workspace_delete(workspace)

    assert Workspace.objects.count() == 0
    for model in DEMO_MODELS:
        assert model.objects.across_workspaces().count() == 0, model.__name__
    assert User.objects.filter(email="revops@northwind.example").exists()


def test_a_scored_demo_is_deleted_with_its_scores() -> None:
    """Scores and predictions point at contacts; emptying the tables must take them along."""
    from accord.definitions.evaluation import evaluate_contacts
    from accord.definitions.models import ContactScore
    from accord.definitions.tests.factories import active_version
    from accord.identity.actor import Actor, Source

    result = demo_generate(seed=4, contacts=600, as_of=as_of_yesterday())
    workspace = result.dataset.workspace
    active_version(workspace, {"schema_version": 1, "mql": {"fit_min": 0, "engagement_min": 5}})
    evaluate_contacts(Actor.system(workspace, Source.SYSTEM))
    assert ContactScore.objects.for_workspace(workspace).count() == 600

    again = demo_generate(seed=4, contacts=700, as_of=as_of_yesterday())

    assert ContactScore.objects.across_workspaces().count() == 0
    assert Contact.objects.for_workspace(again.dataset.workspace_id).count() == 700


def test_an_interrupted_dataset_is_generated_again() -> None:
    first = demo_generate(seed=3, contacts=1_000, as_of=as_of_yesterday())
    DemoDataset.objects.for_workspace(first.dataset.workspace_id).update(
        summary={"status": "generating"}
    )
    again = demo_generate(seed=3, contacts=1_000, as_of=as_of_yesterday())

    assert again.reused is False
    assert again.dataset.summary["status"] == "complete"
    assert again.dataset.workspace_id != first.dataset.workspace_id


def test_a_demo_slug_workspace_not_made_by_the_demo_is_left_alone() -> None:
    workspace = workspace_create(name="Our real demo team", slug="demo")

    with pytest.raises(Conflict, match="was not made by `accord demo`"):
        demo_generate(seed=1, contacts=1_000)

    assert Workspace.objects.get(slug="demo").pk == workspace.pk
    assert DemoDataset.objects.for_workspace(workspace).count() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"contacts": 0}, "Use between 1 and 5,000,000 contacts."),
        ({"seed": -1}, "The seed is a non-negative integer."),
    ],
)
def test_bad_input_writes_nothing(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        demo_generate(**kwargs)  # type: ignore[arg-type]

    assert error.value.message == message
    assert Workspace.objects.count() == 0
