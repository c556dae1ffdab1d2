"""One end-to-end measurement of our pipeline, run by ``bench/run.py`` in a fresh process.

The config is composed exactly as the ``espnet3-prep`` CLI composes it (Hydra, the
project's ``conf/``), with ``dataset=manifest``; each repetition calls
:func:`espnet3_prep.prep.pipeline.run_split` (decode + clean + fbank + ark + shard commit
+ manifest/Kaldi-dir/stats collect) into a fresh output folder. Processes and the Dask
cluster are warmed up first on a few files, so the timing is the steady-state cost of a
run, not of Python/Dask start-up (reported separately). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

WARMUP_FILES = 8


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_now_mb() -> float:
    """Current resident set size of this process (MiB)."""
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """Peak resident set size of this process image (MiB).

    ``VmHWM``, not ``getrusage().ru_maxrss``: Linux carries ``ru_maxrss`` over ``exec``, so
    a child started from a big parent would report the parent's size.
    """
    return _status_mb("VmHWM")


def compose(manifest: Path, split: str, out: Path, parallel: str, shard_size: int,
            workers: int, extra: list[str] | None = None) -> Any:
    """The CLI's composed config for one manifest split."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    import espnet3_prep.datasets  # noqa: F401 - registers the ${pkg_data:...} resolver
    from espnet3_prep.cli import config_dir
    from espnet3_prep.config import register_configs

    register_configs()
    overrides = ["dataset=manifest", f"dataset.path={manifest}", f"dataset.split={split}",
                 f"output_dir={out}", f"runner.shard_size={shard_size}",
                 f"parallel={parallel}"]
    if parallel != "none":
        overrides.append(f"parallel.n_workers={workers}")
    overrides += extra or []  # e.g. feature.storage=lilcom, export=[shar] (bench/storage.py)
    with initialize_config_dir(config_dir(), version_base="1.3"):
        return hydra_compose("config", overrides=overrides)


def _warmup_manifest(manifest: Path, out: Path) -> Path:
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)[:WARMUP_FILES]
    path = out / "warmup.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _start_backend(cfg: Any, out: Path) -> float:
    """Select the backend and start its cluster now (not inside the timed runs)."""
    from espnet3_prep.parallel import get_backend, set_parallel
    from espnet3_prep.prep.pipeline import parallel_config

    set_parallel(parallel_config(cfg, out))
    start = time.perf_counter()
    backend = get_backend()
    if hasattr(backend, "start"):
        backend.start()
    return time.perf_counter() - start


def _worker_peak_rss_mb() -> list[float]:
    """Peak RSS of every Dask worker process (empty in-process)."""
    from espnet3_prep.parallel import get_backend

    client = getattr(get_backend(), "client", None)
    if client is None:
        return []
    found = client.run(peak_rss_mb)
    return sorted(float(v) for v in found.values())


def _timed_run(cfg: Any, split: str, split_dir: Path) -> tuple[float, dict[str, Any]]:
    from espnet3_prep.prep.pipeline import run_split

    start, cpu = time.perf_counter(), time.process_time()
    stats = run_split(cfg, split, split_dir)
    stats["cpu_s"] = time.process_time() - cpu  # this process: in-process runs only
    return time.perf_counter() - start, stats


def shard_sizes(split_dir: Path) -> dict[str, int]:
    """Bytes in the shards by kind: feature storage, raw audio dump, tar exports."""
    kinds = {".ark": "feats", ".lca": "feats", ".npy": "feats", ".flac": "raw", ".wav": "raw",
             ".tar": "tars", ".gz": "tars"}
    sizes: dict[str, int] = {}
    for path in split_dir.glob("shards/*/*"):
        kind = kinds.get(path.suffix)
        if kind:
            sizes[kind] = sizes.get(kind, 0) + path.stat().st_size
    return sizes


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, then time ``args.reps`` runs; RSS figures at the end."""
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cfg = compose(args.manifest, "bench", out, args.parallel, args.shard_size, args.workers,
                  args.override)
    warm_cfg = compose(_warmup_manifest(args.manifest, out), "warmup", out, args.parallel,
                       args.shard_size, args.workers, args.override)
    cluster_s = _start_backend(cfg, out)
    _timed_run(warm_cfg, "warmup", out / "warmup")
    rss_before = rss_now_mb()
    times, stats, sizes, cpu = [], {}, {}, []
    for rep in range(args.reps):
        split_dir = out / f"rep{rep}"
        seconds, stats = _timed_run(cfg, "bench", split_dir)
        times.append(seconds)
        cpu.append(stats["cpu_s"])
        sizes = shard_sizes(split_dir)
        if rep + 1 < args.reps or not args.keep:
            shutil.rmtree(split_dir)
    result = {"times": times, "cpu_times": cpu, "cluster_start_s": cluster_s, "sizes": sizes,
              "kept": stats.get("kept"), "dropped": stats.get("dropped"),
              "failed": stats.get("failed"),
              "driver_rss_before_mb": rss_before, "driver_peak_rss_mb": peak_rss_mb(),
              "worker_peak_rss_mb": _worker_peak_rss_mb()}
    from espnet3_prep.parallel import close_parallel

    close_parallel()
    return result


def main() -> None:
    """Command line: ``pipeline_job.py MANIFEST OUT --parallel none|local ...``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--parallel", default="none", choices=("none", "local"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=25)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the last run's outputs")
    parser.add_argument("--override", action="append", default=[],
                        help="extra Hydra override (repeatable)")
    args = parser.parse_args()
    result = measure(args)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()  # espnet3_prep from PYTHONPATH (run.py: this checkout) or the installed package
