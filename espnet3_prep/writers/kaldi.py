"""Kaldi / ESPnet2 data dir: wav.scp, text, utt2spk, spk2utt, utt2dur, utt2num_frames,
feats.scp — all sorted in C-locale order by key, as Kaldi's validate_data_dir requires."""

from __future__ import annotations

from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from espnet3_prep.shards import atomic_open

BASE_FILES = ("wav.scp", "text", "utt2spk", "utt2dur")
FEATURE_FILES = ("utt2num_frames", "feats.scp")


class KaldiDirWriter:
    """Streams rows (sorted by utt_id) into a Kaldi data dir; spk2utt on close."""

    def __init__(self, directory: Path, stack: ExitStack, with_feats: bool) -> None:
        self.directory = directory
        names = BASE_FILES + (FEATURE_FILES if with_feats else ())
        self.handles = {name: stack.enter_context(atomic_open(directory / name))
                        for name in names}
        self.spk2utt: dict[str, list[str]] = defaultdict(list)

    def add(self, row: dict[str, Any]) -> None:
        """One kept utterance."""
        utt = row["utt_id"]
        speaker = row.get("speaker") or utt
        self.handles["wav.scp"].write(f"{utt} {wav_entry(row)}\n")
        self.handles["text"].write(f"{utt} {row['text']}\n")
        self.handles["utt2spk"].write(f"{utt} {speaker}\n")
        self.handles["utt2dur"].write(f"{utt} {row['duration']:.3f}\n")
        if "feats" in row and "feats.scp" in self.handles:
            self.handles["feats.scp"].write(f"{utt} {row['feats']}\n")
            self.handles["utt2num_frames"].write(f"{utt} {row['num_frames']}\n")
        self.spk2utt[speaker].append(utt)

    def finish(self) -> None:
        """Write spk2utt (speakers sorted, utterances in utt order)."""
        with atomic_open(self.directory / "spk2utt") as handle:
            for speaker in sorted(self.spk2utt):
                handle.write(f"{speaker} {' '.join(self.spk2utt[speaker])}\n")


def wav_entry(row: dict[str, Any]) -> str:
    """A wav.scp value: the file, or Kaldi's sox pipe for speed-perturbed copies."""
    if row.get("speed"):
        return f"sox {row['audio']} -t wav - speed {row['speed']:g} |"
    return str(row["audio"])
