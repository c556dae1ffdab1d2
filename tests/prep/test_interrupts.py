"""Interrupts, killed workers and concurrent runs: finished work is kept, nothing is
half-written, and a rerun of the same command completes byte-identically."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.helpers import cli_env, output_bytes, run_cli, start_cli
from tests.matrix import record

SLOW = ("runner._target_=tests.prep.slow.SlowPrepRunner", "runner.shard_size=3")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("ref") / "exp"
    proc = run_cli(f"output_dir={out}", *SLOW)
    assert proc.returncode == 0, proc.stderr
    return output_bytes(out)


def _wait_for(predicate, timeout: float = 60.0) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)


def _done_markers(out: Path) -> list[Path]:
    return list(out.glob("*/shards/*/DONE"))


def _interrupt_then_resume(out: Path, sig: int, *extra: str) -> subprocess.CompletedProcess:
    proc = start_cli(f"output_dir={out}", *SLOW, *extra,
                     env=cli_env(ESPNET3_PREP_TEST_SLEEP="0.15"))
    _wait_for(lambda: len(_done_markers(out)) >= 2)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0, stderr
    assert "rerun the same command" in stderr
    done = _done_markers(out)
    assert done and len(done) < 12
    assert not list(out.glob("*/shards/.*")), "an interrupted attempt left files behind"
    assert all((d / "DONE").exists() for d in out.glob("*/shards/[0-9]*"))
    rerun = run_cli(f"output_dir={out}", *SLOW, *extra)
    assert rerun.returncode == 0, rerun.stderr
    return proc


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_driver_resumes_byte_identical(tmp_path: Path, reference: dict,
                                                   sig: int, code: int) -> None:
    out = tmp_path / "exp"
    proc = _interrupt_then_resume(out, sig)
    assert proc.returncode == code
    assert output_bytes(out) == reference
    record(f"{signal.Signals(sig).name} driver mid-run (in-process)", f"exit {code}; rerun ok",
           "done shards kept, no partial files, byte-identical after rerun")


def test_interrupted_dask_run_resumes_byte_identical(tmp_path: Path, reference: dict) -> None:
    out = tmp_path / "exp"
    proc = _interrupt_then_resume(out, signal.SIGINT, "parallel=local", "parallel.n_workers=2")
    assert proc.returncode == 130
    assert output_bytes(out) == reference
    record("SIGINT driver mid-run (Dask local)", "exit 130; rerun ok",
           "done shards kept, no partial files, byte-identical after rerun")


def test_killed_dask_worker_is_replaced(tmp_path: Path, reference: dict) -> None:
    out = tmp_path / "exp"
    proc = start_cli(f"output_dir={out}", *SLOW, "parallel=local", "parallel.n_workers=2",
                     env=cli_env(ESPNET3_PREP_TEST_SLEEP="0.1"))
    _wait_for(lambda: len(_done_markers(out)) >= 1)
    workers = [p for p in psutil.Process(proc.pid).children(recursive=True)
               if "multiprocessing.spawn" in " ".join(p.cmdline())]  # nannies run in-driver
    assert workers, "no Dask worker process found"
    workers[0].kill()  # kill -9 the worker (its nanny restarts it)
    _, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr
    assert output_bytes(out) == reference
    record("kill -9 a Dask worker mid-run", "run completes", "no item lost or duplicated")


def test_second_run_on_same_output_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    first = start_cli(f"output_dir={out}", *SLOW, env=cli_env(ESPNET3_PREP_TEST_SLEEP="0.1"))
    try:
        _wait_for(lambda: (out / ".lock").exists())
        start = time.monotonic()
        second = run_cli(f"output_dir={out}", *SLOW)
        assert time.monotonic() - start < 30
        assert second.returncode == 4
        assert f"pid {first.pid} on {socket.gethostname()}" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=60)
    record("two concurrent runs on one output dir", "second exits 4 at once",
           "names the other run's pid/host; first run unaffected")


def test_stale_lock_from_dead_process_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    out.mkdir()
    (out / ".lock").write_text(json.dumps({"pid": 2**22 + 7, "host": socket.gethostname()}))
    proc = run_cli(f"output_dir={out}", *SLOW)
    assert proc.returncode == 0, proc.stderr
    assert "stale lock" in proc.stderr and not (out / ".lock").exists()
    record("stale lock (dead pid)", "taken over with a warning", "run completes")


@pytest.mark.slurm
def test_ctrl_c_on_a_slurm_cluster_exits_130_and_cancels_its_jobs(tmp_path: Path,
                                                                   reference: dict) -> None:
    """dask_jobqueue replaces the SIGINT handler on import (exit 0 on Ctrl-C); ours wins."""
    out = tmp_path / "exp"
    proc = _interrupt_then_resume(out, signal.SIGINT, "parallel=slurm", "parallel.n_workers=2",
                                  "parallel.worker_timeout_s=60")
    assert proc.returncode == 130
    assert output_bytes(out) == reference
    def queued() -> str:
        return subprocess.run(["squeue", "-h", "-n", "espnet3-prep-mini_librispeech", "-o",
                               "%i %T"], capture_output=True, text=True, timeout=10).stdout

    _wait_for(lambda: not queued().strip(), 30)  # cancelled jobs may show COMPLETING briefly
    record("SIGINT driver mid-run (Dask on SLURM)", "exit 130; jobs cancelled; rerun ok",
           "done shards kept, byte-identical after rerun")
