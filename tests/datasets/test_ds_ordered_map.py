"""The corpus scan's ordered map: inline while the work is CPU-bound, on threads once a
window of folders waited on I/O; in order and complete either way."""

from __future__ import annotations

import threading
import time

from espnet3_prep.datasets import scanning
from espnet3_prep.datasets.scanning import PROBE_FOLDERS, ordered_map


def _where(item: int, wait: float = 0.0) -> tuple[int, str]:
    if wait:
        time.sleep(wait)  # a stat on a cold network file system: wall time, no CPU
    else:
        sum(range(2000))  # parsing: CPU
    return item, threading.current_thread().name


def test_cpu_bound_scan_stays_in_the_calling_thread() -> None:
    items = list(range(5 * PROBE_FOLDERS + 3))
    results = list(ordered_map(_where, items))
    assert [item for item, _ in results] == items
    assert {name for _, name in results} == {threading.current_thread().name}


def test_latency_bound_scan_moves_to_threads_after_one_window() -> None:
    items = list(range(3 * PROBE_FOLDERS + 5))
    results = list(ordered_map(lambda item: _where(item, 0.002), items, threads=4))
    assert [item for item, _ in results] == items  # in order, each once
    names = [name for _, name in results]
    assert set(names[:PROBE_FOLDERS]) == {threading.current_thread().name}
    assert all(name.startswith("scan") for name in names[PROBE_FOLDERS:])


def test_short_or_single_thread_scans_never_start_threads(monkeypatch) -> None:
    monkeypatch.setattr(scanning, "LATENCY_BOUND", 0.0)  # every window counts as I/O-bound
    short = list(ordered_map(_where, range(PROBE_FOLDERS - 1)))
    single = list(ordered_map(_where, range(3 * PROBE_FOLDERS), threads=1))
    me = threading.current_thread().name
    assert [i for i, _ in short] == list(range(PROBE_FOLDERS - 1))
    assert [i for i, _ in single] == list(range(3 * PROBE_FOLDERS))
    assert {n for _, n in short + single} == {me}
