"""Compliance roll-ups, pure: a resource's status and severities from its items, and a
compliance type's fleet summary from its resources.

AWS's rules (ResourceComplianceSummaryItem, CompliantSummary, NonCompliantSummary):
- A resource is NON_COMPLIANT for a type when any of its items of that type is, else
  COMPLIANT; with no items it has no status for that type.
- Its OverallSeverity is the most severe of its non-compliant items when it is
  non-compliant, else the most severe of its (compliant) items.
- Per resource the summaries count items by severity; per compliance type (the fleet's
  summary) they count resources, each under its OverallSeverity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
STATUSES = (COMPLIANT, NON_COMPLIANT)
# Most severe first.
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
_WIRE_NAMES = (
    "CriticalCount",
    "HighCount",
    "MediumCount",
    "LowCount",
    "InformationalCount",
    "UnspecifiedCount",
)


def most_severe(severities: Iterable[str]) -> str | None:
    """The most severe of ``severities`` (None when there are none)."""
    return min(severities, key=_RANK.__getitem__, default=None)


@dataclass(slots=True)
class SeverityCounts:
    """How many of something there are at each severity, most severe first."""

    counts: list[int] = field(default_factory=lambda: [0] * len(SEVERITIES))

    def add(self, severity: str, n: int = 1) -> None:
        self.counts[_RANK[severity]] += n

    def get(self, severity: str) -> int:
        return self.counts[_RANK[severity]]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def most_severe(self) -> str | None:
        return next((s for s, n in zip(SEVERITIES, self.counts, strict=True) if n), None)

    def to_wire(self) -> dict[str, int]:
        return dict(zip(_WIRE_NAMES, self.counts, strict=True))


@dataclass(slots=True)
class Rollup:
    """A status with its compliant and non-compliant counts by severity.

    For one resource and type the counts are items; for a type across the fleet, resources.
    """

    compliant: SeverityCounts = field(default_factory=SeverityCounts)
    non_compliant: SeverityCounts = field(default_factory=SeverityCounts)

    def add(self, status: str, severity: str, n: int = 1) -> None:
        (self.non_compliant if status == NON_COMPLIANT else self.compliant).add(severity, n)

    @property
    def is_empty(self) -> bool:
        return self.compliant.total == 0 and self.non_compliant.total == 0

    @property
    def status(self) -> str:
        return NON_COMPLIANT if self.non_compliant.total else COMPLIANT

    @property
    def overall_severity(self) -> str:
        """The resource's OverallSeverity (meaningful when counting one resource's items)."""
        counts = self.non_compliant if self.non_compliant.total else self.compliant
        return counts.most_severe() or "UNSPECIFIED"

    def to_wire(self) -> dict[str, object]:
        return {
            "CompliantSummary": {
                "CompliantCount": self.compliant.total,
                "SeveritySummary": self.compliant.to_wire(),
            },
            "NonCompliantSummary": {
                "NonCompliantCount": self.non_compliant.total,
                "SeveritySummary": self.non_compliant.to_wire(),
            },
        }


def resource_rollup(items: Iterable[tuple[str, str, int]]) -> Rollup:
    """One resource's roll-up for one type from ``(status, severity, count)`` of its items."""
    rollup = Rollup()
    for status, severity, n in items:
        rollup.add(status, severity, n)
    return rollup


def fleet_rollups(resources: Iterable[tuple[str, str, str, int]]) -> dict[str, Rollup]:
    """Per compliance type, its resources counted by status and OverallSeverity, from
    ``(compliance type, status, overall severity, number of resources)``; types sorted."""
    rollups: dict[str, Rollup] = {}
    for compliance_type, status, severity, n in sorted(resources):
        rollups.setdefault(compliance_type, Rollup()).add(status, severity, n)
    return rollups
