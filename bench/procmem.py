"""Peak memory of a run's driver and of every worker process, sampled from ``/proc``.

The harness starts the driver with ``ESPNET3_SCALE_TAG=<token>`` in its environment.
Every process that carries the token is part of the run: the driver's children (Dask
LocalCluster workers, detached local jobs) inherit it, and SLURM jobs get it too
(``sbatch`` exports the submitting environment by default), even though they are not
the driver's descendants. A thread reads ``VmHWM`` (the kernel's peak resident set)
and ``VmRSS`` of each such process every ``interval`` seconds while the run lasts;
``ru_maxrss`` is useless here (inherited across ``exec``, blind to SLURM jobs).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

TAG = "ESPNET3_SCALE_TAG"
PROC = Path("/proc")


@dataclass
class ProcPeak:
    """What was seen of one process: its command, peak ``VmHWM`` and last ``VmRSS`` (kB)."""

    pid: int
    cmd: str
    hwm_kb: int = 0
    rss_kb: int = 0
    cpu_s: float = 0.0
    samples: int = 0


def _status_kb(pid: int) -> tuple[int, int] | None:
    """``(VmHWM, VmRSS)`` in kB, or None once the process is gone (or a zombie)."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    hwm = rss = -1
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return (hwm, rss) if hwm >= 0 and rss >= 0 else None


TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, float] | None:
    """Start time (field 22: tells a reused pid apart) and CPU seconds (user + system)
    from ``/proc/<pid>/stat``."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19], (int(fields[11]) + int(fields[12])) / TICK


@dataclass
class Sampler:
    """Samples every tagged process until :meth:`stop`; ``token`` goes in the env."""

    interval: float = 0.2
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    peaks: dict[tuple[int, str], ProcPeak] = field(default_factory=dict)
    live: set[int] = field(default_factory=set)
    """Tagged processes alive at the last sample."""
    _verdict: dict[tuple[int, str], bool] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def env(self) -> dict[str, str]:
        """The environment for the driver: this process's plus the tag."""
        return {**os.environ, TAG: self.token}

    def start(self) -> Sampler:
        """Start sampling in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, daemon=True, name="procmem")
        self._thread.start()
        return self

    def stop(self) -> None:
        """One last sample, then stop the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def _is_ours(self, pid: int, key: tuple[int, str]) -> bool:
        known = self._verdict.get(key)
        if known is None:
            try:
                environ = (PROC / str(pid) / "environ").read_bytes()
            except OSError:
                return False  # gone, or not ours to read
            known = f"{TAG}={self.token}".encode() in environ.split(b"\0")
            self._verdict[key] = known
        return known

    def sample(self) -> None:
        """Read the memory of every tagged process once."""
        live = set()
        for entry in os.scandir(PROC):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            stat = _stat(pid)
            if stat is None or not self._is_ours(pid, (pid, stat[0])):
                continue
            start = stat[0]
            mem = _status_kb(pid)
            if mem is None:
                continue
            peak = self.peaks.get((pid, start))
            if peak is None:
                peak = self.peaks[(pid, start)] = ProcPeak(pid, _cmdline(pid))
            peak.hwm_kb = max(peak.hwm_kb, mem[0])
            peak.rss_kb = mem[1]
            peak.cpu_s = stat[1]
            peak.samples += 1
            live.add(pid)
        self.live = live

    def driver_mb(self, driver_pid: int) -> float:
        """Peak ``VmHWM`` of the driver process (MB)."""
        return max((p.hwm_kb for p in self.peaks.values() if p.pid == driver_pid),
                   default=0) / 1024

    def cpu_s(self, driver_pid: int) -> tuple[float, float]:
        """CPU seconds of the driver and of all other processes of the run (as last seen)."""
        driver = sum(p.cpu_s for p in self.peaks.values() if p.pid == driver_pid)
        return driver, sum(p.cpu_s for p in self.peaks.values()) - driver

    def worker_mb(self, driver_pid: int) -> list[float]:
        """Peak ``VmHWM`` of every other Python process of the run (MB), largest first.

        Shell wrappers (``sbatch`` scripts, ``srun``) are left out: they are not workers.
        """
        found = [p.hwm_kb / 1024 for p in self.peaks.values()
                 if p.pid != driver_pid and "python" in p.cmd]
        return sorted(found, reverse=True)


def _cmdline(pid: int) -> str:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def wait_until(predicate: object, timeout: float, poll: float = 0.5) -> bool:
    """Poll ``predicate()`` until true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(poll)
    return bool(predicate())  # type: ignore[operator]
