"""The sales-enablement library: assets (uploaded files or links) tagged by stage, persona and
industry, their immutable versions, and which seller used which asset on which deal."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager

_USER = settings.AUTH_USER_MODEL


class AssetKind(models.TextChoices):
    FILE = "file", "File"
    LINK = "link", "Link"


class Asset(WorkspaceOwned):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=AssetKind.choices)
    stages = models.JSONField(default=list, blank=True, help_text="Deal or lifecycle stages.")
    personas = models.JSONField(default=list, blank=True)
    industries = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archived = models.BooleanField(default=False)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "title"], name="asset_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class AssetVersion(WorkspaceOwned):
    """One immutable version of an asset: a stored file (under DATA_DIR/assets/<workspace>/)
    or a link."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=1000, blank=True)
    storage_name = models.CharField(max_length=80, blank=True, help_text="File name on disk.")
    file_name = models.CharField(max_length=255, blank=True, help_text="The uploaded name.")
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=120, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "number"], name="asset_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} v{self.number}"


class AssetUsage(WorkspaceOwned):
    """A seller used an asset (one version of it) on a deal. One row per asset, deal and user."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="usages")
    version = models.ForeignKey(AssetVersion, on_delete=models.CASCADE, related_name="usages")
    deal = models.ForeignKey("crm.Deal", on_delete=models.CASCADE, related_name="asset_usages")
    user = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "deal", "user"], name="asset_usage_unique"),
        ]
        indexes = [models.Index(fields=["workspace", "used_at"], name="asset_usage_ws_time")]
