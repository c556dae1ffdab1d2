"""Profile one in-process pipeline run (``parallel=none``) on the benchmark corpus.

Usage: ``.venv/bin/python bench/profile_run.py [--shard-size 100] [--html out.html]`` (with
``PYTHONPATH=<other checkout>`` to profile another version of espnet3_prep). The
process is warmed up on a few files first; the profile (pyinstrument, 0.5 ms sampling)
covers one whole ``run_split`` over the corpus: decode, clean, fbank, ark, commit, collect.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH

from bench.corpus import ensure_corpus  # noqa: E402
from bench.pipeline_job import _start_backend, _warmup_manifest, compose  # noqa: E402


def main() -> None:
    """Run and print the profile as text (or write HTML)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shard-size", type=int, default=100)
    parser.add_argument("--html", type=Path, default=None)
    parser.add_argument("--interval", type=float, default=0.0005)
    parser.add_argument("--override", action="append", default=[],
                        help="extra Hydra override, e.g. feature.storage=lilcom (repeatable)")
    args = parser.parse_args()
    from pyinstrument import Profiler

    from espnet3_prep.prep.pipeline import run_split

    corpus = ensure_corpus()
    out = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        cfg = compose(corpus.manifest_1x, "bench", out, "none", args.shard_size, 1,
                      args.override)
        warm = compose(_warmup_manifest(corpus.manifest_1x, out), "warmup", out, "none",
                       args.shard_size, 1, args.override)
        _start_backend(cfg, out)
        run_split(warm, "warmup", out / "warmup")
        profiler = Profiler(interval=args.interval)
        start = time.perf_counter()
        with profiler:
            run_split(cfg, "bench", out / "bench")
        wall = time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"# {corpus.seconds:.0f} s of audio in {wall:.3f} s: "
          f"{corpus.seconds / wall:.0f}x real time (profiled)")
    if args.html is not None:
        args.html.write_text(profiler.output_html(), encoding="utf-8")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
