"""The readable diff between two versions."""

from __future__ import annotations

from accord.definitions.diff import diff_documents
from accord.definitions.document import dump_document, parse_document
from accord.definitions.tests.factories import sample_document


def normalised(**overrides: object) -> dict[str, object]:
    return dump_document(parse_document(sample_document(**overrides)))


def test_first_version_and_no_change() -> None:
    assert diff_documents(None, normalised()) == ["First version."]
    assert diff_documents(normalised(), normalised()) == ["No changes."]


def test_rules_thresholds_and_settings_in_plain_words() -> None:
    old = normalised()
    new_rules = [
        {**old["fit_rules"][0], "points": 25},  # type: ignore[index]
        {"id": "de", "attribute": "country", "operator": "equals", "value": "DE", "points": 5},
    ]
    new = normalised(
        fit_rules=new_rules,
        mql={"matrix": {"A": 10}},
        demote_below=True,
        negative_signals={"unsubscribe": -10},
    )
    assert diff_documents(old, new) == [
        "Changed fit rule 'senior': points 20 → 25.",
        "Added fit rule 'de'.",
        "Removed fit rule 'size'.",
        "Changed MQL threshold engagement_min: 10 → none.",
        "Changed MQL threshold fit_min: 20 → none.",
        "Changed MQL threshold matrix: none → {A: 10}.",
        "Changed negative signal unsubscribe: 0 → -10.",
        "Changed demote below threshold: no → yes.",
    ]
