"""`accord alignment`: the alignment scorecard, the behavioural index, the survey's pulses, the
survey itself and the index's weighting.

    accord alignment scorecard --workspace demo [--days 90] [--format json]
    accord alignment index --workspace demo [--start 2025-01-01] [--end 2025-04-01]
    accord alignment pulse open --workspace demo --as boss@acme.com [--title T] [--days 14]
    accord alignment pulse close ID --workspace demo --as boss@acme.com
    accord alignment pulse list --workspace demo
    accord alignment pulse show ID --workspace demo [--format json]
    accord alignment survey show --workspace demo
    accord alignment survey update survey.json --workspace demo --as boss@acme.com
    accord alignment weighting show --workspace demo
    accord alignment weighting set weights.json --workspace demo --as boss@acme.com
    accord alignment remind
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q
from django.utils import timezone

from accord.alignment import services
from accord.alignment.behaviour import behaviour_index
from accord.alignment.instrument import DEFAULT_INSTRUMENT
from accord.alignment.models import Participation
from accord.alignment.presentation import index_document, pulse_document, scorecard_document
from accord.alignment.scorecard import DEFAULT_DAYS, Scorecard, scorecard
from accord.alignment.survey_results import TEAMS, pulse_result, pulses
from accord.core.errors import AccordError
from accord.core.periods import last_days
from accord.identity.cli_support import cli_actor, command_error, text_table, workspace_by_slug


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


def _when(value: str) -> dt.datetime:
    """A date (midnight UTC) or an ISO time (UTC when it has no offset)."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date (YYYY-MM-DD) or an ISO time.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Alignment: the scorecard, the behavioural index, the survey and its pulses."

    def add_arguments(self, parser: CommandParser) -> None:
        subs = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        p = subs.add_parser("scorecard", help="survey and behaviour per area, weakest first")
        p.add_argument("--workspace", required=True, metavar="SLUG")
        p.add_argument("--days", type=int, default=DEFAULT_DAYS, help="the behaviour's period")
        p.add_argument("--format", choices=("table", "json"), default="table")
        p = subs.add_parser("index", help="the behavioural alignment index, component by component")
        p.add_argument("--workspace", required=True, metavar="SLUG")
        p.add_argument("--start", help=f"YYYY-MM-DD (default {DEFAULT_DAYS} days before end)")
        p.add_argument("--end", help="YYYY-MM-DD, exclusive (default now)")
        p.add_argument("--format", choices=("table", "json"), default="table")
        subs.add_parser("remind", help="close pulses past their end, remind who has not answered")

        pulse = subs.add_parser("pulse", help="open, close, list and read the survey's pulses")
        pulse_subs = pulse.add_subparsers(dest="pulse_action", required=True, metavar="ACTION")
        p = pulse_subs.add_parser("open", help="open a pulse to both teams")
        p.add_argument("--title", default="")
        p.add_argument("--days", default=14, type=int, help="how long it stays open")
        self._writer(p)
        p = pulse_subs.add_parser("close", help="close a pulse")
        p.add_argument("pulse_id", type=int, metavar="ID")
        self._writer(p)
        p = pulse_subs.add_parser("list", help="the pulses, newest first")
        p.add_argument("--workspace", required=True, metavar="SLUG")
        p = pulse_subs.add_parser("show", help="a pulse's results (anonymity rule applied)")
        p.add_argument("pulse_id", type=int, metavar="ID")
        p.add_argument("--workspace", required=True, metavar="SLUG")
        p.add_argument("--format", choices=("table", "json"), default="table")

        for name, what in (("survey", "the survey's items"), ("weighting", "the index's weights")):
            group = subs.add_parser(name, help=f"show or change {what}")
            group_subs = group.add_subparsers(
                dest=f"{name}_action", required=True, metavar="ACTION"
            )
            p = group_subs.add_parser("show", help=f"print {what} as JSON")
            p.add_argument("--workspace", required=True, metavar="SLUG")
            p = group_subs.add_parser(
                "update" if name == "survey" else "set", help=f"replace {what} from a JSON file"
            )
            p.add_argument("file", type=Path, metavar="FILE")
            p.add_argument("--comment", default="")
            self._writer(p)

    @staticmethod
    def _writer(parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--as", "--user", dest="acting_user", required=True, metavar="EMAIL")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        sub = options.get(f"{action}_action")
        try:
            getattr(self, f"_{action}_{sub}" if sub else f"_{action}")(options)
        except AccordError as exc:
            raise command_error(exc) from exc

    # Readings ---------------------------------------------------------------------------------

    def _scorecard(self, options: dict[str, Any]) -> None:
        if not 1 <= options["days"] <= 730:
            raise CommandError("--days is 1 to 730.")
        workspace = workspace_by_slug(options["workspace"])
        card = scorecard(workspace.pk, days=options["days"])
        if options["format"] == "json":
            self.stdout.write(_json(scorecard_document(card)))
            return
        self.stdout.write(_scorecard_table(card, workspace.slug))

    def _index(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        if not options["start"] and not options["end"]:
            start, end = last_days(DEFAULT_DAYS)  # the dashboard's "last 90 days"
        else:
            end = _when(options["end"]) if options["end"] else timezone.now()
            start = (
                _when(options["start"])
                if options["start"]
                else end - dt.timedelta(days=DEFAULT_DAYS)
            )
        if start >= end:
            raise CommandError("--start must be before --end.")
        index = behaviour_index(workspace.pk, start, end)
        if options["format"] == "json":
            self.stdout.write(_json(index_document(index)))
            return
        rows = [[c.spec.title, _n(c.score), _signed(c.change), f"{c.weight:g}", c.detail]
                for c in index.components]  # fmt: skip
        self.stdout.write(
            f"Behavioural alignment index {_n(index.score)} ({start:%Y-%m-%d} to "
            f"{end:%Y-%m-%d}, weighting v{index.weighting_version})\n"
            + text_table(["component", "score", "change", "weight", "detail"], rows)
        )

    def _remind(self, options: dict[str, Any]) -> None:
        done = services.pulses_tend()
        self.stdout.write(f"Closed {done['closed']} pulse(s); sent {done['reminded']} reminder(s).")

    # Pulses -----------------------------------------------------------------------------------

    def _pulse_open(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        pulse = services.pulse_open(actor=actor, title=options["title"], days=options["days"])
        asked = pulse.participations.count()
        self.stdout.write(
            f"Pulse {pulse.pk} '{pulse.title}' opened to {asked} people; it closes on "
            f"{pulse.closes_at:%Y-%m-%d}."
        )

    def _pulse_close(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        pulse = services.pulse_close(actor=actor, pulse_id=options["pulse_id"])
        self.stdout.write(f"Pulse {pulse.pk} '{pulse.title}' is closed.")

    def _pulse_list(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        counts: dict[tuple[int, str], tuple[int, int]] = {
            (row["pulse_id"], row["team"]): (row["answered"], row["asked"])
            for row in Participation.objects.for_workspace(workspace.pk)
            .values("pulse_id", "team")
            .annotate(asked=Count("pk"), answered=Count("pk", filter=Q(answered=True)))
        }
        rows = []
        for p in pulses(workspace.pk):
            answered = ["{}/{}".format(*counts.get((p.pk, t), (0, 0))) for t in TEAMS]
            dates = [f"{p.opened_at:%Y-%m-%d}", f"{p.closes_at:%Y-%m-%d}"]
            rows.append([str(p.pk), p.title, p.status, *dates, *answered])
        headers = ["id", "title", "status", "opened", "closes", "sales answered"]
        headers.append("marketing answered")
        self.stdout.write(text_table(headers, rows) if rows else "No pulses yet.")

    def _pulse_show(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        result = pulse_result(services.pulse_for(workspace.pk, options["pulse_id"]))
        if options["format"] == "json":
            self.stdout.write(_json(pulse_document(result)))
            return
        p = result.pulse
        teams = ", ".join(
            f"{t} {result.answered[t]}/{result.asked[t]} answered ({result.counted[t]} counted)"
            for t in TEAMS
        )
        lines = [f"{p.title} ({p.status}, survey v{result.version}): {teams}", ""]
        heads = ["area", "sales", "marketing", "both", "gap"]
        rows = [[a.title, *(_n(a.scores[t].value) for t in ("sales", "marketing", "both")),
                 _signed(a.gap.value) if a.gap else "-"] for a in result.areas]  # fmt: skip
        lines.append(text_table(heads, rows))
        hidden = {s.hidden for s in result.overall.values() if s.hidden}
        lines += [f"Hidden: {reason}." for reason in sorted(hidden)]
        self.stdout.write("\n".join(lines))

    # The survey and the weighting -------------------------------------------------------------

    def _survey_show(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        version = services.latest_version(workspace.pk)
        document = version.document if version else DEFAULT_INSTRUMENT.model_dump(mode="json")
        self.stdout.write(_json({"version": version.number if version else None,
                                 "default": version is None, "document": document}))  # fmt: skip

    def _survey_update(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        document = _read_json(options["file"])
        version = services.survey_update(actor=actor, document=document, comment=options["comment"])
        items = len(version.document["items"])
        self.stdout.write(f"Survey v{version.number} saved ({items} items).")

    def _weighting_show(self, options: dict[str, Any]) -> None:
        workspace = workspace_by_slug(options["workspace"])
        version, weights = services.current_weights(workspace.pk)
        self.stdout.write(_json({"version": version, "weights": weights}))

    def _weighting_set(self, options: dict[str, Any]) -> None:
        actor = cli_actor(options["workspace"], options["acting_user"])
        weighting = services.weighting_update(
            actor=actor, weights=_read_json(options["file"]), comment=options["comment"]
        )
        self.stdout.write(f"Weighting v{weighting.number} saved.")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc


def _scorecard_table(card: Scorecard, slug: str) -> str:
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    pulse = card.pulse.pulse.title if card.pulse else "no pulse with results yet"
    console.print(
        f"Alignment scorecard of {slug}: survey from {pulse}; behaviour "
        f"{card.index.start:%Y-%m-%d} to {card.index.end:%Y-%m-%d} "
        f"(index {_n(card.index.score)}, weighting v{card.index.weighting_version})."
    )
    areas = Table(title="Areas, weakest first (0-100)")
    for name in ("area", "combined", "survey", "sales", "marketing", "change", "behaviour"):
        areas.add_column(name, justify="left" if name == "area" else "right")
    for a in card.areas:
        areas.add_row(
            a.title + (" (weak)" if a.weak else ""), _n(a.combined), _n(a.survey),
            _n(a.survey_sales), _n(a.survey_marketing), _signed(a.survey_change),
            _n(a.behaviour),
        )  # fmt: skip
    console.print(areas)
    components = Table(title="Behaviour, component by component")
    for name in ("component", "score", "change", "weight", "detail"):
        components.add_column(name, justify="right" if name in ("score", "change") else "left")
    for c in card.index.components:
        components.add_row(c.spec.title, _n(c.score), _signed(c.change), f"{c.weight:g}", c.detail)
    console.print(components)
    weakest = card.weakest_component
    if weakest is not None:
        console.print(f"Start with: {weakest.spec.title} ({_n(weakest.score)}).")
    for a in card.areas:
        for practice in a.practices:
            console.print(f"- {a.title}: {practice}")
    for item in card.gaps:
        if item.gap is not None:
            console.print(
                f"Perception gap (sales minus marketing) {_signed(item.gap.value)}: {item.text}"
            )
    return buffer.getvalue()
