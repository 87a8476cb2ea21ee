"""Charts as Vega-Lite specs, built once from plain rows and drawn in two places: in the browser
by the vendored vega-embed (`web/static/accord/charts.js`, through the `{% chart %}` tag) and in
Python by vl-convert (`render`, `write`) for the CLI and the digest email, with no browser.

Each builder takes rows (a list of dicts, one per mark) and the names of the fields to draw, and
returns a JSON-ready dict. Categories keep the rows' order. With `href_field`, clicking a mark
opens that row's drill-down URL (the records behind the number). Every mark has a tooltip. No
rows give a valid chart that says "Not enough data".
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import vl_convert

# The Vega-Lite version the specs are written for: one that both vl-convert (1.9 knows 5.8 to
# 6.4) and the vendored vega-lite (6.5, web/static/accord/vendor/) compile.
VEGA_LITE_VERSION = "6.4"
SCHEMA = f"https://vega.github.io/schema/vega-lite/v{VEGA_LITE_VERSION}.json"
# Outside the browser there is no container to fit: charts are drawn this wide.
RENDER_WIDTH = 640
NOT_ENOUGH_DATA = "Not enough data"

Row = Mapping[str, Any]
Spec = dict[str, Any]

# The colours of accord.css.
TEXT = "#1c2331"
TEXT_SOFT = "#3d4657"
MUTED = "#6b7485"
BORDER = "#e3e6eb"
BORDER_STRONG = "#cfd4dc"
GRID = "#eef0f3"
ACCENT = "#3d5afe"
ACCENT_LIGHT = "#b9c3ff"
# Categorical series: the accent first, then the stage badge colours, all readable on white.
PALETTE = ["#3d5afe", "#0c6b78", "#99590a", "#5b2dbd", "#13723f", "#b3263a", "#6b7485"]
FONT = (
    '-apple-system, BlinkMacSystemFont, "Segoe UI", Inter, Roboto, "Helvetica Neue", Arial, '
    '"Noto Sans", "Liberation Sans", "DejaVu Sans", sans-serif'
)

CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "#ffffff",
    "padding": 8,
    "view": {"stroke": None},
    "title": {
        "fontSize": 15,
        "fontWeight": 600,
        "color": TEXT,
        "anchor": "start",
        "offset": 12,
    },
    "axis": {
        "labelColor": TEXT_SOFT,
        "labelFontSize": 12,
        "labelLimit": 220,
        "titleColor": MUTED,
        "titleFontSize": 12,
        "titleFontWeight": 500,
        "domainColor": BORDER_STRONG,
        "tickColor": BORDER_STRONG,
        "gridColor": GRID,
    },
    # A handful of round numbers on a value axis, however wide the page.
    "axisQuantitative": {"tickCount": 6},
    "legend": {
        "labelColor": TEXT_SOFT,
        "labelFontSize": 12,
        "titleColor": MUTED,
        "titleFontSize": 12,
        "titleFontWeight": 500,
        "orient": "bottom",
    },
    "range": {"category": PALETTE},
    "mark": {"color": ACCENT},
    "text": {"color": TEXT_SOFT, "fontSize": 12},
}

BAR_STEP = 30


def funnel(
    rows: Sequence[Row],
    *,
    stage_field: str,
    count_field: str,
    href_field: str | None = None,
    title: str,
    count_title: str = "Contacts",
) -> Spec:
    """Horizontal bars, one per stage in the rows' order, each labelled with its count
    (`count_title` names what is counted: contacts, deals)."""
    if not rows:
        return empty(title)
    stage = {
        "field": _ref(stage_field),
        "type": "nominal",
        "sort": _ordered(rows, stage_field),
        "title": None,
    }
    count = {"field": _ref(count_field), "type": "quantitative", "title": count_title}
    tooltip = [
        {"field": _ref(stage_field), "type": "nominal", "title": "Stage"},
        {"field": _ref(count_field), "type": "quantitative", "title": count_title, "format": ","},
    ]
    bar = _mark("bar", href_field, cornerRadiusEnd=3)
    label = {"type": "text", "align": "left", "baseline": "middle", "dx": 4}
    label_encoding = {"text": {"field": _ref(count_field), "type": "quantitative", "format": ","}}
    return _chart(
        title,
        rows,
        height={"step": BAR_STEP},
        encoding={"y": stage, "x": count, "tooltip": tooltip, **_href(href_field)},
        layer=[{"mark": bar}, {"mark": label, "encoding": label_encoding}],
    )


def bars(
    rows: Sequence[Row],
    *,
    x: str,
    y: str,
    color: str | None = None,
    stack: bool = False,
    href_field: str | None = None,
    title: str,
    x_title: str | None = None,
    y_title: str | None = None,
    value_format: str = ",",
) -> Spec:
    """Vertical bars: one per `x` category (in the rows' order) of height `y`; with `color`,
    grouped side by side, or stacked with `stack=True`."""
    if not rows:
        return empty(title)
    tooltip = [{"field": _ref(x), "type": "nominal", "title": x_title or x}]
    encoding: dict[str, Any] = {
        "x": {
            "field": _ref(x),
            "type": "nominal",
            "sort": _ordered(rows, x),
            "title": x_title,
            "axis": {"labelAngle": 0, "labelLimit": 140},
        },
        "y": {
            "field": _ref(y),
            "type": "quantitative",
            "title": y_title,
            "stack": "zero" if stack else None,
            "axis": {"format": value_format},
        },
    }
    if color is not None:
        series = {"field": _ref(color), "type": "nominal", "sort": _ordered(rows, color)}
        encoding["color"] = {**series, "title": None}
        if not stack:
            encoding["xOffset"] = series
        tooltip.append({"field": _ref(color), "type": "nominal", "title": color})
    tooltip.append(
        {"field": _ref(y), "type": "quantitative", "title": y_title or y, "format": value_format}
    )
    encoding |= {"tooltip": tooltip, **_href(href_field)}
    return _chart(
        title,
        rows,
        height=260,
        mark=_mark("bar", href_field, cornerRadiusEnd=3),
        encoding=encoding,
    )


def time_series(
    rows: Sequence[Row],
    *,
    date_field: str,
    value_field: str,
    series_field: str | None = None,
    href_field: str | None = None,
    title: str,
    value_format: str = ",",
) -> Spec:
    """Lines over time (dates as ISO 8601 text), one per `series_field` value, with a point per
    row that carries the tooltip and the drill-down link."""
    if not rows:
        return empty(title)
    # Dates are days (or weeks, months) in UTC, whatever the reader's time zone.
    day = {"unit": "yearmonthdate", "utc": True}
    encoding: dict[str, Any] = {
        "x": {
            "field": _ref(date_field),
            "type": "temporal",
            "timeUnit": day,
            "title": None,
            "axis": _day_ticks(rows, date_field),
        },
        "y": {
            "field": _ref(value_field),
            "type": "quantitative",
            "title": None,
            "axis": {"format": value_format},
        },
    }
    tooltip: list[dict[str, Any]] = [
        {"field": _ref(date_field), "type": "temporal", "timeUnit": day, "title": "Date"}
    ]
    if series_field is not None:
        encoding["color"] = {
            "field": _ref(series_field),
            "type": "nominal",
            "sort": _ordered(rows, series_field),
            "title": None,
        }
        tooltip.append({"field": _ref(series_field), "type": "nominal", "title": series_field})
    tooltip.append(
        {
            "field": _ref(value_field),
            "type": "quantitative",
            "title": value_field,
            "format": value_format,
        }
    )
    encoding |= {"tooltip": tooltip, **_href(href_field)}
    line = _mark("line", href_field, strokeWidth=2, point={"filled": True, "size": 40})
    return _chart(title, rows, height=260, mark=line, encoding=encoding)


def pacing(
    rows: Sequence[Row],
    *,
    stage_field: str,
    target_field: str,
    actual_field: str,
    projected_field: str,
    href_field: str | None = None,
    title: str,
) -> Spec:
    """A bullet chart per stage, on a shared axis of % of the stage's target: the target as a
    tick at 100 %, the actual so far as a bar, the projected total as a lighter bar behind it."""
    if not rows:
        return empty(title)
    target = _datum(target_field)
    transform = [
        {"calculate": f"{target} > 0 ? {_datum(field)} / {target} : null", "as": name}
        for field, name in ((actual_field, "_actual_share"), (projected_field, "_projected_share"))
    ] + [
        {"calculate": f"{target} > 0 ? 1 : null", "as": "_target_share"},
        {
            "calculate": "max(datum._actual_share, datum._projected_share, datum._target_share)",
            "as": "_label_at",
        },
        {
            "calculate": f"format({_datum(actual_field)}, ',') + ' of ' + "
            f"({target} > 0 ? format({target}, ',') : 'no target')",
            "as": "_label",
        },
    ]
    stage = {
        "field": _ref(stage_field),
        "type": "nominal",
        "sort": _ordered(rows, stage_field),
        "title": None,
    }
    tooltip = [
        {"field": _ref(stage_field), "type": "nominal", "title": "Stage"},
        {"field": _ref(target_field), "type": "quantitative", "title": "Target", "format": ","},
        {"field": _ref(actual_field), "type": "quantitative", "title": "Actual", "format": ","},
        {
            "field": _ref(projected_field),
            "type": "quantitative",
            "title": "Projected",
            "format": ",",
        },
        {"field": "_projected_share", "type": "quantitative", "title": "Projected of target"}
        | {"format": ".0%"},
    ]

    def share(name: str) -> dict[str, Any]:
        return {
            "field": name,
            "type": "quantitative",
            "title": "% of target",
            "axis": {"format": ".0%"},
        }

    return _chart(
        title,
        rows,
        height={"step": 36},
        transform=transform,
        encoding={"y": stage, "tooltip": tooltip, **_href(href_field)},
        layer=[
            {
                "mark": _mark("bar", href_field, color=ACCENT_LIGHT, size=22),
                "encoding": {"x": share("_projected_share")},
            },
            {
                "mark": _mark("bar", href_field, color=ACCENT, size=10),
                "encoding": {"x": share("_actual_share")},
            },
            {
                "mark": _mark("tick", href_field, color=TEXT, opacity=1, thickness=3, size=28),
                "encoding": {"x": share("_target_share")},
            },
            {
                "mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 8},
                "encoding": {
                    "x": {"field": "_label_at", "type": "quantitative"},
                    "text": {"field": "_label", "type": "nominal"},
                },
            },
        ],
    )


def interval_bars(
    rows: Sequence[Row],
    *,
    category: str,
    value: str,
    low: str,
    high: str,
    href_field: str | None = None,
    title: str,
) -> Spec:
    """Rates (0 to 1) as horizontal bars, with their 95 % interval as an error bar."""
    if not rows:
        return empty(title)
    rate_axis = {"format": ".0%"}
    y = {"field": _ref(category), "type": "nominal", "sort": _ordered(rows, category)}
    tooltip = [
        {"field": _ref(category), "type": "nominal", "title": category},
        {"field": _ref(value), "type": "quantitative", "title": "Rate", "format": ".1%"},
        {"field": _ref(low), "type": "quantitative", "title": "95% low", "format": ".1%"},
        {"field": _ref(high), "type": "quantitative", "title": "95% high", "format": ".1%"},
    ]
    return _chart(
        title,
        rows,
        height={"step": BAR_STEP},
        encoding={"y": y | {"title": None}, "tooltip": tooltip, **_href(href_field)},
        layer=[
            {
                "mark": _mark("bar", href_field, color=ACCENT_LIGHT, cornerRadiusEnd=3),
                "encoding": {
                    "x": {
                        "field": _ref(value),
                        "type": "quantitative",
                        "title": "Rate (95% interval)",
                        "axis": rate_axis,
                    }
                },
            },
            {
                "mark": _mark("rule", href_field, color=TEXT, strokeWidth=1.5),
                "encoding": {
                    "x": {"field": _ref(low), "type": "quantitative"},
                    "x2": {"field": _ref(high)},
                },
            },
            *(
                {
                    "mark": _mark("tick", href_field, color=TEXT, thickness=1.5, size=12),
                    "encoding": {"x": {"field": _ref(end), "type": "quantitative"}},
                }
                for end in (low, high)
            ),
            {
                "mark": _mark("point", href_field, color=ACCENT, filled=True, size=36),
                "encoding": {"x": {"field": _ref(value), "type": "quantitative"}},
            },
        ],
    )


def empty(title: str) -> Spec:
    """The chart for no rows: its title and "Not enough data"."""
    return _chart(
        title,
        [{"message": NOT_ENOUGH_DATA}],
        height=80,
        mark={"type": "text", "fontSize": 14, "color": MUTED, "tooltip": True},
        encoding={"text": {"field": "message", "type": "nominal"}},
    )


def render(
    spec: Mapping[str, Any], fmt: Literal["svg", "png"], *, width: int | None = None
) -> bytes:
    """The chart as SVG text (UTF-8) or PNG bytes (at twice the pixel density, for sharp
    display), drawn by vl-convert with no browser. A "container" width becomes `width` (default
    640 px). Only the spec's own data is read: loading data from any URL is refused."""
    fixed = _fixed_width(spec, width)
    options: dict[str, Any] = {"vl_version": VEGA_LITE_VERSION, "allowed_base_urls": []}
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(fixed, **options).encode()
    if fmt == "png":
        return bytes(vl_convert.vegalite_to_png(fixed, scale=2, **options))
    raise ValueError(f"Unknown chart format {fmt!r}: use 'svg' or 'png'.")


def write(spec: Mapping[str, Any], path: str | Path, *, width: int | None = None) -> Path:
    """Render the chart to `path`, as SVG or PNG by its suffix; returns the path written."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".svg", ".png"}:
        raise ValueError(
            f"Cannot write a chart to {target.name!r}: the file name must end in .svg or .png."
        )
    fmt: Literal["svg", "png"] = "svg" if suffix == ".svg" else "png"
    target.write_bytes(render(spec, fmt, width=width))
    return target


# Building blocks ------------------------------------------------------------------------------


def _chart(title: str, rows: Iterable[Row], **parts: Any) -> Spec:
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": [{k: _clean(v) for k, v in row.items()} for row in rows]},
        **parts,
        "config": CONFIG,
    }


def _mark(kind: str, href_field: str | None, **props: Any) -> dict[str, Any]:
    mark = {"type": kind, "tooltip": True, **props}
    if href_field is not None:
        mark["cursor"] = "pointer"
    return mark


def _href(href_field: str | None) -> dict[str, Any]:
    if href_field is None:
        return {}
    return {"href": {"field": _ref(href_field), "type": "nominal"}}


def _ordered(rows: Iterable[Row], field: str) -> list[Any]:
    """The field's distinct values in the order of the rows (a sort order for Vega-Lite)."""
    return list(dict.fromkeys(_clean(row.get(field)) for row in rows))


def _clean(value: Any) -> Any:
    """Text without the Unicode line and paragraph separators: Vega-Lite writes a sort order
    into an expression, where either one inside a string literal is a syntax error."""
    if isinstance(value, str):
        return value.replace("\u2028", " ").replace("\u2029", " ")
    return value


def _ref(field: str) -> str:
    """A field name as Vega-Lite reads it: dots and brackets would mean nested access."""
    return "".join("\\" + c if c in "\\.[]" else c for c in field)


def _datum(field: str) -> str:
    """A field of the current row in a Vega expression."""
    return f"datum[{json.dumps(field)}]"


def _day_ticks(rows: Iterable[Row], field: str) -> dict[str, Any]:
    """Over a few days, one tick a day (the default would tick every few hours); over longer
    spans the default ticks (days, weeks, months) read well."""
    days = set()
    for row in rows:
        try:
            days.add(dt.date.fromisoformat(str(row.get(field))[:10]))
        except ValueError:
            continue
    if days and (max(days) - min(days)).days <= 10:
        return {"tickCount": {"interval": "day", "step": 1}}
    return {}


def _fixed_width(spec: Mapping[str, Any], width: int | None) -> dict[str, Any]:
    fixed = copy.deepcopy(dict(spec))
    if width is not None or fixed.get("width") == "container":
        fixed["width"] = width or RENDER_WIDTH
        if isinstance(fixed.get("autosize"), dict):
            fixed["autosize"] = fixed["autosize"] | {"type": "fit-x"}
    return fixed
