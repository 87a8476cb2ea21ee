"""The alignment survey and the behavioural index's own records.

Anonymity is structural: a `Participation` says who was asked and whether they answered, a
`Response` says what a team answered, and nothing links the two — no user, no time on the
response, and participations are all written when the pulse opens, so their order says
nothing about who answered when.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import WorkspaceOwned
from accord.core.scoping import WorkspaceManager

_USER = settings.AUTH_USER_MODEL


class SurveyTeam(models.TextChoices):
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"


class SurveyVersion(WorkspaceOwned):
    """One version of the workspace's survey (an `instrument.Instrument` document). Fixed once a
    pulse has used it: an edit after that makes a new version, and old results keep theirs."""

    number = models.PositiveIntegerField()
    document = models.JSONField()
    author = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")  # fmt: skip
    comment = models.CharField(max_length=300, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="survey_version_unique")
        ]

    def __str__(self) -> str:
        return f"survey v{self.number}"


class PulseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Pulse(WorkspaceOwned):
    """One run of the survey to both teams."""

    title = models.CharField(max_length=120)
    version = models.ForeignKey(SurveyVersion, on_delete=models.RESTRICT, related_name="+")
    opened_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=PulseStatus.choices, default=PulseStatus.OPEN)
    last_reminder_on = models.DateField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "opened_at"], name="pulse_ws_opened")]

    def __str__(self) -> str:
        return self.title


class Participation(WorkspaceOwned):
    """Who was asked in a pulse, and whether they answered (never what, never when)."""

    pulse = models.ForeignKey(Pulse, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="+")
    team = models.CharField(max_length=10, choices=SurveyTeam.choices)
    answered = models.BooleanField(default=False)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pulse", "user"], name="participation_unique")
        ]


class Response(WorkspaceOwned):
    """One anonymous set of answers: the team, and per item key the value given."""

    pulse = models.ForeignKey(Pulse, on_delete=models.CASCADE, related_name="responses")
    team = models.CharField(max_length=10, choices=SurveyTeam.choices)
    answers = models.JSONField()  # {item key: int}

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "pulse"], name="response_ws_pulse")]


class IndexWeighting(WorkspaceOwned):
    """A version of the behavioural index's weights ({component key: weight}); the latest one
    applies, and each computed index says which version it used."""

    number = models.PositiveIntegerField()
    weights = models.JSONField()
    author = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")  # fmt: skip
    comment = models.CharField(max_length=300, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="index_weighting_unique")
        ]


class RejectionReview(WorkspaceOwned):
    """Marketing has read a rejected lead's reason: the end of the feedback loop's latency."""

    handoff = models.OneToOneField("handoff.Handoff", on_delete=models.CASCADE, related_name="+")
    reviewed_by = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "reviewed_at"], name="review_ws_at")]
