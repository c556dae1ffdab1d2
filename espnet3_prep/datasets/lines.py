"""Hostile input lines: a byte-order mark to skip, a line that cannot be parsed.

A malformed line never stops a run: it becomes an item the runner drops as
``malformed_line`` (one line, one item, a detail naming ``file:line``).
"""

from __future__ import annotations

import os
import re

from espnet3_prep.datasets.base import MALFORMED_LINE, Record


def strip_bom(data: bytes) -> bytes:
    """``data`` without a leading UTF-8 byte-order mark (editors on Windows add one)."""
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def malformed_record(path: str, lineno: int, problem: str) -> Record:
    """An input line that could not be parsed: an item dropped as ``malformed_line``.

    Its ``utt_id`` is ``<file name>:<line>`` made safe as a Kaldi key (so it is reported,
    not refused as an invalid id); ``problem`` says what is wrong.
    """
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(path)).replace("..", "_")
    utt_id = f"{name.lstrip('.-') or 'line'}:{lineno}"
    return Record(utt_id, source=path, line=lineno,
                  drop=(MALFORMED_LINE, f"{problem} — fix or remove the line"))
