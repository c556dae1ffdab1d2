"""lhotse on the same corpus and cores, run by ``bench/run.py`` in a fresh process.

``CutSet.compute_and_store_features`` with lhotse's ``Fbank`` (default config, 80 bins),
its default uncompressed ``NumpyFilesWriter`` (float32 like our ark) and a 2-process
``ProcessPoolExecutor`` (spawn, torch pinned to one thread per process as lhotse's own
warning advises). The executor's processes are warmed up first (imports, one small job),
like our Dask workers. The timed part also writes the resulting cuts manifest (our timing
includes the manifest and Kaldi-dir writing). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

WARMUP_CUTS = 8


def _init_worker() -> None:
    """One compute thread per process."""
    import torch

    torch.set_num_threads(1)
    import lhotse  # noqa: F401 - import cost outside the timed runs


def _cuts(manifest: Path) -> Any:
    from lhotse import CutSet, Recording, RecordingSet

    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    recordings = RecordingSet.from_recordings(
        Recording.from_file(row["audio"], recording_id=row["utt_id"]) for row in rows)
    return CutSet.from_manifests(recordings=recordings)


def _extract(cuts: Any, out: Path, executor: ProcessPoolExecutor, jobs: int) -> float:
    from lhotse import Fbank, NumpyFilesWriter

    start = time.perf_counter()
    with_feats = cuts.compute_and_store_features(
        extractor=Fbank(), storage_path=out, num_jobs=jobs, executor=executor,
        storage_type=NumpyFilesWriter, progress_bar=False)
    with_feats.to_file(out / "cuts.jsonl")
    return time.perf_counter() - start


def measure(manifest: Path, out: Path, jobs: int, reps: int) -> dict[str, Any]:
    """Warm the executor, then time ``reps`` runs."""
    import torch

    torch.set_num_threads(1)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cuts = _cuts(manifest)
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker) as executor:
        _extract(cuts.subset(first=WARMUP_CUTS), out / "warmup", executor, jobs)
        startup = time.perf_counter() - start
        times = []
        for rep in range(reps):
            times.append(_extract(cuts, out / f"rep{rep}", executor, jobs))
            shutil.rmtree(out / f"rep{rep}")
    return {"times": times, "startup_s": startup, "cuts": len(cuts)}


def main() -> None:
    """Command line: ``lhotse_job.py MANIFEST OUT [--jobs 2] [--reps 1]``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    result = measure(args.manifest, args.out, args.jobs, args.reps)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
