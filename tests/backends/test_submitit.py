"""The submitit backend with real submitit executors: local processes everywhere, and
SLURM job arrays on the project's single-node SLURM (``-m slurm``)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from espnet3_prep import set_parallel
from espnet3_prep.errors import ConfigError, ItemError
from espnet3_prep.parallel import close_parallel
from tests.helpers import (
    committed_shards,
    done_shards,
    run_cli,
    run_in_thread,
    running_jobs,
    wait_until,
)
from tests.matrix import record
from tests.toy import DyingToyRunner, SlowToyRunner, ToyProvider, ToyRunner, expected


@pytest.fixture
def submitit_env(tmp_path: Path) -> Iterator[Any]:
    """``use(env, **options)`` selects a submitit backend logging under tmp_path."""
    def use(env: str, worker_timeout_s: float = 60, **options: Any) -> str:
        name = f"e3p-{env}-{uuid.uuid4().hex[:6]}"
        set_parallel({"env": env, "n_workers": 2, "name": name,
                      "worker_timeout_s": worker_timeout_s,
                      "options": {"folder": str(tmp_path / "jobs"), **options}})
        return name

    yield use
    close_parallel()
    set_parallel(None)


def test_results_in_input_order_env_built_once_per_job(submitit_env: Any) -> None:
    submitit_env("submitit_local", shards_per_job=3)
    out = ToyRunner(ToyProvider({"n": 60}), shard_size=5, progress=False)(range(60))
    assert [r["y"] for r in out] == expected(60)
    pids = {r["pid"] for r in out}
    assert os.getpid() not in pids and len(pids) == 4  # 12 shards, 3 per job


def test_item_error_in_a_job_reaches_the_driver_as_is(submitit_env: Any) -> None:
    submitit_env("submitit_local")
    runner = ToyRunner(ToyProvider({"n": 20}), shard_size=5, on_error="raise", progress=False)
    with pytest.raises(ItemError, match="u0005.*five is bad"):
        runner(range(20))


def _job_processes() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if "submitit.core._submit" in " ".join(_cmdline(p))]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:  # a child that just ended (zombie, gone)
        return []


def test_killed_local_job_is_resubmitted(submitit_env: Any, tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    submitit_env("submitit_local", shards_per_job=2)
    work = tmp_path / "work"
    runner = SlowToyRunner(ToyProvider({"n": 40}, params={"delay": 0.25}), shard_size=5,
                           work_dir=work, progress=False)
    with caplog.at_level(logging.WARNING, logger="espnet3_prep.backends.submitit"):
        thread, box = run_in_thread(runner, 40)
        wait_until(lambda: done_shards(work) >= 1 and bool(_job_processes()), 60,
                   "a finished shard and a running job")
        _job_processes()[0].send_signal(signal.SIGKILL)
        thread.join(120)
    assert "error" not in box, box.get("error")
    assert [r["y"] for r in box["out"]] == expected(40)
    assert committed_shards(work) == [f"{i:05d}" for i in range(8)]
    assert "resubmitting" in caplog.text


def test_a_job_that_keeps_dying_is_an_error_after_job_retries(submitit_env: Any,
                                                              tmp_path: Path) -> None:
    submitit_env("submitit_local", job_retries=1)
    runner = DyingToyRunner(ToyProvider({"n": 20}), shard_size=5, work_dir=tmp_path / "w",
                            progress=False)
    with pytest.raises(RuntimeError, match=r"shards \[1\] were lost with 2 jobs.*job_retries"):
        runner(range(20))


@pytest.mark.parametrize(("options", "needle"), [
    ({"slurm_partiton": "gpu"}, "did you mean slurm_partition"),
    ({"mem": 8}, "Valid options: cpus_per_task"),
    ({"shards_per_job": 0}, "parallel.options.shards_per_job=0: must be >= 1"),
    ({"job_retries": -1}, "parallel.options.job_retries=-1: must be >= 0"),
])
def test_bad_options_are_rejected_before_anything_runs(options: dict[str, Any],
                                                       needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        set_parallel({"env": "submitit_slurm", "options": options})


# --------------------------------------------------------------------------- real SLURM


@pytest.mark.slurm
def test_scancelled_array_task_is_resubmitted(submitit_env: Any, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    name = submitit_env("submitit_slurm", shards_per_job=3)
    work = tmp_path / "work"
    runner = SlowToyRunner(ToyProvider({"n": 60}, params={"delay": 0.2}), shard_size=5,
                           work_dir=work, progress=False)
    start = time.monotonic()
    with caplog.at_level(logging.INFO, logger="espnet3_prep.backends.submitit"):
        thread, box = run_in_thread(runner, 60)
        first = wait_until(lambda: done_shards(work) >= 1, 60, "a finished shard")
        print(f"\nsubmitit_slurm: first shard done after {first:.1f} s")
        victim = running_jobs(name)[0]
        subprocess.run(["scancel", victim], check=True, timeout=10)
        killed = time.monotonic()
        wait_until(lambda: "resubmitting" in caplog.text, 30, "the resubmission")
        print(f"submitit_slurm: {victim} resubmitted {time.monotonic() - killed:.1f} s after "
              "scancel")
        thread.join(120)
    assert "error" not in box, box.get("error")
    assert [r["y"] for r in box["out"]] == expected(60)
    assert committed_shards(work) == [f"{i:05d}" for i in range(12)]
    # the job stopped at SIGTERM (submitit alone ignores it until SLURM's SIGKILL)
    victim_log = next((tmp_path / "jobs").glob(f"{victim}_*_log.err")).read_text()
    assert "SIGTERM: stopped after" in victim_log, victim_log[-2000:]
    print(f"submitit_slurm: run with one scancel took {time.monotonic() - start:.1f} s")
    record("scancel a submitit array task (SIGTERM to the job)", "its shards resubmitted",
           "no item lost or duplicated")


@pytest.mark.slurm
def test_a_200_task_array_accounts_for_every_item_once(submitit_env: Any,
                                                       tmp_path: Path) -> None:
    """The scaled-down form of bench-scale's >= 1,000-task array (issue 12): one shard per
    array task, every item's result exactly once, in input order, every shard committed."""
    submitit_env("submitit_slurm", shards_per_job=1)
    work = tmp_path / "work"
    start = time.monotonic()
    out = ToyRunner(ToyProvider({"n": 400}), shard_size=2, work_dir=work,
                    progress=False)(range(400))
    print(f"\nsubmitit_slurm: 200-task array in {time.monotonic() - start:.1f} s")
    assert [r["y"] for r in out] == expected(400)
    assert committed_shards(work) == [f"{i:05d}" for i in range(200)]
    arrays = {p.name.split("_")[0] for p in (tmp_path / "jobs").glob("*_*_log.out")}
    tasks = list((tmp_path / "jobs").glob("*_*_log.out"))
    assert len(tasks) == 200 and len(arrays) == 1, (len(tasks), sorted(arrays))


@pytest.mark.slurm
def test_rejected_sbatch_fails_fast_with_its_message(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    start = time.monotonic()
    proc = run_cli(f"output_dir={out}", "parallel=submitit_slurm",
                   "parallel.options.slurm_partition=nosuchpartition")
    assert proc.returncode == 2, proc.stderr
    assert "invalid partition specified: nosuchpartition" in proc.stderr
    assert "parallel.options" in proc.stderr and time.monotonic() - start < 20


@pytest.mark.slurm
def test_jobs_stuck_pending_are_an_error_naming_the_reason(submitit_env: Any) -> None:
    name = submitit_env("submitit_slurm", worker_timeout_s=3,
                        slurm_additional_parameters={"begin": "now+1hour"})
    runner = ToyRunner(ToyProvider({"n": 10}), shard_size=5, progress=False)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="squeue says: PENDING BeginTime"):
        runner(range(10))
    assert time.monotonic() - start < 15
    wait_until(lambda: not _queued(name), 10, "the pending jobs to be cancelled")


def _queued(name: str) -> list[str]:
    return subprocess.run(["squeue", "-h", "-n", name, "-o", "%i"], capture_output=True,
                          text=True, timeout=10, check=True).stdout.split()


@pytest.mark.slurm
def test_plan_prints_the_sbatch_script(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path / 'exp'}", "action=plan", "parallel=submitit_slurm",
                   "parallel.options.slurm_partition=debug")
    assert proc.returncode == 0, proc.stderr
    for line in ("#SBATCH --partition=debug", "#SBATCH --job-name=espnet3-prep-mini_librispeech",
                 "#SBATCH --mem=2GB", "#SBATCH --time=60", "--array=0-<jobs - 1>%4"):
        assert line in proc.stdout
