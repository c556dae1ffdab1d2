"""Item-level failure handling: time-outs, transient retries, retry-only-failed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from espnet3_prep import BaseRunner, set_parallel
from espnet3_prep.errors import AllItemsFailedError
from tests.matrix import record
from tests.toy import ToyProvider


@pytest.fixture(autouse=True)
def in_process() -> None:
    set_parallel(None)


class Sleepy(BaseRunner):
    """Item 2 spins forever in Python code."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any) -> Any:
        if idx == 2:
            while True:
                time.sleep(0.01)
        return {"i": idx}


def test_item_timeout_fails_one_item_not_the_shard() -> None:
    runner = Sleepy(ToyProvider({"n": 5}), shard_size=5, item_timeout_s=0.3, on_error="record")
    start = time.monotonic()
    out = runner(range(5))
    assert time.monotonic() - start < 5
    assert [r["i"] for r in out] == [0, 1, 3, 4]
    errors = runner.last_outcome.errors()
    assert len(errors) == 1 and "item_timeout_s=0.3" in errors[0]["error"]
    record("pathological item (hangs)", "failed with ItemTimeout", "rest of the shard kept")


class Flaky(BaseRunner):
    """Raises OSError the first time each item is seen (a transient I/O error)."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, seen: set | None = None) -> Any:
        assert seen is not None
        if idx not in seen:
            seen.add(idx)
            raise OSError(f"transient {idx}")
        return {"i": idx}


def test_retries_absorb_transient_errors() -> None:
    seen: set[int] = set()
    assert len(Flaky(ToyProvider({"n": 4}, params={"seen": seen}), retries=1)(range(4))) == 4
    seen.clear()
    runner = Flaky(ToyProvider({"n": 4}, params={"seen": seen}), retries=0, on_error="record")
    with pytest.raises(AllItemsFailedError, match="all 4 items failed"):
        runner(range(4))
    assert runner.last_outcome.counts["failed"] == 4


class FailsWhileFlagged(BaseRunner):
    """Odd items fail while the flag file exists (a bad input the user then fixes)."""

    @staticmethod
    def forward(idx: int, *, dataset: Any, model: Any, flag: str = "",
                calls: list | None = None) -> Any:
        if calls is not None:
            calls.append(idx)
        if idx % 2 and os.path.exists(flag):
            raise ValueError(f"bad input {idx}")
        return {"i": idx}


KEY = {"test": "retry"}  # params hold a call log, which must not count as a plan change


def test_retry_failed_reruns_only_failed_items(tmp_path: Path) -> None:
    flag = tmp_path / "broken"
    flag.write_text("x")
    calls: list[int] = []
    provider = ToyProvider({"n": 10}, params={"flag": str(flag), "calls": calls})
    first = FailsWhileFlagged(provider, shard_size=4, work_dir=tmp_path / "w", plan_key=KEY,
                              on_error="record")
    assert [r["i"] for r in first(range(10))] == [0, 2, 4, 6, 8]
    flag.unlink()  # the user fixes the input
    plain = FailsWhileFlagged(provider, shard_size=4, work_dir=tmp_path / "w", plan_key=KEY,
                              on_error="record")
    assert len(plain(range(10))) == 5  # done shards are not rerun without retry_failed
    retry = FailsWhileFlagged(provider, shard_size=4, work_dir=tmp_path / "w",
                              retry_failed=True, plan_key=KEY)
    calls.clear()
    assert [r["i"] for r in retry(range(10))] == list(range(10))
    assert calls == [1, 3, 5, 7, 9]
    assert retry.last_outcome.counts == {"kept": 10}
    for shard in sorted((tmp_path / "w" / "shards").iterdir()):
        assert (shard / "errors.jsonl").read_text() == ""
        idx = [json.loads(x)["idx"] for x in (shard / "results.jsonl").open()]
        assert idx == sorted(idx)
    record("retry_failed after fixing inputs", "only failed items rerun", "merged in order")
