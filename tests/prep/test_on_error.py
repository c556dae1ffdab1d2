"""``runner.on_error`` and ``runner.max_failures`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli
from tests.matrix import record

FAILING = ("runner._target_=tests.prep.slow.FailingPrepRunner", "runner.shard_size=4",
           "dataset.splits=[train-clean-5]")


def test_record_is_the_default(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", *FAILING)
    assert proc.returncode == 0, proc.stderr
    errors = [json.loads(x) for x in (out / "train-clean-5" / "errors.jsonl").open()]
    assert errors and all(e["utt_id"].endswith("-0002") for e in errors)
    assert "simulated decoder crash" in errors[0]["error"]
    assert "Traceback" in errors[0]["traceback"] or "RuntimeError" in errors[0]["traceback"]
    stats = json.loads((out / "train-clean-5" / "stats.json").read_text())
    assert stats["failed"] == len(errors) and stats["kept"] + stats["failed"] == stats["inputs"]
    record("item raises (on_error=record)", "recorded in errors.jsonl", "run goes on")


def test_raise_stops_at_once_keeping_finished_shards(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", *FAILING, "runner.on_error=raise")
    assert proc.returncode == 6
    assert "simulated decoder crash" in proc.stderr and "-0002" in proc.stderr
    assert not list(out.glob("*/shards/.*"))
    assert all((d / "DONE").exists() for d in out.glob("*/shards/[0-9]*"))
    record("item raises (on_error=raise)", "exit 6 naming the item", "finished shards kept")


def test_failure_budget(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", *FAILING, "runner.max_failures=1")
    assert proc.returncode == 5
    assert "runner.max_failures=1" in proc.stderr
    record("failures beyond runner.max_failures", "exit 5 with a summary",
           "finished shards kept")


def test_a_backend_failure_is_one_clear_line_and_exit_9(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", "runner._target_=tests.prep.slow.DyingPrepRunner",
                   "runner.shard_size=4", "dataset.splits=[train-clean-5]",
                   "parallel=submitit_local", "parallel.options.job_retries=0")
    assert proc.returncode == 9, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "espnet3-prep: error:" in line]
    assert len(errors) == 1 and "were lost with 1 jobs" in errors[0], proc.stderr
    assert "rerun the same command to resume" in proc.stderr
    record("a worker process killed (submitit, no job retries left)",
           "exit 9, one line naming the lost shards", "finished shards kept")
