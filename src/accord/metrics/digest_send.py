"""Sending the weekly digest: one email to each member of the sales and marketing teams, and one
`digest.weekly` event, which Slack channels subscribed to it receive (through the outbound
webhooks, with their retries). Each send that succeeded is recorded (`DigestDelivery`), so a week
is never sent twice to the same person or channel, and a send that failed is tried again by the
next run.

Recipients: members whose team is a sales or marketing team, and members without a team whose
role is manager, sales rep, SDR or marketer; users who are inactive or have no email are skipped.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accord.core.events import publish
from accord.identity.models import Membership, Role, TeamKind, Workspace
from accord.metrics.digest import Digest, build_digest
from accord.metrics.digest_render import (
    Chart,
    digest_charts,
    render_html,
    render_text,
    slack_event,
)
from accord.metrics.models import DigestChannel, DigestDelivery

logger = logging.getLogger(__name__)
EVENT = "digest.weekly"
TEAM_KINDS = (TeamKind.SALES, TeamKind.MARKETING)
TEAMLESS_ROLES = (Role.MANAGER, Role.SALES_REP, Role.SDR, Role.MARKETER)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    email: str


def digest_recipients(workspace_id: int) -> list[Recipient]:
    """Every active member with an email in the workspace's sales and marketing teams
    (managers included), in email order."""
    members = (
        Membership.objects.for_workspace(workspace_id)
        .filter(Q(team__kind__in=TEAM_KINDS) | Q(team__isnull=True, role__in=TEAMLESS_ROLES))
        .filter(user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__email")
    )
    return [Recipient(m.user_id, m.user.full_name.strip(), m.user.email) for m in members]


class DigestEmail(EmailMultiAlternatives):
    """Text and HTML alternatives; the charts are inline PNGs related to the HTML part
    (multipart/related), each referenced by its Content-ID, so no image is fetched from a
    URL."""

    def __init__(self, *args: Any, images: list[Chart], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.images = images

    def message(self, *, policy: Any = email.policy.default) -> Any:
        msg = super().message(policy=policy)
        html = msg.get_body(("html",))
        if html is not None:
            for chart in self.images:
                html.add_related(chart.png, "image", "png", cid=f"<{chart.cid}>",
                                 filename=f"{chart.name}.png", disposition="inline")  # fmt: skip
        return msg


def digest_email(digest: Digest, recipient: Recipient, images: list[Chart]) -> DigestEmail:
    message = DigestEmail(
        subject=digest.subject,
        body=render_text(digest, recipient_name=recipient.name),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        images=images,
    )
    html = render_html(digest, images, inline=True, recipient_name=recipient.name)
    message.attach_alternative(html, "text/html")
    return message


@dataclass
class SendReport:
    """What one send did."""

    week_ending: dt.date
    emailed: list[str] = field(default_factory=list)
    already_emailed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # email -> error
    slack: str = ""  # 'sent', 'already sent'

    @property
    def complete(self) -> bool:
        return not self.failed


def _sent(workspace_id: int, week_ending: dt.date) -> set[tuple[str, str]]:
    return set(
        DigestDelivery.objects.for_workspace(workspace_id)
        .filter(week_ending=week_ending)
        .values_list("channel", "recipient")
    )


def _record(workspace_id: int, week_ending: dt.date, channel: str, recipient: str) -> None:
    """Mark one send as done (a forced re-send moves its time)."""
    DigestDelivery.objects.for_workspace(workspace_id).update_or_create(
        workspace_id=workspace_id, week_ending=week_ending, channel=channel, recipient=recipient,
        defaults={"sent_at": timezone.now()},
    )  # fmt: skip


def pending(workspace_id: int, week_ending: dt.date) -> tuple[list[Recipient], bool]:
    """The recipients not yet emailed this week's digest, and whether Slack is still due."""
    sent = _sent(workspace_id, week_ending)
    emails = [r for r in digest_recipients(workspace_id)
              if (DigestChannel.EMAIL, r.email) not in sent]  # fmt: skip
    return emails, (DigestChannel.SLACK, "") not in sent


def send_digest(workspace: Workspace, *, week_ending: dt.date, force: bool = False) -> SendReport:
    """Email the digest of the week ending `week_ending` to every recipient not sent it yet
    and announce it once to Slack (with `force`, to everyone again). Failures are reported,
    not raised: the next run retries them."""
    ws = workspace.pk
    report = SendReport(week_ending)
    recipients = digest_recipients(ws)
    to_email, slack_due = pending(ws, week_ending)
    if force:
        to_email, slack_due = recipients, True
    report.already_emailed = sorted({r.email for r in recipients} - {r.email for r in to_email})
    if not to_email and not slack_due:
        report.slack = "already sent"
        return report
    digest = build_digest(workspace, week_ending=week_ending)
    images = digest_charts(digest) if to_email else []
    for recipient in to_email:
        try:
            digest_email(digest, recipient, images).send()
        except Exception as exc:  # the SMTP server, a bad address: retried by the next run
            logger.exception("weekly digest to %s failed", recipient.email)
            report.failed[recipient.email] = str(exc) or type(exc).__name__
            continue
        _record(ws, week_ending, DigestChannel.EMAIL, recipient.email)
        report.emailed.append(recipient.email)
    if slack_due:
        _announce(digest)
        report.slack = "sent"
    else:
        report.slack = "already sent"
    return report


def _announce(digest: Digest) -> None:
    """Publish `digest.weekly` with its record: Slack channels subscribed to it get the
    message once this commits (the webhook deliveries retry a failed post)."""
    try:
        with transaction.atomic():
            _record(digest.workspace_id, digest.week.last, DigestChannel.SLACK, "")
            publish(digest.workspace_id, EVENT, slack_event(digest))
    except IntegrityError:  # another run recorded it first
        logger.info("weekly digest for %s already announced", digest.week.last)
