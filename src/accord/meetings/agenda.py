"""The agenda of a joint meeting, generated from what changed since the last meeting.

The window is [since, until): `until` is the meeting's time and `since` the time the previous
meeting was held, or 7 days before when there is none. The agenda is a JSON document
(`schema_version` 1) of sections in a fixed order, each with a `count` and its `items`; every
item has a `text`, a `count` where one applies and a `link` (a page of Accord, '' when none):

1. `sla_breaches`: sales' first-touch breaches (handoffs whose `breached_at` falls in the
   window), one item per owner; and marketing's lead volume against each target of the active
   SLA agreement, in the month or quarter containing `until` (MQLs so far against the target
   pro rata of the period's days; behind when below 95 % of that, as the SLA report says).
2. `rejection_spikes`: rejections decided in the window per (source, reason) against the four
   windows of the same length before it. A spike is a count of at least 3 that is at least
   twice the average of those four windows. Every pair rejected in the window is listed, the
   spikes first (`spike` true), so that a steady reason is visible as steady.
3. `goal_pacing`: the stages (and revenue) of the goals containing the meeting's day (or today,
   for a meeting still ahead) that are behind their pace (`metrics.planning.dashboard_goals`).
4. `experiments_concluded`: experiments whose learning was recorded in the window, with their
   decision.
5. `awaiting_approval`: lead definition versions and SLA agreements proposed (or approved and
   not yet active), whatever their age: they wait for someone.
6. `action_items`: open items due before the meeting's day (`overdue`), then the other open
   items raised in earlier meetings (carried over).

Other contexts are read through their models and selectors only; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode

from accord.core.channels import Channel
from accord.crm.models import LedgerEntry
from accord.definitions.models import DefinitionStatus, LeadDefinition
from accord.experiments.models import Learning
from accord.handoff.agreements import active_agreement
from accord.handoff.models import Handoff, HandoffStatus, SlaAgreement
from accord.handoff.reports import segment_filter, sla_in_force_since
from accord.identity.models import User
from accord.meetings.models import ActionItem, ActionStatus, Meeting, MeetingStatus
from accord.meetings.schedule import local_day

SCHEMA_VERSION = 1
DEFAULT_WINDOW = dt.timedelta(days=7)
SPIKE_MIN_COUNT = 3
SPIKE_FACTOR = 2.0
SPIKE_HISTORY_WINDOWS = 4
SPIKE_RULE = (
    f"a spike is at least {SPIKE_MIN_COUNT} rejections for one source and reason in the window "
    f"and at least {SPIKE_FACTOR:g} times their average over the {SPIKE_HISTORY_WINDOWS} "
    "windows of the same length before it"
)
VOLUME_RULE = "behind when the MQLs so far are below 95 % of the target pro rata of the period"
AWAITING = (DefinitionStatus.PROPOSED, DefinitionStatus.APPROVED)

Item = dict[str, Any]
Section = dict[str, Any]


def _link(name: str, args: Iterable[Any] = (), params: dict[str, str] | None = None) -> str:
    try:
        url = reverse(name, args=list(args))
    except NoReverseMatch:  # a deployment without the web app
        return ""
    return f"{url}?{urlencode(params)}" if params else url


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def agenda_window(meeting: Meeting) -> tuple[dt.datetime, dt.datetime]:
    """[since, until): from the previous held meeting (or 7 days before) to this one."""
    until = meeting.scheduled_at
    previous = (
        Meeting.objects.for_workspace(meeting.workspace_id)
        .filter(status=MeetingStatus.HELD, scheduled_at__lt=until, held_at__lt=until)
        .exclude(pk=meeting.pk)
        .order_by("-held_at")
        .values_list("held_at", flat=True)
        .first()
    )
    return (previous or until - DEFAULT_WINDOW), until


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=wanted)}


def _section(key: str, title: str, items: list[Item], *, count: int | None = None,
             **extra: Any) -> Section:  # fmt: skip
    return {"key": key, "title": title, "count": len(items) if count is None else count,
            "items": items, **extra}  # fmt: skip


# 1. SLA breaches ---------------------------------------------------------------------------


def _first_touch_breaches(workspace_id: int, since: dt.datetime, until: dt.datetime) -> list[Item]:
    per_owner = Counter(
        Handoff.objects.for_workspace(workspace_id)
        .filter(breached_at__gte=since, breached_at__lt=until)
        .values_list("owner_id", flat=True)
    )
    names = _names(per_owner)
    link = _link("web:sla_report")
    items = [
        {"kind": "first_touch", "owner_id": owner, "count": n, "link": link,
         "owner": names.get(owner, "Fallback queue") if owner else "Fallback queue",
         "text": ""}
        for owner, n in per_owner.items()
    ]  # fmt: skip
    for item in items:
        plural = "es" if item["count"] != 1 else ""
        item["text"] = f"{item['owner']}: {item['count']} first-touch SLA breach{plural}"
    return sorted(items, key=lambda i: (-i["count"], i["owner"]))


def _period_of(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """The month or quarter containing `day`: [first day, first day of the next)."""
    month = day.month if period == "month" else ((day.month - 1) // 3) * 3 + 1
    first = dt.date(day.year, month, 1)
    step = 1 if period == "month" else 3
    years, m = divmod(first.month - 1 + step, 12)
    return first, dt.date(first.year + years, m + 1, 1)


def _period_label(first: dt.date, period: str) -> str:
    return (
        f"{first.year}-Q{(first.month - 1) // 3 + 1}" if period == "quarter" else f"{first:%Y-%m}"
    )


def _volume(workspace_id: int, until: dt.datetime) -> list[Item]:
    active = active_agreement(workspace_id)
    if active is None:
        return []
    agreement, document = active
    # Paced as of now for a meeting still ahead, as the goals section is: the MQLs are counted
    # to now, so the target must be too (a meeting next month is not "behind" on its month).
    until = min(until, timezone.now())
    # As the SLA report reads it: owed from when the SLA came into force, the period it began
    # in prorated.
    since = sla_in_force_since(workspace_id)
    items = []
    ledger = LedgerEntry.objects.for_workspace(workspace_id).filter(to_stage="mql")
    for target in document.marketing.targets:
        first, after = _period_of(until.astimezone(dt.UTC).date(), target.period)
        low = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        high = dt.datetime.combine(after, dt.time(), tzinfo=dt.UTC)
        owed_from = max(low, since) if since is not None else low
        if owed_from >= min(until, high):
            continue
        owed = target.mqls * ((high - owed_from) / (high - low))
        if owed < 1:  # began in the period's last hours, as the SLA report reads it
            continue
        found = ledger.filter(occurred_at__gte=owed_from, occurred_at__lt=until)
        mqls = found.filter(segment_filter(target.segment)).count()
        expected = owed * min(1.0, (until - owed_from) / (high - owed_from))
        behind = mqls < expected * 0.95
        label = _period_label(first, target.period)
        scope = f" ({target.segment})" if target.segment else ""
        began = f" since {owed_from:%-d %b}, when the SLA began" if owed_from > low else ""
        items.append({
            "kind": "lead_volume", "period": label, "segment": target.segment or "",
            "count": mqls, "target": round(owed), "expected": round(expected, 1),
            "behind": behind, "agreement_version": agreement.version,
            "link": _link("web:sla_report"),
            "text": f"Marketing's lead volume{scope}, {label}{began}: {mqls} MQLs so far "
                    f"against {expected:.0f} expected by now (target {round(owed)}): "
                    + ("behind" if behind else "on pace"),
        })  # fmt: skip
    return items


def sla_section(workspace_id: int, since: dt.datetime, until: dt.datetime) -> Section:
    breaches = _first_touch_breaches(workspace_id, since, until)
    volume = _volume(workspace_id, until)
    return _section(
        "sla_breaches", "SLA breaches", breaches + volume,
        count=sum(i["count"] for i in breaches) + sum(1 for i in volume if i["behind"]),
        rule=VOLUME_RULE,
    )  # fmt: skip


# 2. Rejection spikes -----------------------------------------------------------------------


def _rejections(
    workspace_id: int, start: dt.datetime, end: dt.datetime
) -> Counter[tuple[str, str]]:
    rows = (
        Handoff.objects.for_workspace(workspace_id)
        .filter(status=HandoffStatus.REJECTED, decided_at__gte=start, decided_at__lt=end)
        .values_list("contact__original_source", "reason__label")
    )
    return Counter((source or "", reason or "No reason") for source, reason in rows)


def _source_label(key: str) -> str:
    if not key:
        return "Unknown source"
    return str(Channel(key).label) if key in Channel.values else key


def rejection_section(workspace_id: int, since: dt.datetime, until: dt.datetime) -> Section:
    length = until - since
    now = _rejections(workspace_id, since, until)
    earlier = _rejections(workspace_id, since - SPIKE_HISTORY_WINDOWS * length, since)
    items: list[Item] = []
    for (source, reason), count in now.items():
        average = earlier[(source, reason)] / SPIKE_HISTORY_WINDOWS
        spike = count >= SPIKE_MIN_COUNT and count >= SPIKE_FACTOR * average
        items.append({
            "source": source, "reason": reason, "count": count,
            "earlier_average": round(average, 2), "spike": spike,
            "link": _link("web:dispositions", params={"by": "source"}),
            "text": f"{_source_label(source)}, '{reason}': {count} rejection"
                    f"{'' if count == 1 else 's'} against {average:.2g} per window before"
                    + (" (spike)" if spike else ""),
        })  # fmt: skip
    items.sort(key=lambda i: (not i["spike"], -i["count"], i["source"], i["reason"]))
    return _section("rejection_spikes", "Rejection reasons by source, spikes first", items,
                    count=sum(1 for i in items if i["spike"]), rule=SPIKE_RULE)  # fmt: skip


# 3. Goal pacing ----------------------------------------------------------------------------


def _amount(value: float, kind: str, currency: str) -> str:
    """A pacing figure as people read it: '886,950 USD', '1,612'."""
    return f"{value:,.0f} {currency}" if kind == "money" else f"{value:,.0f}"


def goal_section(workspace_id: int, day: dt.date) -> Section:
    """The goals' stages behind their pace on `day`, or today for a meeting still ahead: the
    actuals are known to date only, so their expected figures are taken at the same day."""
    from accord.identity.models import Workspace
    from accord.metrics.planning import dashboard_goals

    currency = Workspace.objects.get(pk=workspace_id).default_currency
    items = []
    for pacing in dashboard_goals(workspace_id, min(day, local_day(timezone.now(), workspace_id))):
        for row in pacing.rows:
            if row.status != "behind":
                continue
            actual = float(row.actual)
            expected = float(row.expected or 0)
            items.append({
                "goal_id": pacing.goal_id, "stage": row.stage, "team": row.team,
                "count": actual if row.kind == "money" else int(row.actual),
                "expected": row.expected, "link": row.link or pacing.link,
                "text": f"{pacing.title}: {row.label} {_amount(actual, row.kind, currency)} "
                        f"against {_amount(expected, row.kind, currency)} expected by now "
                        f"({row.team})",
            })  # fmt: skip
    return _section("goal_pacing", "Goal pacing gaps", items)


# 4. Experiments concluded ------------------------------------------------------------------


def experiment_section(workspace_id: int, since: dt.datetime, until: dt.datetime) -> Section:
    learnings = (
        Learning.objects.for_workspace(workspace_id)
        .filter(created_at__gte=since, created_at__lt=until)
        .select_related("experiment")
        .order_by("created_at", "pk")
    )
    items = [
        {"experiment_key": learning.experiment.key, "outcome": learning.outcome,
         "decision": learning.decision,
         "link": _link("web:experiment", [learning.experiment.key]),
         "text": f"{learning.experiment.name}: {learning.get_outcome_display()}; "
                 f"decision: {learning.decision}"}
        for learning in learnings
    ]  # fmt: skip
    return _section("experiments_concluded", "Experiments concluded", items)


# 5. Proposals awaiting approval ------------------------------------------------------------


def proposal_section(workspace_id: int) -> Section:
    items: list[Item] = []
    for model, noun, view in ((LeadDefinition, "Lead definition", "web:definition"),
                              (SlaAgreement, "SLA agreement", "web:agreement")):  # fmt: skip
        manager: Any = model._default_manager
        for doc in (
            manager.for_workspace(workspace_id).filter(status__in=AWAITING).order_by("version")
        ):
            waiting = "approved, awaiting activation" if doc.status == "approved" else (
                "proposed, awaiting approval")  # fmt: skip
            items.append({
                "kind": "definition" if model is LeadDefinition else "sla_agreement",
                "version": doc.version, "status": doc.status, "link": _link(view, [doc.pk]),
                "text": f"{noun} v{doc.version}: {waiting}"
                        + (f" ({doc.comment})" if doc.comment else ""),
            })  # fmt: skip
    return _section("awaiting_approval", "Definition and SLA proposals awaiting approval", items)


# 6. Action items ---------------------------------------------------------------------------


def _item_out(item: ActionItem, names: dict[int, str], state: str) -> Item:
    owner = names.get(item.owner_id, "")
    raised = f", raised {_day(item.meeting.scheduled_at.date())}" if item.meeting else ""
    return {"action_item_id": item.pk, "title": item.title, "owner_id": item.owner_id,
            "owner": owner, "due_on": item.due_on.isoformat(), "state": state,
            "meeting_id": item.meeting_id,
            "link": _link("web:meeting", [item.meeting_id]) if item.meeting_id else "",
            "text": f"{item.title} ({owner}, due {_day(item.due_on)}{raised})"}  # fmt: skip


def _day(day: dt.date) -> str:
    """'01 Dec', with the year when it is not this year's (a 2020 date must not read as the
    coming one)."""
    return f"{day:%d %b}" if day.year == timezone.now().year else f"{day:%d %b %Y}"


def action_section(meeting: Meeting) -> Section:
    day = local_day(meeting.scheduled_at, meeting.workspace_id)
    open_items = list(
        ActionItem.objects.for_workspace(meeting.workspace_id)
        .filter(status=ActionStatus.OPEN)
        .exclude(meeting=meeting)
        .select_related("meeting")
        .order_by("due_on", "pk")
    )
    names = _names(i.owner_id for i in open_items)
    overdue = [_item_out(i, names, "overdue") for i in open_items if i.due_on < day]
    carried = [
        _item_out(i, names, "carried_over")
        for i in open_items
        if i.due_on >= day and (i.meeting is None or i.meeting.scheduled_at < meeting.scheduled_at)
    ]
    return _section("action_items", "Action items", overdue + carried, count=len(overdue),
                    overdue=len(overdue), carried_over=len(carried))  # fmt: skip


def generate_agenda(meeting: Meeting, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The agenda document for `meeting` (see the module docstring)."""
    since, until = agenda_window(meeting)
    workspace_id = meeting.workspace_id
    sections = [
        sla_section(workspace_id, since, until),
        rejection_section(workspace_id, since, until),
        goal_section(workspace_id, local_day(until, workspace_id)),
        experiment_section(workspace_id, since, until),
        proposal_section(workspace_id),
        action_section(meeting),
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(now or timezone.now()),
        "since": _iso(since),
        "until": _iso(until),
        "sections": sections,
    }
