"""The benchmark corpus: synthesized once with ``tools/synth_librispeech.py``, cached.

``bench/cache/corpus-<spec hash>/`` holds the LibriSpeech-layout corpus and two JSONL
manifests over the same FLAC files: ``manifest_1x.jsonl`` (every file once) and
``manifest_4x.jsonl`` (every file listed 4 times under distinct utterance ids), used to
check that the driver's memory does not grow with the corpus size.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / "cache"
SPLIT = "train-clean-100"
# 10 speakers x 3 chapters x 10 utterances = 300 files, ~48 min, 1.9-19 s each.
SYNTH_ARGS = ("--splits", f"{SPLIT}:10:3:10", "--seed", "1", "--words-range", "6:50")
COPIES = 4


@dataclass(frozen=True)
class Corpus:
    """Paths and totals of the cached benchmark corpus."""

    root: Path
    files: tuple[str, ...]
    seconds: float
    manifest_1x: Path
    manifest_4x: Path

    @property
    def librispeech(self) -> Path:
        """The folder holding the split folder (``dataset.root`` for ``librispeech``)."""
        return self.root / "LibriSpeech"


def _cache_dir() -> Path:
    tool = (REPO / "tools" / "synth_librispeech.py").read_bytes()
    digest = hashlib.sha256(repr(SYNTH_ARGS).encode() + tool).hexdigest()[:10]
    return CACHE / f"corpus-{digest}"


def _synthesize(root: Path) -> None:
    """Run the project's synthesizer into ``root/LibriSpeech`` (atomic via a temp dir)."""
    tmp = root.with_name(root.name + ".tmp")
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    cmd = [sys.executable, str(REPO / "tools" / "synth_librispeech.py"),
           "--out", str(tmp / "LibriSpeech"), *SYNTH_ARGS]
    print(f"bench: synthesizing the corpus ({' '.join(SYNTH_ARGS)}) ...", file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    tmp.rename(root)


def _transcripts(split_dir: Path) -> dict[str, str]:
    texts: dict[str, str] = {}
    for trans in sorted(split_dir.glob("*/*/*.trans.txt")):
        for line in trans.read_text(encoding="utf-8").splitlines():
            utt, _, text = line.partition(" ")
            texts[utt] = text
    return texts


def _write_manifests(root: Path, files: list[Path]) -> None:
    texts = _transcripts(root / "LibriSpeech" / SPLIT)
    rows = [{"utt_id": f.stem, "speaker": f.stem.split("-")[0], "text": texts[f.stem],
             "audio": str(f)} for f in files]
    with open(root / "manifest_1x.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(row) + "\n" for row in rows)
    with open(root / "manifest_4x.jsonl", "w", encoding="utf-8") as out:
        for copy in range(COPIES):
            out.writelines(json.dumps({**row, "utt_id": f"{row['utt_id']}-c{copy}"}) + "\n"
                           for row in rows)


def ensure_corpus() -> Corpus:
    """The cached corpus, synthesized (about 6 s) on the first call."""
    root = _cache_dir()
    if not (root / "LibriSpeech").is_dir():
        root.parent.mkdir(parents=True, exist_ok=True)
        _synthesize(root)
    files = sorted((root / "LibriSpeech" / SPLIT).glob("*/*/*.flac"))
    if not (root / "manifest_4x.jsonl").exists():
        _write_manifests(root, files)
    seconds = sum(sf.info(str(f)).duration for f in files)
    return Corpus(root, tuple(str(f) for f in files), seconds,
                  root / "manifest_1x.jsonl", root / "manifest_4x.jsonl")


if __name__ == "__main__":
    corpus = ensure_corpus()
    print(f"{len(corpus.files)} files, {corpus.seconds / 60:.1f} min at {corpus.root}")
