"""The experiment write path: register an experiment with its variants, start, stop and
conclude it (with what was learned), assign contacts — by a stable hash, or as the marketing
tool recorded them — and count exposures.

Managers and marketers run experiments (permission `run_experiments`); every member reads
them. Bad input writes nothing and names each field. Once an experiment has started its
variants and allocation are fixed (changing them would mix two experiments); its metrics may
still change, but each change is kept and the results warn about it. A conclusion is final:
concluding again, or changing what was tested afterwards, is a conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.core import cleaning as c
from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.events import Event
from accord.crm.models import Contact
from accord.experiments.models import (
    Assignment,
    AssignmentMethod,
    Experiment,
    ExperimentStatus,
    Learning,
    Outcome,
    OutcomeMetric,
    Subject,
    Variant,
)
from accord.identity import audit
from accord.identity.actor import Actor
from accord.identity.cleaning import member
from accord.identity.permissions import Action

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
MAX_VARIANTS = 10


def _key(value: Any, field: str, workspace_id: int, longest: int = 60) -> str:
    text = str(value or "").strip().lower()
    if not KEY.match(text) or len(text) > longest:
        raise ValidationFailed.single(
            field,
            f"Use up to {longest} lower-case letters, digits and hyphens, e.g. 'script-b'.",
        )
    return text


VARIANT_FIELDS = frozenset({"key", "name", "is_control", "weight", "description"})


def _metrics(value: Any, field: str, workspace_id: int) -> list[str]:
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValidationFailed.single(field, "Give a list of outcome metrics.")
    found = [str(x).strip() for x in items if str(x).strip()]
    unknown = [x for x in found if x not in OutcomeMetric.values]
    if unknown:
        raise ValidationFailed.single(
            field, f"Unknown metric {', '.join(unknown)}; use: {', '.join(OutcomeMetric.values)}."
        )
    return list(dict.fromkeys(found))


FIELDS: dict[str, c.Cleaner] = {
    "key": _key,
    "name": c.Text(200, required=True),
    "hypothesis": c.Text(4000, required=True),
    "subject": c.Choice(Subject, required=True),
    "marketing_owner_id": member,
    "sales_owner_id": member,
    "primary_metric": c.Choice(OutcomeMetric, required=True),
    "guardrails": _metrics,
    "planned_sample_size": c.PositiveInt(10_000_000),
    "planned_days": c.PositiveInt(3650),
    "assignment": c.Choice(AssignmentMethod),
    "variants": lambda value, field, ws: value,  # checked as a whole by _variants
}
FIXED_ONCE_STARTED = ("key", "variants", "assignment")
METRIC_FIELDS = ("primary_metric", "guardrails")
# A concluded experiment's learning must keep describing what was tested: only its label and
# who owns it may still change.
EDITABLE_ONCE_CONCLUDED = frozenset({"name", "marketing_owner_id", "sales_owner_id"})


def _variants(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list | tuple) or not 2 <= len(raw) <= MAX_VARIANTS:
        raise ValidationFailed.single(
            "variants", f"Give 2 to {MAX_VARIANTS} variants, one of them the control."
        )
    cleaned, errors = [], {}
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors[f"variants.{i}"] = ["Expected an object with key and name."]
            continue
        unknown = sorted(set(item) - VARIANT_FIELDS)
        if unknown:
            errors[f"variants.{i}"] = [f"Unknown field {', '.join(map(str, unknown))}."]
            continue
        try:
            key = _key(item.get("key"), f"variants.{i}.key", 0, longest=40)
            control = c.flag(item.get("is_control", False), f"variants.{i}.is_control", 0)
            name = c.Text(200, required=True)(item.get("name"), f"variants.{i}.name", 0)
            weight = c.PositiveInt(1000)(item.get("weight", 1), f"variants.{i}.weight", 0)
            description = c.Text(2000)(item.get("description"), f"variants.{i}.description", 0)
        except ValidationFailed as exc:
            errors |= exc.fields
            continue
        if not weight:
            errors[f"variants.{i}.weight"] = ["A variant's weight is at least 1."]
            continue
        cleaned.append({"key": key, "name": name, "weight": weight, "description": description,
                        "is_control": control})  # fmt: skip
    if errors:
        raise ValidationFailed("Some variants are not valid.", fields=errors)
    keys = [v["key"] for v in cleaned]
    if len(set(keys)) != len(keys):
        raise ValidationFailed.single("variants", "Each variant needs its own key.")
    if sum(1 for v in cleaned if v["is_control"]) != 1:
        raise ValidationFailed.single("variants", "Mark exactly one variant as the control.")
    return cleaned


def _check_metrics(cleaned: Mapping[str, Any], experiment: Experiment | None) -> None:
    primary = cleaned.get("primary_metric", experiment.primary_metric if experiment else "")
    guardrails = cleaned.get("guardrails", experiment.guardrails if experiment else [])
    if primary and primary in guardrails:
        raise ValidationFailed.single("guardrails", "The primary metric is not also a guardrail.")


def _key_free(actor: Actor, key: str) -> None:
    if Experiment.objects.for_workspace(actor.workspace).filter(key=key).exists():
        raise ValidationFailed.single("key", f"An experiment with key '{key}' exists already.")


def _get(actor: Actor, experiment_id: int, *, lock: bool = False) -> Experiment:
    found = Experiment.objects.for_workspace(actor.workspace).filter(pk=experiment_id)
    experiment = (found.select_for_update() if lock else found).first()
    if experiment is None:
        raise NotFound(f"No experiment {experiment_id} in this workspace.")
    return experiment


@transaction.atomic
def experiment_create(*, actor: Actor, values: Mapping[str, Any]) -> Experiment:
    actor.require(Action.RUN_EXPERIMENTS)
    cleaned = c.clean(FIELDS, values, actor.workspace.pk,
                      required=["key", "name", "hypothesis", "subject", "primary_metric",
                                "variants"])  # fmt: skip
    variants = _variants(cleaned.pop("variants"))
    _check_metrics(cleaned, None)
    _key_free(actor, cleaned["key"])
    experiment = Experiment.objects.create(workspace=actor.workspace, created_by=actor.user,
                                           **cleaned)  # fmt: skip
    Variant.objects.bulk_create(
        Variant(workspace=actor.workspace, experiment=experiment, **v) for v in variants
    )
    return experiment


@transaction.atomic
def experiment_update(*, actor: Actor, experiment_id: int, values: Mapping[str, Any]) -> Experiment:
    actor.require(Action.RUN_EXPERIMENTS)
    experiment = _get(actor, experiment_id, lock=True)
    cleaned = c.clean(FIELDS, values, actor.workspace.pk)
    for name in ("name", "hypothesis", "subject", "primary_metric"):
        if name in cleaned and not cleaned[name]:
            raise ValidationFailed.single(name, "This field is required.")
    if experiment.status == ExperimentStatus.CONCLUDED:
        _refuse_changing_what_was_tested(actor, experiment, cleaned)
    if experiment.status != ExperimentStatus.DRAFT:
        fixed = [f for f in FIXED_ONCE_STARTED if f in cleaned]
        if fixed:
            raise ValidationFailed(
                "An experiment's key, variants and assignment are fixed once it has started.",
                fields={f: ["Fixed once the experiment has started."] for f in fixed},
            )
    _check_metrics(cleaned, experiment)
    if "variants" in cleaned:
        variants = _variants(cleaned.pop("variants"))
        experiment.variants.all().delete()
        Variant.objects.bulk_create(
            Variant(workspace=actor.workspace, experiment=experiment, **v) for v in variants
        )
    if "key" in cleaned and cleaned["key"] != experiment.key:
        clash = Experiment.objects.for_workspace(actor.workspace).filter(key=cleaned["key"])
        if clash.exists():
            raise ValidationFailed.single(
                "key", f"An experiment with key '{cleaned['key']}' exists."
            )
    if experiment.status != ExperimentStatus.DRAFT:
        for name in METRIC_FIELDS:
            if name in cleaned and cleaned[name] != getattr(experiment, name):
                experiment.metric_changes = [*experiment.metric_changes, {
                    "field": name, "from": getattr(experiment, name), "to": cleaned[name],
                    "at": timezone.now().isoformat(),
                    "by": actor.user.display_name if actor.user else actor.source,
                }]  # fmt: skip
    for name, value in cleaned.items():
        setattr(experiment, name, value)
    experiment.save()
    return experiment


def _refuse_changing_what_was_tested(
    actor: Actor, experiment: Experiment, cleaned: Mapping[str, Any]
) -> None:
    """A concluded experiment's hypothesis, metrics, plan and variants are what its learning
    is about: changing them would rewrite what was tested after the fact."""
    changed = sorted(
        name for name, value in cleaned.items()
        if name not in EDITABLE_ONCE_CONCLUDED
        and (name == "variants" or value != getattr(experiment, name))
    )  # fmt: skip
    if changed:
        raise Conflict(
            f"{_concluded_note(actor, experiment)} What was tested is final "
            f"({', '.join(name.replace('_', ' ') for name in changed)}); only the name and the "
            "owners may still change.",
            fields={name: ["Final once the experiment is concluded."] for name in changed},
        )


def _concluded_note(actor: Actor, experiment: Experiment) -> str:
    """'The experiment was concluded on 2026-11-25 14:38 UTC by Maya Lin: lost — Keep the
    long form.' — when and how, for a refusal to conclude or change it again."""
    learning = (
        Learning.objects.for_workspace(actor.workspace)
        .select_related("recorded_by")
        .filter(experiment=experiment)
        .first()
    )
    if learning is None:  # not possible through the services; said plainly all the same
        return "The experiment is concluded."
    when = learning.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    who = f" by {learning.recorded_by.display_name}" if learning.recorded_by else ""
    return f"The experiment was concluded on {when}{who}: {learning.outcome} — {learning.decision}."


def _move(actor: Actor, experiment_id: int, *, from_status: str, to_status: str,
          stamp: str, verb: str) -> Experiment:  # fmt: skip
    actor.require(Action.RUN_EXPERIMENTS)
    experiment = _get(actor, experiment_id, lock=True)
    if experiment.status != from_status:
        raise Conflict(
            f"The experiment is {experiment.status}; only a "
            f"{'draft' if from_status == ExperimentStatus.DRAFT else 'running one'} can {verb}."
        )
    experiment.status = to_status
    setattr(experiment, stamp, timezone.now())
    experiment.save(update_fields=["status", stamp, "updated_at"])
    event = "started" if to_status == ExperimentStatus.RUNNING else "stopped"
    was, now = {"status": from_status}, {"status": to_status}
    audit.record(actor, f"experiment.{event}", experiment, before=was, after=now)
    return experiment


@transaction.atomic
def experiment_start(*, actor: Actor, experiment_id: int) -> Experiment:
    return _move(actor, experiment_id, from_status=ExperimentStatus.DRAFT,
                 to_status=ExperimentStatus.RUNNING, stamp="started_at", verb="start")  # fmt: skip


@transaction.atomic
def experiment_stop(*, actor: Actor, experiment_id: int) -> Experiment:
    return _move(actor, experiment_id, from_status=ExperimentStatus.RUNNING,
                 to_status=ExperimentStatus.STOPPED, stamp="stopped_at", verb="stop")  # fmt: skip


LEARNING_FIELDS: dict[str, c.Cleaner] = {
    "outcome": c.Choice(Outcome, required=True),
    "decision": c.Text(300, required=True),
    "result": c.Text(4000, required=True),
    "learned": c.Text(4000, required=True),
}


@transaction.atomic
def experiment_conclude(*, actor: Actor, experiment_id: int, values: Mapping[str, Any]) -> Learning:
    """Record the decision, the result and what was learned — a loss as much as a win."""
    actor.require(Action.RUN_EXPERIMENTS)
    experiment = _get(actor, experiment_id, lock=True)
    if experiment.status == ExperimentStatus.DRAFT:
        raise Conflict("A draft has not run: start it, or delete it.")
    if experiment.status == ExperimentStatus.CONCLUDED:
        # A conclusion is final: a second one would silently rewrite the learnings log.
        raise Conflict(f"{_concluded_note(actor, experiment)} A conclusion is final.")
    cleaned = c.clean(LEARNING_FIELDS, values, actor.workspace.pk,
                      required=list(LEARNING_FIELDS))  # fmt: skip
    learning = Learning.objects.create(
        workspace=actor.workspace, experiment=experiment, recorded_by=actor.user, **cleaned
    )
    status_before = experiment.status
    experiment.status = ExperimentStatus.CONCLUDED
    experiment.stopped_at = experiment.stopped_at or timezone.now()
    experiment.save(update_fields=["status", "stopped_at", "updated_at"])
    after = {"status": ExperimentStatus.CONCLUDED.value, **cleaned}
    audit.record(
        actor, "experiment.concluded", experiment, before={"status": status_before}, after=after
    )
    return learning


@transaction.atomic
def experiment_delete(*, actor: Actor, experiment_id: int) -> None:
    actor.require(Action.RUN_EXPERIMENTS)
    experiment = _get(actor, experiment_id, lock=True)
    if experiment.status != ExperimentStatus.DRAFT:
        raise Conflict("Only a draft can be deleted; a started experiment is concluded instead.")
    audit.record(actor, "experiment.deleted", experiment, before=audit.all_fields(experiment))
    experiment.delete()


# Assignment --------------------------------------------------------------------------------


def bucket(experiment_key: str, contact_id: int) -> float:
    """A stable number in [0, 1) for the contact in this experiment: the same contact always
    lands in the same variant, and experiments hash independently of each other."""
    digest = hashlib.sha256(f"{experiment_key}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def variant_for(variants: Sequence[Variant], experiment_key: str, contact_id: int) -> Variant:
    total = sum(v.weight for v in variants)
    point, edge = bucket(experiment_key, contact_id) * total, 0
    for variant in variants:
        edge += variant.weight
        if point < edge:
            return variant
    return variants[-1]


def _running(actor: Actor, experiment_id: int) -> Experiment:
    experiment = _get(actor, experiment_id)
    if experiment.status != ExperimentStatus.RUNNING:
        raise Conflict(f"The experiment is {experiment.status}: contacts join running ones only.")
    return experiment


@transaction.atomic
def assign_new_contacts(*, actor: Actor, experiment_id: int) -> int:
    """Assign by hash every contact created since the experiment started that has no variant
    yet (the contact.created subscriber does it as they come; this catches up). Safe to
    re-run: how many were assigned."""
    actor.require(Action.RUN_EXPERIMENTS)
    experiment = _running(actor, experiment_id)
    if experiment.assignment != AssignmentMethod.HASH:
        raise Conflict("This experiment's variants are recorded by the marketing tool.")
    return _assign_by_hash(experiment, since_created=experiment.started_at)


def _assign_by_hash(experiment: Experiment, *, since_created: Any = None,
                    contact_ids: Sequence[int] | None = None) -> int:  # fmt: skip
    variants = list(experiment.variants.all())
    contacts = Contact.objects.for_workspace(experiment.workspace_id)
    if contact_ids is not None:
        contacts = contacts.filter(pk__in=list(contact_ids))
    if since_created is not None:
        contacts = contacts.filter(created_at__gte=since_created)
    taken = Assignment.objects.for_workspace(experiment.workspace_id).filter(experiment=experiment)
    rows = list(contacts.exclude(pk__in=taken.values("contact_id")).values_list("pk", "created_at"))
    now = timezone.now()
    Assignment.objects.bulk_create(
        (Assignment(workspace_id=experiment.workspace_id, experiment=experiment,
                    variant=variant_for(variants, experiment.key, pk), contact_id=pk,
                    assigned_at=max(created, experiment.started_at or created) if created else now,
                    source=AssignmentMethod.HASH)
         for pk, created in rows),
        batch_size=2_000, ignore_conflicts=True,
    )  # fmt: skip
    return len(rows)


def assign_on_creation(workspace_id: int, contact_id: int) -> None:
    """A new contact joins every running hash-assigned experiment of its workspace."""
    running = Experiment.objects.for_workspace(workspace_id).filter(
        status=ExperimentStatus.RUNNING, assignment=AssignmentMethod.HASH
    )
    for experiment in running:  # as the catch-up: contacts created since the start
        _assign_by_hash(experiment, since_created=experiment.started_at, contact_ids=[contact_id])


# How far ahead of Accord's clock the marketing tool's may run before a time is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)


def _assigned_at(value: Any, field: str, experiment: Experiment, now: dt.datetime) -> dt.datetime:
    """When the tool assigned the contact (now if not said): not before the experiment started
    (the contact would be credited with what happened before it joined) nor in the future (it
    would sit in the denominator, unable to convert)."""
    at = c.datetime(value, field, experiment.workspace_id) or now
    started = experiment.started_at
    if started is not None and at < started:
        raise ValidationFailed.single(
            field, f"{at.isoformat()} is before the experiment started "
            f"({started.astimezone(dt.UTC).isoformat()}): a contact joins it after the start.",
        )  # fmt: skip
    if at > now + CLOCK_SKEW:
        raise ValidationFailed.single(
            field, f"{at.isoformat()} is in the future (now is "
            f"{now.astimezone(dt.UTC).isoformat(timespec='seconds')}): send when the contact "
            "was assigned.",
        )  # fmt: skip
    return at


@transaction.atomic
def record_assignments(
    *, actor: Actor, experiment_id: int, rows: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Assignments made by the marketing tool: [{contact_id, variant (key), assigned_at?}].
    Repeating one changes nothing; moving a contact to another variant is refused (the
    results would mix), and so is a time before the start or in the future. All rows or
    none."""
    actor.require(Action.WRITE_RECORDS)
    experiment = _running(actor, experiment_id)
    now = timezone.now()
    variants = {v.key: v for v in experiment.variants.all()}
    existing = dict(
        Assignment.objects.for_workspace(actor.workspace)
        .filter(experiment=experiment)
        .values_list("contact_id", "variant__key")
    )
    errors: dict[str, list[str]] = {}
    new: list[Assignment] = []
    known = set(
        Contact.objects.for_workspace(actor.workspace)
        .filter(pk__in=[r.get("contact_id") for r in rows if isinstance(r.get("contact_id"), int)])
        .values_list("pk", flat=True)
    )
    for i, row in enumerate(rows):
        contact, key = row.get("contact_id"), str(row.get("variant", ""))
        if contact not in known:
            errors[f"{i}.contact_id"] = [f"No contact {contact} in this workspace."]
        elif key not in variants:
            errors[f"{i}.variant"] = [f"No variant '{key}'; use: {', '.join(variants)}."]
        elif contact in existing and existing[contact] != key:
            errors[f"{i}.variant"] = [f"Contact {contact} is in variant '{existing[contact]}'."]
        elif contact not in existing:
            try:
                at = _assigned_at(row.get("assigned_at"), f"{i}.assigned_at", experiment, now)
            except ValidationFailed as exc:
                errors |= exc.fields
                continue
            existing[contact] = key
            new.append(Assignment(workspace=actor.workspace, experiment=experiment,
                                  variant=variants[key], contact_id=contact, assigned_at=at,
                                  source=AssignmentMethod.RECORDED))  # fmt: skip
    if errors:
        raise ValidationFailed("Nothing was recorded: some rows are not valid.", fields=errors)
    try:
        Assignment.objects.bulk_create(new)
    except IntegrityError as exc:  # a concurrent request recorded the same contact
        raise Conflict("Some contacts were assigned meanwhile; send the rows again.") from exc
    return {"recorded": len(new), "unchanged": len(rows) - len(new)}


@transaction.atomic
def record_exposure(*, actor: Actor, experiment_id: int, contact_id: int) -> Assignment:
    """The contact saw its variant (the page, the email, the script): counted, first time kept."""
    actor.require(Action.WRITE_RECORDS)
    experiment = _running(actor, experiment_id)
    assignment = (
        Assignment.objects.for_workspace(actor.workspace)
        .select_for_update()
        .filter(experiment=experiment, contact_id=contact_id)
        .first()
    )
    if assignment is None:
        raise NotFound(f"Contact {contact_id} is not in experiment '{experiment.key}'.")
    assignment.exposures += 1
    assignment.exposed_at = assignment.exposed_at or timezone.now()
    assignment.save(update_fields=["exposures", "exposed_at", "updated_at"])
    return assignment


def on_contact_created(event: Event) -> None:
    """A new contact joins the running hash-assigned experiments (via `subscribers.on_event`)."""
    if isinstance(pk := event.data.get("contact_id"), int):
        assign_on_creation(event.workspace_id, pk)
