"""ESPnet3 parity of the Python API (issue 13): failures are loud, runner keyword
arguments reach ``forward``, ``get_parallel_config()`` is a DictConfig, ESPnet3's parallel
helpers, ``options.processes`` for local, rank variables in detached jobs."""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
from pathlib import Path

import psutil
import pytest
from omegaconf import DictConfig

from espnet3_prep import BaseRunner
from espnet3_prep.errors import AllItemsFailedError, ConfigError, ItemError
from espnet3_prep.parallel import (
    build_client,
    close_parallel,
    get_backend,
    get_client,
    get_parallel_config,
    make_client,
    parallel_for,
    parallel_map,
    set_parallel,
)
from espnet3_prep.parallel.helpers import release_client
from espnet3_prep.storage.jsonl import read_jsonl
from tests.helpers import REPO, wait_for
from tests.toy import (
    CleanerRunner,
    ExtrasProvider,
    RankRunner,
    ToyProvider,
    ToyRunner,
    expected,
    keep_even,
)


@pytest.fixture(autouse=True)
def _no_parallel() -> None:
    yield
    close_parallel()
    set_parallel(None)


def listening() -> set[tuple[str, int]]:
    """Addresses this process listens on (Dask servers it started)."""
    return {(c.laddr.ip, c.laddr.port) for c in psutil.Process().net_connections()
            if c.status == "LISTEN"}


def listening_ips() -> set[str]:
    return {ip for ip, _ in listening()}


def square(x: int, k: int = 1) -> int:
    return x * x * k


def env_k() -> dict[str, int]:
    return {"k": 3}


class PlainRunner(BaseRunner):
    """ToyRunner's forward with BaseRunner's defaults (the toys record failures)."""

    forward = staticmethod(ToyRunner.forward)


def test_python_api_raises_on_the_first_failed_item_by_default() -> None:
    runner = PlainRunner(ToyProvider({"n": 10}), progress=False)
    with pytest.raises(ItemError, match="u0005.*five is bad"):
        runner(range(10))


def test_record_mode_warns_with_count_first_error_and_errors_file(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runner = ToyRunner(ToyProvider({"n": 10}), on_error="record", work_dir=tmp_path / "w",
                       shard_size=3, progress=False)
    with caplog.at_level(logging.WARNING, logger="espnet3_prep.runner"):
        results = runner(range(10))
    assert [r["y"] for r in results] == expected(10)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "1 of 10 items failed" in warning and "item u0005: ValueError: five is bad" in warning
    assert f"{tmp_path / 'w' / 'shards'}/*/errors.jsonl" in warning


def test_a_run_where_every_item_failed_raises() -> None:
    runner = ToyRunner(ToyProvider({"n": 10}), on_error="record", progress=False)
    with pytest.raises(AllItemsFailedError, match=r"all 1 items failed.*five is bad"):
        runner([5])


def test_runner_keyword_arguments_reach_forward() -> None:
    runner = ToyRunner(ToyProvider({"n": 12}), offset=100, on_error="record", progress=False)
    assert [r["y"] for r in runner(range(12))] == expected(12, offset=100)
    assert runner.plan_key_dict()["runtime_kwargs"] == {"offset": "100"}


def test_runner_keyword_given_twice_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"already provides \['offset'\]"):
        ToyRunner(ToyProvider({"n": 4}, params={"offset": 1}), offset=2)
    with pytest.raises(ConfigError, match=r"already provides \['model'\]"):
        ToyRunner(ToyProvider({"n": 4}), model=None)
    runner = ToyRunner(ExtrasProvider({"n": 4}), offset=2, progress=False)
    with pytest.raises(ConfigError, match=r"\['offset'\] are also built by the provider"):
        runner(range(4))


def test_get_parallel_config_is_a_dictconfig_or_none() -> None:
    assert get_parallel_config() is None
    set_parallel({"env": "local", "n_workers": 2, "options": {"processes": False}})
    cfg = get_parallel_config()
    assert isinstance(cfg, DictConfig) and cfg.n_workers == 2 and cfg["env"] == "local"
    assert cfg.options.processes is False
    assert "2 worker threads in this process" in get_backend().describe()
    get_backend().start()
    assert listening_ips() == {"127.0.0.1"}  # worker threads' HTTP servers on loopback
    results = ToyRunner(ToyProvider({"n": 12}), shard_size=3, progress=False)(range(12))
    assert [r["y"] for r in results] == expected(12)
    assert {r["pid"] for r in results} == {os.getpid()}  # threads: workers in this process


def test_parallel_helpers_in_process_keep_order_and_pass_the_env() -> None:
    assert parallel_map(square, range(6), progress=False) == [0, 1, 4, 9, 16, 25]
    assert list(parallel_for(square, [3, 1, 2], setup_fn=env_k, progress=False)) == [27, 3, 12]


def test_parallel_helpers_on_a_local_cluster() -> None:
    set_parallel({"env": "local", "n_workers": 2})
    assert parallel_map(square, range(20), setup_fn=env_k, progress=False) == [
        3 * x * x for x in range(20)]
    with get_client() as shared:  # the backend set_parallel chose, kept open
        assert sorted(shared.scheduler_info()["workers"]) and len(
            shared.scheduler_info()["workers"]) == 2
    with get_client({"env": "local", "n_workers": 1}, setup_fn=env_k) as client:
        assert list(parallel_for(square, range(5), client=client, progress=False)) == [
            0, 3, 12, 27, 48]
        cluster = client.cluster
    assert client.status == "closed" and cluster.status.name == "closed"
    assert build_client is make_client
    before = listening()
    client = make_client({"env": "none"})  # threads in this process
    try:
        assert client.submit(square, 4).result() == 16
        assert listening_ips() <= {"127.0.0.1"}  # in-process workers: loopback HTTP only
    finally:
        release_client(client)  # client.close() leaves the cluster to exit, as Dask does
    assert listening() == before


@pytest.mark.parametrize("env", ["local", pytest.param("slurm", marks=pytest.mark.slurm)])
def test_rank_variables_in_detached_jobs(env: str, tmp_path: Path) -> None:
    set_parallel({"env": env, "n_workers": 2, "options": {}})
    runner = RankRunner(ToyProvider({"n": 4}), async_mode=True, shard_size=2,
                        async_result_dir=tmp_path / "r")
    meta = runner(range(4))
    assert len({m["job_id"] for m in meta}) == 2
    shards = tmp_path / "r" / "shards"
    wait_for(lambda: all((shards / f"{i:05d}" / "DONE").exists() for i in (0, 1)), 180,
             "the detached jobs")
    rows = [row["result"] for i in (0, 1) for row in read_jsonl(shards / f"{i:05d}" /
                                                                "results.jsonl")]
    assert [(r["idx"], r["RANK"], r["WORLD_RANK"], r["WORLD_SIZE"], r["LOCAL_RANK"])
            for r in rows] == [(0, "0", "0", "2", "0"), (1, "0", "0", "2", "0"),
                               (2, "1", "1", "2", "0"), (3, "1", "1", "2", "0")]


def test_readme_compatibility_table_names_real_objects() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## ESPnet3 compatibility", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    assert len(rows) >= 14
    names = {name for row in rows for name in re.findall(r"`(espnet3_prep\.[\w.]+)`",
                                                         row.split("|")[2])}
    assert "espnet3_prep.parallel.parallel_for" in names
    for name in sorted(names):
        module, _, attr = name.rpartition(".")
        assert hasattr(importlib.import_module(module), attr), name
    for topic in ("async_specs_dir", "WORLD_RANK", "__main__", "on_error"):
        assert topic in section, topic


def test_function_runner_keywords_run_in_detached_jobs_by_import_path(tmp_path: Path) -> None:
    expected_rows = CleanerRunner(ToyProvider({"n": 8}), cleaner=keep_even,
                                  progress=False)(range(8))
    assert [r["utt_id"] for r in expected_rows] == ["u0000", "u0002", "u0004", "u0006"]
    set_parallel({"env": "local", "n_workers": 2})
    runner = CleanerRunner(ToyProvider({"n": 8}), cleaner=keep_even, async_mode=True,
                           shard_size=4, async_result_dir=tmp_path / "r")
    assert runner.plan_key_dict()["runtime_kwargs"] == {"cleaner": "tests.toy.keep_even"}
    meta = runner(range(8))
    spec = json.loads(Path(meta[0]["spec"]).read_text())
    assert spec["runtime_kwargs"] == {"cleaner": {"$import": ["tests.toy", "keep_even"]}}
    shards = tmp_path / "r" / "shards"
    wait_for(lambda: all((shards / f"{i:05d}" / "DONE").exists() for i in (0, 1)), 120,
             "the detached jobs")
    rows = [row["result"] for i in (0, 1)
            for row in read_jsonl(shards / f"{i:05d}" / "results.jsonl") if row["result"]]
    assert rows == expected_rows


def test_lambda_or_object_runner_keywords_are_refused_before_anything_is_written(
        tmp_path: Path) -> None:
    for value, message in ((lambda item: True, r"keyword cleaner=.*<lambda>.* cannot be "
                            r"imported.*top-level function"),
                           (object(), r"runner keyword 'cleaner' must be JSON data")):
        runner = CleanerRunner(ToyProvider({"n": 2}), cleaner=value, async_mode=True,
                               async_result_dir=tmp_path / "r")
        with pytest.raises(ConfigError, match=message):
            runner(range(2))
        assert not (tmp_path / "r").exists()
