"""The workspace's attribution choices, and the recognition feed of won deals."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager


class AttributionModel(models.TextChoices):
    FIRST_TOUCH = "first_touch", "First touch"
    LAST_TOUCH = "last_touch", "Last touch"
    LAST_NON_DIRECT = "last_non_direct", "Last non-direct touch"
    LINEAR = "linear", "Linear"
    U_SHAPED = "u_shaped", "U-shaped (40/20/40)"
    W_SHAPED = "w_shaped", "W-shaped (30/30/30 + 10)"
    FULL_PATH = "full_path", "Full path (22.5 x 4 + 10)"
    TIME_DECAY = "time_decay", "Time decay"
    J_SHAPED = "j_shaped", "J-shaped (20/20/60)"
    INVERSE_J = "inverse_j", "Inverse J (60/20/20)"
    MARKOV = "markov", "Markov chain (removal effect)"
    SHAPLEY = "shapley", "Shapley value"


class AttributionSettings(WorkspaceOwned):
    """How the workspace credits marketing: the model its recognition feed and dashboard use,
    the look-back window, the time-decay half-life, and whether sales activities are touches.
    One row per workspace; absent means the defaults."""

    model = models.CharField(
        max_length=16, choices=AttributionModel.choices, default=AttributionModel.W_SHAPED
    )
    lookback_days = models.PositiveIntegerField(
        default=365, help_text="Touches up to this many days before the milestone count."
    )
    half_life_days = models.FloatField(
        default=7.0, help_text="Time decay: a touch's weight halves every this many days."
    )
    include_activities = models.BooleanField(
        default=False, help_text="Count sales activities (calls, emails, meetings) as touches."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="attribution_settings_unique"),
        ]


class Recognition(WorkspaceOwned):
    """A won deal and marketing's part in it: the campaigns and marketers whose touches
    contributed, with their credit under the model chosen when the deal was won, beside the
    sales owner. Written once per deal (a deal won again after a reopen is rewritten)."""

    deal = models.ForeignKey("crm.Deal", on_delete=models.CASCADE, related_name="+")
    won_at = models.DateTimeField()
    model = models.CharField(max_length=16, choices=AttributionModel.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    sales_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marketing_credit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="The part of the amount marketing's touches earned.",
    )
    # [{"campaign_id", "name", "channel", "owner_id", "credit"}], largest credit first
    campaigns = models.JSONField(default=list)
    # [{"user_id", "name", "credit"}]: campaign owners, largest credit first
    marketers = models.JSONField(default=list)
    # [{"channel", "credit"}]
    channels = models.JSONField(default=list)
    note = models.CharField(max_length=300, blank=True, help_text="e.g. no marketing touch")

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "deal"], name="recognition_deal_unique"),
        ]
        indexes = [models.Index(fields=["workspace", "-won_at"], name="recognition_ws_won")]
