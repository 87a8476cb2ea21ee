"""The records the permission matrix acts on: what the demo lacks is added to both workspaces
once; `params_for` picks the record of a kind in the home workspace (scope "ws"), in the
foreign one ("foreign"), or makes one the caller's own ("own") or another member's ("other")
inside the test's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from accord.alignment.models import Pulse, RejectionReview
from accord.crm.models import Activity, Company, Contact, Deal
from accord.definitions.models import LeadDefinition, RescoreJob
from accord.experiments.models import Experiment
from accord.handoff.models import (
    Dispute,
    Escalation,
    Handoff,
    HandoffStatus,
    OutOfOffice,
    RoutingRule,
    SellerSettings,
    SlaAgreement,
    SlaState,
)
from accord.identity.models import ApiToken, Membership, Workspace
from accord.integrations.models import (
    ImportJob,
    IntegrationKey,
    SavedMapping,
    WebhookDelivery,
    WebhookSubscription,
)
from accord.marketing.calendar_models import CalendarEntry
from accord.marketing.enablement_models import AssetVersion
from accord.marketing.models import Campaign, Touchpoint
from accord.meetings.models import ActionItem, Meeting
from accord.metrics.models import Goal


def _rep_user(workspace: Workspace) -> Any:
    return (
        Membership.objects.for_workspace(workspace)
        .filter(role="sales_rep")
        .order_by("-pk")
        .first()
        .user  # type: ignore[union-attr]
    )


def add_extras(workspace: Workspace, tag: str) -> None:
    """Records the demo does not generate, one of each."""
    admin = Membership.objects.for_workspace(workspace).filter(role="admin").first()
    assert admin is not None
    rep = _rep_user(workspace)
    RescoreJob.objects.create(workspace=workspace, requested_by=admin.user, status="succeeded")
    SellerSettings.objects.create(workspace=workspace, user=rep, weight=1.0)
    today = timezone.now().date()
    OutOfOffice.objects.create(
        workspace=workspace, user=rep, starts_on=today, ends_on=today + dt.timedelta(days=2)
    )
    rejected = (
        Handoff.objects.for_workspace(workspace).filter(status=HandoffStatus.REJECTED).first()
    )
    assert rejected is not None
    Dispute.objects.create(
        workspace=workspace, handoff=rejected, raised_by=admin.user, comment="Looks good to us"
    )
    Escalation.objects.create(
        workspace=workspace,
        handoff=rejected,
        kind="breach_owner",
        recipient=rep,
        message="First touch overdue",
    )
    # Experiment keys are unique per workspace only: give the foreign one its own key, so a
    # request for it by key really asks for another workspace's record.
    Experiment.objects.for_workspace(workspace).update(key=f"{tag}-experiment")
    ImportJob.objects.create(
        workspace=workspace,
        record_type="contacts",
        file_name=f"{tag}.csv",
        stored_path=f"/nonexistent/{tag}.csv",
        file_sha256="0" * 64,
        file_size=10,
        mode="create",
        on_match="skip",
        mapping={},
        status="succeeded",
    )
    SavedMapping.objects.create(
        workspace=workspace, name=f"{tag} mapping", record_type="contacts", columns={}
    )
    IntegrationKey.objects.create(
        workspace=workspace, name=f"{tag} key", key_id=f"ik_{tag}", salt="s" * 16
    )
    hook = WebhookSubscription.objects.create(
        workspace=workspace, url=f"https://hooks.{tag}.example/in", events=["*"], salt="s" * 16
    )
    WebhookDelivery.objects.create(
        workspace=workspace,
        subscription=hook,
        event="contact.created",
        event_id=uuid.uuid4(),
        payload={},
        status="failed",
    )


def _first(model: Any, workspace: Workspace, **filters: Any) -> Any:
    record = model.objects.for_workspace(workspace).filter(**filters).order_by("pk").first()
    assert record is not None, f"no {model.__name__} in {workspace.slug} with {filters}"
    return record


def _open_handoff(workspace: Workspace) -> Handoff:
    """A handoff made open again (inside the test's transaction)."""
    handoff: Handoff = _first(Handoff, workspace, status=HandoffStatus.ACCEPTED)
    Handoff.objects.for_workspace(workspace).filter(pk=handoff.pk).update(
        status=HandoffStatus.OPEN,
        sla_state=SlaState.DUE,
        decided_at=None,
        decided_by=None,
        reason=None,
        comment="",
    )
    return handoff


def params_for(  # noqa: PLR0911, PLR0912 - one branch per record kind
    kind: str, workspace: Workspace, scope: str, member: Membership | None
) -> dict[str, Any]:
    """Path parameters for a record of `kind`; for scope own/other it is (re)assigned first."""
    ws = workspace
    if kind == "company":
        pk = _first(Company, ws).pk
        return {"pk": pk, "company_id": pk}
    if kind == "contact":
        pk = _first(Contact, ws).pk
        return {"pk": pk, "contact_id": pk}
    if kind == "deal":
        pk = _first(Deal, ws).pk
        return {"pk": pk, "deal_id": pk, "deal_pk": pk}
    if kind == "activity":
        return {"activity_id": _first(Activity, ws).pk}
    if kind == "campaign":
        pk = _first(Campaign, ws).pk
        return {"pk": pk, "campaign_id": pk}
    if kind == "touchpoint":
        return {"touchpoint_id": _first(Touchpoint, ws).pk}
    if kind == "asset":
        version = _first(AssetVersion, ws)
        return {"pk": version.asset_id, "asset_id": version.asset_id, "number": version.number}
    if kind == "calendar":
        return {"entry_id": _first(CalendarEntry, ws).pk}
    if kind == "definition":
        pk = _first(LeadDefinition, ws).pk
        return {"pk": pk, "definition_id": pk}
    if kind == "rescore":
        pk = _first(RescoreJob, ws).pk
        return {"pk": pk, "job_id": pk}
    if kind == "escalation":
        escalation = _first(Escalation, ws)
        if scope in ("own", "other") and member is not None:
            recipient = member.user if scope == "own" else _other_user(ws, member)
            Escalation.objects.for_workspace(ws).filter(pk=escalation.pk).update(
                recipient=recipient, read_at=None
            )
        return {"pk": escalation.pk, "escalation_id": escalation.pk}
    if kind == "handoff":
        handoff = _open_handoff(ws)
        if scope in ("own", "other") and member is not None:
            owner = member.user if scope == "own" else _other_user(ws, member)
            Handoff.objects.for_workspace(ws).filter(pk=handoff.pk).update(owner=owner)
        return {"pk": handoff.pk, "handoff_id": handoff.pk}
    if kind == "rejected_handoff":
        reviewed = RejectionReview.objects.for_workspace(ws).values("handoff_id")
        handoff = (
            Handoff.objects.for_workspace(ws)
            .filter(status=HandoffStatus.REJECTED, dispute__isnull=True)
            .exclude(pk__in=reviewed)
            .order_by("pk")
            .first()
        )
        assert handoff is not None
        return {"pk": handoff.pk, "handoff_id": handoff.pk}
    if kind == "disputed_handoff":
        dispute = _first(Dispute, ws)
        return {"pk": dispute.handoff_id, "handoff_id": dispute.handoff_id}
    if kind == "agreement":
        pk = _first(SlaAgreement, ws).pk
        return {"pk": pk, "agreement_id": pk}
    if kind == "rule":
        return {"rule_id": _first(RoutingRule, ws).pk}
    if kind == "seller":
        return {"user_id": _rep_user(ws).pk}
    if kind == "absence":
        return {"absence_id": _first(OutOfOffice, ws).pk}
    if kind == "import":
        pk = _first(ImportJob, ws).pk
        return {"pk": pk, "import_id": pk}
    if kind == "mapping":
        return {"mapping_id": _first(SavedMapping, ws).pk}
    if kind == "intkey":
        pk = _first(IntegrationKey, ws).pk
        return {"pk": pk, "key_pk": pk}
    if kind == "webhook":
        pk = _first(WebhookSubscription, ws).pk
        return {"pk": pk, "webhook_id": pk}
    if kind == "delivery":
        delivery = _first(WebhookDelivery, ws)
        return {
            "pk": delivery.subscription_id,
            "webhook_id": delivery.subscription_id,
            "delivery_id": delivery.pk,
            "delivery_pk": delivery.pk,
        }
    if kind == "goal":
        pk = _first(Goal, ws).pk
        return {"pk": pk, "goal_id": pk}
    if kind == "experiment":
        return {"key": _first(Experiment, ws).key}
    if kind == "meeting":
        pk = _first(Meeting, ws).pk
        return {"pk": pk, "meeting_id": pk}
    if kind == "item":
        item = _first(ActionItem, ws, status="open")
        return {"pk": item.pk, "item_id": item.pk}
    if kind == "member":
        target = (
            Membership.objects.for_workspace(ws).filter(role="sales_rep").order_by("pk").first()
        )
        assert target is not None
        return {"pk": target.pk, "member_id": target.pk}
    if kind == "token":
        holder = _rep_user(ws)  # foreign, or an anonymous caller
        if member is not None and scope in ("own", "other"):
            holder = member.user if scope == "own" else _other_user(ws, member)
        token = ApiToken.objects.create(
            workspace=ws, user=holder, name="matrix", prefix=uuid.uuid4().hex[:8], digest="0" * 64
        )
        return {"pk": token.pk}
    if kind == "pulse":
        pulse = Pulse.objects.for_workspace(ws).order_by("-pk").first()
        assert pulse is not None
        return {"pulse_id": pulse.pk}
    raise AssertionError(f"unknown record kind {kind!r}")


def _other_user(workspace: Workspace, member: Membership) -> Any:
    other = (
        Membership.objects.for_workspace(workspace)
        .filter(role__in=("sales_rep", "sdr"))
        .exclude(user=member.user)
        .order_by("pk")
        .first()
    )
    assert other is not None
    return other.user
