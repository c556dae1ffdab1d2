"""``make -C recipes/<corpus> prep ROOT=...`` as a user runs it (shared recipes/corpus.mk)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from espnet3_prep.datadir import check_data_dir
from tests.corpora.corpora import ROOTS
from tests.helpers import REPO, cli_env


def make(recipe: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``make -C recipes/<recipe> ARGS`` with this venv's tools."""
    return subprocess.run(["make", "-s", "-C", str(REPO / "recipes" / recipe),
                           f"BIN={Path(sys.executable).parent}", *args], capture_output=True,
                          text=True, timeout=300, check=False, env=cli_env())


def test_tedlium_recipe(synth: Path, tmp_path: Path) -> None:
    where = [f"EXP={tmp_path / 'exp'}", f"DATA={tmp_path / 'data'}"]
    proc = make("tedlium", "prep", f"ROOT={synth / ROOTS['tedlium']}", "PARALLEL=none",
                "SPLITS=train,dev", "ARGS=feature=none runner.progress=false", *where)
    assert proc.returncode == 0, proc.stderr
    for split, count in (("train", 5), ("dev", 2)):
        data = tmp_path / "data" / split
        assert check_data_dir(data) == [], split
        assert len((data / "segments").read_text().splitlines()) == count
    assert "<unk>" in (tmp_path / "data" / "train" / "text").read_text()  # case kept
    assert not (tmp_path / "data" / "test").exists()


def test_recipe_without_root_says_what_to_set() -> None:
    proc = make("commonvoice", "prep")
    assert proc.returncode == 2 and "set ROOT=/path/to/commonvoice" in proc.stderr
