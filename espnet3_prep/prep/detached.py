"""The CLI side of detached jobs.

- ``action=run runner.async_mode=true``: per split, plan and submit (or resubmit what is
  missing or failed), print the job ids and the commands to check and merge, return;
- ``action=status``: per-shard state, counts, throughput and ETA from the files and the
  scheduler — from any shell, while or after the jobs run;
- ``action=collect``: merge every split's done shards into the same outputs a
  synchronous run writes; with shards missing, say which and how to resubmit.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.table import Table

from espnet3_prep.backends.detached.book import JobBook, JobsLayout
from espnet3_prep.datasets import list_splits
from espnet3_prep.driver.plan import shard_layout
from espnet3_prep.driver.status import store_status
from espnet3_prep.errors import ConfigError, IncompleteShardsError, PlanMismatchError
from espnet3_prep.parallel import close_parallel, set_parallel
from espnet3_prep.prep.pipeline import build_runner, collect_outputs, parallel_config
from espnet3_prep.prep.status import print_status
from espnet3_prep.prep.summary import print_summary
from espnet3_prep.prep.tokenizer_step import run_tokenizer_step
from espnet3_prep.prep.validate import validate_config
from espnet3_prep.report import finish_report
from espnet3_prep.storage.files import read_json
from espnet3_prep.storage.lock import OutputLock
from espnet3_prep.storage.shards import PLAN_NAME, describe_plan_change


def command(action: str, argv: list[str] | None = None) -> str:
    """A command line (this one, or ``argv``) with ``action=<action>``, for hints."""
    args = [a for a in (argv or sys.argv)[1:] if not a.lstrip("+").startswith("action=")]
    if action == "run" and not any(a.startswith("runner.async_mode=") for a in args):
        args.append("runner.async_mode=true")
    return shlex.join(["espnet3-prep", *args, f"action={action}"])


def _output_dir(cfg: DictConfig) -> Path:
    return Path(str(cfg.output_dir)).absolute()


def submit_all(cfg: DictConfig) -> dict[str, list[dict[str, Any]]]:
    """Submit every split's missing shards as detached jobs; returns per-shard metadata."""
    splits = validate_config(cfg)
    output_dir = _output_dir(cfg)
    result_dir = cfg.runner.get("async_result_dir")
    if result_dir and Path(str(result_dir)).absolute() != output_dir:
        raise ConfigError(
            f"runner.async_result_dir={result_dir}: from the CLI, shard results live under "
            "output_dir/<split>/shards, where action=collect merges them; set output_dir=... "
            "instead (async_result_dir is for the Python API)")
    jobs: dict[str, list[dict[str, Any]]] = {}
    with OutputLock(output_dir):
        set_parallel(parallel_config(cfg, output_dir))
        try:
            for split in splits:
                specs = cfg.runner.get("async_specs_dir")
                overrides = {"async_specs_dir": Path(str(specs)).absolute() / split} if specs \
                    else {}
                runner, _, n_items = build_runner(cfg, split, output_dir / split,
                                                  index="save", **overrides)
                jobs[split] = runner(range(n_items))
        finally:
            close_parallel()
    print_submission(jobs, output_dir)
    return jobs


def print_submission(jobs: dict[str, list[dict[str, Any]]], output_dir: Path) -> None:
    """One row per split: shards submitted, done, still queued/running, job ids."""
    table = Table(title=f"espnet3-prep: detached jobs for {output_dir}")
    for name in ("split", "shards", "submitted", "done", "queued/running", "job ids"):
        table.add_column(name, justify="left" if name in ("split", "job ids") else "right")
    for split, entries in jobs.items():
        states = [e["state"] for e in entries]
        ids = sorted({str(e["job_id"]) for e in entries if e["state"] == "submitted"},
                     key=lambda i: (len(i), i))
        shown = ", ".join(ids[:6]) + (f", ... ({len(ids)} jobs)" if len(ids) > 6 else "")
        table.add_row(split, str(len(entries)), str(states.count("submitted")),
                      str(states.count("done")),
                      str(states.count("pending") + states.count("running")), shown or "-")
    Console(width=120).print(table)
    print("The jobs run detached: this shell may be closed. From any shell:\n"
          f"  progress: {command('status')}\n"
          f"  merge:    {command('collect')}\n"
          f"  resubmit missing/failed shards: {command('run')}\n"
          f"  job logs: {output_dir}/<split>/jobs/logs/")


def _splits(cfg: DictConfig, output_dir: Path) -> list[str]:
    """The configured splits, then any other split folder holding a plan."""
    try:
        configured = list(list_splits(OmegaConf.to_container(cfg.dataset, resolve=True)))
    except Exception:  # noqa: BLE001 - status must work even if the inputs moved away
        configured = []
    on_disk = sorted(path.parent.name for path in output_dir.glob(f"*/{PLAN_NAME}"))
    return configured + [s for s in on_disk if s not in configured]


def status_all(cfg: DictConfig) -> dict[str, dict[str, Any]]:
    """Print and return the status of every split."""
    output_dir = _output_dir(cfg)
    reports = {split: store_status(output_dir / split) for split in _splits(cfg, output_dir)}
    print_status(reports)
    counts = {s: sum(r["counts"].get(s, 0) for r in reports.values())
              for s in ("failed", "missing", "running", "pending")}
    if counts["failed"] or counts["missing"]:
        print(f"resubmit the failed/missing shards: {command('run', _submitted_argv(reports))}")
    elif counts["running"] or counts["pending"]:
        print(f"jobs are still working; check again with: {command('status')}")
    elif any(r["planned"] for r in reports.values()):
        print("every shard is done; merge them with: "
              f"{command('collect', _submitted_argv(reports))}")
    return reports


def _submitted_argv(reports: dict[str, dict[str, Any]]) -> list[str] | None:
    """The command line of the last CLI submission (None: use this one)."""
    for report in reports.values():
        argv = JobBook.load(JobsLayout.of(report["store"])).argv
        if argv and Path(argv[0]).name == "espnet3-prep":
            return argv
    return None


def collect_all(cfg: DictConfig) -> dict[str, dict[str, Any]]:
    """Merge every split (all or nothing); raises IncompleteShardsError naming the gaps."""
    splits = validate_config(cfg)
    output_dir = _output_dir(cfg)
    stats: dict[str, dict[str, Any]] = {}
    with OutputLock(output_dir):
        ready = []
        for split in splits:
            runner, one, n_items = build_runner(cfg, split, output_dir / split, index="load")
            ready.append((split, one, _checked_report(cfg, runner, n_items, output_dir / split)))
        incomplete = {s: r for s, _, r in ready if r["counts"]["done"] != len(r["shards"])
                      or not r["planned"]}
        if incomplete:
            print_status(incomplete)
            raise IncompleteShardsError(_missing_message(incomplete))
        for split, one, report in ready:
            stats[split] = collect_outputs(one, split, output_dir / split,
                                           list(range(len(report["shards"]))), _wall(report))
        run_tokenizer_step(cfg, splits)
    print_summary(stats, str(cfg.output_dir))
    finish_report(str(cfg.output_dir), stats)
    return stats


def _checked_report(cfg: DictConfig, runner: Any, n_items: int, split_dir: Path
                    ) -> dict[str, Any]:
    """The split's status, after checking its plan is the one this command describes."""
    _, record = shard_layout(runner.options, range(n_items),
                             int(cfg.parallel.n_workers), runner.plan_key_dict())
    path = split_dir / PLAN_NAME
    if path.exists():
        old = read_json(path)
        if old.get("plan_hash") != record["plan_hash"]:
            changes = "\n  ".join(describe_plan_change(old, record)[:20])
            raise PlanMismatchError(
                f"{split_dir} holds shards of a different plan than this command describes; "
                f"refusing to merge them.\nWhat changed:\n  {changes}\nFix: collect with the "
                f"overrides used at submission{_submission_hint(split_dir)}\nor resubmit with "
                "runner.resume=false (or a new output_dir=...)")
    return store_status(split_dir, checksums=bool(cfg.runner.get("verify", False)))


def _submission_hint(split_dir: Path) -> str:
    """``: <the collect command of the recorded submission>`` when one was recorded."""
    argv = _submitted_argv({"split": {"store": split_dir}})
    return f":\n  {command('collect', argv)}" if argv else ""


def _missing_message(incomplete: dict[str, dict[str, Any]]) -> str:
    parts = []
    for split, report in incomplete.items():
        if not report["planned"]:
            parts.append(f"{split}: never submitted")
            continue
        rows = [r for r in report["shards"] if r["state"] != "done"]
        listed = ", ".join(f"{r['shard']:05d} ({r['state']})" for r in rows[:12])
        more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
        parts.append(f"{split}: shards {listed}{more} are not done")
    argv = _submitted_argv(incomplete)
    return ("nothing was merged — " + "; ".join(parts) + ".\nResubmit the failed/missing "
            f"shards with: {command('run', argv)}\nthen wait for them ({command('status')}) "
            "and collect again.")


def _wall(report: dict[str, Any]) -> float:
    workers = [row["worker"] for row in report["shards"] if row.get("worker")]
    if not workers:
        return 0.0
    return max(float(w["updated"]) for w in workers) - min(float(w["started"]) for w in workers)
