"""``make bench``: every figure of the performance issue, measured in one run.

Rounds interleave all timed measurements (decode bound, fbank pair, our pipeline
in-process and on 2 Dask workers, lhotse) so that load from other processes hits them
alike; each figure is the minimum over rounds (and over repetitions inside a round).
Pipelines and lhotse run in fresh subprocesses, warmed up before timing (see
``pipeline_job.py``/``lhotse_job.py``). Prints the table, appends it to bench/results.md.

Usage: ``make bench [ARGS="--rounds 3 --reps 2"]`` or ``.venv/bin/python bench/run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import Corpus, ensure_corpus  # noqa: E402
from bench.measure import Capacity, FbankPair, decode_bound, load_waves  # noqa: E402
from bench.report import append_results, machine_info, print_table, render  # noqa: E402
from bench.targets import build_rows  # noqa: E402


def run_job(script: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run ``bench/<script>`` in a fresh interpreter; its last stdout line is JSON."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, str(REPO / "bench" / script), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise RuntimeError(f"{script} failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pipeline(manifest: Path, parallel: str, shard_size: int, args: argparse.Namespace,
              reps: int, scratch: Path) -> dict[str, Any]:
    return run_job("pipeline_job.py", str(manifest), str(scratch / f"pipe-{parallel}"),
                   "--parallel", parallel, "--workers", str(args.workers),
                   "--shard-size", str(shard_size), "--reps", str(reps))


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Keep the best (minimum) timing and the largest RSS seen across rounds."""
    for key, value in new.items():
        if key == "times":
            into.setdefault("times", []).extend(value)
        elif "rss" in key:
            old = into.get(key)
            into[key] = value if old is None else _max_rss(old, value)
        else:
            into[key] = min(into[key], value) if isinstance(value, float) and key in into \
                else value


def _max_rss(old: Any, new: Any) -> Any:
    if isinstance(new, list):
        return new if not old or (new and max(new) > max(old)) else old
    return max(old, new)


def timed_rounds(corpus: Corpus, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """All interleaved timings: decode, fbank pair, pipeline none/local, lhotse."""
    fbank = FbankPair(load_waves(corpus.files))
    capacity = Capacity(corpus.files, args.workers)
    found: dict[str, dict[str, Any]] = {k: {} for k in ("decode", "fbank", "capacity", "none",
                                                         "none_small", "local", "lhotse")}
    one_x = corpus.manifest_1x
    for round_no in range(args.rounds):
        print(f"bench: round {round_no + 1}/{args.rounds}", file=sys.stderr)
        _merge(found["decode"], decode_bound(corpus.files, 1))
        _merge(found["fbank"], fbank.time_round())
        _merge(found["capacity"], capacity.time_round())
        _merge(found["none"], _pipeline(one_x, "none", args.shard_size_none, args, args.reps,
                                        scratch))
        _merge(found["none_small"], _pipeline(one_x, "none", args.shard_size, args, args.reps,
                                              scratch))
        _merge(found["local"], _pipeline(one_x, "local", args.shard_size, args, args.reps,
                                         scratch))
        if not args.skip_lhotse:
            _merge(found["lhotse"], run_job("lhotse_job.py", str(corpus.manifest_1x),
                                            str(scratch / "lhotse"), "--jobs",
                                            str(args.workers), "--reps", str(args.reps)))
    capacity.close()
    print("bench: fbank agreement", file=sys.stderr)
    found["agreement"] = fbank.agreement()
    return found


def once(corpus: Corpus, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """Runner overhead and the 4x-corpus memory runs."""
    print("bench: runner overhead", file=sys.stderr)
    found = {"overhead": run_job("overhead_job.py", "--workers", str(args.workers))}
    print("bench: 4x corpus (peak RSS)", file=sys.stderr)
    found["local4"] = _pipeline(corpus.manifest_4x, "local", args.shard_size, args, 1, scratch)
    found["none4"] = _pipeline(corpus.manifest_4x, "none", args.shard_size_none, args, 1,
                               scratch)
    return found


def main() -> None:
    """Measure, print the table, append it to bench/results.md."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per job and round")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=25,
                        help="items per shard with 2 workers (300 files: 6 shards per worker)")
    parser.add_argument("--shard-size-none", type=int, default=100,
                        help="items per shard in-process (the config default)")
    parser.add_argument("--skip-lhotse", action="store_true")
    parser.add_argument("--skip-storage", action="store_true",
                        help="skip the feature storage / raw dump / tar export rows (8*)")
    parser.add_argument("--no-append", action="store_true", help="do not write results.md")
    args = parser.parse_args()
    load_start, start = os.getloadavg(), time.perf_counter()
    from espnet3_prep.execution.threads import limit_threads

    limit_threads()  # one thread (BLAS, torch) and the workers' allocator settings
    corpus = ensure_corpus()
    with tempfile.TemporaryDirectory(prefix="bench-", dir=REPO / "bench" / "cache") as tmp:
        found = {**timed_rounds(corpus, args, Path(tmp)), **once(corpus, args, Path(tmp))}
        if not args.skip_storage:
            from bench import storage

            print("bench: storage (bench/storage.py)", file=sys.stderr)
            found["storage"] = storage.measure(corpus, args.rounds, min(args.reps, 2),
                                               Path(tmp))
    rows, notes = build_rows(corpus, found, args)
    if "storage" in found:
        rows += storage.build_rows(corpus, found["storage"])
    notes.append(f"bench wall time {time.perf_counter() - start:.0f} s")
    print_table(rows)
    text = render(rows, machine_info(load_start), notes)
    if not args.no_append:
        print(f"bench: appended to {append_results(text)}", file=sys.stderr)


if __name__ == "__main__":
    main()
