"""Silent corruption in the files the storage options write (lilcom archives, one ``.npy``
per utterance, ``feature=raw`` audio dumps, shar/webdataset tar parts) and in merged files
of an output whose rerun skips the merge (``shards/COLLECTED``): ``action=verify`` names
the file, a ``runner.verify=true`` rerun repairs it, the output is a clean run's bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli

SPLIT = "dev-clean-2"
BASE = (f"dataset.splits=[{SPLIT}]", "runner.shard_size=8")
CASES = {  # overrides, (shard, file glob) of the files to damage
    "lilcom+tars": (("feature.storage=lilcom", "export=[shar,webdataset]"),
                    (("00001", "feats.lca"), ("00000", "wds.*.tar"),
                     ("00000", "shar.*.recording.tar"))),
    "npy": (("feature.storage=npy",), (("00001", "*.npy"),)),
    "raw": (("feature=raw",), (("00000", "*.flac"),)),
}
VOLATILE = {"DONE", "stats.json", "COLLECTED", "report.html"}
"""Files that hold wall times or timestamps: not compared."""


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in VOLATILE and "hydra" not in p.parts}


def _flip_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size: only the checksum can see it
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("case", sorted(CASES))
def test_storage_files_are_verified_and_repaired(tmp_path: Path, case: str) -> None:
    overrides, targets = CASES[case]
    args = (f"output_dir={tmp_path}", *BASE, *overrides)
    assert (first := run_cli(*args)).returncode == 0, first.stderr
    split = tmp_path / SPLIT
    clean = _tree(tmp_path)
    damaged = [sorted((split / "shards" / shard).glob(pattern))[0] for shard, pattern in targets]
    for path in damaged:
        _flip_middle(path)
    found = run_cli(*args, "action=verify")
    assert found.returncode == 10, found.stdout + found.stderr
    shards = sorted({p.parent.name for p in damaged})
    assert f"{SPLIT}: shards {', '.join(shards)}" in found.stderr
    for path in damaged:
        assert f"{path}: content changed" in found.stdout
    repaired = run_cli(*args, "runner.verify=true")
    assert repaired.returncode == 0, repaired.stderr
    assert _tree(tmp_path) == clean
    assert run_cli(*args, "action=verify").returncode == 0


def test_merged_files_are_repaired_by_a_rerun_that_would_skip_the_merge(
        tmp_path: Path) -> None:
    args = (f"output_dir={tmp_path}", *BASE, "feature=none", "export=[hf_dataset]")
    assert (first := run_cli(*args)).returncode == 0, first.stderr
    split = tmp_path / SPLIT
    clean = _tree(tmp_path)
    arrow = next((tmp_path / "hf_dataset").rglob("*.arrow"))  # an export outside the split
    for path in (split / "text", arrow):
        _flip_middle(path)
    found = run_cli(*args, "action=verify")
    assert found.returncode == 10, found.stdout + found.stderr
    assert f"merged {split / 'text'}: content" in found.stdout
    assert f"{arrow.name}: content changed" in found.stdout
    skipped = run_cli(*args)  # same sizes, no runner.verify: the merge is skipped
    assert skipped.returncode == 0, skipped.stderr
    assert _tree(tmp_path) != clean
    assert run_cli(*args, "runner.verify=true").returncode == 0  # checksums: merged again
    assert _tree(tmp_path) == clean
    (split / "wav.scp").write_bytes((split / "wav.scp").read_bytes()[:-3])
    assert run_cli(*args).returncode == 0  # a size differs: merged again without asking
    assert _tree(tmp_path) == clean
    assert run_cli(*args, "action=verify").returncode == 0
