"""Outputs written before the issue-11 move still resume (tests/compat/golden).

The golden output was written by the pre-refactor code (commit 67e5691) with
:mod:`tests.compat.golden_toy`: ``plan.json``, shards 0 and 1 done, and a detached job
spec for shard 2 that was never run. The current code must accept the plan (same hash),
skip the done shards, run the old spec with ``python -m espnet3_prep.worker`` and give the
same results as a fresh run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from espnet3_prep.compat import MOVED_MODULES, resolve_class
from espnet3_prep.storage.jsonl import read_jsonl
from espnet3_prep.storage.shards import ShardStore
from tests.compat.golden_toy import GoldenProvider, GoldenRunner
from tests.helpers import REPO, cli_env

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def old_output(tmp_path: Path) -> Path:
    """A copy of the golden output, its spec's paths pointed at the copy."""
    out = tmp_path / "out"
    shutil.copytree(GOLDEN, out)
    spec = out / "jobs" / "specs" / "00002.json"
    text = spec.read_text().replace("@STORE@", str(out)).replace("@CWD@", str(REPO))
    spec.write_text(text.replace("@PYTHON@", sys.executable))
    return out


def _runner(out: Path) -> GoldenRunner:
    return GoldenRunner(GoldenProvider({"size": 10}), shard_size=4, work_dir=out,
                        progress=False)


def test_an_old_plan_resumes_and_only_the_missing_shard_runs(old_output: Path) -> None:
    store = ShardStore(old_output)
    before = {i: store.marker_path(i).read_bytes() for i in (0, 1)}
    got = _runner(old_output)(range(10))
    assert got == [{"idx": i, "double": 2 * i} for i in range(10) if i % 4 != 3]
    assert {i: store.marker_path(i).read_bytes() for i in (0, 1)} == before  # not rerun
    assert store.is_done(2, json.loads((old_output / "plan.json").read_text())["plan_hash"])


def test_an_old_job_spec_runs_with_the_worker_shim(old_output: Path, tmp_path: Path) -> None:
    spec = old_output / "jobs" / "specs" / "00002.json"
    proc = subprocess.run([sys.executable, "-m", "espnet3_prep.worker", str(spec)],
                          capture_output=True, text=True, timeout=120, check=False,
                          env=cli_env(), cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    fresh = tmp_path / "fresh"
    _runner(fresh)(range(10))
    for name in ("results.jsonl", "dropped.jsonl"):
        assert read_jsonl(old_output / "shards" / "00002" / name) == read_jsonl(
            fresh / "shards" / "00002" / name)
    assert json.loads((old_output / "plan.json").read_text()) == json.loads(
        (fresh / "plan.json").read_text())  # the plan hash did not change with the move


@pytest.mark.parametrize(("old", "new"), [
    ("espnet3_prep.runner.sinks.Dropped", "espnet3_prep.execution.sinks.Dropped"),
    ("espnet3_prep.runner.sinks.ShardSink", "espnet3_prep.execution.sinks.ShardSink"),
    ("espnet3_prep.runner.execute.ShardTask", "espnet3_prep.execution.task.ShardTask"),
    ("espnet3_prep.shards.ShardStore", "espnet3_prep.storage.shards.ShardStore"),
    ("espnet3_prep.backends.local.LocalBackend",
     "espnet3_prep.backends.inprocess.InProcessBackend"),
    ("espnet3_prep.detached.IncompleteShardsError", "espnet3_prep.errors.IncompleteShardsError"),
    ("espnet3_prep.prep.runner.PrepRunner", "espnet3_prep.prep.runner.PrepRunner"),
])
def test_old_class_paths_resolve(old: str, new: str) -> None:
    module, _, name = new.rpartition(".")
    assert resolve_class(old) is getattr(__import__(module, fromlist=[name]), name)


def test_every_moved_module_exists_and_unknown_paths_fail() -> None:
    for new in MOVED_MODULES.values():
        __import__(new)
    with pytest.raises(ImportError, match="espnet3_prep.nowhere.Thing"):
        resolve_class("espnet3_prep.nowhere.Thing")
