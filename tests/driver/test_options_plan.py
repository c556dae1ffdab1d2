"""RunOptions (the one source of run options) and plan_run (one planning step for sync and
detached runs), against a real on-disk shard store."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from espnet3_prep.config import RunnerConfig
from espnet3_prep.driver.options import CONFIG_KEYS, RunOptions
from espnet3_prep.driver.plan import plan_run
from espnet3_prep.errors import ConfigError, PlanMismatchError
from espnet3_prep.storage.shards import ShardStore
from tests.toy import ToyProvider, ToyRunner

KEY = {"what": "toy"}


def test_options_cover_the_runner_config_schema() -> None:
    schema = {f.name for f in dataclasses.fields(RunnerConfig)} - {"_target_"}
    assert set(CONFIG_KEYS) == schema  # a new runner.* key must become a run option


def test_options_from_config_are_frozen_and_checked(tmp_path: Path) -> None:
    cfg = OmegaConf.structured(RunnerConfig(shard_size=7, retries=2))
    options = RunOptions.from_config(cfg, work_dir=tmp_path / "rel", description="dev")
    assert (options.shard_size, options.retries, options.description) == (7, 2, "dev")
    assert options.work_dir == (tmp_path / "rel").absolute()
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.retries = 3  # type: ignore[misc]
    with pytest.raises(ConfigError, match="runner.on_error='ignore'"):
        options.replace(on_error="ignore")
    with pytest.raises(ConfigError, match="runner.retries"):
        RunOptions(retries=-1)
    with pytest.raises(ConfigError, match="async_result_dir"):
        RunOptions(async_mode=True)


def test_runner_attributes_read_the_options(tmp_path: Path) -> None:
    runner = ToyRunner(ToyProvider({"n": 3}), batch_size=2, work_dir=tmp_path)
    assert runner.batch_size == 2 and runner.work_dir == tmp_path.absolute()
    assert runner.options.batch_size == 2
    with pytest.raises(AttributeError, match="no_such_option"):
        _ = runner.no_such_option


def test_plan_run_finds_done_and_retry_shards(tmp_path: Path) -> None:
    options = RunOptions(shard_size=4, retry_failed=True)
    plan = plan_run(options, KEY, range(10), 1, tmp_path)
    assert [len(s.indices) for s in plan.shards] == [4, 4, 2]
    assert all(state.todo for state in plan.states)
    store = ShardStore(tmp_path)
    for shard_id, failed in ((0, 0), (1, 1)):
        tmp = store.begin(shard_id)
        (tmp / "errors.jsonl").write_text(json.dumps({"idx": 5}) + "\n" if failed else "")
        store.commit(shard_id, tmp, {"plan_hash": plan.plan_hash, "counts": {"failed": failed}})
    again = plan_run(options, KEY, range(10), 1, tmp_path)
    assert [(s.todo, s.retry) for s in again.states] == [(False, None), (True, (5,)),
                                                         (True, None)]
    task = again.task(ToyRunner, options, again.states[1])
    assert (task.retry_indices, task.plan_hash) == ((5,), plan.plan_hash)


def test_plan_run_refuses_another_plan_and_ignores_its_markers(tmp_path: Path) -> None:
    options = RunOptions(shard_size=4)
    first = plan_run(options, KEY, range(10), 1, tmp_path)
    with pytest.raises(PlanMismatchError, match="what: 'toy' -> 'other'"):
        plan_run(options, {"what": "other"}, range(10), 1, tmp_path)
    store = ShardStore(tmp_path)
    tmp = store.begin(0)
    store.commit(0, tmp, {"plan_hash": "an-older-plan"})
    assert store.read_marker(0) is not None and not store.is_done(0, first.plan_hash)
    assert plan_run(options, KEY, range(10), 1, tmp_path).states[0].todo
    fresh = plan_run(options.replace(resume=False), {"what": "other"}, range(10), 1, tmp_path)
    assert fresh.plan_hash != first.plan_hash and store.read_marker(0) is None  # wiped


def test_in_memory_plan_has_no_store() -> None:
    plan = plan_run(RunOptions(), KEY, range(5), 2, None)
    assert plan.store is None and plan.plan_hash is None
    assert [tuple(s.shard.indices) for s in plan.states] == [(0,), (1,), (2,), (3,), (4,)]
