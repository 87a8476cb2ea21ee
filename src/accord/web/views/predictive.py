"""The predictive score page: what the active model measured on later contacts (test AUC
beside the rule score's, Brier score, a reliability chart drawn server-side as SVG, top
coefficients, the verdict), its version history, and a Retrain button for members allowed to
edit definitions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accord.core.errors import AccordError, NotFound
from accord.crm.models import Contact
from accord.definitions.models import PredictiveModel
from accord.definitions.predictive.selectors import (
    active_model,
    contact_prediction,
    model_list,
)
from accord.definitions.predictive.services import predictive_train
from accord.definitions.predictive.tasks import train_predictive_model
from accord.identity.models import Membership
from accord.identity.permissions import Action
from accord.web.views.access import member_view, web_actor

# Above this many contacts the button queues the training for `accord worker` instead of
# keeping the browser waiting.
TRAIN_INLINE_LIMIT = 100_000
HISTORY = 10

# The chart's drawing area inside a 360 x 300 SVG.
LEFT, TOP, SIDE = 50, 15, 250


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    y_low: float
    y_high: float
    n: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class Tick:
    value: str
    x: float  # where the tick sits on the horizontal axis
    y: float  # where it sits on the vertical axis


@dataclass(frozen=True)
class Chart:
    points: list[ChartPoint]
    ticks: list[Tick]
    left: int = LEFT
    top: int = TOP
    side: int = SIDE

    @property
    def right(self) -> int:
        return self.left + self.side

    @property
    def bottom(self) -> int:
        return self.top + self.side

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _axis_max(bins: list[dict[str, Any]]) -> float:
    highest = max(
        [float(b.get(k) or 0.0) for b in bins for k in ("predicted", "observed", "high")] or [0.0]
    )
    for step in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8):
        if highest <= step:
            return step
    return 1.0


def reliability_chart(bins: list[dict[str, Any]]) -> Chart | None:
    """Coordinates of predicted (x) against observed (y) conversion per bin, both axes on
    the same scale so that the diagonal is perfect calibration."""
    if not bins:
        return None
    top = _axis_max(bins)

    def x(value: float) -> float:
        return LEFT + SIDE * min(value, top) / top

    def y(value: float) -> float:
        return TOP + SIDE - SIDE * min(value, top) / top

    points = [
        ChartPoint(
            x=x(b["predicted"]),
            y=y(b["observed"]),
            y_low=y(b["low"] if b.get("low") is not None else b["observed"]),
            y_high=y(b["high"] if b.get("high") is not None else b["observed"]),
            n=int(b["n"]),
            predicted=float(b["predicted"]),
            observed=float(b["observed"]),
        )
        for b in bins
    ]
    ticks = [
        Tick(value=f"{100 * top * i / 4:g}%", x=LEFT + SIDE * i / 4, y=TOP + SIDE - SIDE * i / 4)
        for i in range(5)
    ]
    return Chart(points=points, ticks=ticks)


def _percent(value: float | None) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{100 * value:.1f}%")
    )


def _reliability_rows(bins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "bin": b["bin"],
            "n": b["n"],
            "predicted": _percent(b.get("predicted")),
            "observed": _percent(b.get("observed")),
            "interval": f"{_percent(b.get('low'))} to {_percent(b.get('high'))}",
        }
        for b in bins
    ]


def _factor_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    rows = metrics.get("top_coefficients", [])
    widest = max([abs(float(r["coefficient"])) for r in rows] or [1.0]) or 1.0
    return [
        {
            "label": r["label"],
            "coefficient": float(r["coefficient"]),
            "width": round(100 * abs(float(r["coefficient"])) / widest),
        }
        for r in rows
    ]


def _context(membership: Membership, model: PredictiveModel | None) -> dict[str, Any]:
    metrics: dict[str, Any] = model.metrics if model is not None else {}
    return {
        "model": model,
        "m": metrics,
        "chart": reliability_chart(metrics.get("reliability", [])),
        "reliability": _reliability_rows(metrics.get("reliability", [])),
        "factors": _factor_rows(metrics),
        "base_rate_train": _percent(metrics.get("base_rate_train")),
        "base_rate_test": _percent(metrics.get("base_rate_test")),
        "history": list(model_list(membership.workspace)[:HISTORY]),
        "can_train": web_actor(membership).can(Action.EDIT_DEFINITIONS),
    }


def _train(request: HttpRequest, membership: Membership) -> HttpResponse:
    actor = web_actor(membership)
    if Contact.objects.for_workspace(membership.workspace).count() > TRAIN_INLINE_LIMIT:
        train_predictive_model.enqueue(membership.workspace_id, membership.user_id)
        messages.info(request, "Training queued; `accord worker` will run it shortly.")
        return redirect("web:predictive")
    try:
        model = predictive_train(actor)
    except AccordError as exc:
        messages.error(request, exc.message)
        return redirect("web:predictive")
    auc = model.metrics.get("auc")
    messages.success(
        request,
        f"Trained predictive model v{model.version}: test AUC {auc:.3f}. "
        f"{model.metrics.get('verdict_text', '')}",
    )
    return redirect("web:predictive")


@member_view(post_requires=Action.EDIT_DEFINITIONS)
def predictive_model(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method == "POST":
        return _train(request, membership)
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    model = active_model(membership.workspace)
    context = _context(membership, model)
    if model is not None and request.GET.get("contact"):
        context |= _explained(membership, request.GET["contact"])
    return render(request, "web/definitions/predictive.html", context)


def _explained(membership: Membership, raw: str) -> dict[str, Any]:
    """One contact's prediction and top factors, or why there is none."""
    try:
        contact_id = int(raw)
    except ValueError:
        return {"contact_error": "Enter a contact id (a number)."}
    if not 1 <= contact_id < 2**63:
        return {"contact_error": f"No contact with id {contact_id} in this workspace."}
    try:
        prediction = contact_prediction(membership.workspace, contact_id)
    except NotFound as exc:
        return {"contact_id": contact_id, "contact_error": exc.message}
    return {"contact_id": contact_id, "prediction": prediction}
