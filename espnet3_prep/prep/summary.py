"""The end-of-run summary table (kept/dropped/failed, hours, time, × real time)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_summary(stats: dict[str, dict[str, Any]], output_dir: str) -> None:
    """Print one row per split and a total row to stdout."""
    table = Table(title=f"espnet3-prep: {output_dir}")
    for name in ("split", "inputs", "kept", "dropped", "failed", "hours in", "hours out",
                 "wall s", "x real time"):
        table.add_column(name, justify="left" if name == "split" else "right")
    for split, row in stats.items():
        table.add_row(split, *_cells(row))
    if len(stats) > 1:
        total = _total(list(stats.values()))
        table.add_row("total", *_cells(total), style="bold")
    Console(width=120).print(table)
    reasons = {}
    for row in stats.values():
        for reason, count in row.get("drop_reasons", {}).items():
            reasons[reason] = reasons.get(reason, 0) + count
    if reasons:
        print("dropped by reason: " + ", ".join(f"{k}={v}" for k, v in sorted(reasons.items())))


def _cells(row: dict[str, Any]) -> list[str]:
    rt = row.get("x_real_time")
    return [str(row["inputs"]), str(row["kept"]), str(row["dropped"]), str(row["failed"]),
            f"{row['hours_in']:.4f}", f"{row['hours_out']:.4f}", f"{row['wall_seconds']:.2f}",
            f"{rt:.0f}x" if rt else "-"]


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("inputs", "kept", "dropped", "failed", "hours_in", "hours_out", "wall_seconds")
    total: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    wall = total["wall_seconds"]
    total["x_real_time"] = total["hours_out"] * 3600 / wall if wall else None
    return total
