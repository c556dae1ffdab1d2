"""Bundling shards into backend tasks: each shard once, balanced, small runs unchanged."""

from __future__ import annotations

import random

from espnet3_prep.backends.bundles import TASKS_PER_WORKER, bundle


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
