"""Which config keys change what a run writes, and what Hydra itself writes per action.

Two Hydra resolvers used by ``conf/config.yaml``:

* ``${non_output_keys:${hydra.overrides.task}}`` — the sweep's ``override_dirname``
  ``exclude_keys``: keys that do not change a job's outputs (:data:`NON_OUTPUT_KEYS`, and
  every ``parallel``/``parallel.*`` key: outputs are byte-identical across backends) stay
  out of a sweep point's folder name, so rerunning a sweep with other backend settings
  resumes it.
* ``${hydra_dir:<action>,<dir>}`` / ``${hydra_subdir:<action>}`` /
  ``${hydra_log:<action>,<file>}`` — ``action=plan`` writes nothing: no run dir, no
  ``.hydra/`` and no log file (the log goes to the terminal only); ``${hydra_sweep_dir:...}``
  does the same for a multirun (``-m action=plan``). Nor does ``action=check``.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import Iterable
from typing import Any

from omegaconf import OmegaConf

NON_OUTPUT_KEYS = (
    "output_dir", "action", "log_level", "relocate.old", "relocate.new",
    "runner.progress", "runner.resume", "runner.retry_failed", "runner.async_mode",
    "runner.async_specs_dir", "runner.async_result_dir",
    "dataset.splits", "dataset.root", "dataset.path", "dataset.paths", "dataset.audio_root",
)
"""Keys whose value never changes a sweep point's outputs (each split has its own folder,
so ``dataset.splits`` is here too)."""
NON_OUTPUT_PREFIXES = ("parallel",)
WRITES_NOTHING = ("plan", "check")
"""Actions that leave no file behind (not even Hydra's ``.hydra/`` or a log)."""


def override_key(override: str) -> str:
    """``+parallel.options.x=1`` -> ``parallel.options.x`` (prefixes and value dropped)."""
    return override.split("=", 1)[0].lstrip("+~").strip()


def is_output_key(key: str) -> bool:
    """False for keys that never change what a run writes."""
    if key in NON_OUTPUT_KEYS:
        return False
    return not any(key == p or key.startswith(f"{p}.") for p in NON_OUTPUT_PREFIXES)


def non_output_keys(overrides: Iterable[Any] | None = None) -> list[str]:
    """The ``exclude_keys`` for ``override_dirname``: the fixed keys plus every key of
    ``overrides`` (Hydra's task overrides) that does not change outputs."""
    keys = list(NON_OUTPUT_KEYS)
    for override in overrides or ():
        key = override_key(str(override))
        if not is_output_key(key) and key not in keys:
            keys.append(key)
    return keys


def action_name(value: Any) -> str:
    """An ``action`` value (a string or the enum of the structured config) as text."""
    return str(getattr(value, "value", value))


def hydra_dir(action: Any, run_dir: str) -> str:
    """Hydra's run dir: ``run_dir``, or the current folder (already there) for a dry run."""
    return os.curdir if action_name(action) in WRITES_NOTHING else run_dir


def hydra_sweep_dir(action: Any, sweep_dir: str) -> str:
    """A multirun's folder: ``sweep_dir``, or for a dry run a private temporary folder
    removed when the process exits (Hydra creates the sweep and job folders and writes
    ``multirun.yaml`` before any job runs)."""
    if action_name(action) not in WRITES_NOTHING:
        return sweep_dir
    _PLANNED_SWEEP["dir"] = sweep_dir
    return _scratch_dir()


_PLANNED_SWEEP: dict[str, str] = {}


def planned_sweep_dir() -> str | None:
    """Where a dry-run multirun would have put its sweep (None outside one)."""
    return _PLANNED_SWEEP.get("dir")


@functools.cache
def _scratch_dir() -> str:
    path = tempfile.mkdtemp(prefix="espnet3-prep-plan-")
    atexit.register(shutil.rmtree, path, True)
    return path


def hydra_subdir(action: Any) -> str | None:
    """Where Hydra saves the composed config (``.hydra``; none for a dry run)."""
    return None if action_name(action) in WRITES_NOTHING else ".hydra"


def hydra_log(action: Any, log_file: str) -> str:
    """The job's log file (the null device for a dry run)."""
    return os.devnull if action_name(action) in WRITES_NOTHING else log_file


def register_resolvers() -> None:
    """Register the resolvers (idempotent)."""
    for name, fn in (("non_output_keys", non_output_keys), ("hydra_dir", hydra_dir),
                     ("hydra_sweep_dir", hydra_sweep_dir), ("hydra_subdir", hydra_subdir),
                     ("hydra_log", hydra_log)):
        OmegaConf.register_new_resolver(name, fn, replace=True)
