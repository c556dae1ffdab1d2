"""Spec section 5 as a Python API: ``PrepRunner(provider, async_mode=True, ...)`` writes
JSON specs, starts detached local jobs and returns job metadata at once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from espnet3_prep import set_parallel
from espnet3_prep.backends.detached.specs import absolutize, check_importable, class_path
from espnet3_prep.driver.status import store_status
from espnet3_prep.errors import ConfigError, PlanMismatchError
from espnet3_prep.storage.jsonl import read_jsonl
from tests.helpers import wait_for
from tests.toy import SlowToyRunner, ToyProvider, ToyRunner, expected

KEYS = {"job_id", "spec", "result", "shard", "state"}


@pytest.fixture(autouse=True)
def local_jobs() -> Iterator[None]:
    set_parallel({"env": "local", "n_workers": 2})
    yield
    set_parallel(None)


def _all_done(results: Path, n_shards: int) -> dict[str, Any] | None:
    report = store_status(results)
    assert report["counts"]["failed"] == 0, report["shards"]
    return report if report["counts"]["done"] == n_shards else None


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def finished(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """The spec's example run to completion: 20 toy items in 4 shards, 2 detached jobs."""
    runner = ToyRunner(ToyProvider({"n": 20}, params={"offset": 1}), async_mode=True,
                       async_specs_dir=tmp_path / "specs",
                       async_result_dir=tmp_path / "results", shard_size=5)
    job_meta = runner(range(20))
    wait_for(lambda: _all_done(tmp_path / "results", 4), 60, "the detached jobs")
    return tmp_path, job_meta


def test_api_returns_job_metadata_and_results_land_as_jsonl(
        finished: tuple[Path, list[dict[str, Any]]]) -> None:
    tmp_path, job_meta = finished
    assert [m["shard"] for m in job_meta] == [0, 1, 2, 3]
    assert all(set(m) >= KEYS and m["state"] == "submitted" for m in job_meta)
    assert len({m["job_id"] for m in job_meta}) == 2  # 4 shards grouped into n_workers jobs
    spec = json.loads(Path(job_meta[1]["spec"]).read_text())
    plan = json.loads((tmp_path / "results" / "plan.json").read_text())
    assert spec["runner"] == "tests.toy.ToyRunner"
    assert spec["provider"] == "tests.toy.ToyProvider"
    assert spec["shard"] == {"id": 1, "indices": [5, 6, 7, 8, 9]}
    assert spec["plan_hash"] == plan["plan_hash"] and spec["params"] == {"offset": 1}
    assert Path(spec["store"]).is_absolute() and spec["config"] == {"n": 20}
    kept = [row["result"]["y"] for m in job_meta for row in read_jsonl(Path(m["result"]))]
    assert kept == expected(20, 1)
    errors = read_jsonl(tmp_path / "results" / "shards" / "00001" / "errors.jsonl")
    assert errors[0]["utt_id"] == "u0005" and "five is bad" in errors[0]["error"]


def test_rerun_submits_nothing_when_done_and_refuses_a_changed_plan(
        finished: tuple[Path, list[dict[str, Any]]]) -> None:
    tmp_path, job_meta = finished
    again = ToyRunner(ToyProvider({"n": 20}, params={"offset": 1}), async_mode=True,
                      async_specs_dir=tmp_path / "specs",
                      async_result_dir=tmp_path / "results", shard_size=5)(range(20))
    assert [m["state"] for m in again] == ["done"] * 4
    assert [m["job_id"] for m in again] == [m["job_id"] for m in job_meta]
    changed = ToyRunner(ToyProvider({"n": 20}, params={"offset": 1}), async_mode=True,
                        async_result_dir=tmp_path / "results", shard_size=4)
    with pytest.raises(PlanMismatchError, match="runner.resume=false"):
        changed(range(20))


def test_worker_refuses_a_spec_of_another_plan_and_writes_nothing(
        finished: tuple[Path, list[dict[str, Any]]]) -> None:
    tmp_path, job_meta = finished
    spec = json.loads(Path(job_meta[0]["spec"]).read_text())
    spec["plan_hash"] = "0" * 64
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(spec))
    shutil.rmtree(tmp_path / "results" / "shards" / "00000")  # so it would have work to do
    before = _files(tmp_path / "results")
    proc = subprocess.run([sys.executable, "-m", "espnet3_prep.worker", str(stale)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "refusing" in proc.stderr and "Nothing was written" in proc.stderr
    assert _files(tmp_path / "results") == before


def test_live_jobs_are_not_resubmitted_and_block_a_fresh_start(tmp_path: Path) -> None:
    def runner(**kwargs: Any) -> SlowToyRunner:
        return SlowToyRunner(ToyProvider({"n": 8}, params={"delay": 0.4}), async_mode=True,
                                async_result_dir=tmp_path / "results", shard_size=4, **kwargs)

    first = runner()(range(8))
    again = runner()(range(8))  # while the first jobs are still working
    assert {m["state"] for m in again} <= {"pending", "running", "done"}
    assert [m["job_id"] for m in again] == [m["job_id"] for m in first]
    with pytest.raises(ConfigError, match="still queued or running"):
        runner(resume=False)(range(8))
    report = wait_for(lambda: _all_done(tmp_path / "results", 2), 60, "the detached jobs")
    assert report["items_done"] == report["items_total"] == 8


def test_classes_other_processes_cannot_import_are_refused(tmp_path: Path) -> None:
    class LocalRunner(ToyRunner):
        pass

    with pytest.raises(ConfigError, match="inside a function"):
        class_path(LocalRunner)
    main_cls = type("MainRunner", (ToyRunner,), {"__module__": "__main__"})
    with pytest.raises(ConfigError, match=r"MainRunner is defined in __main__.*Fix: move"):
        main_cls(ToyProvider({"n": 4}), async_mode=True,
                 async_result_dir=tmp_path / "r")(range(4))
    ghost = type("Ghost", (ToyRunner,), {"__module__": "no_such_module_xyz"})
    with pytest.raises(ConfigError, match="cannot be imported by a fresh Python"):
        check_importable([ghost], str(tmp_path))
    assert not (tmp_path / "r" / "plan.json").exists()


def test_relative_paths_in_the_config_become_absolute(tmp_path: Path) -> None:
    config = {"dataset": {"root": "data/LibriSpeech", "name": "x", "splits": ["a"],
                          "paths": {"train": "m/train.jsonl"}},
              "output_dir": "exp/x", "feature": {"num_mel_bins": 80},
              "abs_dir": "/already/absolute", "url_path": "s3://bucket/key"}
    out = absolutize(config, str(tmp_path))
    assert out["dataset"]["root"] == str(tmp_path / "data" / "LibriSpeech")
    assert out["dataset"]["paths"]["train"] == str(tmp_path / "m" / "train.jsonl")
    assert out["output_dir"] == str(tmp_path / "exp" / "x")
    assert out["dataset"]["name"] == "x" and out["dataset"]["splits"] == ["a"]
    assert out["feature"] == {"num_mel_bins": 80}
    assert out["abs_dir"] == "/already/absolute" and out["url_path"] == "s3://bucket/key"
