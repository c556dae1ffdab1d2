"""``paths=relative`` for issue 15's outputs: raw-dump files, ``.npy`` and ``.lca`` pointers
and the WebDataset rows name files relative to the split folder, so a moved output reads."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import soundfile

from espnet3_prep.writers.paths import old_split_dirs, rewrite_row, split_path
from tests.helpers import run_cli


def _rows(split: Path) -> dict[str, dict]:
    return {r["utt_id"]: r for r in map(json.loads, (split / "manifest.jsonl").open())}


def _pairs(path: Path) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in path.read_text().splitlines())


def _tar_rows(split: Path) -> dict[str, tuple[dict, np.ndarray | None]]:
    """utt_id -> (the ``.json`` row, the ``.feats.npy`` matrix) of every WebDataset part."""
    found: dict[str, tuple[dict, np.ndarray | None]] = {}
    for part in sorted((split / "webdataset").glob("*.tar")):
        with tarfile.open(part) as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
        for name, data in members.items():
            if name.endswith(".json"):
                row = json.loads(data)
                npy = members.get(name.removesuffix(".json") + ".feats.npy")
                found[row["utt_id"]] = (row, None if npy is None else np.load(io.BytesIO(npy)))
    return found


def _moved(tmp: Path, name: str, *overrides: str) -> Path:
    """Run with ``paths=relative``, then ``mv`` the whole output elsewhere."""
    out = tmp / f"{name}-written"
    proc = run_cli(f"output_dir={out}", "paths=relative", "export=[webdataset]",
                   "runner.shard_size=3", *overrides)
    assert proc.returncode == 0, proc.stderr
    shutil.move(str(out), tmp / name)
    return tmp / name


def test_relative_raw_dump_npy_and_webdataset_rows_read_after_a_move(
        tmp_path: Path, mini_root: Path) -> None:
    npy = _moved(tmp_path, "npy", "dataset.splits=[dev-clean-2]", "feature.storage=npy")
    split = npy / "dev-clean-2"
    rows, tars, scp = _rows(split), _tar_rows(split), _pairs(split / "feats.scp")
    assert rows and sorted(tars) == sorted(rows) == sorted(scp)
    for utt, row in rows.items():
        assert row["feats"] == scp[utt] and row["feats"].startswith("shards/")
        assert Path(row["audio"]).is_absolute()  # the corpus does not move with the output
        tar_row, tar_feats = tars[utt]
        assert (tar_row["feats"], tar_row["audio"]) == (row["feats"], row["audio"])
        np.testing.assert_array_equal(np.load(split / row["feats"]), tar_feats)

    flacs = sorted(mini_root.glob("dev-clean-2/*/*/*.flac"))[:2]
    data = tmp_path / "kaldi" / "set"
    data.mkdir(parents=True)
    (data / "wav.scp").write_text(f"r1 {flacs[0]}\nr2 {flacs[1]}\n")
    (data / "segments").write_text("r1-a r1 0.0 1.0\nr2-a r2 0.5 1.5\n")
    (data / "text").write_text("r1-a ONE\nr2-a TWO\n")
    (data / "utt2spk").write_text("r1-a s1\nr2-a s2\n")
    raw = _moved(tmp_path, "raw", "dataset=kaldi", f"dataset.path={data}", "feature=raw",
                 "dataset.speed_perturb=[0.9,1.0]") / "set"
    rows, tars = _rows(raw), _tar_rows(raw)
    wav, lengths = _pairs(raw / "wav.scp"), _pairs(raw / "utt2num_samples")
    assert sorted(wav) == sorted(rows) == sorted(tars) == ["r1-a", "r2-a", "sp0.9-r1-a",
                                                             "sp0.9-r2-a"]
    for utt, path in wav.items():
        assert path == rows[utt]["audio"] == tars[utt][0]["audio"]
        assert path.startswith("shards/") and path.endswith(f"/{utt}.flac")
        audio, rate = soundfile.read(raw / path, dtype="int16")
        assert (rate, len(audio)) == (16000, int(lengths[utt]))

    lilcom = "/o/dev/shards/00002/feats.lca:0,96,90"  # lhotse's chunk offsets
    assert split_path(lilcom, "ark") == ("/o/dev/shards/00002/feats.lca", ":0,96,90")
    assert rewrite_row({"feats": lilcom}, Path("/o/dev"), "relative")["feats"] == (
        "shards/00002/feats.lca:0,96,90")
    assert old_split_dirs([{"feats": lilcom}, {"audio": "/p/x/shards/00001/u.flac",
                                               "source": {}}]) == {"/o/dev", "/p/x"}
