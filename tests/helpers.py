"""Shared test helpers: the real ``espnet3-prep`` console script, output trees compared
byte for byte, and watching real scheduler jobs. Test modules import helpers from here
(or tests/toy.py), never from each other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CLI = str(Path(sys.executable).with_name("espnet3-prep"))
REPO = Path(__file__).resolve().parents[1]
SHARD_SIZE = "runner.shard_size=5"
"""The shard size of the reference run (tests/conftest.py) and the runs compared with it."""
SPLIT_FILES = ("manifest.jsonl", "feats.scp", "wav.scp", "text", "utt2spk", "spk2utt",
               "utt2dur", "utt2num_frames", "feats_stats.npz", "dropped.jsonl", "errors.jsonl")


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for CLI subprocesses: test modules importable (runner._target_)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), **extra)
    return env


def run_cli(*overrides: str, cwd: Path | None = None, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run espnet3-prep with Hydra overrides; never raises on a non-zero exit."""
    return subprocess.run([CLI, *overrides], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, check=False, env=env or cli_env())


def start_cli(*overrides: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start espnet3-prep in the background (for interrupt tests)."""
    return subprocess.Popen([CLI, *overrides], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or cli_env())


def output_bytes(out_dir: Path) -> dict[str, bytes]:
    """Every split output and shard ark, with the output dir prefix normalised.

    Fails unless it found at least one split with a manifest, so comparing two empty (or
    missing) outputs can never pass."""
    files: dict[str, bytes] = {}
    prefix = str(out_dir).encode()
    splits = sorted(p for p in out_dir.iterdir() if (p / "plan.json").exists())
    assert splits, f"no prepared split (plan.json) under {out_dir}"
    for split_dir in splits:
        assert (split_dir / "manifest.jsonl").exists(), f"{split_dir} was not collected"
        for name in SPLIT_FILES:
            path = split_dir / name
            if path.exists():
                files[f"{split_dir.name}/{name}"] = path.read_bytes().replace(prefix, b"OUT")
        for ark in sorted(split_dir.glob("shards/*/feats.ark")):
            files[str(ark.relative_to(out_dir))] = ark.read_bytes()
    return files


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``check`` every 0.2 s until it returns something truthy; fail after timeout."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``check`` every 0.2 s; returns the seconds waited, fails after ``timeout``."""
    start = time.monotonic()
    wait_for(check, timeout, what)
    return time.monotonic() - start


def book(split_dir: Path) -> dict[str, Any]:
    """The split's jobs.json (detached jobs' records)."""
    return json.loads((split_dir / "jobs" / "jobs.json").read_text())


def run_in_thread(runner: Any, n: int) -> tuple[threading.Thread, dict[str, Any]]:
    """Start ``runner(range(n))`` in a thread; the dict gets ``out`` or ``error``."""
    box: dict[str, Any] = {}

    def body() -> None:
        try:
            box["out"] = runner(range(n))
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            box["error"] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, box


def running_jobs(name: str) -> list[str]:
    """Ids of this user's RUNNING SLURM jobs (array tasks as ``A_i``) named ``name``."""
    out = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-n", name, "-o", "%i"],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    return out.split()


def job_count(name: str) -> int:
    """How many jobs (array tasks included) named ``name`` SLURM accounted in the last hour."""
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
