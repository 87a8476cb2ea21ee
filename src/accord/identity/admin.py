"""Django admin for identity, and the workspace-scoped base every context's admin builds on.

A superuser sees every workspace. A staff user who is an *admin member* of some workspaces sees
and manages exactly the records of those workspaces, and nothing else: querysets, foreign-key
choices and list filters are all narrowed to them (scoping fails closed, as everywhere else).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from accord.identity.models import ApiToken, Membership, Role, Team, User, Workspace
from accord.identity.selectors import memberships_of

admin.site.site_header = "Accord admin"
admin.site.site_title = "Accord admin"
admin.site.index_title = "Records of your workspaces"
admin.site.site_url = "/"

_CACHE_ATTR = "_accord_admin_workspace_ids"


def admin_workspace_ids(request: HttpRequest) -> list[int] | None:
    """Workspaces the signed-in user administers; None means all of them (a superuser)."""
    user = request.user
    if not user.is_active or not user.is_staff:
        return []
    if user.is_superuser:
        return None
    cached: list[int] | None = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        assert isinstance(user, User)
        cached = [m.workspace_id for m in memberships_of(user) if m.role == Role.ADMIN]
        setattr(request, _CACHE_ATTR, cached)
    return cached


def scoped_queryset(model: type[models.Model], ids: list[int] | None) -> QuerySet[Any]:
    """All rows of `model` in the given workspaces (every workspace when `ids` is None)."""
    manager: Any = model._default_manager
    if model is Workspace:
        return manager.all() if ids is None else manager.filter(pk__in=ids)
    if model is User:
        if ids is None:
            return manager.all()
        return manager.filter(memberships__workspace_id__in=ids).distinct()
    if ids is None:
        return (
            manager.across_workspaces() if hasattr(manager, "across_workspaces") else manager.all()
        )
    return manager.filter(workspace__in=ids)


def _is_workspace_owned(model: type[models.Model]) -> bool:
    return any(f.name == "workspace" for f in model._meta.get_fields())


class WorkspaceListFilter(admin.SimpleListFilter):
    """Filter by workspace, offering only the workspaces the user administers."""

    title = "workspace"
    parameter_name = "workspace"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[Any]:
        workspaces = scoped_queryset(Workspace, admin_workspace_ids(request)).order_by("name")
        return [(str(ws.pk), ws.name) for ws in workspaces]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(workspace_id=int(value))
        return queryset


class WorkspaceScopedForm(forms.ModelForm):
    """Refuse references to records of another workspace than the record's own."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        workspace = cleaned.get("workspace")
        workspace_id = (
            workspace.pk if workspace is not None else self.instance.__dict__.get("workspace_id")
        )
        if workspace_id is None:
            return cleaned
        for name, value in list(cleaned.items()):
            other = getattr(value, "workspace_id", None)
            if name != "workspace" and other is not None and other != workspace_id:
                self.add_error(name, "That record belongs to another workspace.")
        return cleaned


class WorkspaceScopedAdmin(admin.ModelAdmin):
    """Base admin for workspace-owned models (see the module docstring).

    Set `read_only = True` for append-only records (the ledger): they can be viewed, never
    added, changed or deleted here.
    """

    form = WorkspaceScopedForm
    read_only = False
    list_filter: ClassVar[tuple[Any, ...]] = (WorkspaceListFilter,)
    list_per_page = 50

    # Who may do what ------------------------------------------------------------------------
    def _allowed(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        ids = admin_workspace_ids(request)
        if ids is None:
            return True
        if not ids:
            return False
        if obj is None:
            return True
        workspace_id = obj.pk if isinstance(obj, Workspace) else getattr(obj, "workspace_id", None)
        return workspace_id in ids

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return not self.read_only and self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self.read_only and self._allowed(request, obj)

    # What they see ----------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        ids = admin_workspace_ids(request)
        queryset = super().get_queryset(request)
        if self.model is Workspace:
            return queryset if ids is None else queryset.filter(pk__in=ids)
        if ids is None:
            across = getattr(queryset, "across_workspaces", None)
            return across() if across is not None else queryset
        return queryset.filter(workspace__in=ids)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.model is not Workspace and "workspace" not in fields:
            fields.append("workspace")  # records never move between workspaces
        has_created_at = any(f.name == "created_at" for f in self.model._meta.get_fields())
        if has_created_at and "created_at" not in fields:
            fields.append("created_at")  # set when the record is written, never edited
        return fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.remote_field.model
        if related in (Workspace, User) or _is_workspace_owned(related):
            kwargs["queryset"] = scoped_queryset(related, admin_workspace_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Workspace)
class WorkspaceAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "slug", "timezone", "default_currency", "created_at")
    search_fields = ("name", "slug")
    list_filter = ()
    readonly_fields = ("slug",)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # A new workspace needs its lifecycle stages and pipeline: create it with the CLI.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser


@admin.register(Team)
class TeamAdmin(WorkspaceScopedAdmin):
    list_display = ("name", "kind", "workspace")
    search_fields = ("name",)
    list_filter = (WorkspaceListFilter, "kind")


@admin.register(Membership)
class MembershipAdmin(WorkspaceScopedAdmin):
    list_display = ("user", "workspace", "role", "team", "created_at")
    list_select_related = ("user", "workspace", "team")
    search_fields = ("user__email", "user__full_name")
    list_filter = (WorkspaceListFilter, "role")


@admin.register(ApiToken)
class ApiTokenAdmin(WorkspaceScopedAdmin):
    """Tokens are created by their owner (web or CLI); here they can be inspected only."""

    read_only = True
    list_display = ("name", "prefix", "user", "workspace", "scope", "created_at", "expires_at")
    list_select_related = ("user", "workspace")
    search_fields = ("name", "prefix", "user__email")
    exclude = ("digest",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People are global (one account, many workspaces), so only superusers manage them."""

    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_superuser", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
