"""``action=status`` at scale: a summary and the failed shards, never a row per shard."""

from __future__ import annotations

import io

from rich.console import Console

from espnet3_prep.driver.status import STATES
from espnet3_prep.prep.status import DETAILED, print_status


def _report(n_shards: int, failed: set[int]) -> dict:
    rows = [{"shard": i, "state": "failed" if i in failed else "done", "items": 100,
             "items_done": 0 if i in failed else 100, "job_id": "42_7", "kind": "slurm",
             "log": "/logs/job.log" if i in failed else None,
             "detail": "job ended (CANCELLED)" if i in failed else "", "log_tail": ["boom"]}
            for i in range(n_shards)]
    counts = {s: sum(r["state"] == s for r in rows) for s in STATES}
    return {"planned": True, "store": "/out/train", "shards": rows, "counts": counts,
            "items_done": 100 * (n_shards - len(failed)), "items_total": 100 * n_shards,
            "rate": 50.0, "eta_s": None}


def test_status_of_2813_shards_prints_a_summary_and_the_failed_ones() -> None:
    failed = {5, 17, *range(2000, 2013)}
    out = io.StringIO()
    print_status({"train-960": _report(2813, failed)}, Console(file=out, width=120))
    text = out.getvalue()
    assert len(text.splitlines()) < 60, text
    assert "2798" in text and "15" in text  # done and failed counts in the summary
    assert "train-960 shard 00005 failed" in text and "CANCELLED" in text
    shown = sorted(failed)
    assert all(f"shard {i:05d} failed" in text for i in shown[:DETAILED])
    assert f"{len(failed) - DETAILED} more failed shards: " in text
    assert all(f"{i:05d}" in text for i in shown[DETAILED:])
    assert "00006" not in text  # done shards are only counted
