"""Value rules attached to option dataclasses, and the one checker that applies them.

A rule is stored in a dataclass field's metadata (``field(default=..., metadata=
integer(lo=1, example="100"))``), so each option's constraints live next to the option.
:func:`check_fields` walks a dataclass's fields and checks the values a config gives; the
first problem raises :class:`~espnet3_prep.errors.ConfigError` naming the key, the value,
why it is wrong and a valid example::

    runner.shard_size=0: must be an integer >= 1 — e.g. runner.shard_size=100

Rules return ``None`` for a good value and a short reason otherwise. Cross-field checks stay
with the dataclass (a ``check_values(values, prefix)`` classmethod or ``__post_init__``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from espnet3_prep.errors import ConfigError

Check = Callable[[Any], "str | None"]
MIN_MEMORY_BYTES = 1_000_000
"""Memory sizes below 1 MB are a forgotten unit (``memory=2`` is two bytes)."""
MAX_NAME_BYTES, MAX_PATH_BYTES = 255, 4095
"""Linux's NAME_MAX and PATH_MAX (less the NUL)."""


def rule(check: Check, example: str, optional: bool = False) -> dict[str, Any]:
    """Field metadata holding ``check`` (``None`` allowed when ``optional``) and an example."""
    return {"check": check, "example": example, "optional": optional}


def shown(value: Any, limit: int = 60) -> str:
    """A short ``repr`` for messages (long values are cut)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_int(value: Any) -> bool:
    """A real integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """An int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bounds(value: float, lo: float | None, hi: float | None, lo_open: bool) -> str | None:
    if lo is not None and (value <= lo if lo_open else value < lo):
        return f"must be {'>' if lo_open else '>='} {lo:g}"
    if hi is not None and value > hi:
        return f"must be <= {hi:g}"
    return None


def integer(lo: int | None = None, hi: int | None = None, *, example: str,
            optional: bool = False) -> dict[str, Any]:
    """An integer in ``[lo, hi]``."""
    def check(value: Any) -> str | None:
        if not is_int(value):
            return "must be an integer"
        return _bounds(value, lo, hi, False)
    return rule(check, example, optional)


def number(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           example: str, optional: bool = False) -> dict[str, Any]:
    """A finite number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``)."""
    def check(value: Any) -> str | None:
        if not is_number(value):
            return "must be a number"
        if not math.isfinite(value):
            return "must be a finite number"
        return _bounds(float(value), lo, hi, lo_open)
    return rule(check, example, optional)


def boolean(*, example: str = "true") -> dict[str, Any]:
    """``true`` or ``false``."""
    return rule(lambda v: None if isinstance(v, bool) else "must be true or false", example)


def choice(*values: str, example: str | None = None, optional: bool = False) -> dict[str, Any]:
    """One of ``values``."""
    def check(value: Any) -> str | None:
        return None if value in values else f"must be one of {', '.join(values)}"
    return rule(check, example or values[0], optional)


def token(*, example: str, optional: bool = False) -> dict[str, Any]:
    """A non-empty name without whitespace or control characters (partition, account...),
    at most 255 bytes."""
    def check(value: Any) -> str | None:
        if is_int(value):
            return None  # e.g. an account number; the scheduler reads it as text
        if not isinstance(value, str) or not value:
            return "must be a non-empty name"
        if any(c.isspace() or not c.isprintable() for c in value):
            return "must not contain whitespace or control characters"
        if len(value.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            return f"is longer than {MAX_NAME_BYTES} bytes"
        return None
    return rule(check, example, optional)


def text(*, example: str, optional: bool = False) -> dict[str, Any]:
    """A non-empty string without control characters."""
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return "must be a non-empty string"
        if any(not c.isprintable() for c in value):
            return "must not contain control characters"
        return None
    return rule(check, example, optional)


def string_list(*, example: str, optional: bool = False) -> dict[str, Any]:
    """A list of strings without line breaks (each becomes one line of a job script)."""
    def check(value: Any) -> str | None:
        if isinstance(value, str) or not isinstance(value, Sequence):
            return "must be a list of strings"
        for item in value:
            if not isinstance(item, str) or "\n" in item or "\r" in item or "\0" in item:
                return f"must be a list of one-line strings ({shown(item)} is not)"
        return None
    return rule(check, example, optional)


def size(*, example: str = "16GB", optional: bool = False) -> dict[str, Any]:
    """A memory size as ``dask.utils.parse_bytes`` reads it (``16GB``, ``500MiB``), >= 1 MB."""
    def check(value: Any) -> str | None:
        from dask.utils import parse_bytes

        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return "is not a size"
        if isinstance(value, str) and not value.strip():
            return "is not a size"
        try:
            count = parse_bytes(value)
        except (ValueError, OverflowError, TypeError):
            return "is not a size"
        if count < MIN_MEMORY_BYTES:
            return f"is {count} bytes: give a unit"
        return None
    return rule(check, example, optional)


_HMS = r"\d+(:\d{1,2}){0,2}"
WALLTIME_FORMATS: dict[str, tuple[str, str]] = {
    "slurm": (rf"(\d+-)?{_HMS}|UNLIMITED|INFINITE", "[days-]hours:minutes:seconds"),
    "lsf": (r"\d+(:\d{1,2})?", "hours:minutes"),
    "default": (_HMS, "hours:minutes:seconds"),
}


def walltime(kind: str = "default", *, example: str = "04:00:00") -> dict[str, Any]:
    """A scheduler time limit in ``kind``'s syntax (``slurm``, ``lsf`` or ``default``), > 0."""
    pattern, form = WALLTIME_FORMATS[kind]
    regex = re.compile(pattern)

    def check(value: Any) -> str | None:
        if is_int(value):
            return None if value > 0 else "must be > 0"
        if not isinstance(value, str) or not regex.fullmatch(value.strip()):
            return f"is not a time limit ({form})"
        if not any(c not in "0:-" for c in value.strip()):
            return "must be > 0"
        return None
    return rule(check, example, optional=True)


def absolute_path(*, example: str, optional: bool = True) -> dict[str, Any]:
    """An absolute path (a prefix to rewrite; it need not exist here)."""
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value.startswith("/"):
            return "must be an absolute path"
        if any(not c.isprintable() for c in value):
            return "must not contain control characters"
        return None
    return rule(check, example, optional)


def folder_problem(path: str) -> str | None:
    """Why ``path`` cannot be (or become) a writable folder, or ``None``.

    Nothing is created: an existing path must be a writable folder, a missing one needs
    its nearest existing parent to be one.
    """
    probe = os.path.abspath(os.path.expanduser(path))
    if len(os.fsencode(probe)) > MAX_PATH_BYTES or any(
            len(os.fsencode(part)) > MAX_NAME_BYTES for part in probe.split(os.sep)):
        return (f"is too long for a path (at most {MAX_NAME_BYTES} bytes a name, "
                f"{MAX_PATH_BYTES} in all)")
    if os.path.exists(probe) and not os.path.isdir(probe):
        return "is not writable as a folder: it is a file"
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        return f"is not writable: {probe} is a file, not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"is not writable: {probe} does not allow writing"
    return None


def out_folder(*, example: str, optional: bool = True) -> dict[str, Any]:
    """A folder this run writes into (it may not exist yet)."""
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return "must be a folder path"
        if "\0" in value:
            return "must not contain NUL characters"
        return folder_problem(value)
    return rule(check, example, optional)


def check_value(key: str, value: Any, meta: Mapping[str, Any]) -> None:
    """Apply one field's rule to ``value``; ConfigError naming ``key`` on failure."""
    if value is None and meta.get("optional"):
        return
    problem = "must be set" if value is None else meta["check"](value)
    if problem is not None:
        raise ConfigError(f"{key}={shown(value)}: {problem} — e.g. {key}={meta['example']}")


def check_fields(schema: type, values: Mapping[str, Any], prefix: str) -> None:
    """Check every field of dataclass ``schema`` that has a rule and appears in ``values``."""
    for field in dataclasses.fields(schema):
        if "check" in field.metadata and field.name in values:
            key = f"{prefix}.{field.name}" if prefix else field.name
            check_value(key, values[field.name], field.metadata)
    extra = getattr(schema, "check_values", None)
    if extra is not None:
        extra(values, prefix)
