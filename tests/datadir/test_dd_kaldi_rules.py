"""Kaldi data dir rules (validate), ``combine`` and ``status`` on real run outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from espnet3_prep.datadir import DataDirError, check_data_dir, combine_data_dirs
from espnet3_prep.datadir.__main__ import main as datadir_main
from espnet3_prep.storage.status import status_lines
from tests.helpers import run_cli

SPLITS = ("dev-clean-2", "train-clean-5")


@pytest.fixture(scope="module")
def exp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("datadir") / "exp"
    proc = run_cli(f"output_dir={out}")
    assert proc.returncode == 0, proc.stderr
    return out


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("shards"))
    return dst


def test_every_split_follows_kaldi_rules(exp: Path) -> None:
    for split in SPLITS:
        assert check_data_dir(exp / split) == []


@pytest.mark.parametrize(("name", "edit", "needle"), [
    ("text", lambda lines: lines[1:2] + lines[:1] + lines[2:], "text: not sorted"),
    ("utt2spk", lambda lines: lines[:1] + lines, "utt2spk: duplicate key"),
    ("feats.scp", lambda lines: lines[1:], "feats.scp: keys differ from utt2spk"),
    ("spk2utt", lambda lines: lines[:-1], "spk2utt: does not match utt2spk"),
    ("utt2dur", lambda lines: [lines[0].split()[0] + " -1"] + lines[1:],
     "utt2dur: '4687-6310-0000' has a non-positive value"),
])
def test_each_broken_rule_is_reported(exp: Path, tmp_path: Path, name: str, edit, needle: str
                                      ) -> None:  # noqa: ANN001 - a lambda
    data = _copy(exp / "dev-clean-2", tmp_path / "d")
    lines = (data / name).read_text().splitlines()
    (data / name).write_text("\n".join(edit(lines)) + "\n")
    assert any(needle in p for p in check_data_dir(data)), check_data_dir(data)


def test_speaker_ids_must_prefix_utterance_ids(tmp_path: Path) -> None:
    (tmp_path / "wav.scp").write_text("a1 /x.wav\nb1 /y.wav\n")
    (tmp_path / "utt2spk").write_text("a1 zed\nb1 amy\n")
    (tmp_path / "spk2utt").write_text("amy b1\nzed a1\n")
    assert check_data_dir(tmp_path) == ["utt2spk: not in sorted order when sorted by speaker "
                                        "first (make speaker ids prefixes of utterance ids)"]


def test_combine_sorts_merges_and_validates(exp: Path, tmp_path: Path) -> None:
    out = tmp_path / "all"
    files = combine_data_dirs(out, [exp / s for s in reversed(SPLITS)])
    assert "spk2utt" in files and "feats.scp" in files
    keys = [line.split()[0] for line in (out / "text").read_text().splitlines()]
    assert len(keys) == 36 and keys == sorted(keys, key=str.encode)
    stats = [np.load(exp / s / "feats_stats.npz") for s in SPLITS]
    combined = np.load(out / "feats_stats.npz")
    assert int(combined["count"]) == sum(int(s["count"]) for s in stats)
    np.testing.assert_allclose(combined["sum"], stats[0]["sum"] + stats[1]["sum"])
    assert check_data_dir(out) == []


def test_combine_refuses_duplicate_ids_and_drops_partial_files(exp: Path, tmp_path: Path
                                                                ) -> None:
    with pytest.raises(DataDirError, match="is in both"):
        combine_data_dirs(tmp_path / "dup", [exp / "dev-clean-2", exp / "dev-clean-2"])
    partial = _copy(exp / "train-clean-5", tmp_path / "partial")
    (partial / "utt2num_frames").unlink()
    files = combine_data_dirs(tmp_path / "out", [exp / "dev-clean-2", partial])
    assert "utt2num_frames" not in files and not (tmp_path / "out" / "utt2num_frames").exists()


def test_cli_validate_combine_status(exp: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert datadir_main(["combine", str(tmp_path / "c"), str(exp / "dev-clean-2")]) == 0
    assert datadir_main(["validate", str(tmp_path / "c")]) == 0
    (tmp_path / "c" / "spk2utt").unlink()
    assert datadir_main(["validate", str(tmp_path / "c")]) == 1
    assert "spk2utt: missing" in capsys.readouterr().err
    lines = status_lines([exp])
    assert lines == [f"{exp / s}: 1/1 shards ({n} items), collected, kept {n}, dropped 0, "
                     "failed 0" for s, n in zip(SPLITS, (12, 24), strict=True)]
