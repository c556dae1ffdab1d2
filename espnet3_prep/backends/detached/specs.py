"""Job specs: one JSON file per shard, everything a fresh interpreter needs to run it.

A spec names the runner and provider classes by import path and carries the provider's
fully resolved config (relative paths made absolute), its params, the shard's indices,
the store root and plan hash, and the runner options. Specs are data, never pickle.
"""

from __future__ import annotations

import enum
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.errors import ConfigError, DataError
from espnet3_prep.execution.task import ShardTask
from espnet3_prep.storage.files import atomic_write_text

SPEC_FORMAT = 1
SPEC_KIND = "espnet3-prep/shard-spec"
REQUIRED = {"format": int, "kind": str, "runner": str, "provider": str, "config": dict,
            "shard": dict, "store": str, "plan_hash": str, "on_error": str, "retries": int,
            "sink_options": dict, "jobs_dir": str, "job": str, "cwd": str}
PATH_KEYS = frozenset({"root", "path", "paths", "audio_root", "output_dir", "work_dir",
                       "log_directory", "folder", "manifest", "async_specs_dir",
                       "async_result_dir"})
PATH_SUFFIXES = ("_dir", "_path", "_root", "_file", "_directory")
_IMPORT_CHECKED: set[tuple[str, str, str]] = set()
_SPLIT: dict[str, tuple[str, str]] = {}  # class path -> (module, qualname), by class_path


class SpecError(DataError, ValueError):
    """A spec file that cannot be read or lacks what a worker needs."""


# --------------------------------------------------------------------------- class paths


IMPORT_ONLY_VAR = "ESPNET3_PREP_IMPORT_ONLY"
"""Set in the import check and in detached jobs: a script imported there must not run its
runner at import time (its ``runner(...)`` belongs under ``if __name__ == "__main__":``)."""


def main_script() -> Path | None:
    """The script this Python runs (``python prep.py``), or None (``-c``, a notebook)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return Path(path).absolute() if path and str(path).endswith(".py") else None


def job_pythonpath() -> list[str]:
    """Folders a job puts first on ``sys.path``: the running script's folder, so classes
    defined in the script or in a module next to it import as they do here."""
    script = main_script()
    return [str(script.parent)] if script is not None else []


def stable_class_name(cls: type) -> str:
    """``module.QualName`` with the running script's file name for ``__main__``: the same
    whether the script runs directly or is imported (plan keys use it)."""
    module = cls.__module__
    if module in ("__main__", "__mp_main__"):
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        script = main_script()
        if spec is not None and spec.name and spec.name != "__main__":
            module = str(spec.name)
        elif script is not None:
            module = script.stem
    return f"{module}.{cls.__qualname__}"


def class_path(cls: type) -> str:
    """``module.QualName`` of a class that a fresh process can import; a class of the
    running script (``__main__``) is named by the script's module name."""
    qualname, module = cls.__qualname__, cls.__module__
    if module in ("__main__", "__mp_main__"):
        module = _main_module_name(qualname)
    if module == "builtins" or "<locals>" in qualname:
        raise ConfigError(
            f"{qualname} is defined inside a function (or is a builtin), so a detached job "
            f"cannot import it. Fix: define {qualname.rsplit('.', 1)[-1]} at the top level "
            "of your script or of a module.")
    _SPLIT[f"{module}.{qualname}"] = (module, qualname)
    return f"{module}.{qualname}"


def _main_module_name(qualname: str) -> str:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__":
        return str(spec.name)  # python -m pkg.prep
    script = main_script()
    if script is None or not script.stem.isidentifier():
        raise ConfigError(
            f"{qualname} is defined in __main__ (an interactive session, a notebook or a "
            "script whose file name is not a Python identifier), so a detached job cannot "
            f"import it. Fix: move `class {qualname}` into a .py file (e.g. my_prep.py) "
            "and import it from there.")
    return script.stem


_IMPORT_CODE = ("import importlib, sys\nobj = importlib.import_module(sys.argv[1])\n"
                "for name in sys.argv[2].split('.'):\n    obj = getattr(obj, name)\n")
"""Imports the module itself (its own error is the one reported), then the class."""


def split_path(path: str) -> tuple[str, str]:
    """``(module, qualname)`` of a class path made by :func:`class_path`."""
    module, _, qualname = path.rpartition(".")
    return _SPLIT.get(path, (module, qualname))


def check_importable(classes: Iterable[Any], cwd: str) -> None:
    """Import each class (or top-level function) by path in a fresh interpreter (once
    per path, all in parallel), with the job's extra ``sys.path`` entries (the script's
    folder)."""
    pythonpath = os.pathsep.join(
        [*job_pythonpath(), *filter(None, [os.environ.get("PYTHONPATH", "")])])
    paths = [class_path(cls) for cls in classes]
    todo = [p for p in dict.fromkeys(paths) if (p, cwd, pythonpath) not in _IMPORT_CHECKED]
    env = {**os.environ, "PYTHONPATH": pythonpath, IMPORT_ONLY_VAR: "1"}
    procs = {path: subprocess.Popen([sys.executable, "-c", _IMPORT_CODE, *split_path(path)],
                                    cwd=cwd, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True) for path in todo}
    for path, proc in procs.items():
        _, stderr = proc.communicate(timeout=300)
        if proc.returncode != 0:
            last = (stderr.strip().splitlines() or ["(no output)"])[-1]
            raise ConfigError(
                f"{path} cannot be imported by a fresh Python started in {cwd} "
                f"(PYTHONPATH={pythonpath or 'unset'}): {last}\nDetached jobs import the "
                "runner and provider by path. Fix: install the package holding the class, or "
                "put its folder on PYTHONPATH, or submit from the folder that contains it.")
        _IMPORT_CHECKED.add((path, cwd, pythonpath))


# --------------------------------------------------------------------------- JSON config


def absolutize(node: Any, cwd: str, path_like: bool = False) -> Any:
    """Copy of ``node`` with relative paths under path-like keys (``root``, ``output_dir``,
    ``*_dir``, ...) made absolute against ``cwd``: detached jobs may start elsewhere."""
    if isinstance(node, Mapping):
        return {k: absolutize(v, cwd, path_like or _is_path_key(str(k)))
                for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [absolutize(v, cwd, path_like) for v in node]
    return _abs(node, cwd) if path_like else node


def _is_path_key(key: str) -> bool:
    return key in PATH_KEYS or key.endswith(PATH_SUFFIXES)


def _abs(value: Any, cwd: str) -> Any:
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str) or not value or "://" in value or os.path.isabs(value):
        return value
    return os.path.abspath(os.path.join(cwd, os.path.expanduser(value)))


def to_json_data(value: Any, what: str) -> Any:
    """Plain JSON data from a DictConfig/dict (Paths and enums as strings), or ConfigError."""
    if isinstance(value, DictConfig):
        value = OmegaConf.to_container(value, resolve=True, enum_to_str=True)
    try:
        return json.loads(json.dumps(value, allow_nan=False, default=_json_default))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"async_mode: the {what} must be JSON data, because job specs are JSON files "
            f"(never pickle): {exc}. Pass strings, numbers, lists and dicts only.") from exc


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    raise TypeError(f"value {value!r} of type {type(value).__name__} is not JSON data")


# --------------------------------------------------------------------------- spec files


def make_spec(task: ShardTask, provider: Any, *, jobs_dir: Path, job: str,
              runtime_kwargs: Mapping[str, Any] | None = None,
              ctor: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The spec of one shard task, whose env ``provider`` builds (an InferenceProvider-like
    object: ``config`` and optional ``params``) plus the runner's keyword arguments;
    ``ctor``: the constructor fields of :func:`~.rebuild.constructor_fields`."""
    cwd = os.getcwd()
    params = getattr(provider, "params", None)
    return {
        **(ctor or {}),
        "runtime_kwargs": absolutize(to_json_data(dict(runtime_kwargs or {}),
                                                  "runner keyword arguments"), cwd),
        "format": SPEC_FORMAT, "kind": SPEC_KIND,
        "runner": class_path(task.runner_cls), "provider": class_path(type(provider)),
        "config": absolutize(to_json_data(provider.config, "provider config"), cwd),
        "params": None if params is None else absolutize(
            to_json_data(dict(params), "provider params"), cwd),
        "shard": {"id": task.shard.id, "indices": list(task.shard.indices)},
        "retry_indices": None if task.retry_indices is None else list(task.retry_indices),
        "store": str(task.store_root), "plan_hash": task.plan_hash,
        "batch_size": task.batch_size, "on_error": task.on_error,
        "retries": int(task.retries), "item_timeout_s": task.item_timeout_s,
        "sink_options": to_json_data(dict(task.sink_options), "sink options"),
        "jobs_dir": str(jobs_dir), "job": job, "cwd": cwd, "python": sys.executable,
        "pythonpath": job_pythonpath(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def write_spec(path: Path, spec: dict[str, Any]) -> None:
    """Write a spec atomically (a job never reads half a spec), readable by you only."""
    atomic_write_text(path, json.dumps(spec, indent=1, sort_keys=True) + "\n", private=True)


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read and check a spec; raises :class:`SpecError` naming the file and the problem."""
    try:
        with open(path, encoding="utf-8") as handle:
            spec = json.load(handle)
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecError(f"cannot read job spec {path}: {exc}") from exc
    if not isinstance(spec, dict) or spec.get("kind") != SPEC_KIND:
        raise SpecError(f"{path} is not an espnet3-prep job spec (kind {SPEC_KIND!r})")
    if spec.get("format") != SPEC_FORMAT:
        raise SpecError(f"{path}: spec format {spec.get('format')!r} is not {SPEC_FORMAT}; "
                        "resubmit with this version of espnet3-prep")
    bad = [k for k, t in REQUIRED.items() if not isinstance(spec.get(k), t)]
    shard = spec.get("shard", {})
    if not isinstance(shard.get("id"), int) or not isinstance(shard.get("indices"), list):
        bad.append("shard.id/shard.indices")
    if bad:
        raise SpecError(f"{path}: missing or mistyped fields {bad}")
    spec["_path"] = str(Path(path).absolute())
    return spec
