"""Django admin for the CRM, scoped to the workspaces the user administers.

Fields whose history the services keep (a contact's lifecycle stage, a deal's stage and amount)
are read-only here: change them in the app or through the API, so the ledger and the deal
history stay complete. The ledger and the deal stage history are append-only: view only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accord.crm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    DealStageChange,
    LedgerEntry,
    LifecycleStage,
    Pipeline,
    PipelineStage,
)
from accord.crm.services import ledger
from accord.identity.actor import Actor, Source
from accord.identity.admin import WorkspaceListFilter, WorkspaceScopedAdmin
from accord.identity.models import Role, User


def _admin_actor(request: HttpRequest, contact: Contact) -> Actor:
    user = request.user
    assert isinstance(user, User)
    return Actor(workspace=contact.workspace, source=Source.WEB, user=user, role=Role.ADMIN)


@admin.register(LifecycleStage)
class LifecycleStageAdmin(WorkspaceScopedAdmin):
    list_display = ("label", "key", "position", "workspace")
    list_select_related = ("workspace",)
    ordering = ("workspace", "position")


@admin.register(Company)
class CompanyAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "domain", "industry", "country", "owner", "workspace")
    list_select_related = ("owner", "workspace")
    search_fields = ("name", "domain")
    list_filter = (WorkspaceListFilter, "country")


@admin.register(Contact)
class ContactAdmin(WorkspaceScopedAdmin):
    list_display = ("email", "first_name", "last_name", "company", "lifecycle_stage", "workspace")
    list_select_related = ("company", "workspace")
    search_fields = ("email", "first_name", "last_name")
    list_filter = (WorkspaceListFilter, "lifecycle_stage", "original_source")
    autocomplete_fields = ("company",)
    readonly_fields = ("lifecycle_stage",)

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        adding = not change
        if adding and not obj.lifecycle_stage:
            obj.lifecycle_stage = "lead"
        super().save_model(request, obj, form, change)
        if adding:
            # Every contact's history starts with a ledger row, whoever created it.
            ledger.record_initial_stage(actor=_admin_actor(request, obj), contact=obj)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(WorkspaceScopedAdmin):
    read_only = True
    list_display = (
        "occurred_at",
        "contact",
        "from_stage",
        "to_stage",
        "actor_user",
        "source",
        "definition_version",
        "workspace",
    )
    list_select_related = ("contact", "actor_user", "workspace")
    list_filter = (WorkspaceListFilter, "to_stage", "source")
    search_fields = ("contact__email", "reason")
    date_hierarchy = "occurred_at"
    ordering = ("-occurred_at", "-pk")


@admin.register(Pipeline)
class PipelineAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "is_default", "workspace")
    list_select_related = ("workspace",)


@admin.register(PipelineStage)
class PipelineStageAdmin(WorkspaceScopedAdmin):
    list_display = ("label", "key", "pipeline", "position", "probability", "outcome", "workspace")
    list_select_related = ("pipeline", "workspace")
    list_filter = (WorkspaceListFilter, "outcome")
    ordering = ("workspace", "pipeline", "position")


@admin.register(Deal)
class DealAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "company", "stage", "status", "amount", "currency", "workspace")
    list_select_related = ("company", "stage", "workspace")
    search_fields = ("name",)
    list_filter = (WorkspaceListFilter, "status")
    autocomplete_fields = ("company", "primary_contact")
    readonly_fields = ("pipeline", "stage", "status", "amount", "currency", "closed_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # a new deal needs its first stage-history row: create it in the app or API


@admin.register(DealStageChange)
class DealStageChangeAdmin(WorkspaceScopedAdmin):
    read_only = True
    list_display = ("deal", "from_stage", "to_stage", "amount", "occurred_at", "source")
    list_select_related = ("deal", "from_stage", "to_stage")
    ordering = ("-occurred_at", "-pk")


@admin.register(Activity)
class ActivityAdmin(WorkspaceScopedAdmin):
    list_display = ("kind", "subject", "contact", "deal", "user", "occurred_at", "workspace")
    list_select_related = ("contact", "deal", "user", "workspace")
    search_fields = ("subject",)
    list_filter = (WorkspaceListFilter, "kind")
    autocomplete_fields = ("contact", "deal")
    date_hierarchy = "occurred_at"
