"""Django admin for marketing records, scoped to the workspaces the user administers."""

from __future__ import annotations

from django.contrib import admin

from accord.identity.admin import WorkspaceListFilter, WorkspaceScopedAdmin
from accord.marketing.models import Campaign, CampaignCost, Touchpoint


@admin.register(Campaign)
class CampaignAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "channel", "type", "start_date", "end_date", "budget", "currency")
    list_filter = (WorkspaceListFilter, "channel", "type")
    search_fields = ("name", "utm_campaign")


@admin.register(CampaignCost)
class CampaignCostAdmin(WorkspaceScopedAdmin):
    list_display = ("campaign", "date", "amount", "currency", "note", "workspace")
    list_select_related = ("campaign", "workspace")
    autocomplete_fields = ("campaign",)
    date_hierarchy = "date"


@admin.register(Touchpoint)
class TouchpointAdmin(WorkspaceScopedAdmin):
    list_display = ("contact", "type", "channel", "campaign", "occurred_at", "workspace")
    list_select_related = ("contact", "campaign", "workspace")
    list_filter = (WorkspaceListFilter, "channel", "type")
    search_fields = ("contact__email", "utm_campaign")
    autocomplete_fields = ("contact", "campaign")
    date_hierarchy = "occurred_at"
