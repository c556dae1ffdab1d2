"""Write a JSONL manifest of the embedded mini LibriSpeech (the generic recipe's demo).

One line gets a transcript far too long for its audio, so the demo shows the recipe's own
drop reason (``implausible_speaking_rate``).

    python local/demo_manifest.py OUT.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from espnet3_prep.datasets import build_dataset, package_data_path


def demo_rows() -> list[dict[str, str]]:
    """Rows of the embedded dev split; the first has a misaligned (too long) transcript."""
    cfg = {"type": "librispeech", "root": package_data_path("mini_librispeech/LibriSpeech"),
           "splits": ["dev-clean-2"]}
    rows = [{"utt_id": s["utt_id"], "audio": s["audio"], "text": s["text"],
             "speaker": s["speaker"]} for s in build_dataset(cfg, "dev-clean-2")]
    rows[0]["text"] = " ".join([rows[0]["text"]] * 20)
    return rows


def main(argv: list[str]) -> int:
    """``demo_manifest.py OUT.jsonl``."""
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        for row in demo_rows():
            handle.write(json.dumps(row) + "\n")
    print(f"{out}: demo manifest")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
