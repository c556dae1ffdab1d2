"""The smallest valid layout of each corpus reader, with its text input replaceable.

Each builder writes real audio (a 0.5 s tone in the corpus's container) for the ids its
default text names, the text file (``text`` or the default), and returns a
:class:`Layout`: what to pass to ``build_dataset`` or the CLI, and which lines of the text
file are items. The matrix uses the defaults as valid baselines; the input fuzz replaces
the text with hostile lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

SR = 16000
CV_HEADER = b"client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccents"


@dataclass
class Layout:
    """One corpus on disk: its config, its text input and how lines become items."""

    dataset: dict[str, Any]
    split: str
    text_file: Path
    first_item_line: int = 1
    """Lines before this are a header (Common Voice)."""
    skip_prefix: str | None = None
    """Lines whose first field starts with this are comments (STM ``;;``)."""
    lines_are_items: bool = True
    """False when the items are the audio files (AISHELL: one transcript for all splits)."""
    audio: list[Path] = field(default_factory=list)

    def overrides(self) -> list[str]:
        """The CLI overrides selecting this corpus."""
        args = [f"dataset={self.dataset['type']}", f"dataset.root={self.dataset['root']}"]
        return args + [f"dataset.splits=[{self.split}]"]


def tone(path: Path, seconds: float = 0.5, sr: int = SR) -> Path:
    """A real audio file (container from the suffix; ``.sph`` = NIST SPHERE)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wave = 0.3 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * sr)) / sr)
    fmt = "NIST" if path.suffix == ".sph" else None
    sf.write(path, wave.astype("float32"), sr, format=fmt, subtype="PCM_16")
    return path


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def commonvoice(root: Path, text: bytes | None = None) -> Layout:
    """``<root>/en/train.tsv`` + ``clips/``."""
    audio = [tone(root / "en" / "clips" / f"c{i}.wav") for i in (1, 2)]
    rows = b"spk1\tc1.wav\tHELLO WORLD\t2\t0\t\tmale\t\nspk2\tc2.wav\tGOOD DAY\t1\t0\t\t\t\n"
    tsv = _write(root / "en" / "train.tsv", CV_HEADER + b"\n" + (rows if text is None else text))
    return Layout({"type": "commonvoice", "root": str(root), "lang": "en",
                   "splits": ["train"]}, "train", tsv, first_item_line=2, audio=audio)


def tedlium(root: Path, text: bytes | None = None) -> Layout:
    """``<root>/train/{sph,stm}/talk1.*``."""
    audio = [tone(root / "train" / "sph" / "talk1.sph", seconds=1.0)]
    default = (b";; a comment\ntalk1 1 talk1 0.00 0.40 <o,f0,male> hello world\n"
               b"talk1 1 talk1 0.40 0.90 <o,f0,male> good day\n")
    stm = _write(root / "train" / "stm" / "talk1.stm", default if text is None else text)
    return Layout({"type": "tedlium", "root": str(root), "splits": ["train"]}, "train", stm,
                  skip_prefix=";;", audio=audio)


def aishell(root: Path, text: bytes | None = None) -> Layout:
    """``<root>/data_aishell/{wav/train/S0001/*.wav,transcript/...}``."""
    base = root / "data_aishell"
    ids = ("BAC009S0001W0001", "BAC009S0001W0002")
    audio = [tone(base / "wav" / "train" / "S0001" / f"{u}.wav") for u in ids]
    default = "".join(f"{u} 你 好\n" for u in ids).encode()
    path = _write(base / "transcript" / "aishell_transcript_v0.8.txt",
                  default if text is None else text)
    return Layout({"type": "aishell", "root": str(root), "splits": ["train"],
                   "text": "chars"}, "train", path, lines_are_items=False, audio=audio)


def ljspeech(root: Path, text: bytes | None = None) -> Layout:
    """``<root>/metadata.csv`` + ``wavs/``."""
    audio = [tone(root / "wavs" / f"LJ001-000{i}.wav", sr=22050) for i in (1, 2)]
    default = b"LJ001-0001|Hello world|Hello world\nLJ001-0002|Dr. Who|Doctor Who\n"
    path = _write(root / "metadata.csv", default if text is None else text)
    return Layout({"type": "ljspeech", "root": str(root), "splits": ["all"],
                   "text": "normalized"}, "all", path, audio=audio)


def mls(root: Path, text: bytes | None = None) -> Layout:
    """``<root>/mls_english/train/{transcripts.txt,audio/10/20/*.flac}``."""
    split = root / "mls_english" / "train"
    ids = ("10_20_000001", "10_20_000002")
    audio = [tone(split / "audio" / "10" / "20" / f"{u}.flac") for u in ids]
    default = "".join(f"{u}\thello world\n" for u in ids).encode()
    path = _write(split / "transcripts.txt", default if text is None else text)
    return Layout({"type": "mls", "root": str(root), "lang": "english", "splits": ["train"]},
                  "train", path, audio=audio)


def hf(root: Path, text: bytes | None = None) -> Layout:
    """``<root>/train-00000-of-00001.parquet`` with audio paths and a text column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    audio = [tone(root / "clips" / f"h{i}.flac") for i in (1, 2)]
    table = pa.table({"audio": [str(p) for p in audio], "text": ["HELLO WORLD", "GOOD DAY"]})
    path = root / "train-00000-of-00001.parquet"
    pq.write_table(table, path)
    return Layout({"type": "hf", "root": str(root), "splits": ["train"],
                   "audio_column": "audio", "text_column": "text"}, "train", path,
                  lines_are_items=False, audio=audio)


LAYOUTS: dict[str, Callable[..., Layout]] = {
    "commonvoice": commonvoice, "tedlium": tedlium, "aishell": aishell,
    "ljspeech": ljspeech, "mls": mls, "hf": hf,
}
"""Corpus type -> its builder (a ``conf/dataset`` option with no entry has no baseline)."""


def item_lines(layout: Layout) -> list[int]:
    """Line numbers of the text file that must each become exactly one item."""
    data = layout.text_file.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    out = []
    for lineno, raw in enumerate(data.splitlines(), start=1):
        text = raw.decode("utf-8", errors="replace")
        if lineno < layout.first_item_line or not text.strip():
            continue
        if layout.skip_prefix and text.split()[0].startswith(layout.skip_prefix):
            continue
        out.append(lineno)
    return out
