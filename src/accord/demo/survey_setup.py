"""The demo's alignment survey: three pulses over the last half year, answered by every member
of both teams through the survey's own write path, with a planted perception gap — sellers
agree that "the leads we get from marketing are garbage", marketers do not — and marketing's
slow review of rejected leads (the feedback loop).

Answers are drawn around a team-wide leaning that improves a little from pulse to pulse; on
the planted item sales answers 4-5 and marketing 1-2, a gap of about 60 points on the 0-100
scale. The random stream is the survey's own, so the rest of the demo is unchanged.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from accord.alignment import services
from accord.alignment.instrument import DEFAULT_INSTRUMENT
from accord.alignment.models import Participation
from accord.handoff.models import Handoff, HandoffStatus
from accord.identity.actor import Actor, Source
from accord.identity.models import Membership, Role, Workspace

GAP_ITEM = "leads_garbage"
PULSE_DAYS_AGO = (160, 95, 30)  # each open for two weeks
REVIEWED_IN_TIME = 0.3  # the share of rejections marketing reviews within 72 hours


def _answers(rng: np.random.Generator, team: str, lean: float) -> dict[str, int]:
    answers: dict[str, int] = {}
    for item in DEFAULT_INSTRUMENT.items:
        if item.key == GAP_ITEM:
            answers[item.key] = int(rng.integers(4, 6) if team == "sales" else rng.integers(1, 3))
            continue
        # `lean` is how aligned the person finds things (1-5); a reverse item is answered
        # as its mirror image.
        value = lean + rng.normal(0, 0.8)
        value = 6 - value if item.reverse else value
        if item.kind == "yes_no":
            answers[item.key] = int(value >= 3)
        else:
            answers[item.key] = int(np.clip(round(value), 1, 5))
    return answers


def run_demo_pulses(workspace: Workspace, as_of: dt.datetime, seed: int) -> int:
    """The pulses and their answers; returns the responses written."""
    rng = np.random.default_rng([seed, 0xA119])
    members = {
        m.user_id: m
        for m in Membership.objects.filter(workspace=workspace).select_related("user", "team")
    }
    admin = next(m for m in members.values() if m.role == Role.ADMIN)
    runner = Actor.for_membership(admin, Source.DEMO)
    written = 0
    for n, days in enumerate(PULSE_DAYS_AGO):
        opened = as_of - dt.timedelta(days=days)
        pulse = services.pulse_open(actor=runner, title=f"Alignment pulse {opened:%B %Y}",
                                    days=14, now=opened)  # fmt: skip
        asked = Participation.objects.for_workspace(workspace).filter(pulse=pulse).order_by("pk")
        for i, participation in enumerate(asked):
            lean = 3.0 + 0.25 * n + rng.normal(0, 0.4)
            person = Actor.for_membership(members[participation.user_id], Source.DEMO)
            services.response_submit(
                actor=person,
                pulse_id=pulse.pk,
                answers=_answers(rng, participation.team, lean),
                now=opened + dt.timedelta(hours=4 + 7 * i),
            )
            written += 1
        services.pulse_close(actor=runner, pulse_id=pulse.pk,
                             now=opened + dt.timedelta(days=14))  # fmt: skip
    _review_rejections(workspace, as_of, rng, members)
    return written


def _review_rejections(workspace: Workspace, as_of: dt.datetime, rng: np.random.Generator,
                       members: dict[int, Membership]) -> None:  # fmt: skip
    """Marketing reviews some rejected leads' reasons in time, others days later, and leaves
    the rest (the feedback loop the scorecard measures)."""
    marketer = next(m for m in members.values() if m.role == Role.MARKETER)
    reviewer = Actor.for_membership(marketer, Source.DEMO)
    rejected = (
        Handoff.objects.for_workspace(workspace)
        .filter(status=HandoffStatus.REJECTED, decided_at__gte=as_of - dt.timedelta(days=200))
        .order_by("pk")
        .values_list("pk", "decided_at")
    )
    for pk, decided in rejected:
        if decided is None:
            continue
        draw = rng.random()
        if draw < REVIEWED_IN_TIME:
            delay = dt.timedelta(hours=float(rng.uniform(2, 60)))
        elif draw < 0.6:
            delay = dt.timedelta(days=float(rng.uniform(4, 12)))
        else:
            continue  # never reviewed
        at = decided + delay
        if at < as_of:
            services.rejection_review(actor=reviewer, handoff_id=pk, now=at)
