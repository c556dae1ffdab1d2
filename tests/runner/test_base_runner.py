"""BaseRunner semantics in-process: order, filtering, drops, errors, batches, resume."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from espnet3_prep import set_parallel
from espnet3_prep.errors import (
    ConfigError,
    FailureBudgetExceeded,
    ItemError,
    PlanMismatchError,
)
from tests.toy import BatchRunner, ToyProvider, ToyRunner, expected


@pytest.fixture(autouse=True)
def in_process() -> None:
    set_parallel(None)


def test_results_in_input_order_with_counts() -> None:
    runner = ToyRunner(ToyProvider({"n": 60}, params={"offset": 1}), shard_size=7)
    out = runner(range(60))
    assert [r["y"] for r in out] == expected(60, 1)
    counts = runner.last_outcome.counts
    assert counts["filtered"] == 9 and counts["dropped"] == 5 and counts["failed"] == 1
    assert counts["kept"] + counts["filtered"] + counts["dropped"] + counts["failed"] == 60
    assert all(r["pid"] == os.getpid() for r in out)  # env built in-process once
    errors = runner.last_outcome.errors()
    assert errors[0]["utt_id"] == "u0005" and "five is bad" in errors[0]["error"]


def test_unordered_indices_keep_input_order() -> None:
    runner = ToyRunner(ToyProvider({"n": 30}), shard_size=4)
    order = [29, 0, 18, 2, 8]
    assert [r["utt_id"] for r in runner(order)] == ["u0029", "u0000", "u0018", "u0002", "u0008"]


def test_batch_size_hands_lists() -> None:
    runner = BatchRunner(ToyProvider({"n": 10}), batch_size=4, shard_size=10)
    out = runner(range(10))
    assert [r["idx"] for r in out] == list(range(10))
    assert [r["len"] for r in out] == [4, 4, 4, 4, 4, 4, 4, 4, 2, 2]


@pytest.mark.parametrize("bad", [0, -1])
def test_batch_size_must_be_positive(bad: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        ToyRunner(ToyProvider({"n": 1}), batch_size=bad)


def test_async_mode_needs_a_result_dir() -> None:
    with pytest.raises(ConfigError, match="async_result_dir"):
        ToyRunner(ToyProvider({"n": 1}), async_mode=True, async_specs_dir="s")


def test_on_error_raise_stops_with_item_named() -> None:
    runner = ToyRunner(ToyProvider({"n": 20}), on_error="raise", shard_size=4)
    with pytest.raises(ItemError, match="u0005"):
        runner(range(20))


def test_max_failures_budget() -> None:
    runner = ToyRunner(ToyProvider({"n": 20}), max_failures=0, shard_size=4)
    with pytest.raises(FailureBudgetExceeded):
        runner(range(20))


def test_provider_config_not_mutated_and_plain_dict_ok() -> None:
    cfg = {"n": 5}
    provider = ToyProvider(cfg)
    provider.build_env_local()
    assert cfg == {"n": 5}
    with pytest.raises(ValueError, match="dataset"):
        ToyProvider(cfg, params={"dataset": []})


def test_persistent_shards_resume_and_refuse_changed_plan(tmp_path: Path) -> None:
    work = tmp_path / "work"
    first = ToyRunner(ToyProvider({"n": 40}), shard_size=8, work_dir=work)
    out = first(range(40))
    assert sorted(p.name for p in (work / "shards").iterdir()) == [f"{i:05d}" for i in range(5)]
    # a rerun skips every shard: delete one shard's marker to prove only it reruns
    (work / "shards" / "00002" / "DONE").unlink()
    again = ToyRunner(ToyProvider({"n": 40}), shard_size=8, work_dir=work)
    assert again(range(40)) == out
    skipped = [s.skipped for s in again.last_outcome.shards]
    assert skipped == [True, True, False, True, True]
    changed = ToyRunner(ToyProvider({"n": 41}), shard_size=8, work_dir=work)
    with pytest.raises(PlanMismatchError, match="config.n: 40 -> 41"):
        changed(range(40))
    fresh = ToyRunner(ToyProvider({"n": 41}), shard_size=8, work_dir=work, resume=False)
    assert len(fresh(range(41))) == len(expected(41))


def test_non_json_result_is_an_item_error_in_persistent_mode(tmp_path: Path) -> None:
    class Weird(ToyRunner):
        @staticmethod
        def forward(idx, *, dataset, model, **env):  # type: ignore[no-untyped-def]
            return {"obj": object()} if idx == 1 else {"i": idx}

    runner = Weird(ToyProvider({"n": 3}), shard_size=3, work_dir=tmp_path)
    assert runner(range(3)) == [{"i": 0}, {"i": 2}]
    assert runner.last_outcome.counts["failed"] == 1
    line = (tmp_path / "shards" / "00000" / "errors.jsonl").read_text()
    assert "not JSON-serializable" in line


def test_env_key_given_by_extras_and_params_is_a_clear_error() -> None:
    from tests.toy import ExtrasProvider

    with pytest.raises(ValueError, match=r"env keys \['offset'\] are given both by "
                       r"ExtrasProvider.build_extras\(\) and as params"):
        ExtrasProvider({"n": 3}, params={"offset": 1}).build_env_local()
    env = ExtrasProvider({"n": 3}).build_env_local()
    assert env["offset"] == 5 and len(env["dataset"]) == 3


def test_max_failures_as_a_fraction_of_the_items_seen() -> None:
    # ToyRunner fails exactly one item (x == 5); the budget is a fraction of the items of
    # the shards finished so far (shards of 4: 1 failure in the first 8 items)
    ToyRunner(ToyProvider({"n": 20}), max_failures=0.2, shard_size=4)(range(20))  # 1 <= 1.6
    with pytest.raises(FailureBudgetExceeded, match=r"1 items failed \(runner.max_failures=0.1"):
        ToyRunner(ToyProvider({"n": 20}), max_failures=0.1, shard_size=4)(range(8))  # 1 > 0.8
