"""Reads of the recognition feed, for the API, the CLI and the pages."""

from __future__ import annotations

from django.db.models import F, QuerySet

from accord.attribution.models import Recognition
from accord.identity.models import Workspace


def recognition_feed(workspace: Workspace | int) -> QuerySet[Recognition]:
    """The won deals and marketing's part in them, latest win first; a deal reopened or lost
    since drops out of the feed."""
    return (
        Recognition.objects.for_workspace(workspace)
        .filter(deal__status="won")
        .select_related("sales_owner")
        .annotate(deal_name=F("deal__name"))
        .order_by("-won_at", "-pk")
    )
