"""The weekly digest on a small hand-made workspace: its numbers are the metrics layer's for the
same week (and the week before), it goes by email to the sales and marketing teams with text,
HTML and inline PNG charts, once per week (a failure is retried by the next run), to Slack as one
message, on Monday 08:00 in the workspace's time zone; an empty week says "not enough data".

The scenario (`acme`): the week is Monday 16 to Sunday 22 November 2026, the week before 9 to 15
November. Three MQLs handed over on Tuesday 17 November (one touched in time, two breached; one
accepted, one rejected for no budget, one recycled), two MQLs on Tuesday 10 November; a deal won
(1,000.00) and one lost this week, one won (2,000.00) the week before; a November revenue goal.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Iterator
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.crm.models import Deal, DealStageChange, Pipeline, PipelineStage
from accord.handoff import dispositions as decide
from accord.handoff import routing_settings
from accord.handoff.clocks import sweep_workspace
from accord.handoff.models import Handoff
from accord.handoff.tests.factories import SalesFloor, activate_sla, make_mql, sales_floor
from accord.identity.models import Role, TeamKind, Workspace
from accord.identity.tests.factories import MembershipFactory, TeamFactory, UserFactory
from accord.metrics import digest_send
from accord.metrics.catalogue import MetricSpec, measure
from accord.metrics.dashboard import HEADLINES
from accord.metrics.digest import Week, build_digest, last_complete_week
from accord.metrics.digest_render import digest_charts, render_html, render_text, slack_event
from accord.metrics.digest_send import digest_recipients, send_digest
from accord.metrics.digest_tasks import (
    due_week_ending,
    next_send_at,
    send_due_digests,
    start_weekly_digests,
    weekly_digests,
    workspace_zone,
)
from accord.metrics.models import DigestChannel, DigestDelivery, Goal
from accord.metrics.planning import dashboard_goals
from accord.metrics.values import Value

pytestmark = pytest.mark.django_db(transaction=True)  # the router hands MQLs over on commit
UTC = dt.UTC
WEEK_ENDING = dt.date(2026, 11, 22)  # a Sunday
WEEK = Week.ending(WEEK_ENDING)
BASE_URL = "https://accord.acme.example"
PNG = b"\x89PNG\r\n\x1a\n"
# The sales team (two reps and its manager) and the marketing team (its manager, a marketer).
TEAMS = ["marketer@acme.example", "mm@acme.example", "rep0@acme.example", "rep1@acme.example",
         "sm@acme.example"]  # fmt: skip


@pytest.fixture(autouse=True)
def own_store(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path  # a columnar copy per test (and per test database)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ACCORD_BASE_URL = BASE_URL


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


def won_or_lost(ws: Workspace, amount: str, created: dt.datetime, closed: dt.datetime,
                status: str) -> Deal:  # fmt: skip
    """A deal with its stage history, as the deal services write it."""
    pipeline = Pipeline.objects.for_workspace(ws).get(is_default=True)
    stages = {s.key: s for s in PipelineStage.objects.for_workspace(ws).filter(pipeline=pipeline)}
    final = stages["closed_won" if status == "won" else "closed_lost"]
    deal = Deal.objects.create(
        workspace=ws, name=f"Deal {amount}", pipeline=pipeline, stage=final, status=status,
        amount=Decimal(amount), currency="USD", created_at=created, closed_at=closed,
    )  # fmt: skip
    for before, after, when in ((None, stages["qualification"], created),
                                (stages["qualification"], final, closed)):  # fmt: skip
        DealStageChange.objects.create(
            workspace=ws, deal=deal, from_stage=before, to_stage=after, amount=deal.amount,
            occurred_at=when, source="system",
        )  # fmt: skip
    return deal


def build(workspace: Workspace) -> SalesFloor:
    workspace.created_at = at(1)
    workspace.save(update_fields=["created_at"])
    floor = sales_floor(workspace, sellers=2)
    activate_sla(floor, in_force_since=at(1))  # the SLA holds for the whole history
    routing_settings.routing_rule_create(
        actor=floor.actor(floor.sales_manager),
        values={"name": "All", "conditions": [], "team_id": floor.team.pk},
    )
    # Not recipients: inactive, no team and a viewer, the RevOps team, another workspace.
    gone = MembershipFactory(workspace=workspace, user=UserFactory(email="gone@acme.example"),
                             role=Role.SALES_REP, team=floor.team)  # fmt: skip
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    MembershipFactory(workspace=workspace, user=UserFactory(email="viewer@acme.example"),
                      role=Role.VIEWER)  # fmt: skip
    revops = TeamFactory(workspace=workspace, name="RevOps", kind=TeamKind.REVOPS)
    MembershipFactory(workspace=workspace, user=UserFactory(email="ops@acme.example"),
                      role=Role.MANAGER, team=revops)  # fmt: skip
    with time_machine.travel(at(10), tick=False):
        for i in range(2):
            make_mql(floor, f"before{i}@example.org", original_source="webinar")
    with time_machine.travel(at(17), tick=False):
        made = [
            make_mql(floor, f"h{i}@example.org", original_source=source)
            for i, source in enumerate(["webinar", "webinar", "paid_search"])
        ]
    handoffs = [Handoff.objects.for_workspace(workspace).get(contact=c) for c in made]
    manager = floor.actor(floor.sales_manager)
    with time_machine.travel(at(17, 11), tick=False):
        from accord.crm.services.activities import activity_create

        activity_create(actor=manager, values={"kind": "call", "contact_id": made[0].pk,
                                               "occurred_at": at(17, 11)})  # fmt: skip
    sweep_workspace(workspace.pk, at(20))
    with time_machine.travel(at(19), tick=False):
        decide.handoff_accept(actor=manager, handoff_id=handoffs[0].pk)
        decide.handoff_reject(actor=manager, handoff_id=handoffs[1].pk, reason="no_budget")
        decide.handoff_recycle(actor=manager, handoff_id=handoffs[2].pk,
                               until=dt.date(2026, 12, 31))  # fmt: skip
    won_or_lost(workspace, "1000.00", at(2), at(18), "won")
    won_or_lost(workspace, "500.00", at(3), at(19), "lost")
    won_or_lost(workspace, "2000.00", at(4), at(11), "won")
    Goal.objects.create(workspace=workspace, period="month", period_start=dt.date(2026, 11, 1),
                        revenue=Decimal("10000.00"))  # fmt: skip
    return floor


@pytest.fixture
def floor(workspace: Workspace, other_workspace: Workspace) -> SalesFloor:
    MembershipFactory(workspace=other_workspace, user=UserFactory(email="other@other.example"),
                      role=Role.MARKETER)  # fmt: skip
    return build(workspace)


def first(workspace: Workspace, metric: str, week: Week) -> Value | None:
    spec = MetricSpec(metric=metric, start=week.start, end=week.end)
    found = measure(workspace.pk, spec).values
    return found[0] if found else None


def parts(message: Any) -> list[EmailMessage]:
    return [p for p in message.message().walk() if not p.is_multipart()]


# The numbers ---------------------------------------------------------------------------------


def test_the_week_is_the_seven_days_ending_on_the_date() -> None:
    assert (WEEK.first, WEEK.last) == (dt.date(2026, 11, 16), WEEK_ENDING)
    assert (WEEK.start, WEEK.end) == (at(16, 0), at(23, 0))
    assert (WEEK.before.first, WEEK.before.last) == (dt.date(2026, 11, 9), dt.date(2026, 11, 15))
    assert WEEK.label == "week of 16 Nov 2026"
    # The last complete Monday-Sunday week: from any day of the next week.
    for day in range(23, 30):
        assert last_complete_week(dt.date(2026, 11, day)) == WEEK_ENDING
    assert last_complete_week(dt.date(2026, 11, 22)) == dt.date(2026, 11, 15)


def test_the_digest_numbers_are_the_metrics_layers(workspace: Workspace, floor: SalesFloor) -> None:
    digest = build_digest(workspace, week_ending=WEEK_ENDING)
    assert digest.subject == "Accord weekly: Acme Revenue — week of 16 Nov 2026"
    assert [h.metric.key for h in digest.headlines] == list(HEADLINES)
    for h in digest.headlines:
        assert h.current == first(workspace, h.metric.key, WEEK), h.metric.key
        assert h.previous == first(workspace, h.metric.key, WEEK.before), h.metric.key
        assert h.metric.definition
    by_key = {h.metric.key: h for h in digest.headlines}
    # Worked out by hand: 3 MQLs against 2; revenue 1,000.00 against 2,000.00; 1 of 2 closed won.
    assert (by_key["mqls"].value, by_key["mqls"].previous_value) == (3, 2)
    assert (by_key["mqls"].change, by_key["mqls"].relative) == (1, 0.5)
    assert by_key["lead_velocity"].value == pytest.approx(0.5)
    assert by_key["revenue"].value == Decimal("1000.00")
    assert by_key["revenue"].change == Decimal("-1000.00")
    assert by_key["revenue"].relative == -0.5
    assert by_key["win_rate"].value == 0.5
    assert by_key["win_rate"].change == pytest.approx(-0.5)  # 1 of 1 the week before
    assert by_key["win_rate"].relative is None  # rates change in points
    assert (by_key["marketing_spend"].value, by_key["marketing_spend"].reason) == (
        None, "Not enough data in this period."
    )  # fmt: skip
    # Lead quality and the SLA, as `measure` gives them.
    assert digest.acceptance.values == [first(workspace, "acceptance_rate", WEEK)]
    assert digest.acceptance.first is not None
    assert (digest.acceptance.first.successes, digest.acceptance.first.n) == (1, 3)
    reasons = measure(workspace.pk, MetricSpec(metric="rejection_reasons", start=WEEK.start,
                                               end=WEEK.end)).values  # fmt: skip
    assert digest.rejection_reasons.values == reasons[:3]
    assert [(v.item, v.successes) for v in reasons] == [("No budget", 1)]
    assert digest.sla_sales.values == [first(workspace, "sla_sales", WEEK)]
    assert digest.sla_sales.first is not None
    assert (digest.sla_sales.first.successes, digest.sla_sales.first.n) == (1, 3)
    marketing = measure(workspace.pk, MetricSpec(metric="sla_marketing", start=WEEK.start,
                                                 end=WEEK.end)).values  # fmt: skip
    assert digest.sla_marketing.values == marketing
    # Attainment is per month (or quarter) of the agreement: November's MQLs so far, all five.
    assert [(v.item, v.successes) for v in marketing] == [("2026-11", 5)]
    # Goal pacing on the week's last day.
    assert digest.goals == dashboard_goals(workspace.pk, WEEK_ENDING)
    assert [g.title for g in digest.goals] == ["November 2026 · All segments"]
    # The funnel: moved into each stage this week.
    counts = digest.funnel["rows"][0]["counts"]
    assert (counts["mql"], counts["sal"]) == (3, 1)
    assert digest.dashboard_url == (
        f"{BASE_URL}/dashboard/?start=2026-11-16&end=2026-11-22&view=period"
    )

    text = render_text(digest)
    assert "MQLs: 3\n  Week before: 2 · +1 (+50%)\n" in text
    assert "Revenue: 1,000 USD\n  Week before: 2,000 USD · -1,000 USD (-50%)\n" in text
    assert "Won deals: 1\n  Week before: 1 · no change\n" in text
    win_rate = "Win rate: 50.0%\n  Week before: 100.0% · -50.0 pts\n  95% interval 9.5% to 90.5%"
    assert f"{win_rate} (1 of 2)\n" in text
    assert "Marketing spend: Not enough data in this period." in text
    assert "Lead acceptance rate: 33.3%" in text
    assert "1. No budget: 100.0% (1)" in text
    assert "SLA: sales' first touch: 33.3%" in text
    assert "2026-11: " in text and "(5 MQLs of a target of" in text
    assert "November 2026 · All segments" in text
    assert digest.dashboard_url in text
    assert "nan" not in text.lower()


def test_the_slack_summary_has_the_headline_numbers_and_the_link(
    workspace: Workspace, floor: SalesFloor
) -> None:
    digest = build_digest(workspace, week_ending=WEEK_ENDING)
    data = slack_event(digest)
    assert data["title"] == "📊 Accord weekly: Acme Revenue — week of 16 Nov 2026"
    assert "• MQLs: 3 (+1 (+50%) on the week before)" in data["summary"].splitlines()
    assert "• Marketing spend: Not enough data in this period." in data["summary"].splitlines()
    assert data["summary"].endswith(f"Dashboard: {digest.dashboard_url}")
    revenue = next(h for h in data["headlines"] if h["metric"] == "revenue")
    assert (revenue["value"], revenue["previous"]) == ("1000.00", "2000.00")


# The email ----------------------------------------------------------------------------------


def test_the_email_goes_to_both_teams_with_text_html_and_inline_charts(
    workspace: Workspace, floor: SalesFloor
) -> None:
    assert [r.email for r in digest_recipients(workspace.pk)] == TEAMS
    report = send_digest(workspace, week_ending=WEEK_ENDING)
    assert (report.emailed, report.failed, report.slack) == (TEAMS, {}, "sent")
    assert sorted(m.to[0] for m in mail.outbox) == TEAMS
    assert all(len(m.to) == 1 for m in mail.outbox)
    message = next(m for m in mail.outbox if m.to == ["sm@acme.example"])
    assert message.subject == "Accord weekly: Acme Revenue — week of 16 Nov 2026"
    assert "MQLs: 3" in message.body
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert "MQLs" in html and f'href="{BASE_URL}/dashboard/?start=2026-11-16' in html

    built = message.message()
    assert built.get_content_type() == "multipart/alternative"
    leaves = parts(message)
    types = [p.get_content_type() for p in leaves]
    assert types == ["text/plain", "text/html", "image/png", "image/png", "image/png"]
    related = [p for p in built.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1  # the HTML and its images
    images = [p for p in leaves if p.get_content_type() == "image/png"]
    for image in images:
        content = image.get_payload(decode=True)
        assert content[:8] == PNG
        cid = image["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
        assert image.get_content_disposition() == "inline"
    assert sorted(p.get_filename() for p in images) == [
        "acceptance-by-source.png", "funnel.png", "mqls-by-source.png"
    ]  # fmt: skip
    # No image is fetched from anywhere.
    assert 'src="http' not in html
    deliveries = DigestDelivery.objects.for_workspace(workspace).filter(week_ending=WEEK_ENDING)
    assert sorted(deliveries.values_list("channel", "recipient")) == [
        ("email", address) for address in TEAMS
    ] + [("slack", "")]


def test_a_second_send_of_the_same_week_sends_nothing(
    workspace: Workspace, floor: SalesFloor
) -> None:
    send_digest(workspace, week_ending=WEEK_ENDING)
    assert len(mail.outbox) == len(TEAMS)
    records = DigestDelivery.objects.for_workspace(workspace).count()
    again = send_digest(workspace, week_ending=WEEK_ENDING)
    assert (again.emailed, again.already_emailed, again.slack) == ([], TEAMS, "already sent")
    assert len(mail.outbox) == len(TEAMS)
    assert DigestDelivery.objects.for_workspace(workspace).count() == records
    # Another week is another digest; --force sends a week again.
    forced = send_digest(workspace, week_ending=WEEK_ENDING, force=True)
    assert (forced.emailed, forced.slack) == (TEAMS, "sent")
    assert len(mail.outbox) == 2 * len(TEAMS)
    assert DigestDelivery.objects.for_workspace(workspace).count() == records


def test_a_failed_email_is_retried_by_the_next_run(
    workspace: Workspace, floor: SalesFloor, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = digest_send.DigestEmail.send

    def flaky(self: Any, *args: Any, **kwargs: Any) -> int:
        if self.to == ["rep1@acme.example"]:
            raise ConnectionRefusedError("SMTP server refused the connection")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(digest_send.DigestEmail, "send", flaky)
    report = send_digest(workspace, week_ending=WEEK_ENDING)
    assert report.failed == {"rep1@acme.example": "SMTP server refused the connection"}
    assert not report.complete
    assert sorted(m.to[0] for m in mail.outbox) == [a for a in TEAMS if a != "rep1@acme.example"]
    sent = DigestDelivery.objects.for_workspace(workspace).filter(channel=DigestChannel.EMAIL)
    assert "rep1@acme.example" not in set(sent.values_list("recipient", flat=True))

    monkeypatch.setattr(digest_send.DigestEmail, "send", real_send)
    mail.outbox.clear()
    retry = send_digest(workspace, week_ending=WEEK_ENDING)
    assert (retry.emailed, retry.failed, retry.slack) == (["rep1@acme.example"], {}, "already sent")
    assert [m.to for m in mail.outbox] == [["rep1@acme.example"]]


def test_a_week_with_no_data_says_not_enough_data(workspace: Workspace) -> None:
    floor = sales_floor(workspace, sellers=1)
    digest = build_digest(workspace, week_ending=WEEK_ENDING)
    assert all(h.value is None for h in digest.headlines)
    assert digest.empty
    text = render_text(digest)
    for title in ("MQLs", "Revenue", "Win rate", "Lead acceptance rate", "SLA: sales' first touch"):
        assert f"{title}: Not enough data in this period." in text, title
    assert "Rejection reasons: Not enough data in this period." in text
    assert "No goal covers this week." in text
    html = render_html(digest, digest_charts(digest))
    for document in (text, html):
        assert "nan" not in document.lower().replace("nance", "")  # "maintenance" aside
        assert "None" not in document
    report = send_digest(workspace, week_ending=WEEK_ENDING)
    assert len(report.emailed) == len(digest_recipients(workspace.pk)) == 4
    assert floor.admin.user.email not in report.emailed  # an admin without a team
    assert "Not enough data" in mail.outbox[0].body
    for image in [p for p in parts(mail.outbox[0]) if p.get_content_type() == "image/png"]:
        assert image.get_payload(decode=True)[:8] == PNG


def test_no_value_in_the_digest_is_ever_nan(workspace: Workspace, floor: SalesFloor) -> None:
    for week_ending in (WEEK_ENDING, dt.date(2026, 11, 15), dt.date(2026, 11, 29)):
        digest = build_digest(workspace, week_ending=week_ending)
        for h in digest.headlines:
            for number in (h.value, h.previous_value, h.change, h.relative):
                assert not (isinstance(number, float) and math.isnan(number))
        assert "nan" not in render_text(digest).lower().replace("nance", "")


# The CLI ------------------------------------------------------------------------------------


def digest_cli(*args: str) -> str:
    out = io.StringIO()
    call_command("digest", *args, stdout=out)
    return out.getvalue()


def test_the_cli_preview_prints_the_numbers_and_sends_nothing(
    workspace: Workspace, floor: SalesFloor, tmp_path: Path
) -> None:
    text = digest_cli("preview", "--workspace", "acme", "--week-ending", "2026-11-22")
    assert text.startswith("Accord weekly: Acme Revenue — week of 16 Nov 2026\n")
    assert "MQLs: 3\n  Week before: 2 · +1 (+50%)\n" in text
    assert "Lead acceptance rate: 33.3%" in text
    out = tmp_path / "digest.html"
    said = digest_cli("preview", "--workspace", "acme", "--week-ending", "2026-11-22",
                      "--format", "html", "--out", str(out))  # fmt: skip
    assert said.strip() == f"Wrote Accord weekly: Acme Revenue — week of 16 Nov 2026 to {out}."
    html = out.read_text()
    assert html.count('src="data:image/png;base64,') == 3
    assert "cid:" not in html
    assert mail.outbox == []
    assert not DigestDelivery.objects.for_workspace(workspace).exists()


def test_the_cli_sends_once_and_refuses_a_week_not_over(
    workspace: Workspace, floor: SalesFloor
) -> None:
    with time_machine.travel(at(23, 9), tick=False):
        said = digest_cli("send", "--workspace", "acme")  # the last complete week: 16-22 Nov
        assert [line for line in said.splitlines() if line.startswith("Emailed")] == [
            f"Emailed {address}" for address in TEAMS
        ]
        assert "Weekly digest for the week ending 2026-11-22 sent." in said
        again = digest_cli("send", "--workspace", "acme", "--week-ending", "2026-11-22")
        assert "Already sent to 5 (use --force to send again)." in again
        assert len(mail.outbox) == len(TEAMS)
        with pytest.raises(CommandError, match="has not ended yet"):
            digest_cli("send", "--workspace", "acme", "--week-ending", "2026-11-29")
    with pytest.raises(CommandError, match="No workspace 'nope'"):
        digest_cli("preview", "--workspace", "nope")


# Slack --------------------------------------------------------------------------------------


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., Any]]:
    from tests.integrations.hooks_support import receiver_servers

    yield from receiver_servers()


def test_slack_receives_one_message(
    workspace: Workspace, other_workspace: Workspace, receiver_factory: Callable[..., Any]
) -> None:
    from accord.integrations.webhooks import services
    from tests.integrations.hooks_support import run_worker

    floor = build(workspace)
    receiver = receiver_factory()
    services.webhook_create(actor=floor.actor(floor.admin),
                            values={"url": receiver.url, "events": ["digest.weekly"],
                                    "kind": "slack"})  # fmt: skip
    # In the week WEEK_ENDING's digest is due: the worker's own weekly schedule, started by
    # each run, would otherwise send the week due on the day the test runs as a second message.
    with time_machine.travel(dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC), tick=True):
        send_digest(workspace, week_ending=WEEK_ENDING)
        run_worker()
        send_digest(workspace, week_ending=WEEK_ENDING)  # the same week again: nothing
        run_worker()
    assert receiver.events() == ["digest.weekly"]
    message = receiver.requests[0].json
    text = message["text"]
    assert text.startswith("📊 Accord weekly: Acme Revenue — week of 16 Nov 2026: \n• MQLs: 3")
    assert f"Dashboard: {BASE_URL}/dashboard/?start=2026-11-16&amp;end=2026-11-22" in text
    assert message["blocks"][1]["elements"][0]["text"] == (
        "Accord · Acme Revenue · `digest.weekly`"
    )


# The schedule -------------------------------------------------------------------------------


def test_the_digest_is_due_on_monday_at_eight_in_the_workspace_time_zone() -> None:
    new_york = workspace_zone("America/New_York")  # UTC-5 in November
    assert due_week_ending(new_york, dt.datetime(2026, 11, 23, 12, 59, tzinfo=UTC)) == (
        dt.date(2026, 11, 15)
    )
    assert due_week_ending(new_york, dt.datetime(2026, 11, 23, 13, 0, tzinfo=UTC)) == WEEK_ENDING
    assert due_week_ending(new_york, dt.datetime(2026, 11, 29, 23, 0, tzinfo=UTC)) == WEEK_ENDING
    assert next_send_at(new_york, dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)) == dt.datetime(
        2026, 11, 23, 13, 0, tzinfo=UTC
    )
    assert next_send_at(new_york, dt.datetime(2026, 11, 23, 13, 0, tzinfo=UTC)) == dt.datetime(
        2026, 11, 30, 13, 0, tzinfo=UTC
    )
    tokyo = workspace_zone("Asia/Tokyo")  # UTC+9: Monday 08:00 is Sunday 23:00 UTC
    assert due_week_ending(tokyo, dt.datetime(2026, 11, 22, 23, 0, tzinfo=UTC)) == WEEK_ENDING
    assert workspace_zone("Not/AZone") is UTC


def test_the_worker_sends_each_workspace_its_digest_once(
    workspace: Workspace, other_workspace: Workspace, floor: SalesFloor
) -> None:
    workspace.timezone = "America/New_York"
    workspace.save(update_fields=["timezone"])
    other_workspace.created_at = dt.datetime(2026, 11, 23, 18, tzinfo=UTC)
    other_workspace.save(update_fields=["created_at"])
    sent = {"emailed": len(TEAMS), "failed": 0, "announced": 1}
    nothing = {"emailed": 0, "failed": 0, "announced": 0}
    # 07:59 in New York: the week of 9 November is still the one due (the worker catches up).
    totals, upcoming = send_due_digests(dt.datetime(2026, 11, 23, 12, 59, tzinfo=UTC))
    assert totals == sent
    assert upcoming == dt.datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 08:00 in New York
    assert {m.subject for m in mail.outbox} == {"Accord weekly: Acme Revenue — week of 9 Nov 2026"}
    mail.outbox.clear()
    totals, upcoming = send_due_digests(upcoming)
    assert totals == sent
    assert upcoming == dt.datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # at least hourly
    assert {m.subject for m in mail.outbox} == {"Accord weekly: Acme Revenue — week of 16 Nov 2026"}
    assert send_due_digests(upcoming)[0] == nothing
    assert len(mail.outbox) == len(TEAMS)
    # 07:00 next Monday in New York is 12:00 in UTC, the other workspace's zone: only its
    # marketer gets a digest (its first week: it was created on 23 November).
    mail.outbox.clear()
    totals, _ = send_due_digests(dt.datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert totals == {"emailed": 1, "failed": 0, "announced": 1}
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["other@other.example"], "Accord weekly: Other Co — week of 23 Nov 2026")
    ]
    # A workspace created during the week gets its first digest the Monday after.
    workspace.created_at = dt.datetime(2026, 11, 24, tzinfo=UTC)
    workspace.save(update_fields=["created_at"])
    DigestDelivery.objects.for_workspace(workspace).delete()
    assert send_due_digests(dt.datetime(2026, 11, 29, 12, 0, tzinfo=UTC))[0] == nothing


def test_accord_worker_schedules_and_runs_the_weekly_digest(workspace: Workspace) -> None:
    from django_tasks_db.models import DBTaskResult

    build(workspace)
    scheduled = DBTaskResult.objects.filter(task_path=weekly_digests.module_path, status="READY")
    start_weekly_digests()
    start_weekly_digests()
    assert scheduled.count() == 1
    with time_machine.travel(dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=False):
        call_command("worker", "--once", stdout=io.StringIO())
        digests = [m for m in mail.outbox if m.subject.startswith("Accord weekly")]
        assert sorted(m.to[0] for m in digests) == TEAMS  # besides the SLA escalations
        (next_run,) = scheduled.all()
        assert next_run.run_after == dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    weeks = DigestDelivery.objects.for_workspace(workspace).values_list("week_ending", flat=True)
    assert set(weeks) == {WEEK_ENDING}
