"""Company-size segments, by employees: the one definition the metrics' breakdowns, the goals
and the contact list's drill-downs all read."""

from __future__ import annotations

from django.db.models import Q

# key: (label, fewest employees, most employees + 1); None is open-ended.
BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "smb": ("SMB (under 50)", None, 50),
    "mid_market": ("Mid-market (50 to 999)", 50, 1000),
    "enterprise": ("Enterprise (1,000+)", 1000, None),
}
SEGMENTS = {key: label for key, (label, _, _) in BANDS.items()}


def segment_sql(employees: str) -> str:
    """The segment of a company with `employees` (an SQL column) as an SQL expression: '' when
    the count is unknown."""
    cases = [f"WHEN {employees} < {below} THEN '{key}'"
             for key, (_, _, below) in BANDS.items() if below is not None]  # fmt: skip
    largest = next(key for key, (_, _, below) in BANDS.items() if below is None)
    return f"CASE WHEN {employees} IS NULL THEN '' {' '.join(cases)} ELSE '{largest}' END"


def segment_q(segment: str, employees: str) -> Q:
    """Rows whose company (the `employees` field path) is in the segment; '' for none known."""
    if not segment:
        return Q(**{f"{employees}__isnull": True})
    _, least, below = BANDS[segment]
    q = Q(**{f"{employees}__isnull": False})
    if least is not None:
        q &= Q(**{f"{employees}__gte": least})
    if below is not None:
        q &= Q(**{f"{employees}__lt": below})
    return q
