"""The weekly digest's schedule in `accord worker`: every workspace gets the digest of the last
Monday-Sunday week on Monday at 08:00 in its own time zone (`Workspace.timezone`).

One self-rescheduling task (`weekly_digests`) checks every workspace and sends what is due and
not yet sent (`metrics.digest_send` records each send); it runs again at the next workspace's
Monday 08:00, and at least hourly, so a send that failed is retried within the hour and a worker
that was stopped on Monday catches up when it starts (with that week's digest only: a week's
digest is due until the next one is).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)
SEND_WEEKDAY = 0  # Monday
SEND_AT = dt.time(8, 0)
CHECK_AT_LEAST_EVERY = dt.timedelta(hours=1)


def workspace_zone(name: str) -> dt.tzinfo:
    """The workspace's time zone; UTC for a name the system does not know."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        return dt.UTC


def _this_weeks_send(zone: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(zone)
    monday = local.date() - dt.timedelta(days=(local.weekday() - SEND_WEEKDAY) % 7)
    return dt.datetime.combine(monday, SEND_AT, tzinfo=zone)


def due_week_ending(zone: dt.tzinfo, now: dt.datetime) -> dt.date:
    """The Sunday ending the week whose digest is due at `now`: the last Monday 08:00 (local)
    that has passed sends the week that ended the day before."""
    send = _this_weeks_send(zone, now)
    if now < send:
        send -= dt.timedelta(days=7)
    return send.date() - dt.timedelta(days=1)


def next_send_at(zone: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    """The first Monday 08:00 (local) after `now`."""
    send = _this_weeks_send(zone, now)
    return send if now < send else send + dt.timedelta(days=7)


def send_due_digests(now: dt.datetime | None = None) -> tuple[dict[str, int], dt.datetime]:
    """Send every workspace's due digest that is not sent yet. Returns the totals and when the
    next one falls due."""
    from accord.identity.models import Workspace
    from accord.metrics.digest_send import pending, send_digest

    now = now or timezone.now()
    totals = {"emailed": 0, "failed": 0, "announced": 0}
    upcoming = now + CHECK_AT_LEAST_EVERY
    for workspace in Workspace.objects.order_by("pk"):
        zone = workspace_zone(workspace.timezone)
        upcoming = min(upcoming, next_send_at(zone, now))
        week_ending = due_week_ending(zone, now)
        if week_ending < workspace.created_at.astimezone(zone).date():
            continue  # the workspace did not exist that week
        emails, slack_due = pending(workspace.pk, week_ending)
        if not emails and not slack_due:
            continue
        try:
            report = send_digest(workspace, week_ending=week_ending)
        except Exception:  # one workspace's failure must not hold up the others
            logger.exception("weekly digest of workspace %s failed", workspace.pk)
            totals["failed"] += 1
            continue
        totals["emailed"] += len(report.emailed)
        totals["failed"] += len(report.failed)
        totals["announced"] += report.slack == "sent"
    return totals, upcoming


@task(queue_name="default")
def weekly_digests() -> dict[str, int]:
    now = timezone.now()
    upcoming = now + CHECK_AT_LEAST_EVERY
    try:
        totals, upcoming = send_due_digests(now)
    finally:  # the schedule goes on whatever happened
        weekly_digests.using(run_after=max(upcoming, now + dt.timedelta(seconds=1))).enqueue()
    return totals


def start_weekly_digests() -> None:
    """Called when a worker starts: make sure one digest check is scheduled (a READY task)."""
    from django_tasks_db.models import DBTaskResult

    scheduled = DBTaskResult.objects.filter(
        task_path=weekly_digests.module_path, status="READY"
    ).exists()
    if not scheduled:
        weekly_digests.enqueue()
