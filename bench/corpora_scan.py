"""Scan speed and memory of the corpus readers on large synthetic layouts (``make bench-corpora``).

Scanning reads only text files and ``stat``s audio files, so the layouts hold empty audio
files: what is measured is the reader, not the disk. Per corpus: items, seconds for
``build_dataset`` (best of 3), items/s, and the pickled size of the Dataset per item (what
each worker receives).

    python bench/corpora_scan.py [--items 100000] [--out bench/corpora_scan.md]
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from espnet3_prep.datasets import build_dataset  # noqa: E402


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def commonvoice(root: Path, n: int) -> dict:
    """``en/train.tsv`` with n rows over 1,000 speakers; empty clip files."""
    lang = root / "en"
    (lang / "clips").mkdir(parents=True)
    lines = ["client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccents"]
    for i in range(n):
        clip = f"common_voice_en_{i:09d}.mp3"
        (lang / "clips" / clip).touch()
        lines.append(f"{i % 1000:064x}\t{clip}\tsentence number {i} as written.\t2\t0\t"
                     f"twenties\tfemale_feminine\t")
    (lang / "train.tsv").write_text("\n".join(lines) + "\n")
    return {"type": "commonvoice", "root": str(root), "lang": "en", "splits": ["train"]}


def tedlium(root: Path, n: int) -> dict:
    """n STM lines over n/100 talks."""
    base = root / "legacy" / "train"
    talks = max(1, n // 100)
    for t in range(talks):
        _touch(base / "sph" / f"Talk{t:05d}.sph")
        lines = [f"Talk{t:05d} 1 Talk{t:05d} {k * 5:.2f} {k * 5 + 4:.2f} <o,f0,male> words "
                 f"of segment {k}" for k in range(100)]
        (base / "stm").mkdir(exist_ok=True)
        (base / "stm" / f"Talk{t:05d}.stm").write_text("\n".join(lines) + "\n")
    return {"type": "tedlium", "root": str(root), "splits": ["train"]}


def mls(root: Path, n: int) -> dict:
    """n FLACs in 100-file book folders + transcripts.txt."""
    split = root / "mls_english" / "train"
    lines = []
    for i in range(n):
        spk, book = f"{i // 1000}", f"{i // 100}"
        utt = f"{spk}_{book}_{i:06d}"
        _touch(split / "audio" / spk / book / f"{utt}.flac")
        lines.append(f"{utt}\ttranscript number {i}")
    (split / "transcripts.txt").write_text("\n".join(lines) + "\n")
    return {"type": "mls", "root": str(root), "lang": "english", "splits": ["train"]}


LAYOUTS: dict[str, Callable[[Path, int], dict]] = {
    "commonvoice": commonvoice, "tedlium": tedlium, "mls": mls}


def measure(cfg: dict) -> tuple[int, float, float]:
    """(items, best seconds of 3, pickled bytes per item)."""
    best, dataset = float("inf"), None
    for _ in range(3):
        start = time.perf_counter()
        dataset = build_dataset(cfg, "train")
        best = min(best, time.perf_counter() - start)
    size = len(pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL))
    return len(dataset), best, size / max(1, len(dataset))


def main() -> None:
    """Build each layout in a temp dir, scan it, print (and write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows = ["| corpus | items | scan s (best of 3) | items/s | pickled bytes/item |",
            "|---|---|---|---|---|"]
    for name, make in LAYOUTS.items():
        with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
            items, seconds, per_item = measure(make(Path(tmp), args.items))
        rows.append(f"| {name} | {items:,} | {seconds:.2f} | {items / seconds:,.0f} | "
                    f"{per_item:.0f} |")
        print(rows[-1], flush=True)
    text = "\n".join(rows) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
