"""The scheduler's own ways of ending a job, on the real SLURM, with detached shard jobs:
a job killed at its time limit (TIMEOUT: SIGTERM, then SIGKILL after KillWait) and a
requeued (preempted) job. Nothing is lost or duplicated: collect is byte-identical to a
synchronous run. A node taken down mid-job is not tested: this SLURM's only node is
shared by every test run on the machine. Out-of-memory: this SLURM has no cgroup
enforcement (TaskPlugin=task/none), so the nearest real mechanism, a job SIGKILLed
mid-shard, is tests/contract (``a job whose process keeps dying``)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from espnet3_prep.driver.status import store_status
from tests.helpers import SHARD_SIZE, book, cli_env, output_bytes, run_cli, wait_for
from tests.matrix import record

pytestmark = pytest.mark.slurm
DEV = "dataset.splits=[dev-clean-2]"  # 12 items: shards of 5, 5, 2
SLOW = "runner._target_=tests.prep.slow.SlowPrepRunner"  # same outputs as PrepRunner


def _submit(out: Path, sleep: float) -> tuple[tuple[str, ...], Path, str]:
    submit = (f"output_dir={out}", DEV, SHARD_SIZE, SLOW, "parallel=slurm",
              "parallel.n_workers=3", "runner.async_mode=true")
    proc = run_cli(*submit, env=cli_env(ESPNET3_PREP_TEST_SLEEP=str(sleep)))
    assert proc.returncode == 0, proc.stderr
    split = out / "dev-clean-2"
    victim = next(j for j in book(split)["jobs"].values() if j["shards"] == [1])["job_id"]
    wait_for(lambda: store_status(split)["shards"][1]["state"] == "running", 60,
             "shard 1 running")
    return submit, split, victim


def _shard(split: Path, shard: int) -> dict:
    return store_status(split)["shards"][shard]


def _collect_matches(out: Path, reference_bytes: dict[str, bytes]) -> None:
    collect = run_cli(f"output_dir={out}", DEV, SHARD_SIZE, SLOW, "action=collect")
    assert collect.returncode == 0, collect.stderr
    want = {k: v for k, v in reference_bytes.items() if k.startswith("dev-clean-2/")}
    assert output_bytes(out) == want


def test_job_killed_at_its_time_limit(tmp_path: Path, reference_bytes: dict[str, bytes]
                                      ) -> None:
    out = tmp_path / "exp"
    # 35 s shards: slurmctld checks time limits every few seconds (up to ~30 s)
    submit, split, victim = _submit(out, 7.0)
    subprocess.run(["scontrol", "update", f"jobid={victim}", "timelimit=0"], check=True,
                   timeout=30)  # over its limit now: slurmctld ends it within seconds
    row = wait_for(lambda: (r := _shard(split, 1))["state"] == "failed" and
                   "TIMEOUT" in r["detail"] and r, 90, "the TIMEOUT")
    assert "terminated (SIGTERM)" in row["detail"]  # the worker stopped cleanly
    wait_for(lambda: store_status(split)["counts"]["done"] == 2, 90, "the other shards")
    rerun = run_cli(*submit)
    assert rerun.returncode == 0, rerun.stderr
    assert [j["shards"] for j in book(split)["jobs"].values()][3:] == [[1]]  # only it
    wait_for(lambda: store_status(split)["counts"]["done"] == 3, 90, "the resubmitted shard")
    _collect_matches(out, reference_bytes)
    record("SLURM TIMEOUT (time limit) of a detached job", "status: failed (TIMEOUT)",
           "rerun resubmits only it; byte-identical")


def test_requeued_job_resumes_its_shard(tmp_path: Path, reference_bytes: dict[str, bytes]
                                        ) -> None:
    out = tmp_path / "exp"
    _, split, victim = _submit(out, 2.0)
    # requeue it once its first item is done, as preemption would (a job FAILED after an
    # early requeue in CI, most likely the credential race described below)
    wait_for(lambda: _shard(split, 1)["items_done"] >= 1, 60, "shard 1's first item")
    subprocess.run(["scontrol", "requeue", victim], check=True, timeout=30)
    requeued_at = time.monotonic()
    wait_for(lambda: _shard(split, 1)["state"] == "pending", 60, "the requeued job pending")
    # SLURM holds a requeued job ~2 min (BeginTime); release it as the scheduler would,
    # again while it waits (a release before the requeue has settled does not stick).
    # Not within 2 s of the requeue: slurmd compares the revocation of the old instance's
    # credential with the new one's in whole seconds, and a relaunch in the same second
    # was killed ("Killing non-startable batch job: Job credential revoked", seen in CI).
    def released_and_done() -> bool:
        if _shard(split, 1)["state"] == "pending" and time.monotonic() - requeued_at > 2.0:
            subprocess.run(["scontrol", "update", f"jobid={victim}", "starttime=now"],
                           capture_output=True, timeout=30, check=False)
        return store_status(split)["counts"]["done"] == 3

    try:
        wait_for(released_and_done, 180, "every shard done")
    except AssertionError as err:  # say what SLURM and the store saw
        job = subprocess.run(["scontrol", "show", "job", victim], capture_output=True,
                             text=True, timeout=30).stdout
        raise AssertionError(f"{err}\nscontrol show job {victim}:\n{job}\n"
                             f"store: {store_status(split)['shards']}") from None
    assert len(book(split)["jobs"]) == 3  # same job, same id: nothing resubmitted by us
    _collect_matches(out, reference_bytes)
    record("scontrol requeue (preemption) of a detached job", "same job reruns the shard",
           "no duplicate, byte-identical")
