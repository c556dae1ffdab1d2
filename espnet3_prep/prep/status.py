"""``action=status``: per-shard tables, a summary and failure details (rich), from the
reports of :func:`espnet3_prep.driver.status.store_status`."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from espnet3_prep.driver.status import STATES

STYLE = {"done": "green", "running": "cyan", "pending": "yellow", "failed": "bold red",
         "missing": "magenta"}
MAX_ROWS = 40


def print_status(reports: dict[str, dict[str, Any]], console: Console | None = None) -> None:
    """Per-shard tables (non-done shards first when long), a summary, failure details."""
    console = console or Console(width=120)
    for split, report in reports.items():
        if report["planned"]:
            console.print(_shard_table(split, report))
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
        for row in [r for r in report["shards"] if r["state"] == "failed"][:10]:
            console.print(f"[bold red]{split} shard {row['shard']:05d} failed[/] (job "
                          f"{row['job_id']}): {row['detail']}", markup=True, highlight=False)
            if row["log"]:
                console.print(f"  last lines of {row['log']}:", highlight=False)
            for line in row["log_tail"]:
                console.print(f"    {line}", markup=False, highlight=False)


def _shard_table(split: str, report: dict[str, Any]) -> Table:
    rows = report["shards"]
    shown = sorted(rows, key=lambda r: (r["state"] == "done", r["shard"]))[:MAX_ROWS]
    table = Table(title=f"{split}: {report['store']}")
    for name in ("shard", "state", "items", "job", "detail"):
        table.add_column(name, justify="right" if name in ("shard", "items") else "left")
    for row in sorted(shown, key=lambda r: r["shard"]):
        items = f"{row['items_done']}/{row['items']}" if row["items"] is not None else "?"
        job = f"{row['job_id']} ({row['kind']})" if row["job_id"] else "-"
        table.add_row(f"{row['shard']:05d}", f"[{STYLE[row['state']]}]{row['state']}[/]",
                      items, job, str(row["detail"])[:60])
    if len(rows) > len(shown):
        table.caption = (f"{len(rows) - len(shown)} more shards not shown "
                         "(shards that are not done are listed first)")
    return table


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"
