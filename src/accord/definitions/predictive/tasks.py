"""Background tasks of the predictive score, run by `accord worker`: train on request, refresh
predictions, and a weekly retraining of every workspace that has a model.

Schedule the weekly pass once (it re-enqueues itself) with `schedule_weekly_retraining()`,
for example when the worker starts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.tasks import task
from django.utils import timezone

if TYPE_CHECKING:
    from accord.identity.actor import Actor

WEEKLY = dt.timedelta(days=7)


def _actor(workspace_id: int, user_id: int | None) -> Actor:
    from accord.identity.actor import Actor, Source
    from accord.identity.models import Membership, Workspace

    workspace = Workspace.objects.get(pk=workspace_id)
    if user_id is not None:
        membership = (
            Membership.objects.for_workspace(workspace)
            .select_related("workspace", "user")
            .filter(user_id=user_id)
            .first()
        )
        if membership is not None:
            return Actor.for_membership(membership, Source.WEB)
    return Actor.system(workspace, Source.SYSTEM)


@task(queue_name="default")
def train_predictive_model(workspace_id: int, user_id: int | None = None) -> dict[str, Any]:
    """Train a new model version for one workspace; a refusal (too little history) is
    reported in the result rather than raised, so the queue does not retry it."""
    from accord.core.errors import AccordError
    from accord.definitions.predictive.services import predictive_train

    try:
        model = predictive_train(_actor(workspace_id, user_id))
    except AccordError as exc:
        return {"trained": False, "message": exc.message}
    return {
        "trained": True,
        "version": model.version,
        "auc": model.metrics.get("auc"),
        "verdict": model.metrics.get("verdict"),
    }


@task(queue_name="default")
def refresh_predictions(workspace_id: int) -> int:
    """Score every contact again with the active model (no retraining)."""
    from accord.definitions.predictive.services import predictions_refresh

    return predictions_refresh(_actor(workspace_id, None))


@task(queue_name="default")
def retrain_weekly() -> int:
    """Queue a retraining for every workspace with an active model, then run again in a week."""
    from accord.definitions.models import PredictiveModel

    workspace_ids = sorted(
        set(
            PredictiveModel.objects.across_workspaces()
            .filter(active=True)
            .values_list("workspace_id", flat=True)
        )
    )
    for workspace_id in workspace_ids:
        train_predictive_model.enqueue(workspace_id)
    retrain_weekly.using(run_after=timezone.now() + WEEKLY).enqueue()
    return len(workspace_ids)


def schedule_weekly_retraining() -> bool:
    """Make sure the weekly retraining is queued; True if this call queued it."""
    from django_tasks_db.models import DBTaskResult

    scheduled = DBTaskResult.objects.filter(
        task_path=retrain_weekly.module_path, status="READY"
    ).exists()
    if not scheduled:
        retrain_weekly.using(run_after=timezone.now() + WEEKLY).enqueue()
    return not scheduled
