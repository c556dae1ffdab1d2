"""The sweep summary: one row per (job, split) from each job's ``<split>/stats.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf
from rich.console import Console
from rich.table import Table

from espnet3_prep.prep.sweep import FAILED_FILE
from espnet3_prep.storage.files import atomic_open, atomic_write_json

SUMMARY_MD = "sweep_summary.md"
SUMMARY_JSON = "sweep_summary.json"
COLUMNS = ("job", "split", "inputs", "kept", "dropped", "failed", "hours_out", "frames",
           "feat_dim", "wall_seconds", "x_real_time", "drop_reasons")
LEFT = ("job", "split", "drop_reasons")


def job_dirs(sweep_dir: Path, since: float = 0.0) -> list[Path]:
    """Job folders (holding ``.hydra/overrides.yaml``) written at or after ``since``."""
    found = []
    for overrides in sorted(sweep_dir.glob("*/.hydra/overrides.yaml")):
        if overrides.stat().st_mtime >= since:
            found.append(overrides.parent.parent)
    return found


def sweep_rows(sweep_dir: Path, since: float = 0.0) -> list[dict[str, Any]]:
    """Rows of every job of the sweep; a job without stats gets one ``missing`` row."""
    rows: list[dict[str, Any]] = []
    for job in job_dirs(sweep_dir, since):
        overrides = [str(o) for o in OmegaConf.load(job / ".hydra" / "overrides.yaml")]
        stats_files = sorted(job.glob("*/stats.json"))
        failure = job / FAILED_FILE
        if failure.exists():
            info = json.loads(failure.read_text(encoding="utf-8"))
            rows.append({"job": job.name, "overrides": overrides, "status": "failed",
                         "output_dir": str(job), **info})
            continue
        if not stats_files:
            rows.append({"job": job.name, "overrides": overrides, "status": "missing",
                         "output_dir": str(job)})
        for path in stats_files:
            stats = json.loads(path.read_text(encoding="utf-8"))
            row = {key: stats.get(key) for key in COLUMNS if key in stats}
            row.update(job=job.name, overrides=overrides, status="ok", output_dir=str(job),
                       split=stats.get("split", path.parent.name),
                       feat_dim=_feat_dim(path.parent / "feats_stats.npz"))
            rows.append(row)
    return rows


def _feat_dim(path: Path) -> int | None:
    """Feature dimension from a split's ``feats_stats.npz`` (None without features)."""
    if not path.exists():
        return None
    with np.load(path) as stats:
        return int(stats["sum"].shape[0])


def _cells(row: dict[str, Any]) -> list[str]:
    """The table cells of one row, formatted like the run summary."""
    if row.get("status") == "failed":
        return [row["job"], "-", f"FAILED (exit {row.get('exit_code')}): {row.get('error')}",
                *[""] * (len(COLUMNS) - 3)]
    if row.get("status") != "ok":
        return [row["job"], "-", "missing stats.json (job failed?)", *[""] * (len(COLUMNS) - 3)]
    reasons = row.get("drop_reasons") or {}
    rt = row.get("x_real_time")
    return [row["job"], str(row["split"]), str(row.get("inputs", "")), str(row.get("kept", "")),
            str(row.get("dropped", "")), str(row.get("failed", "")),
            f"{float(row.get('hours_out') or 0):.4f}", str(row.get("frames", "")),
            str(row.get("feat_dim") or "-"),
            f"{float(row.get('wall_seconds') or 0):.2f}", f"{rt:.0f}x" if rt else "-",
            ", ".join(f"{k}={v}" for k, v in sorted(reasons.items())) or "-"]


def _headers() -> list[str]:
    return [c.replace("_", " ") for c in COLUMNS]


def print_table(rows: list[dict[str, Any]], sweep_dir: Path) -> None:
    """Print the rows as a rich table on stdout."""
    table = Table(title=f"espnet3-prep sweep: {sweep_dir}")
    for key, name in zip(COLUMNS, _headers(), strict=True):
        table.add_column(name, justify="left" if key in LEFT else "right", overflow="fold")
    for row in rows:
        table.add_row(*_cells(row))
    Console(width=160).print(table)


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(_headers()) + " |",
             "|" + "|".join("---" if key in LEFT else "---:" for key in COLUMNS) + "|"]
    for row in rows:
        cells = [c.replace("|", "\\|") for c in _cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_summary(rows: list[dict[str, Any]], sweep_dir: Path) -> None:
    """Write ``sweep_summary.md`` and ``sweep_summary.json`` into the sweep dir."""
    with atomic_open(sweep_dir / SUMMARY_MD) as handle:
        handle.write(f"# espnet3-prep sweep: {sweep_dir}\n\n{markdown(rows)}")
    atomic_write_json(sweep_dir / SUMMARY_JSON, {"sweep_dir": str(sweep_dir), "jobs": rows})
