"""Synthetic corpora in their real layouts (tools/synth_corpora.py) and prepared runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.prep.helpers import REPO, run_cli

ROOTS = {
    "commonvoice": "commonvoice/cv-corpus-synth",
    "tedlium": "tedlium/TEDLIUM_release-3",
    "aishell": "aishell",
    "ljspeech": "ljspeech/LJSpeech-1.1",
    "mls": "mls",
}
"""Corpus -> its ``dataset.root`` under the synthesizer's output folder."""
KEEP_CASE = "cleaner.steps.4.case=keep"  # texts as the corpus writes them (lhotse's too)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All five corpora, synthesized once per session (~5 s)."""
    out = tmp_path_factory.mktemp("corpora")
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "synth_corpora.py"),
                           "--out", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr} (bash tools/install_debs.sh)"
    return out


def corpus_args(synth: Path, name: str) -> list[str]:
    """The CLI overrides selecting corpus ``name`` (all its splits)."""
    args = [f"dataset={name}", f"dataset.root={synth / ROOTS[name]}"]
    if name == "ljspeech":
        args.append("dataset.text=raw")
    return args


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
