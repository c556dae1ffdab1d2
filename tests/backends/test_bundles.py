"""Bundling shards into backend tasks: each shard once, balanced, small runs unchanged."""

from __future__ import annotations

import random
from pathlib import Path

from espnet3_prep import set_parallel
from espnet3_prep.backends.bundles import TASKS_PER_WORKER, bundle
from espnet3_prep.parallel import close_parallel
from tests.toy import ToyProvider, ToyRunner, expected


def test_small_runs_keep_one_shard_per_task() -> None:
    assert bundle(list(range(12)), 2) == [[k] for k in range(12)]
    assert bundle([], 4) == []


def test_every_shard_once_in_at_most_per_worker_bundles() -> None:
    shards = list(range(2813))
    bundles = bundle(shards, 2)
    assert len(bundles) == 2 * TASKS_PER_WORKER
    assert sorted(s for group in bundles for s in group) == shards
    assert bundles[0][0] == 0  # the costliest shard is in the first task
    sizes = {len(group) for group in bundles}
    assert max(sizes) - min(sizes) <= 1


def test_costliest_first_order_gives_balanced_bundles() -> None:
    rng = random.Random(3)
    for draw, limit in ((lambda: rng.uniform(0.5, 2.0), 1.05),
                        (lambda: rng.lognormvariate(0, 1), 1.35)):  # heavy tail
        costs = sorted((draw() for _ in range(1000)), reverse=True)
        bundles = bundle(costs, 4, per_worker=8)
        totals = [sum(group) for group in bundles]
        assert len(bundles) == 32
        assert max(totals) / min(totals) < limit
        chunks = [sum(costs[k * 31:(k + 1) * 31]) for k in range(32)]  # contiguous
        assert max(chunks) / min(chunks) > 2.5


def test_dask_tasks_carrying_many_shards_give_the_in_process_results(tmp_path: Path) -> None:
    """100 shards on 2 workers: 32 Dask tasks of 3-4 shards, each shard still its own."""
    set_parallel({"env": "local", "n_workers": 2})
    try:
        on_dask = ToyRunner(ToyProvider({"n": 200}), shard_size=2, work_dir=tmp_path / "a")
        got = [{k: v for k, v in r.items() if k != "pid"} for r in on_dask(range(200))]
        memory = ToyRunner(ToyProvider({"n": 200}), shard_size=2)(range(200))
    finally:
        close_parallel()
        set_parallel(None)
    local = ToyRunner(ToyProvider({"n": 200}), shard_size=2, work_dir=tmp_path / "b")
    want = [{k: v for k, v in r.items() if k != "pid"} for r in local(range(200))]
    assert got == want and [r["y"] for r in memory] == expected(200, 0)
    assert len(list((tmp_path / "a" / "shards").glob("*/DONE"))) == 100
    assert on_dask.last_outcome.counts == local.last_outcome.counts
