"""Paths in outputs: ``paths=absolute`` (default) or ``paths=relative``.

Relative paths are relative to **the split folder** (the folder holding ``manifest.jsonl``,
``wav.scp``, ``feats.scp``, ``hf.parquet`` and the lhotse manifests — every file that holds
a path lives there). Only paths inside the run's ``output_dir`` (the split folder's
parent) become relative: they move with the output. Input audio outside it (the corpus)
stays absolute, so ``mv exp/ /elsewhere/`` keeps every output readable. Readers resolve a
relative path against the split folder: kaldiio with the data dir as the working
directory, lhotse through ``with_path_prefix(split_dir)``, HF by joining the column with
the split folder.

:data:`PATH_FIELDS` names every manifest row field that holds a path and its form;
each export declares the fields it copies (``writers.exports.EXPORT_PATH_FIELDS``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from espnet3_prep.errors import ConfigError

PATH_MODES = ("absolute", "relative")
PATH_FIELDS: dict[str, str] = {
    "audio": "file",  # an input audio file (or one the run wrote, e.g. a raw dump)
    "feats": "ark",  # ``<ark file>:<byte offset>``, as kaldiio.load_mat reads it; also
    # ``<file>.lca:<offsets>`` (feature.storage=lilcom) and ``<utt>.npy`` (npy)
}
"""Manifest row fields holding a path: ``file`` = a plain path, ``ark`` = ``path:offset``."""
_SHARD_ARK = re.compile(r"^(?P<split>.*)/shards/\d+/[^/]+\.(ark|lca|npy)$")
_SHARD_FILE = re.compile(r"^(?P<split>.*)/shards/\d+/[^/]+$")
_LOCATOR = re.compile(r"\d+(,\d+)*")  # an ark byte offset or lilcom's chunk offsets


def check_mode(mode: Any) -> str:
    """``mode`` when it is one of :data:`PATH_MODES` (ConfigError naming ``paths``)."""
    text = str(getattr(mode, "value", mode) or "absolute")
    if text not in PATH_MODES:
        raise ConfigError(f"paths={text!r}: choose one of {', '.join(PATH_MODES)} "
                          "(relative = relative to the split folder that holds the file)")
    return text


def split_path(value: str, kind: str) -> tuple[str, str]:
    """``(file, suffix)``: an ark pointer ``a.ark:15`` gives ``("a.ark", ":15")``, a lilcom
    one ``a.lca:0,96,90`` gives ``("a.lca", ":0,96,90")``."""
    if kind == "ark":
        head, sep, tail = value.rpartition(":")
        if sep and _LOCATOR.fullmatch(tail):
            return head, f":{tail}"
    return value, ""


def resolve(value: str, split_dir: Path) -> Path:
    """The file a path field names (a relative one is relative to ``split_dir``)."""
    path = Path(value)
    return path if path.is_absolute() else split_dir / path


def express(path: str, split_dir: Path, mode: str) -> str:
    """``path`` (absolute) as the output writes it: relative to ``split_dir`` when
    ``mode`` is relative and the file lies inside the output dir (``split_dir``'s parent)."""
    if mode != "relative" or not os.path.isabs(path):
        return path
    root = os.path.abspath(split_dir.parent)
    if os.path.commonpath([root, os.path.abspath(path)]) != root:
        return path  # the corpus: it does not move with the output
    return os.path.relpath(path, split_dir)


def located_rows(shard_dirs: Sequence[Path], split_dir: Path, mode: str,
                 rows_of: Any) -> Iterator[dict[str, Any]]:
    """Every shard's kept rows (``rows_of([shard_dir])``) with path fields written in
    ``mode``. Paths into the shard's own folder are re-anchored at the folder the row was
    read from (:func:`in_shard`), so outputs collected after a move name the arks where
    they are now."""
    for shard_dir in shard_dirs:
        for row in rows_of([shard_dir]):
            yield rewrite_row(in_shard(row, shard_dir), split_dir, mode)


def in_shard(row: dict[str, Any], shard_dir: Path) -> dict[str, Any]:
    """``row`` with path fields naming a file of this shard (``.../shards/<its id>/<file>``,
    e.g. its ark, written where the shard then was) pointing into ``shard_dir``."""
    for name, kind in PATH_FIELDS.items():
        value = row.get(name)
        if not isinstance(value, str) or not value.startswith("/") or "shards" not in value:
            continue  # (a corpus path: no split_path/normpath for each of 281k rows)
        path, suffix = split_path(value, kind)
        parent, file_name = os.path.split(os.path.normpath(path))  # str ops: 281k rows
        up, shard_name = os.path.split(parent)
        if shard_name == shard_dir.name and os.path.basename(up) == "shards":
            row[name] = f"{os.path.join(shard_dir, file_name)}{suffix}"
    return row


def rewrite_row(row: dict[str, Any], split_dir: Path, mode: str,
                moves: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """``row`` with each path field moved (``moves``: old -> new prefixes, applied to
    absolute paths) and written in ``mode``."""
    out = dict(row)
    for name, kind in PATH_FIELDS.items():
        value = out.get(name)
        if not isinstance(value, str) or not value:
            continue
        path, suffix = split_path(value, kind)
        if os.path.isabs(path):
            path = _moved(path, moves)
        elif mode == "absolute":
            path = os.path.normpath(split_dir / path)
        out[name] = express(path, split_dir, mode) + suffix
    return out


def _moved(path: str, moves: Sequence[tuple[str, str]]) -> str:
    for old, new in moves:
        if path == old or path.startswith(old.rstrip("/") + "/"):
            return new.rstrip("/") + path[len(old.rstrip("/")):]
    return path


def old_split_dirs(rows: Iterable[Mapping[str, Any]]) -> set[str]:
    """Where the split folder was when these rows were written (from absolute feature
    pointers ``<split>/shards/<n>/<name>.ark:<offset>`` (or ``.lca``, ``.npy``) and the
    ``audio`` of raw-dump rows, which name ``<split>/shards/<n>/<utt>.flac``)."""
    found = set()
    for row in rows:
        candidates = [(split_path(str(row.get("feats", "")), "ark")[0], _SHARD_ARK)]
        if "source" in row:  # feature=raw: ``audio`` is the shard's dumped file
            candidates.append((str(row.get("audio", "")), _SHARD_FILE))
        for pointer, pattern in candidates:
            match = pattern.match(pointer)
            if match and os.path.isabs(pointer):
                found.add(match.group("split"))
    return found


def missing_files(rows: Iterable[Mapping[str, Any]], split_dir: Path,
                  limit: int = 5) -> list[str]:
    """Up to ``limit`` files that path fields of ``rows`` name but that do not exist."""
    missing: list[str] = []
    checked: set[Path] = set()
    for row in rows:
        for name, kind in PATH_FIELDS.items():
            value = row.get(name)
            if not isinstance(value, str) or not value:
                continue
            target = resolve(split_path(value, kind)[0], split_dir)
            if target in checked:
                continue
            checked.add(target)
            if not target.exists():
                missing.append(f"{row.get('utt_id')}: {name} -> {target}")
                if len(missing) >= limit:
                    return missing
    return missing


def reanchor_scp_value(value: str, name: str, source: Path, out: Path) -> str:
    """A ``wav.scp``/``feats.scp`` value of data dir ``source`` as data dir ``out`` must
    write it: a relative path (``paths=relative``) is made relative to ``out`` instead;
    absolute paths and other files' values are unchanged. In a ``sox <file> ... |`` pipe
    only the file is rewritten."""
    if name not in ("wav.scp", "feats.scp"):
        return value
    tokens = value.split(" ")
    pos = 1 if name == "wav.scp" and value.endswith("|") and len(tokens) > 1 else 0
    if name == "wav.scp" and pos == 0 and " " in value:
        return value  # some other command: leave it alone
    path, suffix = split_path(tokens[pos], "ark" if name == "feats.scp" else "file")
    if os.path.isabs(path):
        return value
    moved = os.path.relpath(os.path.abspath(source / path), os.path.abspath(out))
    tokens[pos] = moved + suffix
    return " ".join(tokens)
