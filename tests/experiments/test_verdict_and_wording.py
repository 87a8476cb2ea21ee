"""Which p-value a verdict rests on, and how the results write their numbers.

While an experiment runs people look at it every day, so its verdict rests on the always-valid
(mSPRT) p-value, Holm-adjusted in the same two families as the fixed-horizon one; once it has
stopped, on the fixed-horizon p-value. The figures are checked against statsmodels, scipy and
the mSPRT's closed form. Money shows with two decimals and the workspace's currency symbol, a
p-value the same way in the reading and under it, a near-certain chance as "> 99.9%"."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from accord.experiments import results as results_module
from accord.experiments import services
from accord.experiments.formatting import chance_text, money_text, p_text
from accord.experiments.models import Experiment
from accord.experiments.outcomes import VariantOutcome
from accord.experiments.presentation import results_document
from accord.experiments.results import experiment_results
from accord.identity.actor import Actor
from accord.identity.models import Membership, Workspace

pytestmark = pytest.mark.django_db

VARIANTS = [
    {"key": "a", "name": "Script A", "is_control": True},
    {"key": "b", "name": "Script B"},
    {"key": "c", "name": "Script C"},
]


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def running(actor: Actor, **values: Any) -> Experiment:
    draft = services.experiment_create(actor=actor, values={
        "key": "script-test", "name": "Script test", "hypothesis": "Pains first helps.",
        "subject": "call_script", "assignment": "recorded", "variants": VARIANTS, **values,
    })  # fmt: skip
    return services.experiment_start(actor=actor, experiment_id=draft.pk)


def with_outcomes(monkeypatch: pytest.MonkeyPatch, fill: dict[str, dict[str, Any]]) -> None:
    """The results read these outcomes per variant key instead of the ledger's: counts for
    rates ({metric: (successes, trials)}), values for means ({metric: [..]})."""

    def fake(experiment: Experiment) -> list[VariantOutcome]:
        found = []
        for variant in sorted(experiment.variants.all(), key=lambda v: (not v.is_control, v.pk)):
            outcome = VariantOutcome(variant)
            for metric, value in fill[variant.key].items():
                if isinstance(value, tuple):
                    outcome.successes[metric], outcome.trials[metric] = value
                else:
                    outcome.values[metric] = list(value)
                    outcome.before[metric] = [0.0] * len(value)
            outcome.assigned = max([*outcome.trials.values(), *map(len, outcome.values.values())])
            found.append(outcome)
        return found

    monkeypatch.setattr(results_module, "outcomes", fake)


def msprt_p(theta: float, variance: float, tau: float) -> float:
    """The always-valid p-value at one look, written out from Johari et al. (2017)."""
    likelihood_ratio = math.sqrt(variance / (variance + tau**2)) * math.exp(
        tau**2 * theta**2 / (2 * variance * (variance + tau**2))
    )
    return min(1.0, 1 / likelihood_ratio)


def rate_msprt(control: tuple[int, int], treatment: tuple[int, int]) -> float:
    (xc, nc), (xt, nt) = control, treatment
    pooled = (xc + xt) / (nc + nt)
    variance = pooled * (1 - pooled) * (1 / nc + 1 / nt)
    return msprt_p(xt / nt - xc / nc, variance, tau=0.1 * xc / nc)


# SQL: B is borderline (the z-test says yes, the always-valid p no), C clearly better.
COUNTS = {
    "a": {"sql_rate": (100, 1000), "won_rate": (50, 1000)},
    "b": {"sql_rate": (135, 1000), "won_rate": (65, 1000)},
    "c": {"sql_rate": (250, 1000), "won_rate": (70, 1000)},
}


def test_a_running_experiments_verdict_rests_on_the_always_valid_p(
    workspace: Workspace, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment = running(actor, primary_metric="sql_rate", guardrails=["won_rate"])
    with_outcomes(monkeypatch, COUNTS)
    results = experiment_results(experiment)
    sql, won = results.metrics
    b, c = sql.comparisons
    # B's z-test p-value is below 0.05 even after Holm: the fixed-horizon rule called it
    # better on a running experiment. Its always-valid p-value is not: no verdict yet.
    assert (b.verdict, c.verdict) == ("inconclusive", "better")
    assert results.verdict_basis == "always_valid_p"

    # The figures: statsmodels' z-test and Holm, the mSPRT's closed form.
    fixed = [proportions_ztest([COUNTS[k]["sql_rate"][0], 100], [1000, 1000])[1] for k in "bc"]
    assert [b.test.p_value, c.test.p_value] == pytest.approx(fixed, rel=1e-9)  # type: ignore[union-attr]
    assert [b.adjusted_p, c.adjusted_p] == pytest.approx(
        list(multipletests(fixed, method="holm")[1]), rel=1e-9
    )
    always = [rate_msprt(COUNTS["a"]["sql_rate"], COUNTS[k]["sql_rate"]) for k in "bc"]
    assert [b.always_valid_p, c.always_valid_p] == pytest.approx(always, rel=1e-9)
    assert [b.adjusted_always_valid_p, c.adjusted_always_valid_p] == pytest.approx(
        list(multipletests(always, method="holm")[1]), rel=1e-9
    )
    # The guardrails are their own family, for the always-valid p-values too.
    guard = [rate_msprt(COUNTS["a"]["won_rate"], COUNTS[k]["won_rate"]) for k in "bc"]
    adjusted_guard = list(multipletests(guard, method="holm")[1])
    assert [x.adjusted_always_valid_p for x in won.comparisons] == pytest.approx(
        adjusted_guard, rel=1e-9
    )
    assert (
        f"always-valid p = {guard[0]:.3g} ({adjusted_guard[0]:.3g} adjusted for the other "
        "guardrail comparisons)" in won.comparisons[0].reading
    )

    # B: significant at a fixed horizon (what the old rule read), not yet always-valid.
    assert b.adjusted_p is not None and b.adjusted_p < 0.05
    assert b.adjusted_always_valid_p is not None and b.adjusted_always_valid_p > 0.05
    assert (b.verdict, b.verdict_basis) == ("inconclusive", "always_valid_p")
    assert b.reading.endswith(
        " — no clear difference (verdict on the always-valid p, safe to read while the "
        "experiment runs)."
    )
    assert (c.verdict, c.verdict_basis) == ("better", "always_valid_p")
    document = results_document(results)
    assert document["verdict_basis"] == "always_valid_p"
    first = document["metrics"][0]["comparisons"][0]
    assert (first["verdict"], first["verdict_basis"]) == ("inconclusive", "always_valid_p")
    assert first["adjusted_always_valid_p"] == b.adjusted_always_valid_p

    # Once stopped, the fixed horizon has come: the z-test's adjusted p decides.
    services.experiment_stop(actor=actor, experiment_id=experiment.pk)
    experiment.refresh_from_db()
    stopped = experiment_results(experiment)
    b, c = stopped.metrics[0].comparisons
    assert stopped.verdict_basis == "fixed_horizon_p"
    assert (b.verdict, b.verdict_basis, c.verdict) == ("better", "fixed_horizon_p", "better")
    assert b.reading.endswith(
        " — better than the control (verdict on the fixed-horizon p, the experiment having "
        "stopped)."
    )


def test_the_reading_and_the_line_under_it_write_each_number_once_the_same_way(
    workspace: Workspace, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment = running(actor, primary_metric="sql_rate", guardrails=[])
    with_outcomes(monkeypatch, COUNTS)
    b, c = experiment_results(experiment).metrics[0].comparisons
    assert b.test is not None and c.test is not None
    p_b = b.test.p_value
    assert p_b is not None and b.always_valid_p is not None
    assert b.adjusted_p == p_b  # Holm: C's p-value, doubled, is still the smaller
    assert b.reading == (
        "Script B: 13.5% against 10.0% for the control, +35.0% (95 % interval "
        f"{(b.test.relative_uplift_interval.lower):+.1%} to "  # type: ignore[union-attr]
        f"{(b.test.relative_uplift_interval.upper):+.1%}); p = {p_b:.3g}; chance to beat "  # type: ignore[union-attr]
        f"the control {b.chance_to_beat:.1%}; always-valid p = {b.always_valid_p:.3g} — no "
        "clear difference (verdict on the always-valid p, safe to read while the experiment "
        "runs)."
    )
    assert b.details == (
        f"Difference +3.5 pp (95 % interval {100 * b.test.difference_interval.lower:+.1f} pp "  # type: ignore[union-attr]
        f"to {100 * b.test.difference_interval.upper:+.1f} pp) · chance to beat the control "  # type: ignore[union-attr]
        f"{b.chance_to_beat:.1%} · always-valid p = {b.always_valid_p:.3g}"
    )
    # C: a chance of 0.9999999… and p-values below 0.001, the same in both places.
    assert c.chance_to_beat is not None and c.chance_to_beat > 0.9999
    assert c.always_valid_p is not None and c.always_valid_p < 0.001
    for text in (c.reading, c.details):
        assert "chance to beat the control > 99.9%" in text
        assert "always-valid p < 0.001" in text
        assert "100%" not in text and "100.0%" not in text
    assert "; p < 0.001;" in c.reading  # adjusted, still below 0.001: said once


def euros(value: float) -> str:
    return f"{'-' if value < 0 else '+'}€{abs(value):,.2f}"


def test_the_page_shows_money_with_the_currency_and_two_decimals(
    workspace: Workspace, admin: Membership, actor: Actor, monkeypatch: pytest.MonkeyPatch,
    client: Client,
) -> None:  # fmt: skip
    workspace.default_currency = "EUR"
    workspace.save()
    rng = np.random.default_rng(7)
    revenue = {k: np.round(rng.normal(mean, 300, 200), 2) for k, mean in
               (("a", 800.0), ("b", 830.0), ("c", 1000.0))}  # fmt: skip
    experiment = running(actor, primary_metric="revenue_per_lead", guardrails=[])
    with_outcomes(monkeypatch, {k: {"revenue_per_lead": v} for k, v in revenue.items()})
    client.force_login(admin.user)
    page = client.get(reverse("web:experiment", kwargs={"key": experiment.key}))
    assert page.status_code == 200
    html = page.content.decode()

    b, c = experiment_results(experiment).metrics[0].comparisons
    welch = stats.ttest_ind(revenue["b"], revenue["a"], equal_var=False)
    low, high = welch.confidence_interval(0.95)
    difference = revenue["b"].mean() - revenue["a"].mean()
    assert b.test is not None and b.test.difference == pytest.approx(difference, rel=1e-9)
    assert b.test.p_value == pytest.approx(welch.pvalue, rel=1e-9)
    expected = (
        f"Difference {euros(difference)} (95 % interval {euros(low)} to {euros(high)}) · "
        f"chance to beat the control {chance_text(b.chance_to_beat or 0)} · "
        f"{p_text('always-valid p', b.always_valid_p or 1)}"
    )
    assert b.details == expected
    assert f'<p class="small muted comparison-details">{expected}</p>' in html
    assert b.reading.startswith(
        f"Script B: €{revenue['b'].mean():,.2f} per lead against €{revenue['a'].mean():,.2f} "
        "per lead for the control, "
    )
    assert b.reading in html.replace("&#x27;", "'")
    assert "chance to beat the control > 99.9%" in c.details and escape(c.details) in html
    assert f"Difference {euros(revenue['c'].mean() - revenue['a'].mean())} " in html


def test_numbers_are_written_one_way() -> None:
    assert money_text(187.8684, "USD", signed=True) == "+$187.87"
    assert money_text(-185.0953, "USD") == "-$185.10"
    assert money_text(797.6, "EUR") == "€797.60"
    assert money_text(1234567.891, "GBP") == "£1,234,567.89"
    assert money_text(797.6, "SEK") == "797.60 SEK"
    assert money_text(-0.001, "USD", signed=True) == "+$0.00"  # no "-$0.00"
    assert p_text("p", 0.027613) == "p = 0.0276"
    assert p_text("always-valid p", 0.000662) == "always-valid p < 0.001"
    assert p_text("p", 0.001) == "p = 0.001"
    assert p_text("p", 1.0) == "p = 1"
    assert chance_text(0.9999993) == "> 99.9%"
    assert chance_text(0.999) == "99.9%"
    assert chance_text(0.962) == "96.2%"
    assert chance_text(0.0000004) == "< 0.1%"
