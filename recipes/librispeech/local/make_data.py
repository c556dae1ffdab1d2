"""ESPnet2-style ``data/<set>`` dirs from the prepared ``exp/`` split dirs (``make collect``).

Each prepared split ``<exp>/<split>`` becomes ``<data>/<split with _>`` (e.g. ``dev-clean``
-> ``data/dev_clean``); then, when all their parts are prepared, ``train_960`` (the three
train splits) and ``dev`` (dev-clean + dev-other) are combined, as in ESPnet2's
``egs2/librispeech/asr1/local/data.sh``. Every dir is validated against Kaldi's rules, and
``<exp>/report.html`` is regenerated over all prepared splits.

    python local/make_data.py EXP DATA
"""

from __future__ import annotations

import sys
from pathlib import Path

from espnet3_prep.datadir import DataDirError, combine_data_dirs
from espnet3_prep.report import write_report

COMBINED = {
    "train_960": ("train_clean_100", "train_clean_360", "train_other_500"),
    "dev": ("dev_clean", "dev_other"),
}


def make_data(exp: Path, data: Path) -> list[str]:
    """Copy every prepared split, combine the standard sets; returns the set names."""
    made = []
    for stats in sorted(exp.glob("*/stats.json")):
        name = stats.parent.name.replace("-", "_")
        combine_data_dirs(data / name, [stats.parent])
        made.append(name)
    for name, parts in COMBINED.items():
        if all(part in made for part in parts):
            combine_data_dirs(data / name, [data / part for part in parts])
            made.append(name)
    if made:
        write_report(exp)
    return made


def main(argv: list[str]) -> int:
    """``make_data.py EXP DATA``."""
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    exp, data = Path(argv[0]), Path(argv[1])
    try:
        made = make_data(exp, data)
    except DataDirError as exc:
        print(f"make_data: error: {exc}", file=sys.stderr)
        return 1
    if not made:
        print(f"make_data: nothing prepared under {exp} yet (run `make prep` first)",
              file=sys.stderr)
        return 1
    for name in made:
        lines = len((data / name / "utt2spk").read_text(encoding="utf-8").splitlines())
        print(f"{data / name}: {lines} utterances")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
