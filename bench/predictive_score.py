"""Benchmark: the predictive score on the demo dataset, beside the rule score of a sensible
lead definition, and whether calibrating the logistic regression would help.

    ACCORD_DATA_DIR=/tmp/pred-demo python bench/predictive_score.py
    ACCORD_DATA_DIR=/tmp/pred-demo python bench/predictive_score.py --contacts 100000

Uses the demo workspace in ACCORD_DATA_DIR (generated with --contacts and seed 42 if missing).
Activates the lead definition below through the services (drafted by a marketer, approved by
the demo's marketing manager and sales manager) unless it is already active, then trains with
`predictive_train` and prints what it measured: test AUC, the rule score's AUC on the same test
contacts, Brier score, calibration error, training time.

With --calibration it also fits, on the same time split, scikit-learn's CalibratedClassifierCV
(sigmoid and isotonic, 3 time-ordered folds) around the same regularised logistic regression
and reports their Brier score and calibration error on the test contacts: the stored model is
the uncalibrated one unless this shows a measurable gain.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

DEMO_DEFINITION: dict[str, Any] = {
    "schema_version": 1,
    "fit_rules": [
        {
            "id": "senior",
            "attribute": "seniority",
            "operator": "in",
            "value": ["owner", "executive", "vp", "director"],
            "points": 15,
            "grade": "A",
        },
        {
            "id": "manager",
            "attribute": "seniority",
            "operator": "equals",
            "value": "manager",
            "points": 8,
            "grade": "B",
        },
        {
            "id": "buyers",
            "attribute": "department",
            "operator": "in",
            "value": ["Marketing", "Sales", "Revenue Operations", "Data & Analytics"],
            "points": 10,
        },
        {
            "id": "size",
            "attribute": "company.employee_count",
            "operator": "range",
            "min": 50,
            "max": 10000,
            "points": 10,
        },
        {
            "id": "no-company",
            "attribute": "company.industry",
            "operator": "is_empty",
            "points": -10,
        },
    ],
    "default_grade": "C",
    "engagement_rules": [
        {"id": "forms", "source": "touchpoint", "type": "form_fill", "points": 10, "cap": 30},
        {"id": "webinars", "source": "touchpoint", "type": "webinar", "points": 10, "cap": 20},
        {"id": "events", "source": "touchpoint", "type": "event", "points": 10, "cap": 20},
        {"id": "content", "source": "touchpoint", "type": "content_download", "points": 5},
        {"id": "email-clicks", "source": "touchpoint", "type": "email_click", "points": 3},
        {"id": "ads", "source": "touchpoint", "type": "ad_click", "points": 2, "cap": 10},
        {"id": "visits", "source": "touchpoint", "type": "web_visit", "points": 1, "cap": 10},
        {"id": "meetings", "source": "activity", "type": "meeting", "points": 15},
        {"id": "calls", "source": "activity", "type": "call", "points": 3, "cap": 15},
    ],
    "negative_signals": {"unsubscribe": -20, "bounce": -10, "student": -30},
    "half_life_days": 30,
    "mql": {"fit_min": 15, "engagement_min": 15},
}


def _setup(contacts: int) -> Any:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    django.setup()
    from django.core.management import call_command

    from accord.demo.loader import demo_generate

    call_command("migrate", verbosity=0)
    return demo_generate(contacts=contacts, seed=42, as_of=None).dataset.workspace


def activate_demo_definition(workspace: Any) -> int:
    """The definition above, active in `workspace` (through the services)."""
    from accord.definitions import services
    from accord.definitions.selectors import active_definition
    from accord.identity.actor import Actor, Source
    from accord.identity.models import Membership

    active = active_definition(workspace)
    if active is not None and active.document == services.validated_document(DEMO_DEFINITION):
        return active.version

    def member(email: str) -> Actor:
        membership = (
            Membership.objects.for_workspace(workspace)
            .select_related("workspace", "user")
            .get(user__email=email)
        )
        return Actor.for_membership(membership, Source.CLI)

    author = member("priya.nair@northwind.example")
    draft = services.definition_create_draft(
        actor=author, document=DEMO_DEFINITION, comment="Benchmark definition for the demo data"
    )
    services.definition_propose(actor=author, definition_id=draft.pk)
    for email in ("marketing.manager@northwind.example", "sales.manager@northwind.example"):
        services.definition_approve(actor=member(email), definition_id=draft.pk)
    return services.definition_activate(actor=author, definition_id=draft.pk).version


def calibration_comparison(workspace: Any) -> list[tuple[str, float, float, float]]:
    """(method, AUC, Brier, calibration error) on the test contacts of the default split."""
    import numpy as np
    from django.utils import timezone
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import TimeSeriesSplit

    from accord.definitions.predictive.fitting import TARGET_STAGES, TrainingSettings, prepare
    from accord.definitions.predictive.loading import load_conversions, load_table
    from accord.definitions.predictive.logistic import scaling
    from accord.definitions.predictive.measures import (
        brier,
        calibration_error,
        reliability,
        roc_auc,
    )

    ids, table = load_table(workspace)
    converted = load_conversions(workspace, ids, TARGET_STAGES["sql"])
    d = prepare(table, converted, timezone.now().timestamp(), TrainingSettings())
    mean, scale = scaling(d.x_train)
    z_train, z_test = (d.x_train - mean) / scale, (d.x_test - mean) / scale
    order = np.argsort(table.created[d.train_rows], kind="stable")
    z_train, y_train = z_train[order], d.y_train[order]
    out = []
    for c in (0.01, 0.1, 1.0):
        base = LogisticRegression(C=c, max_iter=5000)
        candidates: list[tuple[str, Any]] = [(f"logistic C={c:g}", base)]
        if c == 0.01:
            for method in ("sigmoid", "isotonic"):
                calibrated = CalibratedClassifierCV(
                    LogisticRegression(C=c, max_iter=5000),
                    method=method,
                    cv=TimeSeriesSplit(n_splits=3),
                )
                candidates.append((f"C={c:g} + {method} calibration", calibrated))
        for name, estimator in candidates:
            p = estimator.fit(z_train, y_train).predict_proba(z_test)[:, 1]
            ece = calibration_error(reliability(d.y_test, p))
            out.append((name, roc_auc(d.y_test, p), brier(d.y_test, p), ece))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--calibration", action="store_true", help="compare calibration methods")
    args = parser.parse_args()
    workspace = _setup(args.contacts)
    version = activate_demo_definition(workspace)
    from accord.definitions.predictive.services import predictive_train
    from accord.identity.actor import Actor, Source

    started = time.perf_counter()
    model = predictive_train(Actor.system(workspace, Source.SYSTEM))
    total = time.perf_counter() - started
    m = model.metrics
    print(f"contacts: {m['contacts_scored']:,}; active lead definition v{version}")
    print(f"train / test contacts: {m['n_train']:,} / {m['n_test']:,}")
    print(f"converted train / test: {m['positives_train']:,} / {m['positives_test']:,}")
    print(f"base rate train / test: {m['base_rate_train']:.4f} / {m['base_rate_test']:.4f}")
    print(f"test AUC: {m['auc']:.3f} (95% CI {m['auc_ci'][0]:.3f} to {m['auc_ci'][1]:.3f})")
    print(f"rule score AUC: {m['rule_auc']:.3f}")
    print(f"difference: {m['auc_difference']:+.3f} {m['auc_difference_ci']}")
    print(f"Brier: {m['brier']:.4f} (base rate alone {m['brier_base_rate']:.4f})")
    print(f"calibration error: {m['calibration_error']:.4f}; C={m['C']:g}")
    print(f"training (split, features, C search, fit): {m['train_seconds']:.2f} s")
    print(f"predictive_train end to end (load, train, score, write): {total:.2f} s")
    print(f"verdict: {m['verdict_text']}")
    if args.calibration:
        print("\nmethod                           AUC    Brier   calibration error")
        for name, auc, brier_score, ece in calibration_comparison(workspace):
            print(f"{name:<32} {auc:.3f}  {brier_score:.4f}  {ece:.4f}")


if __name__ == "__main__":
    sys.exit(main())
