"""One ``espnet3-prep`` command of ``make bench-scale``: wall time and per-process memory.

Every command runs as a subprocess of the harness, tagged for :mod:`bench.procmem`; its
stdout/stderr go to ``<scratch>/logs/<name>.{out,err}``. A detached (local) submission is
waited for until no tagged process is left.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procmem import Sampler, wait_until

REPO = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("espnet3-prep")
HIDDEN = ("dataset=", "dataset.root=", "dataset.splits=", "output_dir=")
TICK_LIMIT = "2s"
"""Dask warns when its event loop's tick (every 1 s on a local cluster: ``LOCAL_TICK``)
comes later than this, i.e. when the loop was blocked for more than ~1 s."""
UNRESPONSIVE = re.compile(r"Event loop was unresponsive in (\w+) for ([0-9.]+)s")


@dataclass
class Outcome:
    """What one command did: exit code, wall seconds, peaks (MB), Dask loop warnings."""

    name: str
    command: str
    rc: int
    wall_s: float
    driver_mb: float
    workers_mb: list[float] = field(default_factory=list)
    driver_cpu_s: float = 0.0
    workers_cpu_s: float = 0.0
    loop_warnings: int = 0
    worst_block_s: float = 0.0
    terminal_lines: int = 0
    stats: dict[str, Any] = field(default_factory=dict)



@dataclass
class Cli:
    """Runs commands over one tree with fixed base overrides; logs go to ``scratch``."""

    root: Path
    split: str
    scratch: Path
    timeout_s: float = 3600.0

    def base(self, feature: str, out: Path) -> list[str]:
        """Dataset, feature and output overrides shared by every command."""
        return ["dataset=librispeech", f"dataset.root={self.root}",
                f"dataset.splits=[{self.split}]", f"feature={feature}", f"output_dir={out}"]

    def run(self, name: str, args: list[str], *, detached: bool = False) -> Outcome:
        """Run ``espnet3-prep <args>``, sampling memory until it (and its jobs) end."""
        logs = self.scratch / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        sampler = Sampler().start()
        print(f"bench-scale: {name}: espnet3-prep {' '.join(args)}", file=sys.stderr)
        start = time.perf_counter()
        with open(logs / f"{name}.out", "wb") as out, open(logs / f"{name}.err", "wb") as err:
            env = {**sampler.env(), "PYTHONPATH": str(REPO),  # this checkout's code
                   "DASK_DISTRIBUTED__ADMIN__TICK__LIMIT": TICK_LIMIT}
            proc = subprocess.Popen([str(CLI), *args], env=env, stdout=out,
                                    stderr=err, cwd=REPO)
            try:
                rc = proc.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
        if detached and rc == 0:
            _wait_detached(sampler, self.timeout_s)
        wall = time.perf_counter() - start
        sampler.stop()
        shown = [a for a in args if not a.startswith(HIDDEN)]
        outcome = Outcome(name, "espnet3-prep " + " ".join(shown), rc, wall,
                          sampler.driver_mb(proc.pid), sampler.worker_mb(proc.pid),
                          *sampler.cpu_s(proc.pid))
        _read_logs(outcome, logs / f"{name}.out", logs / f"{name}.err")
        if rc != 0:
            print(f"bench-scale: {name} exited {rc}; see {logs / name}.err", file=sys.stderr)
        return outcome


def _wait_detached(sampler: Sampler, timeout_s: float) -> None:
    """Until no process of the run is left (detached local jobs inherit the tag)."""
    def done() -> bool:
        sampler.sample()
        return not sampler.live

    wait_until(done, timeout_s, poll=1.0)


def _read_logs(outcome: Outcome, out: Path, err: Path) -> None:
    """Count Dask's "event loop was unresponsive" warnings and what reached the terminal."""
    text = err.read_text(encoding="utf-8", errors="replace")
    blocks = [float(m.group(2)) for m in UNRESPONSIVE.finditer(text)]
    outcome.loop_warnings = len(blocks)
    outcome.worst_block_s = max(blocks, default=0.0)
    stdout = out.read_text(encoding="utf-8", errors="replace")
    outcome.terminal_lines = len((stdout + text).splitlines())


def read_stats(out: Path, split: str) -> dict[str, Any]:
    """``<out>/<split>/stats.json`` (empty when missing)."""
    path = out / split / "stats.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
