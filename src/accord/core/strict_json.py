"""JSON as its standard (RFC 8259) defines it. Python's parser also takes NaN, Infinity and
-Infinity, which no JSON column of the database accepts: a body holding one would fail at the
write, after validation. Here they are a parse error like any other."""

from __future__ import annotations

import json
from typing import Any


class NotStandardJSON(ValueError):
    """NaN, Infinity or -Infinity where JSON has none."""


def _refuse(name: str) -> Any:
    raise NotStandardJSON(f"{name} is not a JSON number")


def loads(data: str | bytes) -> Any:
    return json.loads(data, parse_constant=_refuse)
