"""Longest-first submission: only the order changes, results stay in shard order."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from espnet3_prep.backends.base import Backend, EnvSource, ResultFn
from espnet3_prep.driver.schedule import longest_first
from espnet3_prep.execution.shard import run_shard
from espnet3_prep.execution.task import ProgressFn, ShardTask
from espnet3_prep.prep.costs import AudioBytes
from espnet3_prep.storage.shards import plan_shards
from tests.toy import ToyProvider, ToyRunner


def _tasks(n: int, size: int) -> list[ShardTask]:
    return [ShardTask(ToyRunner, shard) for shard in plan_shards(range(n), size)]


def test_longest_first_is_stable_and_keeps_plan_order_without_a_hint() -> None:
    tasks = _tasks(40, 5)  # 8 shards
    weight = {0: 1.0, 3: 5.0, 6: 5.0, 7: 9.0}
    cost = lambda idx: sum(weight.get(i // 5, 0.5) for i in idx) / 5  # noqa: E731
    ordered = longest_first(tasks, cost, n_workers=2)
    assert [t.shard.id for t in ordered] == [7, 3, 6, 0, 1, 2, 4, 5]
    assert longest_first(tasks, None, 2) == tasks
    assert longest_first(tasks, cost, 1) == tasks  # one worker: order cannot matter
    assert longest_first(tasks[:2], cost, 2) == tasks[:2]


def test_a_failing_hint_keeps_the_plan_order() -> None:
    tasks = _tasks(20, 5)
    assert longest_first(tasks, lambda idx: 1 / 0, 2) == tasks


class _Recording(Backend):
    """In-process backend that claims two workers and records the submission order."""

    name = "recording"

    def __init__(self) -> None:
        self.order: list[int] = []

    @property
    def n_workers(self) -> int:
        return 2

    def run(self, tasks: list[ShardTask], env: EnvSource, on_result: ResultFn,
            on_item: ProgressFn) -> None:
        built = env.local()
        for task in tasks:
            self.order.append(task.shard.id)
            on_result(run_shard(task, built, on_item))


def test_runner_submits_costliest_first_but_returns_input_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _Recording()
    monkeypatch.setattr("espnet3_prep.runner.base_runner.get_backend", lambda: backend)
    plain = ToyRunner(ToyProvider({"n": 30}), shard_size=5, progress=False)(range(30))
    runner = ToyRunner(ToyProvider({"n": 30}), shard_size=5, progress=False,
                       shard_cost=lambda idx: float(sum(idx) % 7))
    assert runner(range(30)) == plain
    costs = [sum(range(i * 5, i * 5 + 5)) % 7 for i in range(6)]
    assert backend.order[-6:] == sorted(range(6), key=lambda i: -costs[i])


def test_audio_bytes_sums_file_sizes_segments_and_speed(tmp_path: Path) -> None:
    wav = tmp_path / "a.flac"
    wav.write_bytes(b"x" * 1000)
    items: list[dict[str, Any]] = [
        {"audio": str(wav)}, {"audio": str(wav), "speed": 0.5},
        {"audio": str(wav), "segment": (1.0, 1.5)}, {"audio": None},
        {"audio": str(tmp_path / "missing.flac")}]
    cost = AudioBytes(items)
    assert cost([0]) == os.path.getsize(wav)
    assert cost([1]) == 2 * os.path.getsize(wav)
    assert cost([2]) == 0.5 * 32000
    assert cost([3, 4]) == 0.0
