"""The chart builders: every spec compiles with Vega-Lite (vl-convert raises on an invalid one)
for ordinary rows, rows with hostile text and no rows; categories keep the rows' order; links
and tooltips are on the marks; and the same specs render to SVG and PNG with no browser."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import vl_convert
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.metrics import charts

ODD = 'Q3 "Launch" <script>alert(1)</script> & \\ it\'s'

Build = Callable[[list[dict[str, Any]]], dict[str, Any]]


def _funnel(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return charts.funnel(
        rows, stage_field="stage", count_field="count", href_field="href", title="Funnel"
    )


def _bars(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return charts.bars(
        rows,
        x="source",
        y="count",
        color="stage",
        href_field="href",
        title="MQLs by source",
        x_title="Source",
        y_title="Contacts",
        value_format=",d",
    )


def _stacked(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return charts.bars(rows, x="source", y="count", color="stage", stack=True, title="Stacked")


def _time_series(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return charts.time_series(
        rows,
        date_field="date",
        value_field="count",
        series_field="source",
        href_field="href",
        title="MQLs per day",
    )


def _pacing(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return charts.pacing(
        rows,
        stage_field="stage",
        target_field="target",
        actual_field="actual",
        projected_field="projected",
        href_field="href",
        title="Pacing",
    )


def _interval_bars(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return charts.interval_bars(
        rows,
        category="source",
        value="rate",
        low="low",
        high="high",
        href_field="href",
        title="MQL rate",
    )


def _rows(stage: str = "MQL", source: str = "Webinar") -> list[dict[str, Any]]:
    """Rows that carry every field any builder reads."""
    return [
        {
            "stage": stage,
            "source": source,
            "count": 40,
            "date": "2026-03-02",
            "target": 100,
            "actual": 40,
            "projected": 90,
            "rate": 0.4,
            "low": 0.3,
            "high": 0.5,
            "href": "/contacts/?reached=mql",
        },
        {
            "stage": "SQL",
            "source": "Paid search",
            "count": 12,
            "date": "2026-03-03",
            "target": 30,
            "actual": 12,
            "projected": 33,
            "rate": 0.12,
            "low": 0.07,
            "high": 0.2,
            "href": "/contacts/?reached=sql",
        },
        {
            "stage": "Lead",
            "source": source,
            "count": 120,
            "date": "2026-03-04",
            "target": 0,  # no target for this stage
            "actual": 120,
            "projected": 260,
            "rate": 0.0,
            "low": 0.0,
            "high": 0.03,
            "href": "/contacts/?reached=lead",
        },
    ]


BUILDERS: dict[str, Build] = {
    "funnel": _funnel,
    "bars": _bars,
    "stacked": _stacked,
    "time_series": _time_series,
    "pacing": _pacing,
    "interval_bars": _interval_bars,
}


def _compile(spec: dict[str, Any]) -> dict[str, Any]:
    return vl_convert.vegalite_to_vega(spec, vl_version=charts.VEGA_LITE_VERSION)


def _marks(spec: dict[str, Any]) -> list[dict[str, Any]]:
    if "layer" in spec:
        return [layer["mark"] for layer in spec["layer"]]
    return [spec["mark"]]


@pytest.mark.parametrize("name", BUILDERS)
def test_each_builder_compiles_with_its_data_links_and_tooltips(name: str) -> None:
    rows = _rows()
    spec = BUILDERS[name](rows)
    vega = _compile(spec)
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v6.4.json"
    assert spec["width"] == "container"
    assert spec["data"]["values"] == rows
    assert vega["data"][0]["values"] == rows
    assert all(mark["tooltip"] is True for mark in _marks(spec) if mark["type"] != "text")
    if name == "stacked":
        assert "href" not in spec["encoding"]
    else:
        assert spec["encoding"]["href"] == {"field": "href", "type": "nominal"}
        assert {m.get("cursor") for m in _marks(spec) if m["type"] != "text"} == {"pointer"}


@pytest.mark.parametrize("name", BUILDERS)
def test_hostile_text_stays_data(name: str) -> None:
    rows = _rows(stage=ODD, source=ODD)
    spec = BUILDERS[name](rows)
    vega = _compile(spec)
    assert vega["data"][0]["values"] == rows
    assert ODD in json.loads(json.dumps(spec))["data"]["values"][0].values()


@pytest.mark.parametrize("name", BUILDERS)
def test_no_rows_give_a_chart_that_says_so(name: str) -> None:
    spec = BUILDERS[name]([])
    _compile(spec)
    assert spec["data"] == {"values": [{"message": "Not enough data"}]}
    assert spec["mark"]["type"] == "text"
    assert spec["encoding"] == {"text": {"field": "message", "type": "nominal"}}
    svg = charts.render(spec, "svg").decode()
    assert "Not enough data" in svg


def test_the_funnel_keeps_the_stage_order_of_the_rows_and_labels_each_bar() -> None:
    rows = [
        {"stage": "Subscriber", "count": 900},
        {"stage": "Lead", "count": 400},
        {"stage": "MQL", "count": 90},
        {"stage": "Customer", "count": 4},
    ]
    spec = charts.funnel(rows, stage_field="stage", count_field="count", title="Funnel")
    assert spec["encoding"]["y"]["sort"] == ["Subscriber", "Lead", "MQL", "Customer"]
    assert spec["encoding"]["y"]["type"] == "nominal"
    assert spec["encoding"]["x"]["type"] == "quantitative"
    bar, label = spec["layer"]
    assert bar["mark"]["type"] == "bar"
    assert label["mark"]["type"] == "text"
    assert label["encoding"]["text"]["field"] == "count"
    assert "href" not in spec["encoding"]
    svg = charts.render(spec, "svg").decode()
    for text in ("Subscriber", "Customer", "900", "4"):
        assert f">{text}</text>" in svg


def test_bars_group_side_by_side_or_stack() -> None:
    rows = [
        {"source": "Webinar", "stage": "MQL", "count": 3},
        {"source": "Webinar", "stage": "SQL", "count": 2},
        {"source": "Search", "stage": "MQL", "count": 5},
    ]
    grouped = charts.bars(rows, x="source", y="count", color="stage", title="Grouped")
    stacked = charts.bars(rows, x="source", y="count", color="stage", stack=True, title="S")
    plain = charts.bars(rows, x="source", y="count", title="Plain")
    assert grouped["encoding"]["xOffset"]["field"] == "stage"
    assert grouped["encoding"]["y"]["stack"] is None
    assert "xOffset" not in stacked["encoding"]
    assert stacked["encoding"]["y"]["stack"] == "zero"
    assert "color" not in plain["encoding"]
    assert grouped["encoding"]["x"]["sort"] == ["Webinar", "Search"]
    assert grouped["encoding"]["color"]["sort"] == ["MQL", "SQL"]


def test_field_names_with_dots_are_read_as_names_not_paths() -> None:
    rows = [{"stage.name": "MQL", "n[0]": 4}]
    spec = charts.funnel(rows, stage_field="stage.name", count_field="n[0]", title="Odd names")
    assert spec["encoding"]["y"]["field"] == "stage\\.name"
    assert spec["encoding"]["x"]["field"] == "n\\[0\\]"
    svg = charts.render(spec, "svg").decode()
    assert ">MQL</text>" in svg and ">4</text>" in svg


def test_pacing_draws_shares_of_the_target_and_says_when_there_is_none() -> None:
    spec = _pacing(_rows())
    svg = charts.render(spec, "svg").decode()
    assert "40 of 100" in svg
    assert "12 of 30" in svg
    assert "120 of no target" in svg


def test_interval_bars_format_rates_as_percentages() -> None:
    svg = charts.render(_interval_bars(_rows()), "svg").decode()
    assert ">40%</text>" in svg or ">50%</text>" in svg
    assert "Rate (95% interval)" in svg


SAFE_TEXT = st.text(min_size=0, max_size=30)
STAGE_ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "stage": SAFE_TEXT,
            "count": st.integers(min_value=0, max_value=10**9),
            # Links are built with their query percent-encoded, as the pages build them.
            "href": st.text(max_size=20).map(lambda s: "/contacts/?" + urlencode({"q": s})),
        }
    ),
    max_size=12,
)
SOURCE_ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "source": SAFE_TEXT,
            "stage": st.sampled_from(["MQL", "SQL", "Customer"]),
            "count": st.integers(min_value=0, max_value=10**6) | st.floats(0, 1e6),
        }
    ),
    max_size=12,
)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row as charted: line and paragraph separators become spaces (they break Vega's
    expressions)."""
    return {k: v.replace("\u2028", " ").replace("\u2029", " ") if isinstance(v, str) else v
            for k, v in row.items()}  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=STAGE_ROWS)
def test_any_funnel_rows_compile_and_all_appear(rows: list[dict[str, Any]]) -> None:
    spec = _funnel(rows)
    vega = _compile(spec)
    if rows:
        shown = [_shown(row) for row in rows]
        assert spec["data"]["values"] == shown
        assert vega["data"][0]["values"] == shown
        assert spec["encoding"]["y"]["sort"] == list(dict.fromkeys(r["stage"] for r in shown))
    else:
        assert spec["mark"]["type"] == "text"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=SOURCE_ROWS, stack=st.booleans())
def test_any_bars_rows_compile_and_all_appear(rows: list[dict[str, Any]], stack: bool) -> None:
    spec = charts.bars(rows, x="source", y="count", color="stage", stack=stack, title="Bars")
    vega = _compile(spec)
    if rows:
        for row in rows:
            shown = _shown(row)
            assert shown in spec["data"]["values"]
            assert shown in vega["data"][0]["values"]
        assert len(spec["data"]["values"]) == len(rows)
    else:
        assert spec["mark"]["type"] == "text"


def test_a_line_separator_in_a_category_does_not_break_the_chart() -> None:
    rows = [{"source": "", "count": 1}, {"source": "a\u2028b", "count": 2}]
    vega = _compile(charts.bars(rows, x="source", y="count", title="Bars"))
    assert {"source": "a b", "count": 2} in vega["data"][0]["values"]


# Rendering ------------------------------------------------------------------------------------


def test_render_gives_svg_text_and_png_bytes_at_a_fixed_width() -> None:
    spec = _funnel(_rows())
    svg = charts.render(spec, "svg")
    png = charts.render(spec, "png")
    assert svg.startswith(b"<svg")
    assert b'width="640"' in svg
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # The PNG is drawn at twice the pixel density: 1280 px wide (IHDR width, big-endian).
    assert int.from_bytes(png[16:20], "big") == 2 * 640
    assert spec["width"] == "container"  # the caller's spec is left as it was


def test_render_takes_an_explicit_width() -> None:
    svg = charts.render(_bars(_rows()), "svg", width=480)
    assert b'width="480"' in svg


def test_render_refuses_to_load_data_from_anywhere() -> None:
    spec = {
        "$schema": charts.SCHEMA,
        "data": {"url": "https://example.com/leads.csv"},
        "mark": "bar",
        "encoding": {"x": {"field": "a", "type": "nominal"}},
    }
    with pytest.raises(ValueError, match=r"example\.com"):
        charts.render(spec, "svg")


def test_write_picks_the_format_from_the_suffix(tmp_path: Path) -> None:
    spec = _time_series(_rows())
    svg = charts.write(spec, tmp_path / "mqls.svg")
    png = charts.write(spec, tmp_path / "mqls.PNG")
    assert svg.read_bytes().startswith(b"<svg")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("name", ["chart.jpg", "chart", "chart.svg.txt"])
def test_write_refuses_other_formats_and_writes_nothing(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"must end in \.svg or \.png"):
        charts.write(_funnel(_rows()), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="use 'svg' or 'png'"):
        charts.render(_funnel(_rows()), "jpg")  # type: ignore[arg-type]
