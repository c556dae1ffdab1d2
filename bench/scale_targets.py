"""Rows of the ``make bench-scale`` table: figures, issue 12's targets, PASS/FAIL."""

from __future__ import annotations

import argparse

from bench.report import Row
from bench.scale_runs import Outcome

DRIVER_MB = 500.0
GROWTH = 1.3
SPEEDUP = 1.6
COLLECT_SHARE = 0.10
RERUN_S, STATUS_S, PLAN_S = 15.0, 5.0, 10.0
HEADERS_SPEEDUP = 5.0


def _workers(outcome: Outcome) -> str:
    if not outcome.workers_mb:
        return "-"
    mb = outcome.workers_mb
    return f"{len(mb)} procs, max {mb[0]:.0f} MB, min {mb[-1]:.0f} MB"


def _run_row(key: str, what: str, o: Outcome, limit_s: float | None = None) -> Row:
    value = (f"{o.wall_s:.1f} s, driver {o.driver_mb:.0f} MB"
             + ("" if o.rc == 0 else f", EXIT {o.rc}"))
    ok = None if limit_s is None else (o.rc == 0 and o.wall_s <= limit_s)
    return Row(key, what, value, "" if limit_s is None else f"<= {limit_s:.0f} s", ok)


def _accounted(o: Outcome, utts: int) -> tuple[str, bool]:
    stats = o.stats
    seen = sum(int(stats.get(k, 0)) for k in ("kept", "dropped", "failed"))
    return f"{seen}/{utts} accounted", o.rc == 0 and seen == utts


def _ratio(a: Outcome | None, b: Outcome | None) -> float | None:
    if a is None or b is None or b.wall_s <= 0 or a.rc or b.rc:
        return None
    return a.wall_s / b.wall_s


def memory_rows(found: dict[str, Outcome]) -> list[Row]:
    """Driver peak RSS of every run against 500 MB; workers listed."""
    rows = []
    for name, o in found.items():
        ok = o.rc == 0 and o.driver_mb <= DRIVER_MB
        rows.append(Row(f"m-{name}", f"peak RSS {name}: driver / workers",
                        f"{o.driver_mb:.0f} MB / {_workers(o)}", f"driver <= {DRIVER_MB:.0f} MB",
                        ok))
    return rows


def growth_rows(found: dict[str, Outcome], args: argparse.Namespace) -> list[Row]:
    """Driver (and worker) peak from the quarter tree to the full one."""
    rows = []
    for mode in ("none", "local"):
        small, big = found.get(f"growth_{mode}"), found.get(mode)
        if small is None or big is None or not small.driver_mb:
            continue
        ratio = big.driver_mb / small.driver_mb
        rows.append(Row(f"g-{mode}", f"driver peak {args.growth_utts} -> {args.utts} utts "
                        f"({mode})", f"{small.driver_mb:.0f} -> {big.driver_mb:.0f} MB = "
                        f"{ratio:.2f}x", f"<= {GROWTH}x", ratio <= GROWTH))
        if small.workers_mb and big.workers_mb:
            w = big.workers_mb[0] / small.workers_mb[0]
            rows.append(Row(f"g-{mode}w", f"worker peak, same ({mode})",
                            f"{small.workers_mb[0]:.0f} -> {big.workers_mb[0]:.0f} MB = "
                            f"{w:.2f}x", "flat"))
    return rows


def speed_rows(found: dict[str, Outcome], args: argparse.Namespace) -> list[Row]:
    """local vs none (feature none and fbank), headers-only vs decoding."""
    rows = []
    pairs = (("s-none", f"parallel=local 2 workers vs none, feature=none, {args.utts} utts",
              "none", "local", SPEEDUP),
             ("s-fbank", f"same, feature=fbank, {args.fbank_utts} utts", "fbank_none",
              "fbank_local", SPEEDUP),
             ("s-hdr", "feature=none: headers only vs decoding (parallel=none)", "none",
              "headers", HEADERS_SPEEDUP))
    for key, what, slow, fast, target in pairs:
        ratio = _ratio(found.get(slow), found.get(fast))
        if ratio is None:
            continue
        rows.append(Row(key, what, f"{found[slow].wall_s:.1f} / {found[fast].wall_s:.1f} s"
                        f" = {ratio:.2f}x", f">= {target}x", ratio >= target))
    return rows


def timing_rows(found: dict[str, Outcome]) -> list[Row]:
    """plan, rerun, status, detached, collect; the Dask event loop."""
    rows = []
    for key, name, what, limit in (("t-plan", "plan", "action=plan", PLAN_S),
                                   ("t-none", "none", "full run parallel=none", None),
                                   ("t-hdr", "headers", "full run, headers only", None),
                                   ("t-local", "local", "full run parallel=local", None),
                                   ("t-rerun", "rerun", "rerun of the finished output", RERUN_S),
                                   ("t-status", "status", "action=status on it", STATUS_S),
                                   ("t-det", "detached", "detached local run (to the last job)",
                                    None)):
        if name in found:
            rows.append(_run_row(key, what, found[name], limit))
    collect, none = found.get("collect"), found.get("none")
    if collect is not None and none is not None:
        share = collect.wall_s / none.wall_s
        rows.append(Row("t-collect", "action=collect / in-process run",
                        f"{collect.wall_s:.1f} s = {share:.1%}", f"<= {COLLECT_SHARE:.0%}",
                        collect.rc == 0 and share <= COLLECT_SHARE))
        if none.driver_cpu_s > 0:
            cpu = collect.driver_cpu_s / none.driver_cpu_s
            rows.append(Row("t-collect-cpu", "same in CPU seconds (load-independent)",
                            f"{collect.driver_cpu_s:.1f} / {none.driver_cpu_s:.1f} s = "
                            f"{cpu:.1%}", f"<= {COLLECT_SHARE:.0%}",
                            collect.rc == 0 and cpu <= COLLECT_SHARE))
    local = found.get("local")
    if local is not None:
        blocked = max(0.0, local.worst_block_s - 1.0)  # the tick gap minus its 1 s interval
        rows.append(Row("t-loop", "Dask 'event loop unresponsive' (tick gap > 2 s) in the "
                        "local run", f"{local.loop_warnings} warnings, worst blocked "
                        f"{blocked:.1f} s; {local.terminal_lines} terminal lines",
                        "blocked <= 1 s", blocked <= 1.0))
    return rows


def slurm_rows(found: dict[str, Outcome], args: argparse.Namespace) -> list[Row]:
    """submitit array and dask-jobqueue runs: done, every utterance exactly once."""
    rows = []
    for name, what in (("submitit", f"submitit_slurm array (>= {args.array_tasks} tasks)"),
                       ("slurm", "parallel=slurm (dask-jobqueue)")):
        o = found.get(name)
        if o is None:
            continue
        text, ok = _accounted(o, args.utts)
        rows.append(Row(f"x-{name}", what, f"{o.wall_s:.0f} s, {text}", "all, once", ok))
        if name == "submitit" and o.workers_mb:
            tasks = args.array_tasks  # a task is a few processes (batch shell, python)
            rows.append(Row("x-task", "per array task: CPU seconds (startup + its shard)",
                            f"{o.workers_cpu_s / tasks:.2f} s ({len(o.workers_mb)} "
                            f"processes), peak <= {o.workers_mb[0]:.0f} MB", ""))
    return rows


def build_rows(found: dict[str, Outcome], args: argparse.Namespace
               ) -> tuple[list[Row], list[str]]:
    """The table rows and the notes (every command run)."""
    rows = [*timing_rows(found), *speed_rows(found, args), *memory_rows(found),
            *growth_rows(found, args), *slurm_rows(found, args)]
    mode = ("headers only (nan_inf, clipping, silence disabled)" if args.headers_only
            else "default cleaner (decodes every file)")
    notes: list[str] = [f"tree: {args.utts} utterances (growth: {args.growth_utts}, fbank: "
                        f"{args.fbank_utts}); feature=none runs: {mode}"]
    notes += [f"`{o.name}`: `{o.command}` rc {o.rc}, {o.wall_s:.1f} s, CPU s driver "
              f"{o.driver_cpu_s:.1f} / others {o.workers_cpu_s:.1f}" for o in found.values()]
    return rows, notes

