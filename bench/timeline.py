"""Where the time of a ``parallel=local`` run goes, next to the same run in-process.

Usage: ``.venv/bin/python bench/timeline.py [--reps 4] [--shard-size 25]``.

For each mode (``none``, then ``local`` with 2 workers) one fresh process is warmed up
like ``bench/pipeline_job.py``, then every run of ``run_split`` is split into its phases:

- ``setup``: ``build_runner`` (config split, dataset parse, plan key) in the driver;
- ``to 1st``: from the start of ``runner.run`` to the first shard's start on a worker
  (planning, plugin registration, submission, the worker's env build);
- ``busy``: the sum of the shards' own seconds (from their ``DONE`` markers), per worker;
- ``gaps``: per worker, the time between the end of one shard (its marker written) and
  the start of its next one (commit fsyncs, dispatch);
- ``tail``: how long the first worker to finish waits for the last one;
- ``collect``: merging the shards into the split's outputs;
- CPU seconds per thread of the driver and of each worker (``/proc``), which compete
  for the same cores as the shards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH

from bench.corpus import ensure_corpus  # noqa: E402
from bench.pipeline_job import _start_backend, _warmup_manifest, compose  # noqa: E402


def thread_cpu() -> dict[str, float]:
    """CPU seconds of every thread of this process, by Python thread name."""
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(tid), "other")
        name = "compute" if "Dask-Default-Threads" in name else name
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: round(v - before.get(k, 0.0), 3) for k, v in after.items()
            if v - before.get(k, 0.0) > 0}


def shard_timeline(split_dir: Path) -> dict[int, list[tuple[float, float]]]:
    """Per worker pid: (start, end) of each shard, from the markers' seconds and mtimes."""
    by_pid: dict[int, list[tuple[float, float]]] = {}
    for marker in split_dir.glob("shards/*/DONE"):
        info = json.loads(marker.read_text())
        end = marker.stat().st_mtime
        by_pid.setdefault(int(info["pid"]), []).append((end - float(info["seconds"]), end))
    return {pid: sorted(spans) for pid, spans in by_pid.items()}


def _phases(spans: dict[int, list[tuple[float, float]]], run_start: float) -> dict[str, Any]:
    ends = [s[-1][1] for s in spans.values()]
    return {
        "to_first_shard": min(s[0][0] for s in spans.values()) - run_start,
        "busy": [round(sum(e - b for b, e in s), 3) for s in spans.values()],
        "gaps": [round(sum(s[i + 1][0] - s[i][1] for i in range(len(s) - 1)), 3)
                 for s in spans.values()],
        "tail": max(ends) - min(ends),
    }


def one_run(cfg: Any, split_dir: Path, client: Any) -> dict[str, Any]:
    """Time the phases of one ``run_split`` (as in ``prep/pipeline.py``)."""
    from espnet3_prep.prep.pipeline import build_runner, collect_outputs

    workers_before = client.run(thread_cpu) if client else {}
    driver_before = thread_cpu()
    start = time.perf_counter()
    wall_start = time.time()
    runner, one, n_items = build_runner(cfg, "bench", split_dir)
    built = time.perf_counter()
    run_start = time.time()
    outcome = runner.run(range(n_items))
    ran = time.perf_counter()
    collect_outputs(one, "bench", split_dir, [s.shard_id for s in outcome.shards], ran - built)
    end = time.perf_counter()
    result = {"total": end - start, "setup": built - start, "collect": end - ran,
              "driver_cpu": _delta(thread_cpu(), driver_before), "run_start": wall_start}
    result.update(_phases(shard_timeline(split_dir), run_start))
    if client:
        after = client.run(thread_cpu)
        result["worker_cpu"] = [_delta(after[w], workers_before[w]) for w in sorted(after)]
    return result


def measure(mode: str, reps: int, shard_size: int) -> list[dict[str, Any]]:
    """Warm up, then time ``reps`` runs in this process."""
    from espnet3_prep.parallel import close_parallel, get_backend

    corpus = ensure_corpus()
    out = Path(tempfile.mkdtemp(prefix="bench-timeline-"))
    try:
        cfg = compose(corpus.manifest_1x, "bench", out, mode, shard_size, 2)
        warm = compose(_warmup_manifest(corpus.manifest_1x, out), "warmup", out, mode,
                       shard_size, 2)
        _start_backend(cfg, out)
        client = getattr(get_backend(), "client", None)
        from espnet3_prep.prep.pipeline import run_split

        run_split(warm, "warmup", out / "warmup")
        return [one_run(cfg, out / f"rep{rep}", client) for rep in range(reps)]
    finally:
        close_parallel()
        shutil.rmtree(out, ignore_errors=True)


def _show(mode: str, runs: list[dict[str, Any]]) -> None:
    print(f"\n{mode}: total | setup | to 1st shard | busy per worker | gaps | tail | collect")
    for r in runs:
        print(f"  {r['total']:.3f} | {r['setup']:.3f} | {r['to_first_shard']:.3f} | "
              f"{r['busy']} | {r['gaps']} | {r['tail']:.3f} | {r['collect']:.3f}")
        print(f"      driver CPU {r['driver_cpu']}"
              + (f"; workers CPU {r['worker_cpu']}" if "worker_cpu" in r else ""))


def main() -> None:
    """Both modes, printed as tables."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--shard-size", type=int, default=25)
    parser.add_argument("--modes", nargs="+", default=["none", "local"],
                        choices=["none", "local"])
    args = parser.parse_args()
    for mode in args.modes:
        _show(mode, measure(mode, args.reps, args.shard_size))


if __name__ == "__main__":
    main()
