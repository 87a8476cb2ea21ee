"""The actor of a write: which workspace, which user (if any), through which entry point."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accord.core.errors import PermissionDenied
from accord.identity.models import Membership, User, Workspace
from accord.identity.permissions import Action, role_allows


class Source(StrEnum):
    WEB = "web"
    API = "api"
    CLI = "cli"
    IMPORT = "import"
    RULE = "rule"
    DEMO = "demo"
    SYSTEM = "system"


# Sources that act without a signed-in person: they are trusted jobs, not users.
_SYSTEM_SOURCES = {Source.RULE, Source.DEMO, Source.SYSTEM}


@dataclass(frozen=True)
class Actor:
    workspace: Workspace
    source: Source
    user: User | None = None
    role: str | None = None
    rule: str = ""
    ip: str | None = None  # the request's remote address, where an entry point knows it

    @classmethod
    def for_membership(cls, membership: Membership, source: Source, ip: str | None = None) -> Actor:
        return cls(
            workspace=membership.workspace,
            user=membership.user,
            role=membership.role,
            source=source,
            ip=ip,
        )

    @classmethod
    def system(cls, workspace: Workspace, source: Source = Source.SYSTEM, rule: str = "") -> Actor:
        return cls(workspace=workspace, source=source, rule=rule)

    @property
    def label(self) -> str:
        who = self.user.display_name if self.user else (self.rule or self.source.value)
        return f"{who} via {self.source.value}"

    def can(self, action: Action) -> bool:
        if self.user is None:
            return self.source in _SYSTEM_SOURCES
        return self.role is not None and role_allows(self.role, action)

    def require(self, action: Action) -> None:
        if not self.can(action):
            raise PermissionDenied(
                f"Your role ({self.role or 'none'}) does not allow this action ({action.value})."
            )
