"""Disk full mid-run (a real 700 KB tmpfs): clear error, done shards intact, then resume."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import kaldiio
import pytest

from tests.helpers import output_bytes, run_cli
from tests.matrix import record


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=700k", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_then_resume(small_disk: Path, tmp_path: Path) -> None:
    out = small_disk / "exp"
    args = ("runner.shard_size=4", "dataset.splits=[train-clean-5]")
    proc = run_cli(f"output_dir={out}", *args)
    assert proc.returncode == 7, proc.stderr
    assert "No space left on device" in proc.stderr and "rerun the same command" in proc.stderr
    assert not list(out.glob("*/shards/.*")), "a partial attempt was left behind"
    done = sorted(out.glob("*/shards/*/DONE"))
    for marker in done:  # every shard that counts as done is complete and readable
        ark = marker.parent / "feats.ark"
        assert len(dict(kaldiio.load_ark(str(ark)))) == marker.parent.joinpath(
            "results.jsonl").read_text().count("\n")
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    rerun = run_cli(f"output_dir={out}", *args)
    assert rerun.returncode == 0, rerun.stderr
    reference = tmp_path / "ref"
    assert run_cli(f"output_dir={reference}", *args).returncode == 0
    assert output_bytes(out) == output_bytes(reference)
    record("disk full mid-run", "exit 7, clear message", f"{len(done)} done shards intact; "
           "resume byte-identical")
