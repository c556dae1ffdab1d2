"""JSONL helpers: one strict JSON object per line (shard rows, manifests, logs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def json_default(value: Any) -> Any:
    """JSON encoder hook for numpy scalars and paths; anything else is an error."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"value of type {type(value).__name__} is not JSON-serializable")


def dumps_line(payload: dict[str, Any]) -> str:
    """One JSONL line (key order kept, NaN refused so every line is strict JSON)."""
    return _ENCODER.encode(payload) + "\n"


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=json_default)
"""What ``json.dumps`` with these arguments builds anew for every call (a manifest
writes one line per utterance)."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All lines of a JSONL file ([] when it does not exist)."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
