"""``action=status``: a summary per split and the failed shards (rich), from the reports
of :func:`espnet3_prep.driver.status.store_status`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from espnet3_prep.driver.status import STATES

DETAILED = 10
"""Failed shards shown with their reason and log tail; the others by id."""
LISTED = 200


def print_status(reports: dict[str, dict[str, Any]], console: Console | None = None) -> None:
    """A summary per split, then the failed shards (reason and log tail of the first
    :data:`DETAILED`, the ids of the rest). Done, running and pending shards are only
    counted: a 2,813-shard run must not print 2,813 rows."""
    console = console or Console(width=120)
    summary = Table(title="espnet3-prep status")
    for name in ("split", *STATES, "items", "items/s", "ETA"):
        summary.add_column(name, justify="left" if name == "split" else "right")
    for split, report in reports.items():
        if not report["planned"]:
            summary.add_row(split, *["-"] * 5, "not started", "-", "-")
            continue
        rate, eta = report["rate"], report["eta_s"]
        summary.add_row(split, *(str(report["counts"][s]) for s in STATES),
                        f"{report['items_done']}/{report['items_total']}",
                        f"{rate:.1f}" if rate else "-", _duration(eta) if eta else "-")
    console.print(summary)
    for split, report in reports.items():
        _print_failed(console, split, [r for r in report["shards"] if r["state"] == "failed"])


def _print_failed(console: Console, split: str, failed: list[dict[str, Any]]) -> None:
    for row in failed[:DETAILED]:
        console.print(f"[bold red]{split} shard {row['shard']:05d} failed[/] (job "
                      f"{row['job_id']}): {row['detail']}", markup=True, highlight=False)
        if row["log"]:
            console.print(f"  last lines of {row['log']}:", highlight=False)
        for line in row["log_tail"]:
            console.print(f"    {line}", markup=False, highlight=False)
    rest = failed[DETAILED:]
    if rest:
        ids = ", ".join(f"{row['shard']:05d}" for row in rest[:LISTED])
        more = f" and {len(rest) - LISTED} more" if len(rest) > LISTED else ""
        console.print(f"[bold red]{split}: {len(rest)} more failed shards:[/] {ids}{more}",
                      markup=True, highlight=False)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"
