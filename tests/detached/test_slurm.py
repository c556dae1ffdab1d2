"""Detached jobs on the project's real single-node SLURM: submit and return, status while
the jobs run, ``scancel`` one shard's job, status shows it failed, the rerun resubmits
only that shard, collect is byte-identical to a synchronous run; a rejected sbatch fails
at once. (PBS and submitit arrays: tests/contract/test_backend_contract.py.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from espnet3_prep.driver.status import store_status
from tests.helpers import SHARD_SIZE, book, cli_env, output_bytes, run_cli, wait_for
from tests.matrix import record

pytestmark = pytest.mark.slurm
DEV = "dataset.splits=[dev-clean-2]"  # 12 items: shards of 5, 5, 2
SLOW = "runner._target_=tests.prep.slow.SlowPrepRunner"  # same outputs as PrepRunner


@pytest.fixture(autouse=True, scope="module")
def slurm_up() -> None:
    """Another suite may have taken the cluster down; `up` is idempotent and locked."""
    proc = subprocess.run(["bash", "tools/slurm_localhost.sh", "up"], capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _dev_only(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k.startswith("dev-clean-2/")}


def _in_squeue(job_id: str) -> bool:
    out = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%i"], capture_output=True,
                         text=True, timeout=30, check=False).stdout
    return job_id in out.split()


def test_slurm_scancel_one_shard_then_resubmit_only_it(
        tmp_path: Path, reference_bytes: dict[str, bytes]) -> None:
    out = tmp_path / "exp"
    submit = (f"output_dir={out}", DEV, SHARD_SIZE, SLOW, "parallel=slurm",
              "parallel.n_workers=4", "runner.async_mode=true")
    proc = run_cli(*submit, env=cli_env(ESPNET3_PREP_TEST_SLEEP="1.0"))
    assert proc.returncode == 0, proc.stderr
    split = out / "dev-clean-2"
    jobs = book(split)["jobs"]
    assert sorted(j["shards"][0] for j in jobs.values()) == [0, 1, 2]
    assert all(j["kind"] == "slurm" and j["job_id"].isdigit() for j in jobs.values())

    wait_for(lambda: store_status(split)["counts"]["running"] >= 1, 60, "a running shard")
    status = run_cli(f"output_dir={out}", DEV, "action=status")
    assert status.returncode == 0 and "running" in status.stdout, status.stderr
    victim = next(j for j in jobs.values() if j["shards"] == [1])["job_id"]
    subprocess.run(["scancel", victim], check=True, timeout=30)
    wait_for(lambda: not _in_squeue(victim), 60, "the cancelled job to leave the queue")
    report = wait_for(lambda: (r := store_status(split))["counts"]["done"] == 2 and r, 90,
                      "the other shards")
    failed = [r for r in report["shards"] if r["state"] == "failed"]
    assert [r["shard"] for r in failed] == [1] and "CANCELLED" in failed[0]["detail"]
    shown = run_cli(f"output_dir={out}", DEV, "action=status")
    assert "shard 00001 failed" in shown.stdout and "action=run" in shown.stdout
    assert run_cli(f"output_dir={out}", DEV, SHARD_SIZE, SLOW,
                   "action=collect").returncode == 8

    rerun = run_cli(*submit)
    assert rerun.returncode == 0, rerun.stderr
    jobs = book(split)["jobs"]
    assert len(jobs) == 4 and jobs["job-00003"]["shards"] == [1]
    wait_for(lambda: store_status(split)["counts"]["done"] == 3, 90, "the resubmitted shard")
    collect = run_cli(f"output_dir={out}", DEV, SHARD_SIZE, SLOW, "action=collect")
    assert collect.returncode == 0, collect.stderr
    assert output_bytes(out) == _dev_only(reference_bytes)
    record("scancel a detached shard job", "status: failed; rerun resubmits only it",
           "collect byte-identical to the sync run")


def test_rejected_sbatch_fails_at_once_with_its_message(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path / 'exp'}", DEV, SHARD_SIZE, "parallel=slurm",
                   "parallel.options.queue=nosuchpartition", "runner.async_mode=true")
    assert proc.returncode == 2, proc.stderr
    assert "invalid partition" in proc.stderr.lower() and "parallel.options" in proc.stderr
