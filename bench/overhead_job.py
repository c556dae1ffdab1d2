"""Runner overhead with a ``forward`` that does nothing, run by ``bench/run.py`` in a fresh
process: µs per item in-process (100k indices) and ms per shard on a Dask LocalCluster.

In-process: ``runner(range(100_000))`` with the default settings (auto shard size,
progress on, results kept in memory) — the plain Python API — and the same with a
``work_dir`` (persistent shards: results.jsonl, done markers with fsync; 20k indices) for
information.
Dask: a warm 2-worker LocalCluster runs ``N_SHARDS`` shards of ``SHARD_ITEMS`` items; the
figure is the run's wall time divided by the number of shards. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from espnet3_prep.runner.base_runner import BaseRunner  # noqa: E402
from espnet3_prep.runner.inference_provider import InferenceProvider  # noqa: E402

N_ITEMS = 100_000
N_FILE_ITEMS = 20_000  # persistent mode (information only): fsync'd shards are slow
N_SHARDS = 400
SHARD_ITEMS = 5


class NullProvider(InferenceProvider):
    """No dataset, no model."""

    @staticmethod
    def build_dataset(cfg: Any) -> None:
        """Nothing to build."""
        return None


class NullRunner(BaseRunner):
    """``forward`` returns its index and does nothing else."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, **env: Any) -> int:
        """The index itself."""
        return idx


def _best(fn: Any, reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def in_process(reps: int) -> dict[str, float]:
    """µs per item over ``N_ITEMS`` indices, memory mode and persistent shards."""
    runner = NullRunner(NullProvider({}))
    runner(range(1000))  # builds the env once, like any first call
    memory = _best(lambda: runner(range(N_ITEMS)), reps)
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        def persistent() -> None:
            NullRunner(NullProvider({}), work_dir=Path(tmp), resume=False).run(
                range(N_FILE_ITEMS))
        files = _best(persistent, reps)
    return {"inproc_us_per_item": memory / N_ITEMS * 1e6,
            "inproc_files_us_per_item": files / N_FILE_ITEMS * 1e6}


def on_dask(reps: int, workers: int) -> dict[str, float]:
    """ms per shard dispatched to a warm LocalCluster of ``workers`` processes."""
    from espnet3_prep.parallel import close_parallel, get_backend, set_parallel

    set_parallel({"env": "local", "n_workers": workers})
    get_backend().start()  # type: ignore[attr-defined]
    runner = NullRunner(NullProvider({}), shard_size=SHARD_ITEMS, progress=False)
    runner(range(SHARD_ITEMS * workers))  # registers the env plugin on every worker
    n = N_SHARDS * SHARD_ITEMS
    seconds = _best(lambda: runner(range(n)), reps)
    close_parallel()
    return {"dask_ms_per_shard": seconds / N_SHARDS * 1e3, "dask_shards": N_SHARDS,
            "dask_shard_items": SHARD_ITEMS}


def main() -> None:
    """Command line: ``overhead_job.py [--reps 3] [--workers 2]``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    result = {**in_process(args.reps), **on_dask(args.reps, args.workers)}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
