"""Benchmark: re-scoring every contact of a large demo workspace with a 30-rule lead definition,
beside a plain numpy evaluation of the same rules over the same rows, measured in the same run.

    python bench/rescore.py                       # 1,000,000 contacts (generated once, reused)
    python bench/rescore.py --contacts 100000

The demo dataset is generated into --data-dir on the first run (a few minutes at a million
contacts) and reused afterwards. Accord's side is a full re-score job: load contacts, companies,
touchpoints and activities (from the columnar copy, as for any workspace this large), score,
upsert the scores that changed and append the lead -> MQL transitions to the ledger. The
reference reads the same columns with the sqlite3 module and evaluates the same rules with
straightforward numpy, written independently of Accord's scoring module; both must agree on the
number of contacts that qualify. Target (issue 4): at most 10 s
at a million contacts.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figure, add_json_option, write_json
from definition_sample import BENCH_DOCUMENT, RULES, reference_mql


def _setup(contacts: int) -> Any:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.config.settings")
    django.setup()
    from django.core.management import call_command

    from accord.demo.loader import demo_generate

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    result = demo_generate(contacts=contacts, seed=42, as_of=None)
    took = time.perf_counter() - started
    if took > 5:
        print(f"generated the {contacts:,}-contact demo dataset in {took:.0f} s")
    return result.dataset.workspace


def _activate(workspace: Any) -> int:
    """Make the benchmark document the active definition (through the services)."""
    from accord.definitions import services
    from accord.definitions.selectors import active_definition
    from accord.identity.actor import Actor, Source
    from accord.identity.models import Membership, Role

    active = active_definition(workspace)
    if active is not None and active.document == services.validated_document(BENCH_DOCUMENT):
        return active.version
    managers = Membership.objects.for_workspace(workspace).filter(role=Role.MANAGER)
    marketing = managers.filter(team__kind="marketing").select_related("user", "workspace").first()
    sales = managers.filter(team__kind="sales").select_related("user", "workspace").first()
    assert marketing is not None and sales is not None, "the demo has both managers"
    author = Actor.for_membership(marketing, Source.CLI)
    draft = services.definition_create_draft(actor=author, document=BENCH_DOCUMENT)
    services.definition_propose(actor=author, definition_id=draft.pk)
    for member in (marketing, sales):
        services.definition_approve(
            actor=Actor.for_membership(member, Source.CLI), definition_id=draft.pk
        )
    return services.definition_activate(actor=author, definition_id=draft.pk).version


def run_accord(workspace: Any) -> dict[str, Any]:
    from accord.definitions.models import ContactScore
    from accord.definitions.rescoring import rescore_queue, rescore_run
    from accord.identity.actor import Actor, Source

    job = rescore_queue(Actor.system(workspace, Source.SYSTEM))
    started = time.perf_counter()
    job = rescore_run(workspace.pk, job.pk)
    seconds = time.perf_counter() - started
    scores = ContactScore.objects.for_workspace(workspace)
    as_of = job.started_at  # the moment every score of the run is computed for
    return {
        "seconds": seconds,
        "scored": job.done,
        "promoted": job.promoted,
        "mql": scores.filter(mql=True).count(),
        "as_of": as_of.timestamp() if as_of else time.time(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default=None, help="where the demo database lives")
    add_json_option(parser)
    args = parser.parse_args()
    data_dir = Path(args.data_dir or Path(tempfile.gettempdir()) / f"accord-bench-{args.contacts}")
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["ACCORD_DATA_DIR"] = str(data_dir)
    # Production settings (no query log); a throwaway key for this local run only.
    os.environ["ACCORD_DEBUG"] = "0"
    os.environ["ACCORD_INSECURE_HTTP"] = "1"
    os.environ.setdefault("ACCORD_SECRET_KEY", secrets.token_urlsafe(50))
    workspace = _setup(args.contacts)
    version = _activate(workspace)
    print(f"{args.contacts:,} contacts, lead definition v{version} with {RULES} rules")

    runs = []
    figures = []
    for label in ("first re-score", "second re-score"):
        accord = run_accord(workspace)
        runs.append(accord)
        started = time.perf_counter()
        scored, qualifying = reference_mql(
            str(data_dir / "accord.sqlite3"), workspace.pk, accord["as_of"]
        )
        reference = time.perf_counter() - started
        agree = "agree" if (scored, qualifying) == (accord["scored"], accord["mql"]) else "DIFFER"
        print(
            f"{label}: Accord {accord['seconds']:.1f} s ({accord['scored']:,} scored, "
            f"{accord['promoted']:,} moved to MQL) | numpy reference {reference:.1f} s | "
            f"ratio {accord['seconds'] / reference:.2f}x | qualifying: Accord {accord['mql']:,}, "
            f"reference {qualifying:,} ({agree})"
        )
        figures.append(Figure(
            f"re-score ({label.split()[0]} run), {accord['scored']:,} contacts", accord["seconds"],
            "s", reference, "<= 10 s at 1,000,000 contacts",
            accord["seconds"] <= 10 if args.contacts == 1_000_000 else None,
            note=f"qualifying: Accord {accord['mql']:,}, reference {qualifying:,} ({agree})",
        ))  # fmt: skip
    write_json(args.json, "rescore", figures, contacts=args.contacts, rules=RULES)


if __name__ == "__main__":
    main()
