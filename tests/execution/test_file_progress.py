"""Per-item progress from submitit jobs, through progress files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from espnet3_prep.backends.base import EnvSource
from espnet3_prep.backends.submitit import SubmititBackend
from espnet3_prep.execution.file_progress import FileProgress, ProgressFiles
from espnet3_prep.execution.task import ShardTask
from espnet3_prep.storage.shards import plan_shards
from tests.toy import ToyProvider, ToyRunner


def test_counts_are_replayed_once(tmp_path: Path) -> None:
    reporter = FileProgress(tmp_path / "00000.json", interval_s=0)
    files = ProgressFiles(tmp_path)
    seen: Counter[str] = Counter()
    for outcome in ("kept", "kept", "failed"):
        reporter(outcome)
    files.replay(lambda o: seen.update([o]))
    reporter("dropped")
    files.replay(lambda o: seen.update([o]))
    files.replay(lambda o: seen.update([o]))
    assert seen == {"kept": 2, "failed": 1, "dropped": 1}


def test_submitit_local_reports_every_item(tmp_path: Path) -> None:
    backend = SubmititBackend({"env": "submitit_local", "n_workers": 2,
                               "options": {"folder": str(tmp_path / "jobs")}})
    provider = ToyProvider({"n": 30})
    tasks = [ShardTask(ToyRunner, shard) for shard in plan_shards(range(30), 8)]
    env = EnvSource("k", provider.worker_setup_fn, provider.build_env_local)
    items: Counter[str] = Counter()
    results = []
    try:
        backend.run(tasks, env, results.append, lambda outcome: items.update([outcome]))
    finally:
        backend.close()
    totals: Counter[str] = Counter()
    for result in results:
        totals.update(result.summary["counts"])
    assert sum(items.values()) == 30 and items == totals
