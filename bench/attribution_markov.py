"""Benchmark: first-order Markov attribution, exact (accord.attribution.markov) against the
ChannelAttribution package's simulating ``markov_model`` (GPL, a dev dependency) on the same
aggregated journeys, measured in the same run (best of three each).

    python bench/attribution_markov.py                 # 1,000,000 generated journeys
    python bench/attribution_markov.py --journeys 200000 --nsim 1e6

Target (issue 7): ours at most 0.5 x the package's time. The package runs with its defaults
(nsim_start=1e5, ncore=1) except max_step=100, verbose and banner off; its input DataFrame
(path strings joined by " > ") is built outside the timing, as ours is a list of tuples.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, add_json_option, write_json
from tests.attribution.test_markov import CHANNELS, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--nsim", type=float, default=1e5, help="the package's nsim_start")
    add_json_option(parser)
    args = parser.parse_args()
    import pandas as pd
    from ChannelAttribution import markov_model

    from accord.attribution.markov import MarkovAttribution, markov_attribution

    paths = generate(args.journeys, seed=11)
    print(f"{args.journeys:,} journeys, {len(paths):,} distinct paths, {len(CHANNELS)} channels")
    frame = pd.DataFrame(
        {
            "path": [" > ".join(p) for p, _, _ in paths],
            "conversions": [c for _, c, _ in paths],
            "nulls": [n for _, _, n in paths],
        }
    )
    ours_times, theirs_times = [], []
    for _ in range(3):
        start = time.perf_counter()
        ours = markov_attribution(paths)
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs = markov_model(
            frame,
            "path",
            "conversions",
            var_null="nulls",
            order=1,
            nsim_start=args.nsim,
            max_step=100,
            seed=1,
            ncore=1,
            verbose=False,
            flg_pro=False,
        )
        theirs_times.append(time.perf_counter() - start)
    assert isinstance(ours, MarkovAttribution)
    shares = theirs.total_conversions / theirs.total_conversions.sum()
    print(f"{'channel':<12} {'exact share':>12} {'package share':>14} {'diff (pp)':>10}")
    for name, share in zip(theirs.channel_name, shares, strict=True):
        exact = ours.credits[name] / ours.value
        print(f"{name:<12} {exact:>12.4f} {share:>14.4f} {100 * (exact - share):>10.2f}")
    ours_best, theirs_best = min(ours_times), min(theirs_times)
    print(
        f"ours {ours_best:.3f} s, ChannelAttribution {theirs_best:.3f} s, "
        f"ratio {ours_best / theirs_best:.2f} (target <= 0.5)"
    )
    largest = max(abs(ours.credits[n] / ours.value - s)
                  for n, s in zip(theirs.channel_name, shares, strict=True))  # fmt: skip
    write_json(args.json, "attribution_markov", [
        Figure(f"Markov attribution, {args.journeys:,} journeys", ours_best, "s", theirs_best,
               "<= 0.5x ChannelAttribution", ours_best / theirs_best <= 0.5,
               note=f"largest share difference {100 * largest:.2f} pp"),
    ], journeys=args.journeys, paths=len(paths))  # fmt: skip


if __name__ == "__main__":
    main()
