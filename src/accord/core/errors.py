"""Domain errors raised by services and translated by each entry point (API, web, CLI)."""

from __future__ import annotations


class AccordError(Exception):
    """Base class for errors a user can act on."""

    code = "error"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = fields or {}


class ValidationFailed(AccordError):
    """Input was rejected; nothing was written. `fields` maps field names to messages."""

    code = "validation_error"

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, fields={field: [message]})


class NotFound(AccordError):
    """The record does not exist in this workspace (records of other workspaces included)."""

    code = "not_found"


class PermissionDenied(AccordError):
    """The acting membership's role does not allow this action."""

    code = "permission_denied"


class Conflict(AccordError):
    """The write conflicts with the current state (for example a duplicate email)."""

    code = "conflict"


class NeedsConfirmation(Conflict):
    """The write would break an agreed limit (e.g. the buyer's contact cap). Nothing was
    written; repeat it with the warning's key confirmed to go ahead (and be recorded)."""

    code = "confirmation_required"

    def __init__(self, message: str, *, warning: str, details: dict[str, object]) -> None:
        super().__init__(message, fields={"confirm": [warning]})
        self.warning = warning
        self.details = details


class UnscopedQueryError(RuntimeError):
    """A workspace-owned model was queried without a workspace: a programming error."""
