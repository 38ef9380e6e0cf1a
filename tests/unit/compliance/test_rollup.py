"""The compliance roll-ups, from AWS's definitions (ResourceComplianceSummaryItem: a resource
is NON_COMPLIANT when any item is; OverallSeverity is the most severe item it is
non-compliant for, or the most severe item when compliant; CompliantSummary counts
resources per compliance type)."""

from __future__ import annotations

import pytest

from openssm.server.services.compliance.rollup import (
    SeverityCounts,
    fleet_rollups,
    most_severe,
    resource_rollup,
)

C, N = "COMPLIANT", "NON_COMPLIANT"


@pytest.mark.parametrize(
    ("items", "status", "overall"),
    [
        ([(C, "LOW", 1)], C, "LOW"),
        ([(C, "LOW", 3), (C, "CRITICAL", 1)], C, "CRITICAL"),
        ([(C, "CRITICAL", 1), (N, "LOW", 1)], N, "LOW"),
        ([(N, "INFORMATIONAL", 2), (N, "MEDIUM", 1), (C, "HIGH", 5)], N, "MEDIUM"),
        ([(N, "UNSPECIFIED", 1)], N, "UNSPECIFIED"),
        ([(C, "UNSPECIFIED", 1), (C, "INFORMATIONAL", 1)], C, "INFORMATIONAL"),
    ],
)
def test_resource_status_and_overall_severity(
    items: list[tuple[str, str, int]], status: str, overall: str
) -> None:
    rollup = resource_rollup(items)
    assert (rollup.status, rollup.overall_severity) == (status, overall)


def test_resource_counts_items_by_severity() -> None:
    rollup = resource_rollup([(C, "HIGH", 2), (N, "HIGH", 1), (N, "LOW", 4)])
    assert rollup.to_wire() == {
        "CompliantSummary": {
            "CompliantCount": 2,
            "SeveritySummary": {
                "CriticalCount": 0,
                "HighCount": 2,
                "MediumCount": 0,
                "LowCount": 0,
                "InformationalCount": 0,
                "UnspecifiedCount": 0,
            },
        },
        "NonCompliantSummary": {
            "NonCompliantCount": 5,
            "SeveritySummary": {
                "CriticalCount": 0,
                "HighCount": 1,
                "MediumCount": 0,
                "LowCount": 4,
                "InformationalCount": 0,
                "UnspecifiedCount": 0,
            },
        },
    }


def test_no_items_is_empty() -> None:
    assert resource_rollup([]).is_empty
    assert not resource_rollup([(C, "LOW", 1)]).is_empty


def test_fleet_counts_resources_per_type_sorted() -> None:
    rollups = fleet_rollups(
        [
            ("Patch", N, "CRITICAL", 3),
            ("Association", C, "UNSPECIFIED", 10),
            ("Patch", C, "UNSPECIFIED", 7),
            ("Association", N, "HIGH", 2),
            ("Association", N, "HIGH", 1),
        ]
    )
    assert list(rollups) == ["Association", "Patch"]
    association = rollups["Association"]
    assert (association.compliant.total, association.non_compliant.total) == (10, 3)
    assert association.non_compliant.get("HIGH") == 3
    assert rollups["Patch"].non_compliant.get("CRITICAL") == 3


def test_most_severe() -> None:
    assert most_severe(["LOW", "HIGH", "INFORMATIONAL"]) == "HIGH"
    assert most_severe([]) is None
    counts = SeverityCounts()
    assert counts.most_severe() is None
    counts.add("MEDIUM")
    counts.add("UNSPECIFIED", 4)
    assert (counts.most_severe(), counts.total) == ("MEDIUM", 5)
