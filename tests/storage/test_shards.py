"""Plans, markers, atomic writes and plan validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from espnet3_prep.errors import PlanMismatchError
from espnet3_prep.storage.files import atomic_open, atomic_write_json
from espnet3_prep.storage.shards import ShardStore, ensure_plan, make_plan_record, plan_shards


def test_plan_is_deterministic_and_covers_every_index_once() -> None:
    shards = plan_shards(range(23), 5)
    assert [len(s.indices) for s in shards] == [5, 5, 5, 5, 3]
    assert [i for s in shards for i in s.indices] == list(range(23))
    assert plan_shards(range(23), 5) == shards
    assert [tuple(s.indices) for s in plan_shards(list(range(23)), 5)] == [
        tuple(s.indices) for s in shards]
    assert [s.name for s in shards][:2] == ["00000", "00001"]


def test_plan_rejects_bad_shard_size() -> None:
    with pytest.raises(ValueError, match="shard_size"):
        plan_shards(range(3), 0)


def test_atomic_open_leaves_target_untouched_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_only_marker_makes_shard_done(tmp_path: Path) -> None:
    store = ShardStore(tmp_path)
    tmp = store.begin(0)
    (tmp / "results.jsonl").write_text("{}\n")
    assert not store.is_done(0, "h")
    store.commit(0, tmp, {"plan_hash": "h"})
    assert store.is_done(0, "h")
    assert not store.is_done(0, "other-plan")
    # a shard dir without marker (crash between rename and marker) is stale
    (store.shard_dir(1)).mkdir()
    (store.shard_dir(1) / "results.jsonl").write_text("partial")
    leftover = store.begin(2)
    assert store.clean_stale() == 2
    assert not store.shard_dir(1).exists() and not leftover.exists()
    assert store.is_done(0, "h")


def test_changed_plan_is_refused_with_what_changed(tmp_path: Path) -> None:
    store = ShardStore(tmp_path)
    shards = plan_shards(range(10), 4)
    first = make_plan_record({"feature": {"num_mel_bins": 80}}, shards)
    ensure_plan(store, first, resume=True)
    tmp = store.begin(0)
    store.commit(0, tmp, {"plan_hash": first["plan_hash"]})
    changed = make_plan_record({"feature": {"num_mel_bins": 40}}, shards)
    with pytest.raises(PlanMismatchError) as err:
        ensure_plan(store, changed, resume=True)
    assert "feature.num_mel_bins: 80 -> 40" in str(err.value)
    assert "runner.resume=false" in str(err.value)
    assert store.is_done(0, first["plan_hash"])  # nothing deleted
    relaid = make_plan_record({"feature": {"num_mel_bins": 80}}, plan_shards(range(10), 3))
    with pytest.raises(PlanMismatchError, match="shards.num_shards"):
        ensure_plan(store, relaid, resume=True)
    ensure_plan(store, changed, resume=False)  # fresh start wipes
    assert not store.shard_dir(0).exists()
    assert json.loads((tmp_path / "plan.json").read_text())["plan_hash"] == changed["plan_hash"]


def test_atomic_write_json_roundtrip(tmp_path: Path) -> None:
    atomic_write_json(tmp_path / "a" / "b.json", {"x": [1, 2]})
    assert json.loads((tmp_path / "a" / "b.json").read_text()) == {"x": [1, 2]}
