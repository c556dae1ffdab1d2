"""Helpers for tests that watch and kill real scheduler jobs."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``check`` every 0.2 s; returns the seconds waited, fails after ``timeout``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - start


def running_jobs(name: str) -> list[str]:
    """Ids of this user's RUNNING SLURM jobs (array tasks as ``A_i``) named ``name``."""
    out = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-n", name, "-o", "%i"],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    return out.split()


def job_count(name: str) -> int:
    """How many jobs (array tasks included) named ``name`` SLURM accounted today."""
    out = subprocess.run(["sacct", "-X", "-n", "-S", "now-1hours", "--name", name, "-o",
                          "JobID"], capture_output=True, text=True, timeout=10,
                         check=True).stdout
    return len(out.split())


def done_shards(work_dir: Path) -> int:
    """Number of committed shards (with a DONE marker)."""
    return len(list(work_dir.glob("shards/*/DONE")))


def committed_shards(work_dir: Path) -> list[str]:
    """Names of committed shard dirs, asserting each has its DONE marker.

    Temp dirs (``.NNNNN.tmp-*``) of attempts killed with their job are not outputs: the
    next run deletes them.
    """
    names = sorted(p.name for p in (work_dir / "shards").iterdir()
                   if not p.name.startswith("."))
    assert all((work_dir / "shards" / name / "DONE").exists() for name in names), names
    return names


def killed_attempts(work_dir: Path) -> list[str]:
    """Temp dirs left by shard attempts whose process was killed."""
    return sorted(p.name for p in (work_dir / "shards").glob(".*.tmp-*"))
