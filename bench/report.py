"""The results table: figures, targets, PASS/FAIL, machine info; appended to results.md."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.md"
PACKAGES = ("numpy", "scipy", "soundfile", "kaldiio", "torch", "torchaudio", "lhotse", "dask",
            "distributed")


@dataclass
class Row:
    """One line of the table: what was measured, the figure, its target and verdict."""

    key: str
    what: str
    value: str
    target: str = ""
    ok: bool | None = None

    def verdict(self) -> str:
        """PASS, FAIL or blank (information only)."""
        return "" if self.ok is None else ("PASS" if self.ok else "FAIL")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_state() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              check=False)
        return done.stdout.strip()

    dirty = " (uncommitted changes)" if git("status", "--porcelain", "--", "espnet3_prep") else ""
    return f"{git('rev-parse', '--short', 'HEAD') or 'unknown'}{dirty}"


def machine_info(load_start: tuple[float, ...]) -> dict[str, str]:
    """Date, host, CPU, cores, memory, load, Python, package versions, git commit."""
    import soundfile

    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} -")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{platform.node()}: {_cpu_model()}, {os.cpu_count()} cores, "
                   f"{mem_gib:.0f} GiB, {platform.system()} {platform.release()}",
        "load average (1/5/15 min) at start / end":
            f"{'/'.join(f'{x:.2f}' for x in load_start)} / "
            f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())}",
        "python": platform.python_version(),
        "packages": ", ".join(versions) + f", libsndfile {soundfile.__libsndfile_version__}",
        "code": _git_state(),
    }


def render(rows: list[Row], info: dict[str, str], notes: list[str]) -> str:
    """Markdown: header with machine info, the table, then notes."""
    lines = [f"## {info['date']}", ""]
    lines += [f"- {key}: {value}" for key, value in info.items() if key != "date"]
    lines += ["", "| # | measurement | result | target | |", "|---|---|---|---|---|"]
    lines += [f"| {r.key} | {r.what} | {r.value} | {r.target} | {r.verdict()} |" for r in rows]
    if notes:
        lines += [""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def print_table(rows: list[Row]) -> None:
    """Plain-text table on stdout."""
    width = max(len(r.what) for r in rows)
    vwidth = max(len(r.value) for r in rows)
    for r in rows:
        print(f"{r.key:>3}  {r.what:<{width}}  {r.value:>{vwidth}}  {r.target:<22} "
              f"{r.verdict()}")


def append_results(text: str) -> Path:
    """Append one run's section to bench/results.md (created with a title if missing)."""
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results (`make bench`)\n\nEach run appends a section; "
                           "every figure of a section was measured in that same run.\n\n",
                           encoding="utf-8")
    with open(RESULTS, "a", encoding="utf-8") as handle:
        handle.write(text + "\n")
    return RESULTS


def fmt(value: Any, spec: str = ".2f") -> str:
    """Format a number (or '-' when missing)."""
    return "-" if value is None else format(value, spec)
