"""Experiments: the registry both teams share with a form to register one (managers and
marketers), an experiment's page with its live results — each variant against the control
with intervals and a plain-language reading — and its start, stop and conclude actions, and
the learnings log (won and lost side by side, and each quarter's tally). The numbers are
`experiments.results`', the same the API and `accord experiment` give."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.experiments import services
from accord.experiments.models import (
    AssignmentMethod,
    Experiment,
    Outcome,
    OutcomeMetric,
    Subject,
)
from accord.experiments.presentation import quarterly_summary
from accord.experiments.results import experiment_results
from accord.experiments.selectors import experiment_by_key, experiments_of
from accord.identity.models import Membership, Workspace
from accord.identity.permissions import Action
from accord.web.views.access import member_view, web_actor

TEXT_FIELDS = ("key", "name", "hypothesis", "subject", "primary_metric", "planned_sample_size",
               "planned_days", "assignment", "marketing_owner_id", "sales_owner_id",
               "control", "variant_b", "variant_c")  # fmt: skip


def _values(form: dict[str, Any]) -> dict[str, Any]:
    """The service's values from the form: the variants from their names."""
    names = [("control", form["control"]), ("b", form["variant_b"]), ("c", form["variant_c"])]
    variants = [
        {"key": "control" if key == "control" else f"variant-{key}", "name": name.strip(),
         "is_control": key == "control"}
        for key, name in names if name.strip() or key != "c"
    ]  # fmt: skip
    values = {k: form[k] for k in TEXT_FIELDS[:10] if form[k] not in ("", None)}
    return values | {"guardrails": form["guardrails"], "variants": variants}


def _members(workspace: Workspace) -> list[tuple[int, str]]:
    return [
        (m.user_id, m.user.display_name)
        for m in Membership.objects.filter(workspace=workspace).select_related("user")
    ]


@require_http_methods(["GET", "POST"])
@member_view(post_requires=Action.RUN_EXPERIMENTS)
def experiment_index(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    errors: dict[str, list[str]] = {}
    form: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "") | {
        "subject": Subject.LANDING_PAGE, "primary_metric": OutcomeMetric.SQL_RATE,
        "assignment": AssignmentMethod.HASH, "guardrails": [], "control": "Control",
        "variant_b": "Variant B",
    }  # fmt: skip
    if request.method == "POST":
        form = {name: request.POST.get(name, "") for name in TEXT_FIELDS}
        form["guardrails"] = request.POST.getlist("guardrails")
        try:
            experiment = services.experiment_create(actor=web_actor(membership),
                                                    values=_values(form))  # fmt: skip
        except ValidationFailed as exc:
            errors = exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, f"Experiment registered: {experiment.name} (a draft).")
            return redirect("web:experiment", key=experiment.key)
    return render(
        request,
        "web/experiments/index.html",
        {
            "experiments": list(experiments_of(workspace)),
            "can_run": web_actor(membership).can(Action.RUN_EXPERIMENTS),
            "form": form,
            "errors": errors,
            "subjects": Subject.choices,
            "metrics": OutcomeMetric.choices,
            "methods": AssignmentMethod.choices,
            "members": _members(workspace),
        },
        status=400 if errors else 200,
    )


@require_GET
@member_view()
def experiment_detail(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    return _detail(request, membership, experiment_by_key(membership.workspace, key))


def _detail(
    request: HttpRequest,
    membership: Membership,
    experiment: Experiment,
    errors: dict[str, list[str]] | None = None,
    form: dict[str, Any] | None = None,
) -> HttpResponse:
    return render(
        request,
        "web/experiments/detail.html",
        {
            "experiment": experiment,
            "variants": list(experiment.variants.all()),
            "results": experiment_results(experiment),
            "can_run": web_actor(membership).can(Action.RUN_EXPERIMENTS),
            "outcomes": Outcome.choices,
            "errors": errors or {},
            "form": form or {},
            "metric_labels": dict(OutcomeMetric.choices),
            "currency": membership.workspace.default_currency,
        },
        status=400 if errors else 200,
    )


ACTIONS = {"start": services.experiment_start, "stop": services.experiment_stop}


@require_POST
@member_view(post_requires=Action.RUN_EXPERIMENTS)
def experiment_action(
    request: HttpRequest, membership: Membership, key: str, action: str
) -> HttpResponse:
    experiment = experiment_by_key(membership.workspace, key)
    actor = web_actor(membership)
    try:
        if action == "conclude":
            form = {k: request.POST.get(k, "") for k in ("outcome", "decision", "result",
                                                         "learned")}  # fmt: skip
            try:
                services.experiment_conclude(actor=actor, experiment_id=experiment.pk, values=form)
            except ValidationFailed as exc:
                errors = exc.fields or {"__all__": [exc.message]}
                return _detail(request, membership, experiment, errors=errors, form=form)
            messages.success(request, "Concluded: the learning is in the log.")
        elif action == "assign":
            count = services.assign_new_contacts(actor=actor, experiment_id=experiment.pk)
            messages.success(request, f"{count} contact(s) assigned.")
        elif action in ACTIONS:
            ACTIONS[action](actor=actor, experiment_id=experiment.pk)
            done = "stopped" if action == "stop" else "started"
            messages.success(request, f"Experiment {experiment.name} {done}.")
        else:
            raise NotFound(f"No action '{action}'.")
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("web:experiment", key=experiment.key)


@require_GET
@member_view()
def learnings(request: HttpRequest, membership: Membership) -> HttpResponse:
    experiments = list(experiments_of(membership.workspace).order_by("-stopped_at", "-pk"))
    concluded = [e for e in experiments if getattr(e, "learning", None) is not None]
    return render(
        request,
        "web/experiments/learnings.html",
        {
            "quarters": quarterly_summary(experiments),
            "won": [e for e in concluded if e.learning.outcome == Outcome.WON],
            "lost": [e for e in concluded if e.learning.outcome == Outcome.LOST],
            "inconclusive": [e for e in concluded if e.learning.outcome == Outcome.INCONCLUSIVE],
        },
    )
