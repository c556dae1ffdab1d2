"""Running the real ``espnet3-prep`` console script and comparing output trees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("espnet3-prep"))
REPO = Path(__file__).resolve().parents[2]
SPLIT_FILES = ("manifest.jsonl", "feats.scp", "wav.scp", "text", "utt2spk", "spk2utt",
               "utt2dur", "utt2num_frames", "feats_stats.npz", "dropped.jsonl", "errors.jsonl")


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for CLI subprocesses: test modules importable (runner._target_)."""
    env = dict(os.environ, PYTHONPATH=str(REPO), **extra)
    return env


def run_cli(*overrides: str, cwd: Path | None = None, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run espnet3-prep with Hydra overrides; never raises on a non-zero exit."""
    return subprocess.run([CLI, *overrides], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, check=False, env=env or cli_env())


def start_cli(*overrides: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start espnet3-prep in the background (for interrupt tests)."""
    return subprocess.Popen([CLI, *overrides], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or cli_env())


def output_bytes(out_dir: Path) -> dict[str, bytes]:
    """Every split output and shard ark, with the output dir prefix normalised."""
    files: dict[str, bytes] = {}
    prefix = str(out_dir).encode()
    for split_dir in sorted(p for p in out_dir.iterdir() if (p / "plan.json").exists()):
        for name in SPLIT_FILES:
            path = split_dir / name
            if path.exists():
                files[f"{split_dir.name}/{name}"] = path.read_bytes().replace(prefix, b"OUT")
        for ark in sorted(split_dir.glob("shards/*/feats.ark")):
            files[str(ark.relative_to(out_dir))] = ark.read_bytes()
    return files
