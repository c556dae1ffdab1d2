"""Detached local jobs through the CLI on the embedded corpus, as a user runs them:
submit from a folder with a relative output_dir, poll ``action=status``, ``action=collect``;
the outputs are byte-identical to a synchronous ``parallel=none`` run. A shard whose marker
is gone (its results file truncated) is never merged and is the only one resubmitted."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from tests.helpers import SHARD_SIZE, book, cli_env, output_bytes, run_cli, wait_for

SLOW = "runner._target_=tests.prep.slow.SlowPrepRunner"  # same outputs as PrepRunner


def _status(cwd: Path) -> str:
    proc = run_cli("output_dir=exp", "action=status", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_local_detached_jobs_end_to_end(tmp_path: Path, reference_bytes: dict[str, bytes]
                                        ) -> None:
    submit = ("output_dir=exp", SHARD_SIZE, SLOW, "parallel=local", "parallel.n_workers=2",
              "runner.async_mode=true")
    gate = tmp_path / "gate"  # the jobs hold at their first item until the gate is removed
    gate.touch()
    proc = run_cli(*submit, cwd=tmp_path, env=cli_env(ESPNET3_PREP_TEST_GATE=str(gate)))
    assert proc.returncode == 0, proc.stderr
    assert "this shell may be closed" in proc.stdout and "action=status" in proc.stdout
    out = tmp_path / "exp"
    jobs = book(out / "train-clean-5")
    assert len(jobs["jobs"]) == 2 and all(j["kind"] == "local" for j in jobs["jobs"].values())
    spec = json.loads((out / "train-clean-5" / "jobs" / "specs" / "00004.json").read_text())
    assert spec["config"]["output_dir"] == str(out)  # relative on the command line
    assert spec["params"]["output_dir"] == str(out / "train-clean-5")

    early = _status(tmp_path)  # the submitting CLI has exited; the jobs keep going
    assert "running" in early or "pending" in early, early
    sync = run_cli("output_dir=exp", SHARD_SIZE, SLOW, cwd=tmp_path)  # would clean temp dirs
    assert sync.returncode == 2 and "still queued or running" in sync.stderr, sync.stderr
    gate.unlink()
    wait_for(lambda: "every shard is done" in _status(tmp_path), 90, "all shards done")
    hint = _status(tmp_path).split("merge them with: ")[1].splitlines()[0]
    assert SHARD_SIZE in hint and SLOW in hint  # the submission's overrides, not status's
    bare = run_cli("output_dir=exp", "action=collect", cwd=tmp_path)
    assert bare.returncode == 3 and hint in bare.stderr, bare.stderr  # refused, names the fix
    collect = run_cli(*shlex.split(hint)[1:], cwd=tmp_path)
    assert collect.returncode == 0, collect.stderr
    assert output_bytes(out) == reference_bytes

    # a shard without its marker (crash mid-write) is never merged, only it is resubmitted
    manifest = (out / "train-clean-5" / "manifest.jsonl").read_bytes()
    shard = out / "train-clean-5" / "shards" / "00002"
    (shard / "DONE").unlink()
    results = (shard / "results.jsonl").read_bytes()
    (shard / "results.jsonl").write_bytes(results[: len(results) // 2])
    refused = run_cli("output_dir=exp", SHARD_SIZE, SLOW, "action=collect", cwd=tmp_path)
    assert refused.returncode == 8, refused.stderr
    assert "train-clean-5: shards 00002 (failed) are not done" in refused.stderr
    assert "action=run" in refused.stderr
    assert (out / "train-clean-5" / "manifest.jsonl").read_bytes() == manifest

    rerun = run_cli(*submit, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    jobs = book(out / "train-clean-5")
    assert [j["shards"] for j in jobs["jobs"].values()] == [[0, 1, 2], [3, 4], [2]]
    assert len(book(out / "dev-clean-2")["jobs"]) == 2  # nothing resubmitted there
    wait_for(lambda: "every shard is done" in _status(tmp_path), 90, "the resubmitted shard")
    collect = run_cli("output_dir=exp", SHARD_SIZE, SLOW, "action=collect", cwd=tmp_path)
    assert collect.returncode == 0, collect.stderr
    assert output_bytes(out) == reference_bytes
