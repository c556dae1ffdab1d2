"""Builders of real corpus layouts (LibriSpeech trees) in tmp dirs, shared by the dataset tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def write_flac(path: Path, seconds: float = 0.2, sr: int = 16000) -> Path:
    """A short real FLAC tone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(sr * seconds)) / sr
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr)
    return path


def write_chapter(split_dir: Path, spk: str, chapter: str, lines: dict[str, str],
                  audio: list[str] | None = None) -> Path:
    """``<split>/<spk>/<chapter>/`` with a trans.txt of ``lines`` and FLACs for ``audio``
    (default: one per transcript line)."""
    folder = split_dir / spk / chapter
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{utt} {words}\n" for utt, words in lines.items())
    (folder / f"{spk}-{chapter}.trans.txt").write_text(text, encoding="utf-8")
    for utt in lines if audio is None else audio:
        write_flac(folder / f"{utt}.flac")
    return folder


