"""``make bench-scale``: LibriSpeech-960 scale (issue 12), every run of one invocation.

Builds (once, cached) a 281,241-utterance LibriSpeech-layout tree (``bench/scale_tree.py``),
then runs the CLI on it as a user would, each command in a fresh process whose driver and
workers are sampled for ``VmHWM``/``VmRSS`` (``bench/procmem.py``):

- ``plan``: ``action=plan``;
- ``none`` / ``local``: full ``feature=none`` runs, in-process and on 2 Dask workers;
- ``headers``: ``none`` with the default cleaner's sample-reading steps disabled
  (``nan_inf``, ``clipping``, ``silence``), so only audio headers are needed;
- ``rerun`` / ``status``: the finished ``local`` output again (nothing to do), ``action=status``;
- ``detached`` + ``collect``: ``parallel=local runner.async_mode=true``, waited for, then
  ``action=collect``;
- ``growth``: ``none`` and ``local`` on a quarter-size tree (70k at full size), for the
  driver's growth ratio;
- ``fbank``: ``feature=fbank`` in-process and on 2 workers on ``--fbank-utts``;
- ``submitit`` / ``slurm``: on the project's single-node SLURM, the submitit run with a
  shard size that makes it a job array of >= 1,000 tasks.

Appends the table to ``bench/results.md``. Usage: ``make bench-scale ARGS="--utts 20000
--only none,local"``. The machine is shared: the load average is recorded with the table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import append_results, machine_info, print_table, render  # noqa: E402
from bench.scale_runs import Cli, Outcome, read_stats  # noqa: E402
from bench.scale_targets import build_rows  # noqa: E402
from bench.scale_tree import CACHE, LIBRISPEECH_960, ensure_tree  # noqa: E402

SCENARIOS = ("plan", "none", "headers", "local", "detached", "growth", "fbank", "submitit",
             "slurm")
FOLLOWS = {"rerun": "local", "status": "local", "collect": "detached"}
"""Commands that run on another one's output, and only with it."""
HEADER_ONLY = ["+cleaner.steps.7.enabled=false", "+cleaner.steps.9.enabled=false",
               "+cleaner.steps.10.enabled=false"]  # nan_inf, clipping, silence: need samples
LOCAL = ["parallel=local", "parallel.n_workers=2"]


def main_runs(cli: Cli, only: set[str], found: dict[str, Outcome], extra: list[str]
              ) -> None:
    """plan, none, headers, local, rerun, status, detached + collect on the main tree
    (``extra``: overrides added to every command, e.g. :data:`HEADER_ONLY`)."""
    out = cli.scratch / "out"
    steps: list[tuple[str, list[str], bool]] = [
        ("plan", [*cli.base("none", out / "none"), "action=plan"], False),
        ("none", [*cli.base("none", out / "none"), "parallel=none"], False),
        ("headers", [*cli.base("none", out / "headers"), "parallel=none", *HEADER_ONLY],
         False),
        ("local", [*cli.base("none", out / "local"), *LOCAL], False),
        ("rerun", [*cli.base("none", out / "local"), *LOCAL], False),
        ("status", [*cli.base("none", out / "local"), *LOCAL, "action=status"], False),
        ("detached", [*cli.base("none", out / "det"), *LOCAL, "runner.async_mode=true"],
         True),
        ("collect", [*cli.base("none", out / "det"), *LOCAL, "action=collect"], False),
    ]
    for name, args, detached in steps:
        if FOLLOWS.get(name, name) in only:
            found[name] = cli.run(name, [*args, *extra], detached=detached)
            found[name].stats = read_stats(args_out(args), cli.split)


def args_out(args: list[str]) -> Path:
    """The ``output_dir=`` of an argument list."""
    return Path(next(a for a in args if a.startswith("output_dir=")).split("=", 1)[1])


def side_runs(args: argparse.Namespace, scratch: Path, only: set[str],
              found: dict[str, Outcome]) -> None:
    """growth (quarter tree), fbank (small tree), submitit and slurm (main tree)."""
    if "growth" in only:
        small = ensure_tree(args.growth_utts)
        cli = Cli(small.root, small.split, scratch)
        for name, extra in (("growth_none", ["parallel=none"]), ("growth_local", LOCAL)):
            found[name] = cli.run(name, [*cli.base("none", scratch / "out" / name), *extra,
                                         *main_extra(args)])
    if "fbank" in only:
        small = ensure_tree(args.fbank_utts)
        cli = Cli(small.root, small.split, scratch)
        for name, extra in (("fbank_none", ["parallel=none"]), ("fbank_local", LOCAL)):
            out = scratch / "out" / name
            found[name] = cli.run(name, [*cli.base("fbank", out), *extra])
            found[name].stats = read_stats(out, small.split)
    tree = ensure_tree(args.utts)
    cli = Cli(tree.root, tree.split, scratch)
    if "submitit" in only:
        size = max(1, args.utts // args.array_tasks)
        out = scratch / "out" / "submitit"
        found["submitit"] = cli.run("submitit", [
            *cli.base("none", out), "parallel=submitit_slurm", f"runner.shard_size={size}",
            "parallel.options.shards_per_job=1", f"parallel.n_workers={args.slurm_workers}",
            *main_extra(args)])
        found["submitit"].stats = read_stats(out, tree.split)
    if "slurm" in only:
        out = scratch / "out" / "slurm"
        found["slurm"] = cli.run("slurm", [*cli.base("none", out), "parallel=slurm",
                                           f"parallel.n_workers={args.slurm_workers}",
                                           *main_extra(args)])
        found["slurm"].stats = read_stats(out, tree.split)


def main_extra(args: argparse.Namespace) -> list[str]:
    """Overrides of every feature=none command of the main and growth trees."""
    return list(HEADER_ONLY) if args.headers_only else []


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utts", type=int, default=LIBRISPEECH_960,
                        help="utterances in the main tree (default: LibriSpeech 960's)")
    parser.add_argument("--growth-utts", type=int, default=None,
                        help="the smaller tree of the growth ratio (default: utts / 4)")
    parser.add_argument("--fbank-utts", type=int, default=None,
                        help="tree of the feature=fbank pair (default: min(utts, 20000))")
    parser.add_argument("--array-tasks", type=int, default=1000,
                        help="shards (= array tasks) of the submitit run (SLURM's "
                             "MaxArraySize here is 1001)")
    parser.add_argument("--slurm-workers", type=int, default=2)
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--headers-only", action="store_true",
                        help="main and growth runs with the default cleaner's sample-reading "
                             "steps disabled (audio headers only: ~10x cheaper items, so the "
                             "driver's and Dask's share shows); excludes 'headers'")
    parser.add_argument("--keep", action="store_true", help="keep the outputs and logs")
    parser.add_argument("--no-append", action="store_true", help="do not write results.md")
    args = parser.parse_args()
    args.growth_utts = args.growth_utts or max(1, args.utts // 4)
    args.fbank_utts = args.fbank_utts or min(args.utts, 20000)
    if args.headers_only and "headers" in args.only.split(","):
        parser.error("--headers-only: every main run reads headers only; drop 'headers' "
                     "from --only (compare with a run without --headers-only)")
    unknown = set(args.only.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))}; valid: "
                     f"{', '.join(SCENARIOS)}")
    return args


def main() -> None:
    """Build the tree, run the scenarios, print and append the table."""
    args = parse_args()
    only = set(args.only.split(","))
    load_start, start = os.getloadavg(), time.perf_counter()
    tree = ensure_tree(args.utts)
    CACHE.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="scale-", dir=CACHE))
    found: dict[str, Outcome] = {}
    main_runs(Cli(tree.root, tree.split, scratch), only, found, main_extra(args))
    side_runs(args, scratch, only, found)
    rows, notes = build_rows(found, args)
    notes.append(f"bench-scale wall time {time.perf_counter() - start:.0f} s; outputs and "
                 f"logs in {scratch}" + ("" if args.keep else " (removed)"))
    print_table(rows)
    text = render(rows, machine_info(load_start), notes)
    if not args.no_append:
        print(f"bench-scale: appended to {append_results(text)}", file=sys.stderr)
    if not args.keep:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
