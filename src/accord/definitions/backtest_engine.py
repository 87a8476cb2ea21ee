"""When each contact would first have qualified as an MQL under a definition: pure numpy.

A back-test replays history. Fit is read from the contacts' current attributes (history of
attribute edits is not kept, so a back-test assumes today's titles and company sizes held all
along). Engagement is replayed event by event: with positive points it only rises at an event
and decays between events, so the first moment a contact meets the thresholds is its creation
or one of its events. Each contact's decayed per-rule sums are carried from one event to the
next (S <- S * 0.5^(gap / half_life) + points), processing the k-th event of every contact
together, so the work is one vector step per event rank rather than one per event.

The result at an event time equals `scoring.score(..., as_of=that time)` for that contact (a
property test checks this). Only contacts that could reach the thresholds at all (undecayed,
capped points: `_engagement_bound`) are replayed. Rules with negative points can lift a score
as their penalty decays between events; such a crossing is seen at the contact's next event,
not in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accord.definitions.document import LeadDefinitionDocument, clamped
from accord.definitions.scoring import (
    SECONDS_PER_DAY,
    BoolArray,
    ContactColumns,
    EventColumns,
    FloatArray,
    IntArray,
    _domain_hits,
    _fit,
    _mql,
    _rule_events,
)


def _static_penalty(doc: LeadDefinitionDocument, contacts: ContactColumns) -> FloatArray:
    """Competitor and student penalties: they depend on the e-mail domain, not on time."""
    signals = doc.negative_signals
    penalty = np.zeros(contacts.size, dtype=np.float64)
    if signals.competitor:
        hit = _domain_hits(contacts.email_domain, signals.competitor_domains)
        penalty += np.where(hit, signals.competitor, 0.0)
    if signals.student:
        hit = _domain_hits(contacts.email_domain, signals.student_domains)
        penalty += np.where(hit, signals.student, 0.0)
    return penalty


def _by_contact_and_time(contact: IntArray, when: FloatArray) -> IntArray:
    """The order of events by contact, then time (stable). Events read for a bulk job come in
    that order already (`EventTable`), which one pass confirms instead of sorting again."""
    if len(contact) < 2:
        return np.arange(len(contact))
    same = contact[1:] == contact[:-1]
    if (contact[1:] >= contact[:-1]).all() and (~same | (when[1:] >= when[:-1])).all():
        return np.arange(len(contact))
    return np.lexsort((when, contact))


def _rank_within_contact(contact_index: np.ndarray) -> np.ndarray:
    """0 for each contact's first (sorted) event, 1 for its second, and so on."""
    n = len(contact_index)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.nonzero(np.diff(contact_index))[0] + 1]
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


def first_qualified(
    doc: LeadDefinitionDocument,
    contacts: ContactColumns,
    events: EventColumns,
    created: FloatArray,
    until: float,
) -> FloatArray:
    """Epoch seconds at which each contact first meets the MQL thresholds (its creation or one
    of its events up to `until`), NaN for contacts that never do."""
    return first_qualified_each([doc], contacts, events, created, until)[0]


def _engagement_key(doc: LeadDefinitionDocument) -> str:
    """What the replayed engagement depends on: versions alike here (a what-if that moves
    only the thresholds or fit rules) share one replay."""
    return doc.model_dump_json(include={"engagement_rules", "negative_signals", "half_life_days"})


def first_qualified_each(
    docs: list[LeadDefinitionDocument],
    contacts: ContactColumns,
    events: EventColumns,
    created: FloatArray,
    until: float,
) -> list[FloatArray]:
    """`first_qualified` for several versions over the same contacts and events, replaying the
    engagement once for versions that score it alike."""
    docs = [clamped(doc) for doc in docs]  # as `scoring.score` reads them
    n = contacts.size
    keep = events.timestamp <= until
    if not keep.all():
        events = events.select(keep)
    results: list[FloatArray] = []
    fits = [_fit(doc, contacts) for doc in docs]
    replays: dict[str, _Replay | None] = {}
    for doc, (fit, grade) in zip(docs, fits, strict=True):
        static = _static_penalty(doc, contacts)
        first = np.full(n, np.nan)
        at_creation = _mql(doc, fit, grade, static) & (created <= until)
        first[at_creation] = created[at_creation]
        results.append(first)
        if not len(events.timestamp) or (not doc.engagement_rules and not _has_event_penalty(doc)):
            continue
        key = _engagement_key(doc)
        if key not in replays:
            alike = [i for i, other in enumerate(docs) if _engagement_key(other) == key]
            bound = _engagement_bound(doc, events, static, n)
            reachable = np.zeros(n, dtype=bool)
            for i in alike:
                reachable |= _mql(docs[i], fits[i][0], fits[i][1], bound)
            replays[key] = _replay(doc, events, static, reachable)
        replay = replays[key]
        if replay is not None:
            who = replay.who
            qualifies = _mql(doc, fit[who], grade[who], replay.engagement) & replay.settled
            np.fmin.at(first, who[qualifies], replay.when[qualifies])
    return results


@dataclass(frozen=True)
class _Replay:
    """Each replayed event's contact, time and engagement just after it, and whether it is the
    last of its contact's events at that instant (several at one instant count together)."""

    who: IntArray
    when: FloatArray
    engagement: FloatArray
    settled: BoolArray


def _replay(
    doc: LeadDefinitionDocument, events: EventColumns, static: FloatArray, reachable: BoolArray
) -> _Replay | None:
    """Replay the events of the `reachable` contacts, the k-th event of every contact in one
    vector step. Events are put in step order once, so each step reads contiguous slices, and
    the per-contact sums cover only the replayed contacts."""
    events = events.select(reachable[events.contact_index])
    if not len(events.timestamp):
        return None
    order = _by_contact_and_time(events.contact_index, events.timestamp)
    who = events.contact_index[order]
    when = events.timestamp[order]
    settled = np.r_[(who[1:] != who[:-1]) | (when[1:] != when[:-1]), True]
    rank = _rank_within_contact(who)
    # Ranks are small: as 16-bit integers numpy sorts them stably by radix, not by merging.
    small = rank.max() < np.iinfo(np.uint16).max
    by_rank = np.argsort(rank.astype(np.uint16) if small else rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
    stepped = events.select(order[by_rank])
    who, when, settled = who[by_rank], when[by_rank], settled[by_rank]

    replayed = np.flatnonzero(reachable)
    local = np.full(len(reachable), -1, dtype=np.int64)
    local[replayed] = np.arange(len(replayed))
    at = local[who]  # each event's contact among the replayed ones
    rules = doc.engagement_rules
    points = np.zeros((len(who), len(rules)), dtype=np.float64, order="F")  # filled by column
    for r, rule in enumerate(rules):
        points[:, r] = np.where(_rule_events(rule, stepped), rule.points, 0.0)
    caps = np.array([rule.cap if rule.cap is not None else np.inf for rule in rules])
    unsubscribed = stepped.is_kind("touchpoint:unsubscribe")
    bounced = stepped.is_kind("touchpoint:bounce")
    signals = doc.negative_signals
    half_life = doc.half_life_days

    m = len(replayed)
    sums = np.zeros((m, len(rules)), dtype=np.float64)
    last_seen = np.zeros(m, dtype=np.float64)
    penalty = static[replayed].copy()  # grows once per contact at its first unsubscribe / bounce
    seen_unsubscribe = np.zeros(m, dtype=bool)
    seen_bounce = np.zeros(m, dtype=bool)
    engagement = np.empty(len(who), dtype=np.float64)
    for k in range(len(bounds) - 1):
        step = slice(bounds[k], bounds[k + 1])
        c = at[step]
        t = when[step]
        if k and half_life is not None:
            decay = np.power(0.5, (t - last_seen[c]) / SECONDS_PER_DAY / half_life)
            sums[c] = sums[c] * decay[:, None] + points[step]
        else:
            sums[c] = sums[c] + points[step]
        last_seen[c] = t
        _apply_event_penalty(penalty, seen_unsubscribe, c, unsubscribed[step], signals.unsubscribe)
        _apply_event_penalty(penalty, seen_bounce, c, bounced[step], signals.bounce)
        engagement[step] = np.clip(sums[c], -caps, caps).sum(axis=1) + penalty[c]
    return _Replay(who=who, when=when, engagement=engagement, settled=settled)


def _engagement_bound(
    doc: LeadDefinitionDocument, events: EventColumns, static: FloatArray, n: int
) -> FloatArray:
    """The most engagement each contact can ever show from these events: every positive point
    undecayed, within its rule's cap, less the penalties that never decay (negative signals
    only lower it further). A contact whose bound misses the thresholds never qualifies, so its
    events need no replay; on real data that is most of them."""
    bound = static.copy()
    kinds = len(events.kind_names)
    per_kind = None  # events per contact and kind, counted at once for rules on a kind alone
    for rule in doc.engagement_rules:
        if rule.points <= 0:
            continue
        if rule.campaign_id is None and rule.utm_content is None:
            if rule.kind not in events.kind_names:
                continue
            if per_kind is None:
                key = events.contact_index * kinds + events.kind_code
                per_kind = np.bincount(key, minlength=n * kinds).reshape(n, kinds)
            count = per_kind[:, events.kind_names.index(rule.kind)]
        else:
            count = np.bincount(events.contact_index[_rule_events(rule, events)], minlength=n)
        total = count.astype(np.float64) * rule.points
        bound += np.minimum(total, rule.cap) if rule.cap is not None else total
    return bound


def _has_event_penalty(doc: LeadDefinitionDocument) -> bool:
    return bool(doc.negative_signals.unsubscribe or doc.negative_signals.bounce)


def _apply_event_penalty(
    penalty: FloatArray, seen: BoolArray, who: np.ndarray, hit: BoolArray, points: float
) -> None:
    if not points:
        return
    new = who[hit & ~seen[who]]
    new = np.unique(new)
    penalty[new] += points
    seen[new] = True
