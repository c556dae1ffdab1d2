#!/usr/bin/env python3
"""Synthetic corpora in the real layouts of Common Voice, TED-LIUM 3, AISHELL-1, LJSpeech
and MLS, spoken offline by ``espeak-ng`` and converted by ``sox`` (MP3 for Common Voice,
NIST SPHERE for TED-LIUM, 22.05 kHz WAV for LJSpeech, FLAC for MLS).

Usage::

    python tools/synth_corpora.py --out /tmp/corpora [--corpora commonvoice,tedlium,...]

writes ``OUT/commonvoice/cv-corpus-synth/en/...``, ``OUT/tedlium/TEDLIUM_release-3/legacy/...``,
``OUT/aishell/data_aishell/...``, ``OUT/ljspeech/LJSpeech-1.1/...``, ``OUT/mls/mls_english/...``.
Each corpus holds its real edge cases (see ``tools/synth_layouts.py``). Deterministic for the
same espeak-ng/sox versions. Needs ``espeak-ng``, ``sox`` and ``libsox-fmt-mp3``
(``tools/install_debs.sh``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import synth_layouts  # noqa: E402  (a sibling module of this script)

TOOLS = ("espeak-ng", "sox")


class Speaker:
    """Turns text into an audio file with espeak-ng + sox."""

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.count = 0

    def say(self, text: str, out: Path, *, voice: str = "en", rate: int = 16000,
            speed: int = 170, pitch: int = 50, pad_s: float = 0.0) -> Path:
        """Speak ``text`` into ``out`` (format from its suffix), ``rate`` Hz mono 16-bit."""
        self.count += 1
        raw = os.path.join(self.workdir, f"{self.count}.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                        "-w", raw, text], check=True, capture_output=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        effects = ["rate", "-h", str(rate)]
        if pad_s:
            effects += ["pad", "0", str(pad_s)]
        bits = [] if out.suffix == ".mp3" else ["-b", "16"]
        subprocess.run(["sox", "-D", raw, *bits, "-c", "1", str(out), "gain", "-n", "-3",
                        *effects], check=True, capture_output=True)
        return out

    def concat(self, parts: list[Path], out: Path, gap_s: float) -> None:
        """Join WAV parts with ``gap_s`` seconds of silence between them."""
        padded = []
        for i, part in enumerate(parts):
            tmp = os.path.join(self.workdir, f"pad{self.count}_{i}.wav")
            subprocess.run(["sox", str(part), tmp, "pad", "0", str(gap_s)], check=True,
                           capture_output=True)
            padded.append(tmp)
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["sox", *padded, "-b", "16", str(out)], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    """Write the requested corpora under ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--corpora", default=",".join(synth_layouts.WRITERS))
    args = parser.parse_args(argv)
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"error: missing {', '.join(missing)} — run: bash tools/install_debs.sh",
              file=sys.stderr)
        return 2
    names = [n for n in args.corpora.split(",") if n]
    unknown = [n for n in names if n not in synth_layouts.WRITERS]
    if unknown:
        print(f"error: unknown corpus {unknown[0]!r} — valid: "
              f"{', '.join(synth_layouts.WRITERS)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as workdir:
        speaker = Speaker(workdir)
        for name in names:
            target = args.out / name
            shutil.rmtree(target, ignore_errors=True)
            root = synth_layouts.WRITERS[name](speaker, target)
            print(f"{name}: {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
