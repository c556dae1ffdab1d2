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
    costs = sorted((random.Random(3).lognormvariate(0, 1) for _ in range(1000)), reverse=True)
    bundles = bundle(costs, 4, per_worker=8)
    totals = [sum(group) for group in bundles]
    assert len(bundles) == 32
    assert max(totals) / min(totals) < 1.1  # vs. ~2x for contiguous chunks of this order
    chunks = [sum(costs[k * 31:(k + 1) * 31]) for k in range(32)]  # contiguous, same size
    assert max(chunks) / min(chunks) > 2
