"""``dataset=hf``: a DatasetDict written by ``datasets`` (audio as paths and as bytes) and
Hub-style parquet files, prepared without ``datasets`` at run time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

datasets = pytest.importorskip("datasets")


def _columns(flacs: list[Path], audio: list) -> dict[str, list]:
    return {"audio": audio, "sentence": [f"utterance number {i}" for i in range(len(flacs))],
            "id": [f.stem for f in flacs], "speaker": [f.stem.split("_")[0] for f in flacs],
            "gender": ["female" if i % 2 else "male" for i in range(len(flacs))]}


@pytest.fixture(scope="module")
def hf_root(synth: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train: audio as paths; validation: the same clips embedded as bytes; + parquet."""
    flacs = sorted((synth / "mls").glob("mls_english/*/audio/*/*/*.flac"))
    audio = datasets.Audio(decode=False)
    as_paths = datasets.Dataset.from_dict(_columns(flacs, [str(f) for f in flacs]))
    embedded = [{"bytes": f.read_bytes(), "path": None} for f in flacs]
    as_bytes = datasets.Dataset.from_dict(_columns(flacs, embedded))
    root = tmp_path_factory.mktemp("hf")
    ddict = datasets.DatasetDict({"train": as_paths.cast_column("audio", audio),
                                  "validation": as_bytes.cast_column("audio", audio)})
    ddict.save_to_disk(str(root / "dict"))
    (root / "hub" / "data").mkdir(parents=True)
    ddict["validation"].to_parquet(str(root / "hub" / "data" / "test-00000-of-00001.parquet"))
    return root


def _prepare(root: Path, out: Path, *extra: str) -> dict[str, dict[str, dict]]:
    proc = run_cli("dataset=hf", f"dataset.root={root}", "dataset.text_column=sentence",
                   "dataset.id_column=id", "dataset.speaker_column=speaker",
                   "dataset.gender_column=gender", f"output_dir={out}", "runner.shard_size=4",
                   "runner.progress=false", *extra)
    assert proc.returncode == 0, proc.stderr
    return {path.parent.name: {r["utt_id"]: r for r in map(json.loads, path.open())}
            for path in out.glob("*/manifest.jsonl")}


def test_paths_and_bytes(hf_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    splits = _prepare(hf_root / "dict", out)
    train, valid = splits["train"], splits["validation"]
    assert set(train) == set(valid) and len(train) == 7
    for utt_id, row in train.items():
        assert row["text"].startswith("UTTERANCE NUMBER") and row["gender"] in ("m", "f")
        assert row["speaker"] == utt_id.split("_")[0]
        assert row["audio"].endswith(f"/{utt_id}.flac")  # read in place
        copy = Path(valid[utt_id]["audio"])
        assert copy.parent.name == "audio" and copy.parent.parent.parent.name == "shards"
        assert copy.is_relative_to(out / "validation") and copy.suffix == ".flac"
        assert copy.read_bytes() == Path(row["audio"]).read_bytes()  # stored as it was
        assert valid[utt_id]["num_frames"] == row["num_frames"]
    scp = (out / "validation" / "wav.scp").read_text()
    assert str(out / "validation" / "shards") in scp


def test_parquet_and_backend_identity(hf_root: Path, tmp_path: Path) -> None:
    ref = _prepare(hf_root / "hub", tmp_path / "ref")
    local = _prepare(hf_root / "hub", tmp_path / "local", "parallel=local",
                     "parallel.n_workers=1")
    assert len(ref["test"]) == 7

    def relative(rows: dict[str, dict], base: Path) -> dict[str, dict]:
        return {k: {**r, "audio": str(Path(r["audio"]).relative_to(base)),
                    "feats": r["feats"].replace(str(base), "")} for k, r in rows.items()}

    assert relative(ref["test"], tmp_path / "ref") == relative(local["test"], tmp_path / "local")
    for row in local["test"].values():
        assert Path(row["audio"]).is_file()
