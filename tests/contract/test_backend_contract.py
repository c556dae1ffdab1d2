"""The backend contract, one suite for every backend (in place of per-backend copies).

Every backend must give: the kept results in input order, the same shard files as
in-process, failed items recorded (never fatal) with their id, a resume that reruns only
the shards without a done marker, and — through the CLI on the embedded corpus — outputs
byte-identical to the in-process reference run. Backends that need the project's SLURM
are marked ``slurm``.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from espnet3_prep import set_parallel
from espnet3_prep.backends.detached.book import JobBook, JobsLayout
from espnet3_prep.driver.status import store_status
from espnet3_prep.driver.submit import latest_job_states
from espnet3_prep.parallel import close_parallel
from espnet3_prep.storage.jsonl import read_jsonl
from espnet3_prep.storage.shards import ERRORS_FILE, RESULTS_FILE, ShardStore
from tests.helpers import SHARD_SIZE, book, output_bytes, run_cli, wait_for
from tests.toy import ContractRunner, ToyProvider, expected

N_ITEMS, SHARD = 23, 5  # 5 shards, the last one short; item 5 fails
SLURM = pytest.mark.slurm
BACKENDS = [
    pytest.param("inprocess", id="inprocess"),
    pytest.param("dask-local", id="dask-local"),
    pytest.param("submitit-local", id="submitit-local"),
    pytest.param("detached-local", id="detached-local"),
    pytest.param("dask-jobqueue-slurm", marks=SLURM, id="dask-jobqueue-slurm"),
    pytest.param("submitit-slurm", marks=SLURM, id="submitit-slurm"),
    pytest.param("detached-slurm", marks=SLURM, id="detached-slurm"),
]


def _parallel(kind: str, logs: Path) -> dict[str, Any] | None:
    name = f"e3p-contract-{uuid.uuid4().hex[:6]}"
    common = {"n_workers": 2, "name": name, "worker_timeout_s": 60}
    return {
        "inprocess": None,
        "dask-local": {"env": "local", "n_workers": 2},
        "submitit-local": {"env": "submitit_local", **common,
                           "options": {"folder": str(logs), "shards_per_job": 2}},
        "detached-local": {"env": "local", "n_workers": 2},
        "dask-jobqueue-slurm": {"env": "slurm", **common,
                                "options": {"log_directory": str(logs)}},
        "submitit-slurm": {"env": "submitit_slurm", **common, "options": {"folder": str(logs)}},
        "detached-slurm": {"env": "slurm", **common, "options": {}},
    }[kind]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[str]:
    """The backend under test, selected (and its cluster reused) for the whole module."""
    set_parallel(_parallel(request.param, tmp_path_factory.mktemp("logs")))
    yield request.param
    close_parallel()
    set_parallel(None)


def _run(kind: str, work: Path, n: int = N_ITEMS, **options: Any) -> list[Any]:
    """Kept results of ``ContractRunner`` over ``range(n)``; detached backends submit, wait
    for every shard's marker and read the results back from the shard files."""
    detached = kind.startswith("detached")
    runner = ContractRunner(ToyProvider({"n": n}), shard_size=SHARD, work_dir=work,
                            progress=False, async_mode=detached, **options)
    if not detached:
        return runner(range(n))
    runner(range(n))
    n_shards = -(-n // SHARD)
    wait_for(lambda: store_status(work)["counts"]["done"] == n_shards, 120,
             f"{kind}: every shard done")
    # a job that committed its last shard may still be exiting; until it is gone, it
    # holds its shards (a resubmission would wait for it instead of resubmitting)
    wait_for(lambda: not any(state.alive for state in latest_job_states(
        JobBook.load(JobsLayout.of(work))).values()), 60, f"{kind}: the jobs to exit")
    store = ShardStore(work)
    return [row["result"] for i in range(n_shards)
            for row in read_jsonl(store.shard_dir(i) / RESULTS_FILE)]


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The contract run in-process: the shard files every backend must reproduce."""
    work = tmp_path_factory.mktemp("in-process") / "work"
    set_parallel(None)
    _run("inprocess", work)
    return work


def _rows(work: Path, name: str) -> list[list[dict[str, Any]]]:
    store = ShardStore(work)
    n_shards = -(-N_ITEMS // SHARD)
    shards = [[{k: v for k, v in row.items() if k != "traceback"}
               for row in read_jsonl(store.shard_dir(i) / name)] for i in range(n_shards)]
    assert any(shards), f"no {name} rows under {work}"
    return shards


def test_results_in_input_order_and_shards_identical(backend: str, in_process: Path,
                                                     tmp_path: Path) -> None:
    got = _run(backend, tmp_path / "work")
    assert [r["y"] for r in got] == expected(N_ITEMS)
    for name in (RESULTS_FILE, "dropped.jsonl", ERRORS_FILE):
        assert _rows(tmp_path / "work", name) == _rows(in_process, name), name


def test_a_failing_item_is_recorded_with_its_id(backend: str, tmp_path: Path) -> None:
    _run(backend, tmp_path / "work")
    store = ShardStore(tmp_path / "work")
    errors = read_jsonl(store.shard_dir(1) / ERRORS_FILE)
    assert [(e["idx"], e["utt_id"]) for e in errors] == [(5, "u0005")]
    assert "five is bad" in errors[0]["error"] and "ValueError" in errors[0]["traceback"]
    assert (store.read_marker(1) or {})["counts"]["failed"] == 1


def test_resume_reruns_only_the_shard_without_a_marker(backend: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    first = _run(backend, work)
    store = ShardStore(work)
    stamps = {i: store.marker_path(i).stat().st_mtime_ns for i in range(5)}
    shutil.rmtree(store.shard_dir(3))  # as if its job died before committing
    assert _run(backend, work) == first
    assert {i: store.marker_path(i).stat().st_mtime_ns for i in (0, 1, 2, 4)} == {
        i: stamps[i] for i in (0, 1, 2, 4)}  # untouched
    assert store.marker_path(3).stat().st_mtime_ns != stamps[3]


# --------------------------------------------------------------------------- CLI, bytes

DEV = "dataset.splits=[dev-clean-2]"
CLI_BACKENDS = [
    pytest.param(("parallel=local",), id="dask-local"),
    pytest.param(("parallel=submitit_local", "parallel.options.shards_per_job=2"),
                 id="submitit-local"),
    pytest.param(("parallel=local", "runner.async_mode=true"), id="detached-local"),
    pytest.param(("parallel=slurm",), marks=SLURM, id="dask-jobqueue-slurm"),
    pytest.param(("parallel=submitit_slurm",), marks=SLURM, id="submitit-slurm"),
    pytest.param(("parallel=slurm", "runner.async_mode=true"), marks=SLURM,
                 id="detached-slurm"),
    pytest.param(("parallel=pbs", "runner.async_mode=true"), marks=SLURM, id="detached-pbs"),
    pytest.param(("parallel=submitit_slurm", "runner.async_mode=true"), marks=SLURM,
                 id="detached-submitit-slurm"),
]


@pytest.mark.slow
@pytest.mark.parametrize("overrides", CLI_BACKENDS)
def test_cli_outputs_are_byte_identical_to_in_process(
        overrides: tuple[str, ...], reference_bytes: dict[str, bytes], tmp_path: Path) -> None:
    out = tmp_path / "exp"
    args = (f"output_dir={out}", DEV, SHARD_SIZE, "parallel.n_workers=2", *overrides)
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    if "runner.async_mode=true" in overrides:
        env = overrides[0].split("=")[1]
        jobs = book(out / "dev-clean-2")["jobs"].values()
        assert [j["shards"] for j in jobs] == [[0, 1], [2]]  # 3 shards in n_workers jobs
        assert {j["kind"] for j in jobs} == {"local" if env == "local" else env}
        wait_for(lambda: store_status(out / "dev-clean-2")["counts"]["done"] == 3, 120,
                 "the detached jobs")
        collect = run_cli(f"output_dir={out}", DEV, SHARD_SIZE, "action=collect")
        assert collect.returncode == 0, collect.stderr
    want = {k: v for k, v in reference_bytes.items() if k.startswith("dev-clean-2/")}
    assert output_bytes(out) == want
