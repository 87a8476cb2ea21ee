"""Benchmark: all ten rule-based attribution models over generated journeys, the numpy batch
engine (accord.attribution.batch) against the pure-Python rules.attribute loop, measured in the
same run.

    python bench/attribution_rules.py                    # 1,000,000 generated journeys
    python bench/attribution_rules.py --journeys 200000 --sample 5000

Target (issue): all ten models together on 1,000,000 journeys in at most 1 s. The batch is
built outside the timing (arrays plus validation); inside, on a fresh batch each round (so the
layout the models share — journeys grouped by length — is worked out inside too), for every
model: the weights, the credit to the cent and the per-channel totals. Best of three, in two
variants: with the per-touch weights and cents left in the engine's block order (the report
reads only the totals), and with them also put back in the batch's touch order (two gathers of
4M entries per model); either way a model's arrays are dropped once its totals are taken.

The reference runs rules.attribute (summing each channel's credit) over the first `--sample`
journeys and is extrapolated linearly to the full size; the batch's per-channel totals on that
sample are checked against it to the cent.

Journeys: 1 + Poisson(3) touches, 10 channels (direct among them), gaps exponential (mean three
days), lead known for 70 % and opportunity for 60 % of journeys; amounts log-normal around
$20,000, half of them rounded to the hundred dollars, as quotes are.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from accord.attribution.batch import JourneyBatch
from accord.attribution.batch_credit import attribute_batch
from accord.attribution.rules import DAY, MODELS, Journey, Touch, attribute

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, add_json_option, write_json

CHANNELS = (
    "direct", "email", "paid_search", "organic_search", "social",
    "webinar", "event", "display", "referral", "partner",
)  # fmt: skip
CHANNEL_ODDS = (0.22, 0.14, 0.12, 0.12, 0.1, 0.08, 0.06, 0.06, 0.05, 0.05)


def generate(n: int, seed: int = 11) -> tuple[JourneyBatch, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = 1 + rng.poisson(3.0, n)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    journey = np.repeat(np.arange(n), lengths)
    gaps = rng.exponential(3 * DAY, offsets[-1])
    gaps[offsets[:-1]] = 0.0
    elapsed = np.cumsum(gaps)
    at = 1.7e9 + rng.uniform(0, 365 * DAY, n)[journey] + (elapsed - elapsed[offsets[:-1]][journey])
    lead = np.where(rng.random(n) < 0.7, rng.integers(0, lengths), -1)
    opportunity = np.where(rng.random(n) < 0.6, rng.integers(np.maximum(lead, 0), lengths), -1)
    amounts = np.round(rng.lognormal(np.log(20_000.0), 1.0, n) * 100).astype(np.int64)
    amounts = np.where(rng.random(n) < 0.5, amounts // 10_000 * 10_000, amounts)
    batch = JourneyBatch(
        offsets=offsets,
        channel=rng.choice(len(CHANNELS), offsets[-1], p=CHANNEL_ODDS).astype(np.int32),
        at=at,
        lead_index=lead,
        opportunity_index=opportunity,
        channels=CHANNELS,
        direct_code=CHANNELS.index("direct"),
    )
    return batch, amounts


def journeys(batch: JourneyBatch, count: int) -> list[Journey]:
    out = []
    for j in range(count):
        start, end = batch.offsets[j], batch.offsets[j + 1]
        touches = tuple(
            Touch(batch.channels[c], a)
            for c, a in zip(
                batch.channel[start:end].tolist(), batch.at[start:end].tolist(), strict=True
            )
        )
        lead, opportunity = int(batch.lead_index[j]), int(batch.opportunity_index[j])
        out.append(Journey(touches, touches[-1].at, None if lead < 0 else lead,
                           None if opportunity < 0 else opportunity))  # fmt: skip
    return out


def run_batch(
    batch: JourneyBatch, amounts: np.ndarray, *, in_touch_order: bool
) -> dict[str, np.ndarray]:
    """Each model's cents per channel code. A model's per-touch arrays are dropped once its
    totals are taken, as the report would (all ten kept at 1M journeys hold about 1 GB)."""
    batch.prepare()  # what the models share, once
    totals = {}
    for model in MODELS:
        result = attribute_batch(model, batch, amounts)
        if in_touch_order:
            _ = (result.weights, result.cents)  # put in touch order on first use
        totals[model] = result.channel_cents
    return totals


def best_of_three(batch: JourneyBatch, amounts: np.ndarray, *, in_touch_order: bool) -> float:
    times = []
    for _ in range(3):
        fresh = dataclasses.replace(batch)  # validated again here, its layout not yet made
        start = time.perf_counter()
        run_batch(fresh, amounts, in_touch_order=in_touch_order)
        times.append(time.perf_counter() - start)
    return min(times)


def run_reference(sample: list[Journey], amounts: list[Decimal]) -> dict[str, dict[str, Decimal]]:
    totals: dict[str, dict[str, Decimal]] = {}
    for model in MODELS:
        per_channel = dict.fromkeys(CHANNELS, Decimal(0))
        for journey, amount in zip(sample, amounts, strict=True):
            for touch, part in zip(journey.touches, attribute(model, journey, amount), strict=True):
                per_channel[touch.channel] += part
        totals[model] = per_channel
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="journeys for the reference")
    add_json_option(parser)
    args = parser.parse_args()
    batch, amounts = generate(args.journeys)
    print(f"{batch.n_journeys:,} journeys, {batch.n_touches:,} touches, {len(CHANNELS)} channels")

    variants = {
        "per-touch weights and cents left in block order": False,
        "per-touch weights and cents also put in touch order": True,
    }
    timings = {
        name: best_of_three(batch, amounts, in_touch_order=in_touch_order)
        for name, in_touch_order in variants.items()
    }

    size = min(args.sample, batch.n_journeys)
    sample = journeys(batch, size)
    sample_amounts = [Decimal(int(c)).scaleb(-2) for c in amounts[:size]]
    start = time.perf_counter()
    reference = run_reference(sample, sample_amounts)
    reference_time = (time.perf_counter() - start) * batch.n_journeys / size

    small = JourneyBatch.from_journeys(sample)
    ours = run_batch(small, amounts[:size], in_touch_order=False)
    agree = all(
        int(ours[model][code]) == int(reference[model][name].scaleb(2))
        for model in MODELS
        for code, name in enumerate(small.channels)
    )
    print(
        f"per-channel totals on the {size:,}-journey sample agree with rules to the cent: {agree}"
    )
    print(
        f"reference, the rules.attribute loop: {reference_time:.1f} s for "
        f"{batch.n_journeys:,} journeys (extrapolated from {size:,})"
    )
    figures = []
    for name, seconds in timings.items():
        figures.append(Figure(
            f"ten rule-based models, {batch.n_journeys:,} journeys ({name})", seconds, "s",
            reference_time, "<= 1 s at 1,000,000 journeys",
            seconds <= 1.0 if batch.n_journeys == 10**6 else None,
            note=f"reference extrapolated from {size:,} journeys; totals agree: {agree}",
        ))  # fmt: skip
        verdict = ("met" if seconds <= 1.0 else "missed") if batch.n_journeys == 10**6 else "n/a"
        print(
            f"batch, all ten models, {name}: {seconds:.3f} s, ratio {seconds / reference_time:.4f}"
            f" ({reference_time / seconds:,.0f}x faster); target (1M journeys, <= 1 s): {verdict}"
        )
    write_json(args.json, "attribution_rules", figures, journeys=batch.n_journeys,
               touches=batch.n_touches)  # fmt: skip


if __name__ == "__main__":
    main()
