"""Silent corruption is detected: DONE markers and collected.json record the size and
checksum of every file written; ``action=verify`` names what changed; a rerun redoes only
the damaged shards (sizes always, checksums with ``runner.verify=true``) and gives the
bytes of a clean run."""

from __future__ import annotations

import json
from pathlib import Path

from espnet3_prep.driver.status import store_status
from espnet3_prep.storage.shards import ShardStore
from tests.helpers import SHARD_SIZE, book, output_bytes, run_cli, wait_for
from tests.matrix import record


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _markers(split: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in sorted(split.glob("shards/*/DONE"))}


def test_flipped_bytes_are_named_by_verify_and_repaired_by_a_rerun(
        tmp_path: Path, reference_bytes: dict[str, bytes]) -> None:
    out = tmp_path / "exp"
    assert run_cli(f"output_dir={out}", SHARD_SIZE).returncode == 0
    clean = run_cli(f"output_dir={out}", "action=verify")
    assert clean.returncode == 0 and "DAMAGED" not in clean.stdout, clean.stdout + clean.stderr
    split = out / "train-clean-5"
    before = _markers(split)
    _flip_byte(split / "shards" / "00001" / "feats.ark", 100)  # same size: checksum only
    results = split / "shards" / "00002" / "results.jsonl"
    _flip_byte(results, results.read_bytes().index(b'"text": "') + 10)  # still valid JSON
    _flip_byte(split / "text", 3)  # a merged file

    found = run_cli(f"output_dir={out}", "action=verify")
    assert found.returncode == 10, found.stderr
    assert "train-clean-5: shards 00001, 00002" in found.stderr
    assert "runner.verify=true" in found.stderr
    assert "00001/feats.ark: content changed" in found.stdout
    assert f"merged {split / 'text'}: content changed" in found.stdout

    sizes_only = run_cli(f"output_dir={out}", SHARD_SIZE)  # same sizes: not noticed
    assert sizes_only.returncode == 0 and _markers(split) == before
    repaired = run_cli(f"output_dir={out}", SHARD_SIZE, "runner.verify=true")
    assert repaired.returncode == 0, repaired.stderr
    assert "shard 00001 is damaged, rerunning it" in repaired.stderr
    after = _markers(split)
    assert {k for k in before if after[k] != before[k]} == {"00001", "00002"}  # only those
    assert output_bytes(out) == reference_bytes
    assert run_cli(f"output_dir={out}", "action=verify").returncode == 0
    record("silent corruption (one byte flipped in a shard and a merged file)",
           "action=verify names them (exit 10)", "runner.verify=true rerun redoes only them")


def test_a_shard_whose_size_changed_is_redone_without_asking(
        tmp_path: Path, reference_bytes: dict[str, bytes]) -> None:
    out = tmp_path / "exp"
    assert run_cli(f"output_dir={out}", SHARD_SIZE).returncode == 0
    results = out / "dev-clean-2" / "shards" / "00000" / "results.jsonl"
    results.write_bytes(results.read_bytes()[:-7])
    store = ShardStore(out / "dev-clean-2")
    plan_hash = store.read_plan()["plan_hash"]
    assert store.done_marker(0, plan_hash) is None  # not done: collect would refuse it
    rerun = run_cli(f"output_dir={out}", SHARD_SIZE)
    assert rerun.returncode == 0 and "shard 00000 is damaged" in rerun.stderr
    assert output_bytes(out) == reference_bytes


def test_markers_without_checksums_still_count_as_done(tmp_path: Path) -> None:
    store = ShardStore(tmp_path)
    tmp = store.begin(0)
    (tmp / "results.jsonl").write_text('{"utt_id": "a"}\n')
    (tmp / "parts").mkdir()
    (tmp / "parts" / "a.npy").write_bytes(b"12")  # files in a subfolder are recorded too
    store.commit(0, tmp, {"plan_hash": "p"})
    marker = json.loads(store.marker_path(0).read_text())
    assert marker["files"]["results.jsonl"]["size"] == 16
    (store.shard_dir(0) / "parts" / "a.npy").write_bytes(b"13")
    assert store.done_marker(0, "p") == marker  # same size: only checksums see it
    assert store.done_marker(0, "p", checksums=True) is None
    legacy = {k: v for k, v in marker.items() if k != "files"}  # written by 0.1 before this
    store.marker_path(0).write_text(json.dumps(legacy))
    (store.shard_dir(0) / "results.jsonl").write_text("changed\n")
    assert store.done_marker(0, "p", checksums=True) == legacy


def test_collect_with_verify_refuses_a_damaged_shard_of_a_detached_run(
        tmp_path: Path, reference_bytes: dict[str, bytes]) -> None:
    out, dev = tmp_path / "exp", "dataset.splits=[dev-clean-2]"
    split = out / "dev-clean-2"
    submit = (f"output_dir={out}", dev, SHARD_SIZE, "parallel=local", "runner.async_mode=true")
    collect = (f"output_dir={out}", dev, SHARD_SIZE, "action=collect")

    def submit_and_wait(*extra: str) -> None:
        proc = run_cli(*submit, *extra)
        assert proc.returncode == 0, proc.stderr
        wait_for(lambda: store_status(split)["counts"]["done"] == 3, 120, "the jobs")

    submit_and_wait()
    _flip_byte(split / "shards" / "00001" / "feats.ark", 100)  # same size
    refused = run_cli(*collect, "runner.verify=true")
    assert refused.returncode == 8, refused.stderr
    assert "files changed since written" in refused.stdout and "00001" in refused.stderr
    jobs = len(book(split)["jobs"])
    submit_and_wait("runner.verify=true")
    assert [j["shards"] for j in book(split)["jobs"].values()][jobs:] == [[1]]  # only it
    assert run_cli(*collect).returncode == 0
    assert output_bytes(out) == {k: v for k, v in reference_bytes.items()
                                 if k.startswith("dev-clean-2/")}
