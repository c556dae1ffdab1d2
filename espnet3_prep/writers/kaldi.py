"""Kaldi / ESPnet2 data dir: wav.scp, text, utt2spk, spk2utt, utt2dur, utt2num_frames,
feats.scp — all sorted in C-locale order by key, as Kaldi's validate_data_dir requires."""

from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from espnet3_prep.storage.files import AtomicBatch, atomic_open
from espnet3_prep.writers.recordings import RecordingIds

log = logging.getLogger(__name__)
BASE_FILES = ("wav.scp", "text", "utt2spk", "utt2dur")
FEATURE_FILES = ("utt2num_frames", "feats.scp")


class SegmentedRows(Exception):
    """A row cut from a longer recording arrived in a whole-file data dir: rewrite the
    dir with a ``segments`` file (the files are atomic and not yet committed)."""


class KaldiDirWriter:
    """Streams rows (sorted by utt_id) into a Kaldi data dir; spk2utt on close.

    Whole-file rows give ``wav.scp`` keyed by utterance. With ``segmented=True`` every
    row also gets a ``segments`` line and ``wav.scp`` is keyed by recording (written,
    sorted, at the end; ids from :class:`~espnet3_prep.writers.recordings.RecordingIds`,
    times scaled for speed-perturbed copies as Kaldi's perturb_data_dir_speed.sh does).
    ``spk2gender`` is written when every speaker has an m/f gender (Kaldi's rule).
    """

    def __init__(self, directory: Path, stack: ExitStack, with_feats: bool,
                 segmented: bool = False, feats_scp: bool = True,
                 num_samples: bool = False, *, batch: AtomicBatch | None = None) -> None:
        self.directory = directory
        self.batch = batch
        names = BASE_FILES + (FEATURE_FILES if with_feats else ())
        names += ("utt2num_samples",) if num_samples else ()  # feature=raw (ESPnet2)
        if not feats_scp:  # e.g. lilcom archives: kaldiio cannot read them
            names = tuple(n for n in names if n != "feats.scp")
        if segmented:
            names = tuple(n for n in names if n != "wav.scp") + ("segments",)
        self.handles = {name: stack.enter_context(atomic_open(directory / name, batch=batch))
                        for name in names}
        self.segmented = segmented
        self.recordings: dict[str, str] = {}
        self.ids = RecordingIds()
        self.spk2utt: dict[str, bytearray] = defaultdict(bytearray)
        """Per speaker, ``" <utt>"`` for each of its utterances (bytes: a str per id held
        to the end costs ~70 B per utterance, 20 MB for LibriSpeech-960)."""
        self.spk2gender: dict[str, str] = {}

    def add(self, row: dict[str, Any]) -> None:
        """One kept utterance."""
        utt = row["utt_id"]
        speaker = row.get("speaker") or utt
        self._add_audio(utt, row)
        text = str(row["text"]).replace("\r", " ").replace("\n", " ")  # one line per utt
        self.handles["text"].write(f"{utt} {text}\n")
        self.handles["utt2spk"].write(f"{utt} {speaker}\n")
        self.handles["utt2dur"].write(f"{utt} {row['duration']:.3f}\n")
        if "utt2num_samples" in self.handles:
            self.handles["utt2num_samples"].write(f"{utt} {row['num_samples']}\n")
        if "feats" in row and "utt2num_frames" in self.handles:
            if "feats.scp" in self.handles:
                self.handles["feats.scp"].write(f"{utt} {row['feats']}\n")
            self.handles["utt2num_frames"].write(f"{utt} {row['num_frames']}\n")
        self.spk2utt[speaker] += b" " + str(utt).encode("utf-8", "surrogatepass")
        gender = kaldi_gender(row.get("gender"))
        if gender is not None:
            self.spk2gender[speaker] = gender

    def _add_audio(self, utt: str, row: dict[str, Any]) -> None:
        if not self.segmented:
            if row.get("segment") is not None:
                raise SegmentedRows(utt)
            self.handles["wav.scp"].write(f"{utt} {wav_entry(row)}\n")
            return
        speed = float(row.get("speed") or 1.0)
        recording = self.ids.id_for(row)
        start = float(row["segment"][0]) / speed if row.get("segment") else 0.0
        end = start + float(row["duration"])  # what was read, if the file is shorter
        self.recordings[recording] = wav_entry({**row, "segment": None})
        self.handles["segments"].write(f"{utt} {recording} {start:.3f} {end:.3f}\n")

    def finish(self) -> None:
        """Write spk2utt (speakers sorted, utterances in utt order), and wav.scp by
        recording and spk2gender when there are any."""
        with atomic_open(self.directory / "spk2utt", batch=self.batch) as handle:
            for speaker in sorted(self.spk2utt):
                utts = self.spk2utt[speaker].decode("utf-8", "surrogatepass")
                handle.write(f"{speaker}{utts}\n")
        if self.segmented:
            with atomic_open(self.directory / "wav.scp", batch=self.batch) as handle:
                for recording in sorted(self.recordings):
                    handle.write(f"{recording} {self.recordings[recording]}\n")
        gender_file = self.directory / "spk2gender"
        if self.spk2gender and len(self.spk2gender) < len(self.spk2utt):
            log.info("%s: no spk2gender (Kaldi needs m/f for every speaker; %d of %d have "
                     "one)", self.directory, len(self.spk2gender), len(self.spk2utt))
        if self.spk2gender and len(self.spk2gender) == len(self.spk2utt):
            with atomic_open(gender_file, batch=self.batch) as handle:
                for speaker in sorted(self.spk2gender):
                    handle.write(f"{speaker} {self.spk2gender[speaker]}\n")
        elif gender_file.exists():
            gender_file.unlink()
        if not self.segmented and (self.directory / "segments").exists():
            (self.directory / "segments").unlink()


def kaldi_gender(value: Any) -> str | None:
    """``m``/``f`` for the usual spellings (M, F, male, female), else None."""
    text = str(value or "").strip().lower()
    return {"m": "m", "male": "m", "f": "f", "female": "f"}.get(text)


def wav_entry(row: dict[str, Any]) -> str:
    """A wav.scp value: the file, or Kaldi's sox pipe for a picked channel
    (``remix``, 1-based) and for speed-perturbed copies (``speed``)."""
    effects = []
    if row.get("channel") is not None:
        effects.append(f"remix {int(row['channel']) + 1}")
    if row.get("speed"):
        effects.append(f"speed {row['speed']:g}")
    if effects:
        return f"sox {row['audio']} -t wav - {' '.join(effects)} |"
    return str(row["audio"])
