"""``report.html``: one self-contained page (inline CSS, charts as base64 PNG, no scripts
to fetch) that opens offline. The split stats are also embedded verbatim as JSON
(``<script type="application/json" id="stats">``) for tools."""

from __future__ import annotations

import datetime
import json
from html import escape
from pathlib import Path
from typing import Any

from espnet3_prep.report import charts
from espnet3_prep.report.data import SplitData, totals

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;
color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .7em;border:1px solid #ddd}
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold}.muted{color:#777}img{max-width:100%}
"""
SUMMARY_COLUMNS = (("inputs", "{}"), ("kept", "{}"), ("dropped", "{}"), ("failed", "{}"),
                   ("hours_in", "{:.4f}"), ("hours_out", "{:.4f}"), ("frames", "{}"),
                   ("wall_seconds", "{:.2f}"), ("compute_seconds", "{:.2f}"),
                   ("x_real_time", "{}"), ("x_real_time_per_core", "{}"))
MAX_SHARD_ROWS = 200


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return '<td class="n">-</td>'
    return f'<td class="n">{escape(fmt.format(value))}</td>'


def summary_table(splits: list[SplitData]) -> str:
    """Per split counts, hours, frames, time and throughput, plus a total row."""
    head = "".join(f"<th>{escape(k.replace('_', ' '))}</th>" for k, _ in SUMMARY_COLUMNS)
    rows = []
    for split in splits:
        cells = "".join(_cell(split.stats.get(k), f) for k, f in SUMMARY_COLUMNS)
        rows.append(f"<tr><td>{escape(split.name)}</td>{cells}</tr>")
    if len(splits) > 1:
        total = totals(splits)
        cells = "".join(_cell(total.get(k), f) for k, f in SUMMARY_COLUMNS)
        rows.append(f'<tr class="total"><td>total</td>{cells}</tr>')
    return f"<table><tr><th>split</th>{head}</tr>{''.join(rows)}</table>"


def drops_table(splits: list[SplitData]) -> str:
    """Drops by reason (one column per split)."""
    reasons = totals(splits)["drop_reasons"]
    if not reasons:
        return '<p class="muted">Nothing was dropped.</p>'
    head = "".join(f"<th>{escape(s.name)}</th>" for s in splits)
    rows = []
    for reason in reasons:
        cells = "".join(_cell((s.stats.get("drop_reasons") or {}).get(reason, 0), "{}")
                        for s in splits)
        rows.append(f"<tr><td>{escape(reason)}</td>{cells}</tr>")
    chart = _img(charts.drop_reasons(reasons), "drops by reason")
    return f"<table><tr><th>reason</th>{head}</tr>{''.join(rows)}</table>{chart}"


def shard_table(splits: list[SplitData]) -> str:
    """Per-shard items, seconds and host (first rows only for very many shards)."""
    rows = []
    for split in splits:
        for shard in split.stats.get("shards") or []:
            cells = "".join(_cell(shard.get(k), f) for k, f in
                            (("shard", "{}"), ("items", "{}"), ("seconds", "{:.3f}")))
            rows.append(f"<tr><td>{escape(split.name)}</td>{cells}"
                        f"<td>{escape(str(shard.get('host') or '-'))}</td></tr>")
    more = (f'<p class="muted">{len(rows) - MAX_SHARD_ROWS} more shards not listed.</p>'
            if len(rows) > MAX_SHARD_ROWS else "")
    return ("<table><tr><th>split</th><th>shard</th><th>items</th><th>seconds</th>"
            f"<th>host</th></tr>{''.join(rows[:MAX_SHARD_ROWS])}</table>{more}")


def _img(data: str, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def render(output_dir: Path, splits: list[SplitData]) -> str:
    """The whole page."""
    when = datetime.datetime.now().isoformat(timespec="seconds")
    payload = {s.name: s.stats for s in splits}
    embedded = json.dumps(payload, sort_keys=True).replace("</", "<\\/")
    total = totals(splits)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>espnet3-prep report: {escape(str(output_dir))}</title><style>{CSS}</style></head>
<body><h1>espnet3-prep report</h1>
<p><code>{escape(str(output_dir))}</code> <span class="muted">generated {when}</span></p>
<h2>Splits</h2>{summary_table(splits)}
<p>Throughput: {escape(str(total['x_real_time'] or '-'))}&times; real time overall
(audio seconds kept per wall-clock second).</p>
<h2>Dropped utterances by reason</h2>{drops_table(splits)}
<h2>Durations</h2>{_img(charts.duration_histogram(splits), "duration histogram")}
<h2>Frames per utterance</h2>{_img(charts.frames_histogram(splits), "frame histogram")}
<h2>Shard timing</h2>{_img(charts.shard_timing(splits), "seconds per shard")}
{shard_table(splits)}
<script type="application/json" id="stats">{embedded}</script>
</body></html>
"""
