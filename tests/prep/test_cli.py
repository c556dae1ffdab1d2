"""``espnet3-prep`` end to end on the embedded corpus, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import kaldiio
import numpy as np
import pytest

from tests.helpers import output_bytes, run_cli
from tests.matrix import record


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "exp"
    proc = run_cli(f"output_dir={out}", "runner.shard_size=10")
    assert proc.returncode == 0, proc.stderr
    assert "x real time" in proc.stdout and "train-clean-5" in proc.stdout
    return out


def test_outputs_per_split(default_run: Path, mini_root: Path) -> None:
    for split in ("dev-clean-2", "train-clean-5"):
        count = len(list((mini_root / split).glob("*/*/*.flac")))
        assert count >= 8
        split_dir = default_run / split
        rows = [json.loads(line) for line in (split_dir / "manifest.jsonl").open()]
        assert len(rows) == count
        assert [r["utt_id"] for r in rows] == sorted(r["utt_id"] for r in rows)
        assert list(rows[0]) == ["utt_id", "speaker", "text", "audio", "duration",
                                 "sample_rate", "num_samples", "gender", "feats", "num_frames",
                                 "feat_dim"]
        assert all(Path(r["audio"]).is_absolute() and r["feat_dim"] == 80 for r in rows)
        stats = json.loads((split_dir / "stats.json").read_text())
        assert stats["kept"] == count and stats["inputs"] == count
        assert stats["frames"] == sum(r["num_frames"] for r in rows)
    assert list((default_run / "hydra").glob("*/.hydra/config.yaml"))


def test_kaldiio_reads_every_entry_bit_exact(default_run: Path) -> None:
    split_dir = default_run / "train-clean-5"
    scp = kaldiio.load_scp(str(split_dir / "feats.scp"))
    rows = [json.loads(line) for line in (split_dir / "manifest.jsonl").open()]
    arks = {}
    for ark in split_dir.glob("shards/*/feats.ark"):
        arks.update(dict(kaldiio.load_ark(str(ark))))
    assert set(scp) == set(arks) == {r["utt_id"] for r in rows}
    for row in rows:
        feats = scp[row["utt_id"]]
        assert feats.shape == (row["num_frames"], 80) and feats.dtype == np.float32
        np.testing.assert_array_equal(feats, arks[row["utt_id"]])
        np.testing.assert_array_equal(feats, kaldiio.load_mat(row["feats"]))
    stats = np.load(split_dir / "feats_stats.npz")
    everything = np.concatenate([scp[k] for k in sorted(scp)]).astype(np.float64)
    assert int(stats["count"]) == everything.shape[0]
    np.testing.assert_allclose(stats["sum"], everything.sum(0), rtol=1e-9)
    np.testing.assert_allclose(stats["sum_square"], (everything**2).sum(0), rtol=1e-9)


def test_kaldi_data_dir_follows_kaldi_rules(default_run: Path) -> None:
    split_dir = default_run / "dev-clean-2"
    keys = {}
    for name in ("wav.scp", "text", "utt2spk", "utt2dur", "utt2num_frames", "feats.scp"):
        lines = (split_dir / name).read_text().splitlines()
        keys[name] = [line.split(" ", 1)[0] for line in lines]
        assert keys[name] == sorted(keys[name], key=lambda k: k.encode()), name
    assert len({tuple(v) for v in keys.values()}) == 1
    utt2spk = dict(line.split() for line in (split_dir / "utt2spk").read_text().splitlines())
    spk2utt = {}
    for line in (split_dir / "spk2utt").read_text().splitlines():
        spk, *utts = line.split()
        spk2utt[spk] = utts
    assert list(spk2utt) == sorted(spk2utt)
    assert {u: s for s, us in spk2utt.items() for u in us} == utt2spk


def test_rerun_is_idempotent_and_skips_done_shards(default_run: Path) -> None:
    before = output_bytes(default_run)
    proc = run_cli(f"output_dir={default_run}", "runner.shard_size=10")
    assert proc.returncode == 0, proc.stderr
    assert "already done" in proc.stderr
    assert output_bytes(default_run) == before


def test_parallel_local_is_byte_identical(default_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "dask"
    proc = run_cli(f"output_dir={out}", "runner.shard_size=10", "parallel=local",
                   "parallel.n_workers=2")
    assert proc.returncode == 0, proc.stderr
    assert output_bytes(out) == output_bytes(default_run)


def test_changed_config_is_refused_then_rebuilt(default_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    assert run_cli(f"output_dir={out}", "runner.shard_size=10").returncode == 0
    proc = run_cli(f"output_dir={out}", "runner.shard_size=10", "feature.num_mel_bins=40")
    assert proc.returncode == 3
    assert "feature.num_mel_bins: 80 -> 40" in proc.stderr
    assert "runner.resume=false" in proc.stderr
    fresh = run_cli(f"output_dir={out}", "runner.shard_size=10", "feature.num_mel_bins=40",
                    "runner.resume=false")
    assert fresh.returncode == 0, fresh.stderr
    row = json.loads((out / "dev-clean-2" / "manifest.jsonl").open().readline())
    assert row["feat_dim"] == 40
    record("resume after a config change", "exit 3 naming the change",
           "nothing mixed; runner.resume=false rebuilds")


@pytest.mark.parametrize(("overrides", "needle"), [
    (("dataset=librispeech", "dataset.root=/nonexistent/LibriSpeech"), "dataset.root"),
    (("dataset.splits=[dev-clean-9]",), "dev-clean-9"),
    (("feature.num_mel_bin=40",), "num_mel_bin"),
    (("parallel.env=kubernetes",), "parallel.env"),
    (("parallel=local", "+parallel.options.threads_per_wrker=2"), "threads_per_worker"),
    (("runner.on_error=ignore",), "runner.on_error"),
    (("runner._target_=no.such.Runner",), "runner._target_"),
    (("action=explode",), "action"),
    (("runner.item_timeout_s=-3",), "runner.item_timeout_s=-3.0: must be >= 0"),
])
def test_config_mistakes_fail_before_any_work(tmp_path: Path, overrides: tuple[str, ...],
                                              needle: str) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", *overrides)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert not out.exists(), "a refused run wrote into output_dir"


def test_shards_of_an_older_output_format_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    first = run_cli(f"output_dir={out}", "dataset.splits=[dev-clean-2]",
                    "runner.item_timeout_s=0")  # 0 = no limit
    assert first.returncode == 0, first.stderr
    plan_path = out / "dev-clean-2" / "plan.json"
    plan = json.loads(plan_path.read_text())
    del plan["key"]["output_format"]  # as written before rows gained gender/recording/channel
    plan["plan_hash"] = "0" * 64
    plan_path.write_text(json.dumps(plan))
    again = run_cli(f"output_dir={out}", "dataset.splits=[dev-clean-2]")
    assert again.returncode == 3 and "output_format" in again.stderr, again.stderr
