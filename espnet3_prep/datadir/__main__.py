"""``python -m espnet3_prep.datadir {combine,validate,status}`` (used by the recipes).

    combine OUT SRC [SRC ...]   concatenate sorted Kaldi data dirs (one SRC = copy)
    validate DIR [DIR ...]      check Kaldi's data dir rules; exit 1 listing the problems
    status EXP [EXP ...]        shard progress of every split under the output dirs
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from espnet3_prep.datadir import combine_data_dirs, validate_data_dir
from espnet3_prep.datadir.validate import DataDirError
from espnet3_prep.storage.status import status_lines


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    top = argparse.ArgumentParser(prog="python -m espnet3_prep.datadir",
                                  description="Kaldi data dir tools for espnet3-prep recipes")
    commands = top.add_subparsers(dest="command", required=True)
    combine = commands.add_parser("combine", help="concatenate sorted Kaldi data dirs")
    combine.add_argument("out", type=Path)
    combine.add_argument("sources", type=Path, nargs="+")
    validate = commands.add_parser("validate", help="check Kaldi's data dir rules")
    validate.add_argument("dirs", type=Path, nargs="+")
    status = commands.add_parser("status", help="shard progress of output dirs")
    status.add_argument("roots", type=Path, nargs="+")
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 on success, 1 on an invalid or clashing data dir."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    args = parser().parse_args(argv)
    try:
        if args.command == "combine":
            files = combine_data_dirs(args.out, args.sources)
            print(f"{args.out}: {', '.join(files)} from {len(args.sources)} dir(s)")
        elif args.command == "validate":
            for directory in args.dirs:
                validate_data_dir(directory)
                print(f"{directory}: valid Kaldi data dir")
        else:
            print("\n".join(status_lines(args.roots)))
    except (DataDirError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
