"""The LibriSpeech-960-sized tree of ``make bench-scale``, built once and cached.

One split (``train-960``) of ``n`` utterances (281,241 by default, LibriSpeech 960 h's
count) in the real LibriSpeech layout: ``SPEAKERS.TXT``, ``<spk>/<chapter>/`` folders with
a ``<spk>-<chapter>.trans.txt`` each and one ``<utt>.flac`` per line. The FLACs are
symlinks to a small pool of real files that ``tools/synth_librispeech.py`` synthesizes
(36 files, 2-13 s), so the tree costs ~1 inode per utterance and no audio bytes; every
utterance links to pool file ``i % len(pool)`` and carries that file's transcript.

``bench/cache/scale-<n>-<spec hash>/LibriSpeech`` is ``dataset.root``; the tree is built
into a temp folder and renamed, so an interrupted build is never reused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("ESPNET3_SCALE_CACHE") or REPO / "bench" / "cache")
"""Where trees are kept (``ESPNET3_SCALE_CACHE`` shares them between checkouts)."""
SPLIT = "train-960"
LIBRISPEECH_960 = 281_241
POOL_SPLIT = "pool"
POOL_ARGS = ("--splits", f"{POOL_SPLIT}:4:3:3", "--seed", "7", "--words-range", "5:36")
UTTS_PER_CHAPTER = 52
CHAPTERS_PER_SPEAKER = 2
FIRST_SPEAKER, FIRST_CHAPTER = 100, 10_000


@dataclass(frozen=True)
class ScaleTree:
    """A cached tree: ``root`` is ``dataset.root``, ``split`` its only split."""

    root: Path
    split: str
    utts: int
    speakers: int
    chapters: int


def _digest() -> str:
    tool = (REPO / "tools" / "synth_librispeech.py").read_bytes()
    spec = repr((POOL_ARGS, UTTS_PER_CHAPTER, CHAPTERS_PER_SPEAKER, FIRST_SPEAKER)).encode()
    return hashlib.sha256(spec + tool + Path(__file__).read_bytes()).hexdigest()[:10]


def pool_files() -> list[tuple[Path, str]]:
    """The synthesized pool (FLAC path, transcript), built on first use (~5 s)."""
    pool = CACHE / f"scale-pool-{_digest()}"
    if not pool.is_dir():
        tmp = pool.with_name(pool.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"bench-scale: synthesizing the FLAC pool ({' '.join(POOL_ARGS)})",
              file=sys.stderr)
        subprocess.run([sys.executable, str(REPO / "tools" / "synth_librispeech.py"),
                        "--out", str(tmp), *POOL_ARGS], check=True, stdout=subprocess.DEVNULL)
        tmp.rename(pool)
    texts: dict[str, str] = {}
    for trans in sorted((pool / POOL_SPLIT).glob("*/*/*.trans.txt")):
        for line in trans.read_text(encoding="utf-8").splitlines():
            utt, _, text = line.partition(" ")
            texts[utt] = text
    files = sorted((pool / POOL_SPLIT).glob("*/*/*.flac"))
    return [(path.resolve(), texts[path.stem]) for path in files]


def ensure_tree(utts: int = LIBRISPEECH_960) -> ScaleTree:
    """The cached tree of ``utts`` utterances, built on first use (~30 s at 281k)."""
    if utts < 1:
        raise ValueError(f"--utts must be >= 1, got {utts}")
    chapters = -(-utts // UTTS_PER_CHAPTER)
    speakers = -(-chapters // CHAPTERS_PER_SPEAKER)
    top = CACHE / f"scale-{utts}-{_digest()}"
    if not top.is_dir():
        pool = pool_files()
        tmp = top.with_name(top.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"bench-scale: building a {utts}-utterance tree in {top}", file=sys.stderr)
        _write_tree(tmp / "LibriSpeech", utts, pool)
        tmp.rename(top)
    return ScaleTree(top / "LibriSpeech", SPLIT, utts, speakers, chapters)


def _write_tree(root: Path, utts: int, pool: list[tuple[Path, str]]) -> None:
    split_dir = root / SPLIT
    split_dir.mkdir(parents=True)
    speakers: list[str] = []
    for first in range(0, utts, UTTS_PER_CHAPTER):
        chapter_no = first // UTTS_PER_CHAPTER
        spk = str(FIRST_SPEAKER + chapter_no // CHAPTERS_PER_SPEAKER)
        if not speakers or speakers[-1] != spk:
            speakers.append(spk)
        chapter = str(FIRST_CHAPTER + chapter_no)
        folder = split_dir / spk / chapter
        folder.mkdir(parents=True)
        lines = []
        for k, i in enumerate(range(first, min(utts, first + UTTS_PER_CHAPTER))):
            utt = f"{spk}-{chapter}-{k:04d}"
            target, text = pool[i % len(pool)]
            os.symlink(target, folder / f"{utt}.flac")
            lines.append(f"{utt} {text}\n")
        (folder / f"{spk}-{chapter}.trans.txt").write_text("".join(lines), encoding="utf-8")
    header = ";ID  |SEX | SUBSET           |MINUTES| NAME\n"
    rows = [f"{spk:<5}| {'MF'[n % 2]}  | {SPLIT:<17}| 25.00 | Reader {spk}\n"
            for n, spk in enumerate(speakers)]
    (root / "SPEAKERS.TXT").write_text(header + "".join(rows), encoding="utf-8")


if __name__ == "__main__":
    tree = ensure_tree(int(sys.argv[1]) if len(sys.argv) > 1 else LIBRISPEECH_960)
    print(f"{tree.utts} utterances, {tree.speakers} speakers, {tree.chapters} chapters "
          f"at {tree.root}")
