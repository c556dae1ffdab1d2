"""The same runner on a real Dask LocalCluster: same results, env built per worker."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from espnet3_prep import get_parallel_config, set_parallel
from espnet3_prep.errors import ConfigError
from espnet3_prep.parallel import close_parallel, get_backend
from tests.toy import BrokenProvider, ToyProvider, ToyRunner, expected


@pytest.fixture(scope="module")
def dask_local() -> Iterator[None]:
    set_parallel({"env": "local", "n_workers": 2})
    yield
    close_parallel()
    set_parallel(None)


def test_same_results_as_in_process_in_input_order(dask_local: None) -> None:
    runner = ToyRunner(ToyProvider({"n": 200}, params={"offset": 3}), shard_size=9)
    out = runner(range(200))
    assert [r["y"] for r in out] == expected(200, 3)
    pids = {r["pid"] for r in out}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2  # built on the workers
    assert runner.last_outcome.counts["failed"] == 1


def test_cluster_is_reused_across_calls(dask_local: None) -> None:
    runner = ToyRunner(ToyProvider({"n": 20}), shard_size=5)
    runner(range(20))
    backend = get_backend()
    client = backend.client
    runner(range(20))
    assert get_backend() is backend and backend.client is client
    assert get_parallel_config()["n_workers"] == 2


def test_persistent_shards_match_in_process(dask_local: None, tmp_path: Path) -> None:
    on_dask = ToyRunner(ToyProvider({"n": 50}), shard_size=6, work_dir=tmp_path / "a")
    got = [{k: v for k, v in r.items() if k != "pid"} for r in on_dask(range(50))]
    set_parallel(None)
    try:
        local = ToyRunner(ToyProvider({"n": 50}), shard_size=6, work_dir=tmp_path / "b")
        want = [{k: v for k, v in r.items() if k != "pid"} for r in local(range(50))]
    finally:
        set_parallel({"env": "local", "n_workers": 2})
    assert got == want
    for name in ("a", "b"):
        errors = (tmp_path / name / "shards" / "00000" / "errors.jsonl").read_text()
        assert "u0005" in errors


def test_unknown_option_rejected_before_anything_starts() -> None:
    with pytest.raises(ConfigError, match="threads_per_wrker.*threads_per_worker"):
        set_parallel({"env": "local", "n_workers": 2, "options": {"threads_per_wrker": 2}})
    with pytest.raises(ConfigError, match="parallel.env"):
        set_parallel({"env": "kubernetes"})
    with pytest.raises(ConfigError, match="queue_name"):
        set_parallel({"env": "slurm", "options": {"queue_name": "gpu"}})


def test_only_the_latest_env_stays_on_the_workers(dask_local: None) -> None:
    first = ToyRunner(ToyProvider({"n": 10}), shard_size=5)
    first(range(10))
    second = ToyRunner(ToyProvider({"n": 12}), shard_size=5)
    second(range(12))
    client = get_backend().client
    names = client.run(lambda dask_worker: sorted(
        n for n in dask_worker.plugins if n.startswith("espnet3-prep-env-")))
    assert all(len(v) == 1 and second._env_key in v[0] for v in names.values())
    assert [r["y"] for r in first(range(10))] == expected(10)  # rebuilt when needed again


def _model_builds() -> int:
    from tests import toy

    return len(toy.MODEL_BUILDS)


def test_env_built_once_per_worker_by_its_first_shard(dask_local: None) -> None:
    client = get_backend().client
    before = client.run(_model_builds)
    out = ToyRunner(ToyProvider({"n": 90}), shard_size=3)(range(90))  # 30 shards
    after = client.run(_model_builds)
    used = {r["pid"] for r in out}
    builds = {pid: after[w] - before[w] for w, pid in client.run(os.getpid).items()}
    assert all(builds[pid] == 1 for pid in used), builds
    assert all(count == 0 for pid, count in builds.items() if pid not in used), builds


def test_env_build_error_reaches_the_driver(dask_local: None) -> None:
    runner = ToyRunner(BrokenProvider({"n": 10, "root": "/nowhere"}), shard_size=5)
    with pytest.raises(FileNotFoundError, match="no corpus at /nowhere"):
        runner(range(10))
    assert [r["y"] for r in ToyRunner(ToyProvider({"n": 10}), shard_size=5)(range(10))] == (
        expected(10))  # the cluster is still usable


def _thread_settings() -> dict:
    from threadpoolctl import threadpool_info

    return {"omp": os.environ.get("OMP_NUM_THREADS"),
            "pools": sorted({pool["num_threads"] for pool in threadpool_info()})}


def test_one_compute_thread_per_worker(dask_local: None) -> None:
    ToyRunner(ToyProvider({"n": 10}), shard_size=5)(range(10))
    client = get_backend().client
    settings = client.run(_thread_settings)
    assert settings and all(s == {"omp": "1", "pools": [1]} for s in settings.values()), settings
    assert all(w["nthreads"] == 1 for w in client.scheduler_info()["workers"].values())
