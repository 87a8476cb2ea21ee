"""The predictive score's pure parts: features as of the prediction point, the JSON model and
its factors, the time split, the refusal on thin history, and the verdict."""

from __future__ import annotations

import json

import numpy as np
import pytest

from accord.definitions.document import parse_document
from accord.definitions.predictive.features import (
    DAY,
    OTHER,
    UNKNOWN,
    ContactTable,
    FeatureSpec,
    categories,
    describe,
    event_counts,
    feature_matrix,
    fit_spec,
    prediction_points,
)
from accord.definitions.predictive.fitting import (
    NotEnoughHistory,
    TrainingSettings,
    predict,
    rule_scores_at,
    train,
    verdict,
)
from accord.definitions.predictive.logistic import LogisticModel, fit_logistic, top_factors
from accord.definitions.scoring import ContactColumns, EventColumns

T0 = 1_700_000_000.0


def table_of(
    attributes: dict[str, list[str]],
    created: list[float],
    events: list[tuple[int, str, float]] = (),  # type: ignore[assignment]
) -> ContactTable:
    n = len(created)
    contacts = ContactColumns(
        size=n,
        attributes={k: np.array(v, dtype=np.str_) for k, v in attributes.items()},
        email_domain=np.array(["example.com"] * n, dtype=np.str_),
    )
    return ContactTable(
        created=np.array(created, dtype=np.float64),
        contacts=contacts,
        events=EventColumns.of(
            contact_index=np.array([e[0] for e in events], dtype=np.int64),
            kind=np.array([e[1] for e in events], dtype=np.str_),
            timestamp=np.array([e[2] for e in events], dtype=np.float64),
            campaign_id=np.full(len(events), -1, dtype=np.int64),
            utm_content=np.array([""] * len(events), dtype=np.str_),
        ),
    )


# Features ---------------------------------------------------------------------------------
def test_categories_normalise_bucket_and_find_the_first_touch() -> None:
    table = table_of(
        {
            "seniority": ["VP ", "", "manager"],
            "company.employee_count": ["49", "50", ""],
            "original_source": ["referral", "referral", "email"],
        },
        [T0, T0, T0],
        [
            (0, "touchpoint:webinar", T0 + 3600),
            (0, "touchpoint:form_fill", T0 + 60),
            (1, "activity:call", T0 + 60),
            (2, "touchpoint:ad_click", T0 + 9 * DAY),  # after its 7-day prediction point
        ],
    )
    values = categories(table, prediction_points(table.created, 7, T0 + 100 * DAY))
    assert values["seniority"].tolist() == ["vp", UNKNOWN, "manager"]
    assert values["company.size"].tolist() == ["1-49", "50-249", UNKNOWN]
    assert values["first_touch"].tolist() == ["form_fill", "(none)", "(none)"]
    assert values["department"].tolist() == [UNKNOWN] * 3


def test_events_after_the_prediction_point_are_not_counted() -> None:
    table = table_of(
        {},
        [T0, T0 + 5 * DAY],
        [
            (0, "touchpoint:webinar", T0 + 1 * DAY),
            (0, "touchpoint:webinar", T0 + 6.9 * DAY),
            (0, "touchpoint:webinar", T0 + 7.1 * DAY),
            (1, "activity:call", T0 + 6 * DAY),
            (1, "activity:call", T0 + 8 * DAY),  # after `as_of`, the second one's cut-off
        ],
    )
    points = prediction_points(table.created, 7, as_of=T0 + 7.5 * DAY)
    assert points.tolist() == [T0 + 7 * DAY, T0 + 7.5 * DAY]
    counts = event_counts(table, points, ["touchpoint:webinar", "activity:call"])
    assert counts.tolist() == [[2, 0], [0, 1]]


def test_rare_levels_share_other_and_unseen_levels_fall_into_it() -> None:
    sources = ["referral"] * 5 + ["email"] * 5 + ["event"]
    train_table = table_of({"original_source": sources}, [T0] * 11)
    points = train_table.created + 7 * DAY
    rows = np.arange(11, dtype=np.int64)
    spec = fit_spec(train_table, points, rows, observation_days=7, min_count=5)
    assert spec.levels["original_source"] == ["email", "referral", OTHER]
    assert spec.levels["seniority"] == [UNKNOWN]
    later = table_of({"original_source": ["partner", "email"]}, [T0, T0])
    x = feature_matrix(spec, later, later.created + 7 * DAY)
    at = spec.names.index
    assert x[0, at("original_source=(other)")] == 1.0
    assert x[1, at("original_source=email")] == 1.0
    assert x[:, at("original_source=referral")].tolist() == [0.0, 0.0]
    assert FeatureSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_take_reindexes_the_events() -> None:
    table = table_of(
        {"seniority": ["a", "b", "c"]},
        [T0, T0 + 1, T0 + 2],
        [(0, "activity:call", T0), (2, "activity:note", T0), (2, "activity:call", T0)],
    )
    part = table.take(np.array([2, 0], dtype=np.int64))
    assert part.contacts.column("seniority").tolist() == ["c", "a"]
    events = zip(part.events.contact_index.tolist(), part.events.kind.tolist(), strict=True)
    assert sorted(events) == [
        (0, "activity:call"),
        (0, "activity:note"),
        (1, "activity:call"),
    ]


def test_descriptions_read_as_sentences() -> None:
    assert describe("original_source=referral", 1.0, 7) == "original source is referral"
    assert describe("original_source=referral", 0.0, 7) == "original source is not referral"
    assert describe("count:touchpoint:webinar", float(np.log1p(3)), 7) == (
        "3 webinar touchpoints in the first 7 days"
    )
    assert describe("count:activity:call", float(np.log1p(1)), 14) == (
        "1 call activity in the first 14 days"
    )


# The JSON model ---------------------------------------------------------------------------
def _fitted() -> tuple[LogisticModel, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.random(400) < 0.3, rng.poisson(2, 400), rng.normal(size=400)])
    logit = -1.0 + 1.5 * x[:, 0] + 0.4 * x[:, 1]
    y = rng.random(400) < 1 / (1 + np.exp(-logit))
    x = x.astype(np.float64)
    return fit_logistic(x, y, ["a", "b", "noise"], c=1.0), x, y


def test_json_model_scores_like_scikit_learn() -> None:
    from sklearn.linear_model import LogisticRegression

    model, x, y = _fitted()
    stored = LogisticModel.from_json(json.loads(json.dumps(model.to_json())))
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    reference = LogisticRegression(C=1.0, max_iter=5000, tol=1e-8).fit(z, y)
    assert stored.probability(x) == pytest.approx(reference.predict_proba(z)[:, 1], abs=1e-6)
    assert model.coef[0] > 0.5  # the planted effects are found
    assert abs(model.coef[2]) < model.coef[0]


def test_all_factors_and_the_intercept_sum_to_the_logit() -> None:
    model, x, _y = _fitted()
    contributions = model.contributions(x)
    assert contributions.sum(axis=1) + model.intercept == pytest.approx(model.logit(x))
    factors = top_factors(model, x[7], k=3)
    assert [f.feature for f in factors] == [
        model.features[i] for i in np.argsort(-np.abs(contributions[7]))
    ]
    assert [f.contribution for f in factors] == pytest.approx(
        sorted(contributions[7].tolist(), key=abs, reverse=True)
    )
    assert sum(f.contribution for f in factors) + model.intercept == pytest.approx(
        float(model.logit(x[7:8])[0])
    )
    assert factors[0].value == x[7, model.features.index(factors[0].feature)]


def test_from_json_refuses_mismatched_lengths() -> None:
    model, _x, _y = _fitted()
    data = model.to_json() | {"coef": [1.0]}
    with pytest.raises(ValueError, match="one value per feature"):
        LogisticModel.from_json(data)


# Training -----------------------------------------------------------------------------------
def synthetic_history(n: int = 3000, seed: int = 11) -> tuple[ContactTable, np.ndarray, float]:
    """Contacts over 300 days: referrals convert often, paid social rarely; converters also
    book a meeting within their first days. Conversions happen 10-40 days after creation."""
    rng = np.random.default_rng(seed)
    created = np.sort(rng.uniform(T0, T0 + 300 * DAY, n))
    source = rng.choice(["referral", "paid_social", "email"], n, p=[0.2, 0.4, 0.4])
    rate = np.select([source == "referral", source == "paid_social"], [0.45, 0.05], 0.15)
    converts = rng.random(n) < rate
    converted_at = np.where(converts, created + rng.uniform(10, 40, n) * DAY, np.nan)
    events = [
        (i, "activity:meeting", created[i] + 2 * DAY)
        for i in np.nonzero(converts & (rng.random(n) < 0.5))[0]
    ]
    events += [(i, "touchpoint:web_visit", created[i] + DAY) for i in range(0, n, 3)]
    table = table_of(
        {"original_source": source.tolist(), "seniority": ["vp"] * n}, created.tolist(), events
    )
    return table, converted_at, T0 + 400 * DAY


def test_training_splits_by_time_and_finds_the_signal() -> None:
    table, converted_at, as_of = synthetic_history()
    result = train(table, converted_at, as_of, TrainingSettings(observation_days=7))
    m = result.metrics
    assert m["n_train"] + m["n_test"] == m["n_eligible"]
    assert m["n_test"] == pytest.approx(0.3 * m["n_eligible"], abs=2)
    assert m["train_period"][1] == m["split_at"] == m["test_period"][0]
    assert m["auc"] > 0.75
    assert m["auc_ci"][0] < m["auc"] < m["auc_ci"][1]
    assert m["brier"] < m["brier_base_rate"]
    assert sum(b["n"] for b in m["reliability"]) == m["n_test"]
    assert m["verdict"] == "no_rule"
    assert m["rule_auc"] is None
    top = {c["feature"] for c in m["top_coefficients"][:3]}
    assert "count:activity:meeting" in top
    assert "original_source=referral" in top or "original_source=paid_social" in top


def test_parameters_are_plain_json_and_score_the_same() -> None:
    table, converted_at, as_of = synthetic_history()
    result = train(table, converted_at, as_of)
    stored = json.loads(json.dumps(result.parameters))
    assert stored["format"] == "accord-logistic-v1"
    assert stored["target_stages"] == ["sql", "opportunity", "customer"]
    assert len(stored["features"]) == len(stored["coef"]) == len(stored["mean"])
    points = table.created + 7 * DAY
    expected = result.model.probability(feature_matrix(result.spec, table, points))
    assert predict(stored, table, as_of) == pytest.approx(expected)


def test_contacts_converted_before_their_prediction_point_are_left_out() -> None:
    table, converted_at, as_of = synthetic_history()
    early = converted_at <= table.created + 14 * DAY
    resolved = table.created + 90 * DAY <= as_of
    result = train(table, converted_at, as_of, TrainingSettings(observation_days=14))
    assert int((early & resolved).sum()) > 0
    assert result.metrics["excluded_converted_early"] == int((early & resolved).sum())
    assert result.metrics["n_eligible"] == int((resolved & ~early).sum())


def test_too_few_converters_is_refused() -> None:
    table, converted_at, as_of = synthetic_history(n=300)
    with pytest.raises(NotEnoughHistory, match=r"at least 20 and 10 are needed"):
        train(table, np.where(np.arange(300) % 40 == 0, converted_at, np.nan), as_of)


def test_no_resolved_contacts_is_refused() -> None:
    table, converted_at, _as_of = synthetic_history(n=100)
    with pytest.raises(NotEnoughHistory, match="No contacts old enough"):
        train(table, converted_at, as_of=T0 + 50 * DAY)


def test_rule_score_is_taken_at_each_contacts_prediction_point() -> None:
    doc = parse_document(
        {
            "schema_version": 1,
            "engagement_rules": [
                {"id": "calls", "source": "activity", "type": "call", "points": 10}
            ],
            "half_life_days": 7,
            "mql": {"fit_min": 0, "engagement_min": 5},
        }
    )
    table = table_of(
        {},
        [T0, T0 + 100 * DAY],
        [
            (0, "activity:call", T0),  # 7 days old at the point: one half-life
            (0, "activity:call", T0 + 8 * DAY),  # after the point
            (1, "activity:call", T0 + 107 * DAY),  # exactly at the point: full points
        ],
    )
    scores = rule_scores_at(doc, table, table.created + 7 * DAY)
    assert scores.tolist() == pytest.approx([5.0, 10.0])


def test_rule_comparison_and_verdicts() -> None:
    table, converted_at, as_of = synthetic_history()

    def weak_rule(part: ContactTable, points: np.ndarray) -> np.ndarray:
        return (part.contacts.column("original_source") == "referral").astype(np.float64)

    result = train(table, converted_at, as_of, rule=weak_rule, rule_version=4)
    m = result.metrics
    assert m["rule_definition_version"] == 4
    assert 0.5 < m["rule_auc"] < m["auc"]
    assert m["auc_difference"] == pytest.approx(m["auc"] - m["rule_auc"], abs=1e-3)
    assert m["verdict"] == "better"
    assert "better than the rule score" in m["verdict_text"]
    base = {"auc": 0.7, "auc_ci": [0.65, 0.75], "rule_auc": 0.69, "rule_definition_version": 2}
    assert verdict(base | {"auc_difference": 0.01, "auc_difference_ci": [-0.02, 0.04]})[0] == (
        "no_better"
    )
    assert verdict(base | {"auc_difference": -0.1, "auc_difference_ci": [-0.15, -0.05]})[0] == (
        "worse"
    )
    assert verdict(base | {"auc_ci": [0.45, 0.75]})[0] == "chance"
