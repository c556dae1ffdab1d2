"""Synthetic corpora in their real layouts (tools/synth_corpora.py) and prepared runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.corpora.corpora import KEEP_CASE, corpus_args
from tests.helpers import REPO, run_cli


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All five corpora, synthesized once per session (~5 s)."""
    out = tmp_path_factory.mktemp("corpora")
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "synth_corpora.py"),
                           "--out", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr} (bash tools/install_debs.sh)"
    return out


@pytest.fixture(scope="session")
def prepared(synth: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Callable[[str], Path]:
    """``prepared(name)``: the output dir of an in-process fbank run (cached)."""
    done: dict[str, Path] = {}

    def prepare(name: str) -> Path:
        if name not in done:
            out = tmp_path_factory.mktemp(f"run_{name}") / "exp"
            proc = run_cli(*corpus_args(synth, name), f"output_dir={out}", KEEP_CASE,
                           "runner.shard_size=3", "runner.progress=false")
            assert proc.returncode == 0, proc.stderr
            done[name] = out
        return done[name]

    return prepare
