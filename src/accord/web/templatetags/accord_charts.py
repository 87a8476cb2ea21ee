"""The `{% chart %}` tag: a Vega-Lite spec (from `accord.metrics.charts`) placed on a page.

    {% load accord_charts %}
    {% chart funnel_spec id="funnel-chart" label="Funnel: contacts reaching each stage" %}

writes the chart's container, inside a figure that assistive technology reads as one image
described by `label` (Vega gives the container itself its own roles), and the spec as a JSON
data block that `static/accord/charts.js` draws with the vendored vega-embed. The
spec goes through Django's `json_script`, which escapes `<`, `>` and `&`, so text in the data
(a contact's name, a campaign called `</script>`) cannot end the block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_OPENING = '<script type="application/json">'


@register.simple_tag
def chart(spec: Mapping[str, Any], *, id: str, label: str) -> SafeString:
    """The container `<div id=…>` (in a `role="img"` wrapper labelled `label`) and the spec for
    it, in `<script type="application/json" data-chart=…>`."""
    if not id:
        raise template.TemplateSyntaxError('{% chart %} needs an id, e.g. id="funnel-chart".')
    data = str(json_script(dict(spec)))
    if not data.startswith(_OPENING):  # pragma: no cover - Django's own output format
        raise template.TemplateSyntaxError("json_script wrote an unexpected opening tag.")
    opening = format_html('<script type="application/json" data-chart="{}">', id)
    return format_html(
        '<div class="chart" role="img" aria-label="{}"><div id="{}"></div></div>{}',
        label,
        id,
        mark_safe(opening + data.removeprefix(_OPENING)),  # noqa: S308 - escaped by json_script
    )
