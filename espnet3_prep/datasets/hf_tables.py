"""Reading Hugging Face ``datasets`` tables with pyarrow, without ``datasets`` at run time.

Two layouts: a ``DatasetDict.save_to_disk`` folder (``dataset_dict.json`` +
``<split>/data-*.arrow``, Arrow IPC streams) and parquet files (``<split>-*.parquet``
anywhere below the folder, as on the Hub, ``<split>/*.parquet`` or ``<split>.parquet``).
Arrow files are memory-mapped: scanning reads the small columns and the audio column's
``path`` / "has bytes" flags; embedded audio bytes are read per item by :func:`read_bytes`.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import re
from collections.abc import Sequence
from typing import Any

from espnet3_prep.errors import ConfigError

DICT_FILE = "dataset_dict.json"
_SHARDED = re.compile(r"(.+?)-\d+-of-\d+\Z")
_FIX = "pip install 'espnet3-prep[hf]'"


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.ipc  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:  # an optional dependency
        raise ConfigError(f"dataset=hf needs pyarrow — {_FIX}") from exc
    return pyarrow


def split_files(root: str) -> dict[str, list[str]]:
    """``split -> sorted table files`` found under ``root``."""
    found: dict[str, list[str]] = {}
    dict_file = os.path.join(root, DICT_FILE)
    if os.path.isfile(dict_file):
        with open(dict_file, encoding="utf-8") as handle:
            names = json.load(handle).get("splits", [])
        for name in names:
            found[name] = sorted(glob.glob(os.path.join(root, name, "data-*.arrow")))
        return found
    for path in sorted(glob.glob(os.path.join(root, "**", "*.parquet"), recursive=True)):
        stem = os.path.basename(path)[:-len(".parquet")]
        folder = os.path.basename(os.path.dirname(os.path.relpath(path, root)))
        sharded = _SHARDED.match(stem)
        if sharded:
            name = sharded.group(1)          # data/train-00000-of-00001.parquet (the Hub)
        elif folder and folder != "data":
            name = folder                    # train/0000.parquet
        else:
            name = stem                      # train.parquet
        found.setdefault(name, []).append(path)
    return found


@functools.lru_cache(maxsize=16)
def open_table(path: str) -> Any:
    """The whole table of one file (memory-mapped for Arrow; cached per process)."""
    pa = _pyarrow()
    if path.endswith(".arrow"):
        with pa.memory_map(path) as source:
            return pa.ipc.open_stream(source).read_all()
    return pa.parquet.ParquetFile(path)


def read_columns(path: str, columns: Sequence[str]) -> dict[str, list[Any]]:
    """The named top-level columns of ``path`` as Python lists (audio excluded)."""
    pa = _pyarrow()
    if path.endswith(".arrow"):
        table = open_table(path)
    else:
        table = pa.parquet.read_table(path, columns=list(columns))
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ConfigError(f"{path}: no column(s) {', '.join(missing)} — found "
                          f"{', '.join(table.column_names)}; set dataset.<x>_column")
    return {c: table.column(c).to_pylist() for c in columns}


def audio_refs(path: str, column: str) -> list[tuple[str | None, bool]]:
    """``(path, has embedded bytes)`` per row of the audio column.

    A ``datasets.Audio`` column is a struct ``{bytes, path}``; a string column holds paths.
    """
    pa = _pyarrow()
    if path.endswith(".arrow"):
        col = open_table(path).column(column)
    else:
        col = pa.parquet.read_table(path, columns=[column]).column(column)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return [(p, False) for p in col.to_pylist()]
    if not pa.types.is_struct(col.type):
        raise ConfigError(f"{path}: column {column!r} is {col.type}, expected audio "
                          f"(a datasets.Audio struct or a path string) — set "
                          f"dataset.audio_column")
    refs: list[tuple[str | None, bool]] = []
    for chunk in col.chunks:
        paths = chunk.field("path").to_pylist()
        has = chunk.field("bytes").is_valid().to_pylist()
        refs.extend(zip(paths, has, strict=True))
    return refs


def read_bytes(path: str, column: str, row: int) -> bytes:
    """The embedded audio bytes of ``row`` (one row group decoded for parquet)."""
    table = open_table(path)
    if path.endswith(".arrow"):
        return table.column(column)[row]["bytes"].as_py()
    group, offset = _row_group(table, row)
    values = _group_column(path, group, column)
    return values[offset]["bytes"].as_py()


def _row_group(parquet: Any, row: int) -> tuple[int, int]:
    for group in range(parquet.num_row_groups):
        rows = parquet.metadata.row_group(group).num_rows
        if row < rows:
            return group, row
        row -= rows
    raise IndexError(f"row {row} past the end of the parquet file")


@functools.lru_cache(maxsize=2)
def _group_column(path: str, group: int, column: str) -> Any:
    """One decoded row group of the audio column (consecutive items share it)."""
    return open_table(path).read_row_group(group, columns=[column]).column(column)
