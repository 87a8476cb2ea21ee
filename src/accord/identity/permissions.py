"""What each role may do. One table, checked by every service (fail closed: an action that is
not listed for a role is refused)."""

from __future__ import annotations

from enum import StrEnum

from accord.identity.models import Role


class Action(StrEnum):
    READ = "read"
    WRITE_RECORDS = "write_records"
    DELETE_RECORDS = "delete_records"
    CHANGE_LIFECYCLE = "change_lifecycle"
    MANAGE_CAMPAIGNS = "manage_campaigns"
    MANAGE_WORKSPACE = "manage_workspace"
    MANAGE_OWN_TOKENS = "manage_own_tokens"
    EDIT_DEFINITIONS = "edit_definitions"
    EDIT_AGREEMENTS = "edit_agreements"  # draft, propose and activate SLA agreements
    MANAGE_ROUTING = "manage_routing"  # routing rules, rotations, capacities, reason codes
    WORK_HANDOFFS = "work_handoffs"  # claim, accept, reject and recycle handed-off leads
    DISPUTE_HANDOFFS = "dispute_handoffs"  # marketing questions a rejection (once)
    RESOLVE_DISPUTES = "resolve_disputes"
    SET_GOALS = "set_goals"  # the shared revenue goals both teams plan from
    CHOOSE_ATTRIBUTION = "choose_attribution"  # the model recognition and the dashboard use
    RUN_EXPERIMENTS = "run_experiments"  # register, start, stop and conclude experiments
    MANAGE_ASSETS = "manage_assets"  # the enablement library: add assets and versions
    RECORD_ASSET_USE = "record_asset_use"  # a seller records an asset used on a deal
    RUN_SURVEYS = "run_surveys"  # the alignment survey, its pulses and the index weighting
    MANAGE_PERSONAL_DATA = "manage_personal_data"  # export or erase what is held on a contact


_EVERYONE = {Action.READ, Action.MANAGE_OWN_TOKENS}
_RECORD_WORKERS = _EVERYONE | {Action.WRITE_RECORDS, Action.CHANGE_LIFECYCLE}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.MANAGER: frozenset(
        _RECORD_WORKERS
        | {
            Action.DELETE_RECORDS,
            Action.MANAGE_CAMPAIGNS,
            Action.EDIT_DEFINITIONS,
            Action.EDIT_AGREEMENTS,
            Action.MANAGE_ROUTING,
            Action.WORK_HANDOFFS,
            Action.DISPUTE_HANDOFFS,
            Action.RESOLVE_DISPUTES,
            Action.SET_GOALS,
            Action.CHOOSE_ATTRIBUTION,
            Action.RUN_EXPERIMENTS,
            Action.MANAGE_ASSETS,
            Action.RECORD_ASSET_USE,
            Action.RUN_SURVEYS,
            Action.MANAGE_PERSONAL_DATA,
        }
    ),
    Role.SALES_REP: frozenset(_RECORD_WORKERS | {Action.WORK_HANDOFFS, Action.RECORD_ASSET_USE}),
    Role.SDR: frozenset(_RECORD_WORKERS | {Action.WORK_HANDOFFS, Action.RECORD_ASSET_USE}),
    Role.MARKETER: frozenset(
        _RECORD_WORKERS
        | {
            Action.MANAGE_CAMPAIGNS,
            Action.EDIT_DEFINITIONS,
            Action.DISPUTE_HANDOFFS,
            Action.RUN_EXPERIMENTS,
            Action.MANAGE_ASSETS,
        }
    ),
    Role.VIEWER: frozenset(_EVERYONE),
}


def role_allows(role: str, action: Action) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())
