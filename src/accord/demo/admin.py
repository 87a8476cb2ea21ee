"""Django admin for generated demo datasets: view-only, scoped like every other record."""

from __future__ import annotations

from django.contrib import admin

from accord.demo.models import DemoDataset
from accord.identity.admin import WorkspaceScopedAdmin


@admin.register(DemoDataset)
class DemoDatasetAdmin(WorkspaceScopedAdmin):
    read_only = True
    list_display = ("workspace", "seed", "contacts", "created_at")
    list_select_related = ("workspace",)
