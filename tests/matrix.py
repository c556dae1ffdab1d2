"""The reliability matrix: tests record one row per scenario; conftest prints the table."""

from __future__ import annotations

ROWS: list[tuple[str, str, str]] = []


def record(scenario: str, outcome: str, guarantee: str) -> None:
    """Add a row (scenario, what happened, what was verified)."""
    ROWS.append((scenario, outcome, guarantee))
