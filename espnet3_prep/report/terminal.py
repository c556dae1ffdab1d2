"""The terminal part of the run report (after the summary table): drops by reason,
duration / frame histograms as bars, throughput and per-shard timing."""

from __future__ import annotations

import statistics
from array import array
from collections.abc import Sequence

import numpy as np
from rich.console import Console
from rich.table import Table

from espnet3_prep.report.data import SplitData, totals

BAR_WIDTH = 40
BINS = 8


def histogram_table(title: str, values: dict[str, Sequence[float]], unit: str) -> Table:
    """A text histogram: one row per bin, one bar column per split."""
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column(unit, justify="right")
    everything = np.concatenate([np.asarray(vs, dtype=np.float64) for vs in values.values()])
    edges = np.histogram_bin_edges(everything, bins=BINS)
    counts = {name: np.histogram(vs, bins=edges)[0] for name, vs in values.items()}
    peak = max(int(c.max()) for c in counts.values()) or 1
    for name in values:
        table.add_column(name)
    for i in range(BINS):
        cells = [f"{'█' * max(0, round(BAR_WIDTH * int(c[i]) / peak / len(values)))} {c[i]}"
                 for c in counts.values()]
        table.add_row(f"{edges[i]:.1f}-{edges[i + 1]:.1f}", *cells)
    return table


def shard_table(splits: list[SplitData]) -> Table:
    """Per split: shards, seconds min/median/max, the slowest shard, throughput."""
    table = Table(title="throughput and shard timing", title_justify="left")
    for name in ("split", "shards", "s min", "s median", "s max", "slowest", "x real time",
                 "x rt/core"):
        table.add_column(name, justify="left" if name == "split" else "right")
    for split in splits:
        shards = split.stats.get("shards") or []
        seconds = [float(s.get("seconds") or 0.0) for s in shards]
        slowest = max(shards, key=lambda s: float(s.get("seconds") or 0.0)) if shards else {}
        rt, core = split.stats.get("x_real_time"), split.stats.get("x_real_time_per_core")
        table.add_row(split.name, str(len(shards)),
                      *(f"{f(seconds):.2f}" if seconds else "-"
                        for f in (min, statistics.median, max)),
                      f"#{slowest.get('shard')} on {slowest.get('host')}" if slowest else "-",
                      f"{rt:.0f}x" if rt else "-", f"{core:.0f}x" if core else "-")
    return table


def print_details(splits: list[SplitData], console: Console | None = None) -> None:
    """Print the histograms and the timing table to stdout."""
    console = console or Console(width=120)
    reasons = totals(splits)["drop_reasons"]
    if reasons:
        table = Table(title="dropped by reason", title_justify="left")
        table.add_column("reason")
        for split in splits:
            table.add_column(split.name, justify="right")
        for reason in reasons:
            table.add_row(reason, *(str((s.stats.get("drop_reasons") or {}).get(reason, 0))
                                    for s in splits))
        console.print(table)
    durations = {s.name: s.durations for s in splits if s.durations}
    if durations:
        console.print(histogram_table("kept durations", durations, "seconds"))
    frames = {s.name: array("d", s.frames) for s in splits if s.frames}
    if frames:
        console.print(histogram_table("frames per utterance", frames, "frames"))
    console.print(shard_table(splits))
