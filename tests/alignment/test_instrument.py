"""The survey as a document: the default instrument (every sign, trait and area question of
the articles), item scoring on one 0-100 scale, and bad documents refused through the write
path with the field named and nothing written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from accord.alignment import services
from accord.alignment.instrument import (
    AREAS,
    DEFAULT_INSTRUMENT,
    Instrument,
    Item,
    item_score,
    valid_answer,
)
from accord.alignment.models import SurveyVersion
from accord.core.errors import PermissionDenied, ValidationFailed
from tests.alignment.conftest import THREE_ITEMS, Floor, as_actor, small_survey

pytestmark = pytest.mark.django_db


def test_the_default_survey_validates_and_round_trips() -> None:
    document = DEFAULT_INSTRUMENT.model_dump(mode="json")
    assert Instrument.model_validate(document) == DEFAULT_INSTRUMENT
    assert len(DEFAULT_INSTRUMENT.items) == 35
    assert len({i.key for i in DEFAULT_INSTRUMENT.items}) == 35


def test_every_item_has_an_area_and_every_source_is_present() -> None:
    items = DEFAULT_INSTRUMENT.items
    assert {i.area for i in items} == set(AREAS)
    assert Counter(i.origin for i in items) == {
        "signs_of_alignment": 7,
        "traits": 7,
        "signs_of_misalignment": 7,
        "four_areas": 14,
    }
    # The four areas' questions cover each of the four shared areas.
    assert {i.area for i in items if i.origin == "four_areas"} == {
        "shared_time",
        "shared_metrics",
        "shared_feedback",
        "shared_recognition",
    }
    # Every sign of misalignment is reverse-scored, and only those.
    assert {i.key for i in items if i.reverse} == {
        i.key for i in items if i.origin == "signs_of_misalignment"
    }
    assert {i.key for i in items if i.kind == "yes_no"} == {
        "regular_meetings",
        "marketing_in_sales_meetings",
        "joint_slas",
        "awards_shared",
    }


def test_item_score_maps_answers_onto_0_to_100() -> None:
    likert = Item(key="a", text="Statement a.", area="trust")
    reverse = Item(key="b", text="Statement b.", area="trust", reverse=True)
    yes_no = Item(key="c", text="Statement c.", area="trust", kind="yes_no")
    yes_no_reverse = Item(key="d", text="Statement d.", area="trust", kind="yes_no", reverse=True)
    assert [item_score(likert, v) for v in (1, 2, 3, 4, 5)] == [0, 25, 50, 75, 100]
    assert [item_score(reverse, v) for v in (1, 2, 3, 4, 5)] == [100, 75, 50, 25, 0]
    assert [item_score(yes_no, v) for v in (0, 1)] == [0, 100]
    assert [item_score(yes_no_reverse, v) for v in (0, 1)] == [100, 0]
    assert [v for v in range(-1, 7) if valid_answer(likert, v)] == [1, 2, 3, 4, 5]
    assert [v for v in range(-1, 7) if valid_answer(yes_no, v)] == [0, 1]


def test_survey_update_saves_a_valid_document(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor()
    version = services.survey_update(actor=floor.run, document=THREE_ITEMS, comment="short")
    assert (version.number, version.comment, version.author) == (1, "short", floor.manager.user)
    assert [i["key"] for i in version.document["items"]] == ["q1", "q2", "q3"]
    assert version.document["items"][1] == {
        "key": "q2", "text": "Statement q2.", "area": "shared_time", "kind": "likert",
        "reverse": True, "origin": "custom",
    }  # fmt: skip


def _refused(floor: Floor, document: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        services.survey_update(actor=floor.run, document=document)
    assert SurveyVersion.objects.for_workspace(floor.workspace).count() == 0
    return caught.value.fields


def test_duplicate_keys_are_refused_naming_the_field(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor()
    document = small_survey(("q1", "likert", False), ("q2", "likert", False),
                            ("q1", "yes_no", False))  # fmt: skip
    fields = _refused(floor, document)
    assert list(fields) == ["items"]
    assert "two items share the key 'q1'" in fields["items"][0]


def test_an_unknown_area_is_refused_naming_the_item(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor()
    document = small_survey(("q1", "likert", False), ("q2", "likert", False),
                            ("q3", "likert", False))  # fmt: skip
    document["items"][2]["area"] = "vibes"
    fields = _refused(floor, document)
    assert "'trust'" in fields["items.2.area"][0]
    # pydantic also counts the invalid item out of the tuple's length ("at least 3 items
    # after validation, not 2"); the item's own field is the one that names the fault.
    assert set(fields) <= {"items.2.area", "items"}


def test_too_few_items_and_bad_fields_are_refused(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor()
    too_few = _refused(floor, small_survey(("q1", "likert", False), ("q2", "likert", False)))
    assert too_few == {"items": ["Tuple should have at least 3 items after validation, not 2"]}
    document = small_survey(("q1", "likert", False), ("q2", "likert", False),
                            ("Q 3", "stars", False))  # fmt: skip
    fields = _refused(floor, document)
    assert (
        {"items.2.key", "items.2.kind"} <= set(fields) <= {"items.2.key", "items.2.kind", "items"}
    )
    assert list(_refused(floor, {**THREE_ITEMS, "colour": "red"})) == ["colour"]
    assert list(_refused(floor, "not a document")) == ["document"]


def test_only_survey_runners_edit_the_survey(make_floor: Callable[..., Floor]) -> None:
    floor = make_floor(sales=1, marketing=1)
    for who in (floor.sales[0], floor.marketing[0], floor.viewer):
        with pytest.raises(PermissionDenied):
            services.survey_update(actor=as_actor(who), document=THREE_ITEMS)
    assert SurveyVersion.objects.for_workspace(floor.workspace).count() == 0
    assert services.survey_update(actor=as_actor(floor.admin), document=THREE_ITEMS).number == 1
