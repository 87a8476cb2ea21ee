"""Charts in Debian's Chromium: a test-only page (this module is its URLconf) carries Vega-Lite
specs through the `{% chart %}` tag and the page shell (base.html), under a Content-Security-
Policy without 'unsafe-eval'. The vendored vega-embed draws them as SVG, clicking a bar opens its
drill-down link in the same tab, and a chart swapped in by htmx is drawn too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import TemplateSyntaxError, engines
from django.urls import path

from accord.metrics import charts

pytestmark = [pytest.mark.urls(__name__)]

# A strict policy: scripts and styles from the app itself only (no eval, no inline styles).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'"
)
ROWS = [
    {"stage": "Lead", "count": 120, "href": "/records/lead/"},
    {"stage": "MQL", "count": 40, "href": "/records/mql/"},
    {"stage": 'The "<script>alert(1)</script>" stage', "count": 7, "href": "/records/odd/"},
]

PAGE = """{% extends "web/base.html" %}{% load accord_charts %}
{% block shell %}<main class="content">
  {# htmx's own injected indicator style is the one inline style left; a strict page turns it off #}
  <meta name="htmx-config" content='{"includeIndicatorStyles": false}'>
  {% chart spec id="funnel-chart" label="Contacts reaching each stage" %}
  <button id="load-more" hx-get="/chart-test/fragment/" hx-target="#more">More</button>
  <div id="more"></div>
</main>{% endblock %}"""
FRAGMENT = """{% load accord_charts %}{% chart spec id="rates-chart" label="Rates by source" %}"""


def _respond(template: str, spec: dict[str, Any]) -> HttpResponse:
    html = engines["django"].from_string(template).render({"spec": spec})
    response = HttpResponse(html)
    response["Content-Security-Policy"] = CSP
    return response


def chart_page(request: HttpRequest) -> HttpResponse:
    spec = charts.funnel(
        ROWS, stage_field="stage", count_field="count", href_field="href", title="Funnel"
    )
    return _respond(PAGE, spec)


def chart_fragment(request: HttpRequest) -> HttpResponse:
    rows = [
        {"source": "Webinar", "rate": 0.3, "low": 0.2, "high": 0.42, "href": "/records/web/"},
        {"source": "Search", "rate": 0.1, "low": 0.05, "high": 0.2, "href": "/records/search/"},
    ]
    spec = charts.interval_bars(
        rows,
        category="source",
        value="rate",
        low="low",
        high="high",
        href_field="href",
        title="MQL rate by source",
    )
    return _respond(FRAGMENT, spec)


def records(request: HttpRequest, stage: str) -> HttpResponse:
    return HttpResponse(f"<!doctype html><title>Records</title><h1>Records: {stage}</h1>")


urlpatterns = [
    path("chart-test/", chart_page),
    path("chart-test/fragment/", chart_fragment),
    path("records/<slug:stage>/", records),
    path("favicon.ico", lambda request: HttpResponse(status=204)),
]


def _texts(page: Any, selector: str) -> list[str]:
    return [
        str(t) for t in page.locator(selector).evaluate_all("els => els.map(e => e.textContent)")
    ]


@pytest.fixture
def problems(page: Any) -> Iterator[list[str]]:
    """Console errors, uncaught exceptions and CSP violations on the page."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    yield seen


@pytest.mark.browser
def test_the_funnel_draws_as_svg_and_a_bar_opens_its_records(
    page: Any, live_server: Any, problems: list[str]
) -> None:
    page.goto(f"{live_server.url}/chart-test/")
    bars = page.locator("#funnel-chart svg .mark-rect path")
    bars.first.wait_for()
    assert bars.count() == 3
    container = page.locator(".chart:has(#funnel-chart)")
    assert container.get_attribute("role") == "img"
    assert container.get_attribute("aria-label") == "Contacts reaching each stage"
    assert _texts(page, "#funnel-chart svg .mark-text.role-mark text") == ["120", "40", "7"]
    assert _texts(page, "#funnel-chart svg .role-axis-label text")[-3:] == [
        "Lead",
        "MQL",
        'The "<script>alert(1)</script>" stage',
    ]
    # The text stayed text: no script element came out of the data.
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 1
    assert problems == []

    bars.nth(1).click()
    page.wait_for_url(f"{live_server.url}/records/mql/")
    assert page.inner_text("h1") == "Records: mql"
    assert len(page.context.pages) == 1  # the same tab, not a new window
    assert problems == []


@pytest.mark.browser
def test_a_chart_swapped_in_by_htmx_is_drawn(
    page: Any, live_server: Any, problems: list[str]
) -> None:
    page.goto(f"{live_server.url}/chart-test/")
    page.locator("#funnel-chart svg .mark-rect path").first.wait_for()
    page.click("#load-more")
    bars = page.locator("#rates-chart svg .mark-rect.layer_0_marks path")  # the bars, not ticks
    bars.first.wait_for()
    assert bars.count() == 2
    assert page.locator("#funnel-chart svg .mark-rect path").count() == 3
    bars.first.click()
    page.wait_for_url(f"{live_server.url}/records/web/")
    assert problems == []


# The tag itself, without a browser ------------------------------------------------------------


def test_the_tag_writes_a_labelled_container_and_the_spec_as_escaped_json() -> None:
    spec = charts.funnel(ROWS, stage_field="stage", count_field="count", title="</script>")
    html = (
        engines["django"]
        .from_string('{% load accord_charts %}{% chart spec id="f-1" label=label %}')
        .render({"spec": spec, "label": 'Leads "this" <b>month</b>'})
    )
    opening = '<script type="application/json" data-chart="f-1">'
    assert html.startswith(
        '<div class="chart" role="img" aria-label="Leads &quot;this&quot; '
        '&lt;b&gt;month&lt;/b&gt;"><div id="f-1"></div></div>' + opening
    )
    assert html.endswith("</script>")
    data = html.removeprefix(html[: html.index(opening) + len(opening)]).removesuffix("</script>")
    assert "<" not in data and ">" not in data  # no `</script>` can close the block early
    assert json.loads(data) == spec


def test_the_tag_needs_an_id() -> None:
    template = engines["django"].from_string(
        '{% load accord_charts %}{% chart spec id="" label="x" %}'
    )
    with pytest.raises(TemplateSyntaxError, match="needs an id"):
        template.render({"spec": charts.empty("Nothing")})
