"""The alignment survey as a document: items, each tagged with the area it measures, validated
and versioned. The default instrument turns the signs and traits of aligned (and misaligned)
sales and marketing teams, and the four areas' questions, into Likert and yes/no items.

A Likert item is answered 1 (strongly disagree) to 5 (strongly agree); a yes/no item 1 (yes)
or 0 (no). An item written as a sign of misalignment is `reverse`: agreeing scores low. Every
item is scored 0-100 (see `item_score`), so areas and teams compare on one scale.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION: Literal[1] = 1
Area = Literal["shared_time", "shared_metrics", "shared_feedback", "shared_recognition", "trust"]
AREAS: dict[str, str] = {
    "shared_time": "Shared time",
    "shared_metrics": "Shared metrics and goals",
    "shared_feedback": "Shared feedback loops",
    "shared_recognition": "Shared recognition",
    "trust": "Trust and open communication",
}
Kind = Literal["likert", "yes_no"]
Origin = Literal["signs_of_alignment", "traits", "signs_of_misalignment", "four_areas", "custom"]


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_]{0,59}$")
    text: str = Field(min_length=5, max_length=300)
    area: Area
    kind: Kind = "likert"
    reverse: bool = False  # a sign of misalignment: agreeing is bad
    origin: Origin = "custom"


class Instrument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    items: tuple[Item, ...] = Field(min_length=3, max_length=80)

    @field_validator("items")
    @classmethod
    def _unique_keys(cls, items: tuple[Item, ...]) -> tuple[Item, ...]:
        seen: set[str] = set()
        for item in items:
            if item.key in seen:
                raise ValueError(f"two items share the key '{item.key}'")
            seen.add(item.key)
        return items

    def item(self, key: str) -> Item:
        return next(i for i in self.items if i.key == key)


def valid_answer(item: Item, value: int) -> bool:
    return value in ((0, 1) if item.kind == "yes_no" else (1, 2, 3, 4, 5))


def item_score(item: Item, value: float) -> float:
    """0-100, higher is better aligned: Likert 1..5 maps to 0..100, yes/no to 100/0, and a
    reverse item is mirrored."""
    score = value * 100 if item.kind == "yes_no" else (value - 1) * 25
    return 100 - score if item.reverse else score


def _i(key: str, text: str, area: Area, origin: Origin, *, kind: Kind = "likert",
       reverse: bool = False) -> Item:  # fmt: skip
    return Item(key=key, text=text, area=area, kind=kind, reverse=reverse, origin=origin)


_SIGNS: Origin = "signs_of_alignment"
_TRAITS: Origin = "traits"
_MISALIGNED: Origin = "signs_of_misalignment"
_AREAS: Origin = "four_areas"

DEFAULT_ITEMS: tuple[Item, ...] = (
    # The seven signs of aligned teams.
    _i("same_goals", "Sales and marketing work toward the same goals and the same vision.",
       "shared_metrics", _SIGNS),
    _i("open_communication", "When we disagree with the other team, we say so openly and "
       "honestly.", "trust", _SIGNS),
    _i("want_to_work_together", "I want to work with the other team; it is not a chore.",
       "trust", _SIGNS),
    _i("trust_each_other", "I trust the other team to do its part well.", "trust", _SIGNS),
    _i("learn_together", "We test and improve together, and share failures as well as "
       "successes.", "shared_feedback", _SIGNS),
    _i("beyond_work", "I know people on the other team beyond work (lunch, events).",
       "shared_time", _SIGNS),
    _i("closing_more", "Working together is helping us close more deals and keep customers.",
       "shared_metrics", _SIGNS),
    # The seven traits of aligned teams.
    _i("know_next_step", "When marketing hands over a lead, sales knows exactly what happens "
       "next and when.", "shared_feedback", _TRAITS),
    _i("shared_ownership", "Both teams feel shared ownership of pursuing and qualifying leads.",
       "shared_metrics", _TRAITS),
    _i("sales_feedback", "Sales shares feedback with marketing directly and in a way that "
       "strengthens the relationship.", "shared_feedback", _TRAITS),
    _i("crm_not_a_burden", "Marketing spares sales needless data entry and keeps the CRM easy "
       "to use.", "shared_feedback", _TRAITS),
    _i("no_us_vs_them", "There is no sense of 'us versus them'; the teams are accountable to "
       "each other.", "trust", _TRAITS),
    _i("marketing_feedback", "Marketing shares questions and ideas with sales in a way that "
       "deepens the partnership.", "shared_feedback", _TRAITS),
    _i("regular_meetings", "The two teams have regular, scheduled meetings together.",
       "shared_time", _TRAITS, kind="yes_no"),
    # The seven signs of misalignment (agreeing scores low).
    _i("leads_garbage", "The leads sales gets from marketing are garbage.", "shared_feedback",
       _MISALIGNED, reverse=True),
    _i("no_time_for_crm", "Sales has no time for what the CRM asks of them.",
       "shared_feedback", _MISALIGNED, reverse=True),
    _i("crm_skipped", "Sales skips steps in the CRM or fills it in at a bare minimum.",
       "shared_feedback", _MISALIGNED, reverse=True),
    _i("crm_misused", "Marketing complains that sales does not use the CRM as meant.",
       "shared_feedback", _MISALIGNED, reverse=True),
    _i("no_follow_through", "Sales does not follow through on the leads marketing provides.",
       "shared_metrics", _MISALIGNED, reverse=True),
    _i("own_leads_only", "Salespeople only work their own leads.", "shared_metrics",
       _MISALIGNED, reverse=True),
    _i("finger_pointing", "There is finger-pointing between the teams about lead quality and "
       "follow-up.", "trust", _MISALIGNED, reverse=True),
    # The four areas' questions.
    _i("meeting_cadence", "Our joint meeting cadence is frequent enough.", "shared_time",
       _AREAS),
    _i("marketing_in_sales_meetings", "Marketing sits in on sales team meetings or customer "
       "meetings.", "shared_time", _AREAS, kind="yes_no"),
    _i("enablement_plan", "Marketing trains sales to use its assets and has a sales "
       "enablement plan.", "shared_time", _AREAS),
    _i("common_metrics", "Both teams are measured on common metrics that matter.",
       "shared_metrics", _AREAS),
    _i("joint_slas", "There are joint SLAs each team agrees to deliver for the other.",
       "shared_metrics", _AREAS, kind="yes_no"),
    _i("shared_dashboard", "Both teams report from the same dashboard.", "shared_metrics",
       _AREAS),
    _i("visibility_into_marketing", "Sales can see a prospect's interactions with marketing.",
       "shared_feedback", _AREAS),
    _i("calendar_known", "Sales knows the marketing calendar.", "shared_feedback", _AREAS),
    _i("assets_folder", "Sales can easily find the marketing assets to use with prospects.",
       "shared_feedback", _AREAS),
    _i("roi_measured", "We can measure marketing's contribution to revenue.",
       "shared_feedback", _AREAS),
    _i("contribution_recognised", "Marketing's contribution is recognised when major deals "
       "are announced.", "shared_recognition", _AREAS),
    _i("celebrate_together", "Sales invites marketing to celebrate wins.",
       "shared_recognition", _AREAS),
    _i("awards_shared", "Awards and incentives (top performer, club) extend to marketing.",
       "shared_recognition", _AREAS, kind="yes_no"),
    _i("compensated_alike", "Marketing is rewarded on performance in a way similar to sales.",
       "shared_recognition", _AREAS),
)  # fmt: skip
DEFAULT_INSTRUMENT = Instrument(items=DEFAULT_ITEMS)
