"""The output-dir lock: a dead run's lock is taken over by exactly one of several runs."""

from __future__ import annotations

import json
import multiprocessing as mp
import subprocess
import sys
import time
from pathlib import Path

import pytest

from espnet3_prep.errors import OutputLockedError
from espnet3_prep.storage.lock import LOCK_NAME, OutputLock


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


class _SlowReader(OutputLock):
    """Widens the window between reading the holder and acting on it (a slow disk)."""

    def _read_holder(self) -> dict:
        holder = super()._read_holder()
        time.sleep(0.2)
        return holder


def _contend(directory: str, start_at: float, results: mp.Queue) -> None:
    time.sleep(max(0.0, start_at - time.time()))
    try:
        with _SlowReader(directory):
            results.put("won")
            time.sleep(3.0)  # hold it while the others try
    except OutputLockedError:
        results.put("refused")


def test_stale_lock_taken_over_by_exactly_one_of_many(tmp_path: Path) -> None:
    import socket

    (tmp_path / LOCK_NAME).write_text(json.dumps(
        {"pid": _dead_pid(), "host": socket.gethostname(), "started": "earlier"}))
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    start_at = time.time() + 0.5
    procs = [ctx.Process(target=_contend, args=(str(tmp_path), start_at, results))
             for _ in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(20)
    outcomes = sorted(results.get(timeout=5) for _ in procs)
    assert outcomes == ["refused"] * 5 + ["won"]
    assert not (tmp_path / LOCK_NAME).exists()  # released by the winner
    assert not list(tmp_path.glob("*.takeover"))


def test_live_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    with OutputLock(tmp_path), pytest.raises(OutputLockedError, match="in use by another"):
        OutputLock(tmp_path).acquire()
