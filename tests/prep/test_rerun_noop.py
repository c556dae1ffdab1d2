"""A rerun of a finished output merges nothing again (issue 12: resume at scale), and a
shard committed again (here: rerun after its marker was lost) makes it merge again."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import output_bytes, run_cli


def _mtimes(split_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in split_dir.iterdir() if p.is_file()}


def test_rerun_of_a_finished_output_skips_the_merge(tmp_path: Path) -> None:
    args = (f"output_dir={tmp_path}", "dataset.splits=[dev-clean-2]", "feature=none",
            "runner.shard_size=4")
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    split = tmp_path / "dev-clean-2"
    before, written = output_bytes(tmp_path), _mtimes(split)
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    assert "resuming: 3 of 3 shards already done" in again.stderr
    assert _mtimes(split) == written  # nothing rewritten
    assert output_bytes(tmp_path) == before
    (split / "shards" / "00001" / "DONE").unlink()  # that shard runs again
    third = run_cli(*args)
    assert third.returncode == 0, third.stderr
    assert _mtimes(split)["manifest.jsonl"] != written["manifest.jsonl"]  # merged again
    assert output_bytes(tmp_path) == before
    merged = _mtimes(split)["manifest.jsonl"]
    relative = run_cli(*args, "paths=relative")  # same shards, other path mode: merged again
    assert relative.returncode == 0, relative.stderr
    assert _mtimes(split)["manifest.jsonl"] != merged
