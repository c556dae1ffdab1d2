"""The recipes run as users run them: ``make -C recipes/<name> ...`` on small corpora."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from espnet3_prep.datadir import check_data_dir
from tests.helpers import REPO, cli_env, run_cli

BIN = str(Path(sys.executable).parent)


def make(recipe: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``make -C recipes/<recipe> ARGS`` with this venv's tools."""
    return subprocess.run(["make", "-s", "-C", str(REPO / "recipes" / recipe), f"BIN={BIN}",
                           *args], capture_output=True, text=True, timeout=300, check=False,
                          env=cli_env())


def fake_librispeech(root: Path, mini_root: Path) -> Path:
    """Three train splits with distinct ids: two embedded splits and a renamed speaker."""
    root.mkdir()
    (root / "train-clean-100").symlink_to(mini_root / "train-clean-5")
    (root / "train-clean-360").symlink_to(mini_root / "dev-clean-2")
    chapter = root / "train-other-500" / "9942" / "119827"
    chapter.mkdir(parents=True)
    for flac in (mini_root / "train-clean-5" / "5942" / "119827").glob("*.flac"):
        shutil.copy(flac, chapter / flac.name.replace("5942", "9942"))
    trans = (mini_root / "train-clean-5/5942/119827/5942-119827.trans.txt").read_text()
    (chapter / "9942-119827.trans.txt").write_text(trans.replace("5942-", "9942-"))
    return root


def test_librispeech_prep_status_collect(tmp_path: Path, mini_root: Path) -> None:
    corpus = fake_librispeech(tmp_path / "LibriSpeech", mini_root)
    where = [f"EXP={tmp_path / 'exp'}", f"DATA={tmp_path / 'data'}"]
    proc = make("librispeech", "prep", f"LIBRISPEECH={corpus}", "PARALLEL=none",
                "CONFIGS=train_960", *where)
    assert proc.returncode == 0, proc.stderr
    sets = {"train_clean_100": 24, "train_clean_360": 12, "train_other_500": 4, "train_960": 40}
    for name, count in sets.items():
        data = tmp_path / "data" / name
        assert check_data_dir(data) == [], name
        assert len((data / "utt2spk").read_text().splitlines()) == count
    assert f"{tmp_path / 'data' / 'train_960'}: 40 utterances" in proc.stdout
    report = (tmp_path / "exp" / "report.html").read_text()
    assert all(split in report for split in ("train-clean-100", "train-other-500"))
    status = make("librispeech", "status", *where)
    assert status.returncode == 0 and status.stdout.count("1/1 shards") == 3
    before = (tmp_path / "data" / "train_960" / "feats.scp").read_bytes()
    assert make("librispeech", "collect", *where).returncode == 0
    assert (tmp_path / "data" / "train_960" / "feats.scp").read_bytes() == before


def test_librispeech_needs_the_corpus_path_and_configs_compose(tmp_path: Path) -> None:
    proc = make("librispeech", "prep", f"EXP={tmp_path}")
    assert proc.returncode != 0 and "set LIBRISPEECH=" in proc.stderr
    conf = str(REPO / "recipes" / "librispeech" / "conf")
    for name, splits in (("train_960", "train-other-500"), ("dev_test", "test-other"),
                         ("train_clean_100", "train-clean-100")):
        shown = run_cli("--config-dir", conf, "--config-name", name, "--cfg", "job",
                        "dataset.root=/data/LibriSpeech")
        assert shown.returncode == 0, shown.stderr
        assert "type: librispeech" in shown.stdout and f"- {splits}" in shown.stdout


@pytest.fixture(scope="module")
def generic_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("generic")
    proc = make("generic", "demo", f"EXP={tmp_path / 'exp'}", f"DATA={tmp_path / 'data'}")
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def test_generic_recipe_runs_its_own_provider_and_runner(generic_demo: Path) -> None:
    split = generic_demo / "exp" / "demo"
    (dropped,) = [json.loads(line) for line in (split / "dropped.jsonl").open()]
    assert dropped["reason"] == "implausible_speaking_rate"
    rows = [json.loads(line) for line in (split / "manifest.jsonl").open()]
    assert len(rows) == 11 and all(0 < r["chars_per_s"] < 30 for r in rows)
    assert check_data_dir(generic_demo / "data" / "demo") == []


def test_generic_recipe_reads_a_kaldi_data_dir(generic_demo: Path) -> None:
    kaldi_in = generic_demo / "corpus" / "train"
    shutil.copytree(generic_demo / "data" / "demo", kaldi_in)
    where = [f"EXP={generic_demo / 'exp2'}", f"DATA={generic_demo / 'data2'}"]
    proc = make("generic", "prep", f"KALDI_DIR={kaldi_in}", *where)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in (generic_demo / "exp2" / "train" / "manifest.jsonl")
            .open()]
    assert len(rows) == 11 and "chars_per_s" in rows[0]
    assert check_data_dir(generic_demo / "data2" / "train") == []
