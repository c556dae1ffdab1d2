"""dask-jobqueue on the project's real single-node SLURM: end to end through the CLI,
byte-identical to in-process; a scancelled worker is replaced and its shard rerun; a
rejected submission fails within seconds with sbatch's own message; PBS through the
``slurm-wlm-torque`` qsub wrappers."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dask
import distributed  # noqa: F401 - load its config defaults before dask.config.set
import pytest

from espnet3_prep import set_parallel
from espnet3_prep.parallel import close_parallel, get_backend
from tests.helpers import (
    committed_shards,
    done_shards,
    job_count,
    killed_attempts,
    run_cli,
    run_in_thread,
    running_jobs,
    wait_until,
)
from tests.matrix import record
from tests.toy import SlowToyRunner, ToyProvider, ToyRunner, expected

pytestmark = pytest.mark.slurm
RUN_NAME = "espnet3-prep-mini_librispeech"


@pytest.mark.parametrize(("overrides", "needle"), [
    (("parallel=slurm", "parallel.options.queue=nosuchpartition"), "invalid partition"),
    (("parallel=slurm", "parallel.options.memory=100000GB"),
     "Requested node configuration is not available"),
    (("parallel=pbs", "parallel.options.queue=nosuchpartition"), "invalid partition"),
], ids=["slurm-partition", "slurm-memory", "pbs-partition"])
def test_rejected_submission_fails_fast_with_the_schedulers_message(
        tmp_path: Path, overrides: tuple[str, ...], needle: str) -> None:
    out = tmp_path / "exp"
    start = time.monotonic()
    proc = run_cli(f"output_dir={out}", *overrides, "parallel.worker_timeout_s=120")
    elapsed = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "parallel.options" in proc.stderr
    assert elapsed < 20, f"took {elapsed:.1f} s"
    assert not list(out.glob("*/shards/*/DONE"))


@pytest.fixture
def slurm_dask(tmp_path: Path) -> Iterator[str]:
    """A 2-worker SLURMCluster that replaces a lost worker after 2 s instead of 15 s."""
    name = f"e3p-test-{uuid.uuid4().hex[:6]}"
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "2s"}):
        set_parallel({"env": "slurm", "n_workers": 2, "name": name, "worker_timeout_s": 30,
                      "options": {"log_directory": str(tmp_path / "logs")}})
        try:
            yield name
        finally:
            close_parallel()
            set_parallel(None)


def test_scancelled_worker_is_replaced_and_its_shard_rerun(slurm_dask: str, tmp_path: Path
                                                           ) -> None:
    work = tmp_path / "work"
    provider = ToyProvider({"n": 60}, params={"delay": 0.2})
    runner = SlowToyRunner(provider, shard_size=5, work_dir=work, progress=False)
    start = time.monotonic()
    thread, box = run_in_thread(runner, 60)
    wait_until(lambda: done_shards(work) >= 2, 60, "two finished shards")
    print(f"\nslurm: 2 workers up and 2 shards done after {time.monotonic() - start:.1f} s")
    victim = running_jobs(slurm_dask)[0]
    subprocess.run(["scancel", victim], check=True, timeout=10)
    killed = time.monotonic()
    thread.join(120)
    assert "error" not in box, box.get("error")
    assert [r["y"] for r in box["out"]] == expected(60)
    assert committed_shards(work) == [f"{i:05d}" for i in range(12)]
    print(f"slurm: attempts killed mid-shard: {killed_attempts(work)}")
    client = get_backend().client  # type: ignore[attr-defined]
    wait_until(lambda: len(client.scheduler_info(n_workers=-1)["workers"]) == 2
               and victim not in running_jobs(slurm_dask), 60, "a replacement worker")
    print(f"slurm: replacement worker up {time.monotonic() - killed:.1f} s after scancel")
    # the replacement is a third job; slurmdbd records it a moment after it starts
    wait_until(lambda: job_count(slurm_dask) >= 3, 30, "the replacement job in sacct")
    record("scancel a Dask SLURM worker mid-run", "shard rerun, worker replaced",
           "no item lost or duplicated")


def test_pbs_through_the_torque_qsub_wrappers(tmp_path: Path) -> None:
    name = f"e3p-pbs-{uuid.uuid4().hex[:6]}"
    set_parallel({"env": "pbs", "n_workers": 2, "name": name, "worker_timeout_s": 30,
                  "options": {"queue": "debug", "log_directory": str(tmp_path / "logs")}})
    try:
        out = ToyRunner(ToyProvider({"n": 40}), shard_size=5, progress=False)(range(40))
    finally:
        close_parallel()
        set_parallel(None)
    assert [r["y"] for r in out] == expected(40)
    assert list((tmp_path / "logs").glob(f"{name}-*.err"))  # not in the current directory


def test_workers_stuck_pending_are_an_error_after_worker_timeout(tmp_path: Path) -> None:
    set_parallel({"env": "slurm", "n_workers": 1, "name": f"e3p-pend-{uuid.uuid4().hex[:6]}",
                  "worker_timeout_s": 3,
                  "options": {"log_directory": str(tmp_path / "logs"),
                              "job_extra_directives": ["--begin=now+1hour"]}})
    start = time.monotonic()
    try:
        with pytest.raises(RuntimeError, match="no Dask worker .* started within 3 s"):
            ToyRunner(ToyProvider({"n": 10}), shard_size=5, progress=False)(range(10))
    finally:
        close_parallel()
        set_parallel(None)
    assert time.monotonic() - start < 15
