"""Runner keyword arguments that are functions or classes, in JSON job specs.

``PrepRunner(provider, cleaner=clean)`` (the spec's section 6) passes a function to
``forward``. A detached job cannot receive it by pickle (specs are JSON), but it can
import it, as it imports the runner class: a top-level function or class of a module or
of the submitting script is written as ``{"$import": [module, qualname]}`` and imported
again in the job. Lambdas, closures and bound methods cannot be imported and are refused
at submit time, naming the keyword.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

from espnet3_prep.backends.detached.specs import class_path, split_path, to_json_data
from espnet3_prep.errors import ConfigError

IMPORT_KEY = "$import"


def importable_values(kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keyword arguments that are functions or classes (to be imported by path)."""
    return {k: v for k, v in (kwargs or {}).items()
            if inspect.isfunction(v) or inspect.isclass(v) or inspect.ismethod(v)}


def encode_callables(kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """``kwargs`` with every function/class replaced by its import path; any other value
    must be JSON data (a ConfigError naming the keyword otherwise)."""
    out = {key: to_json_data(value, f"runner keyword {key!r}")
           for key, value in (kwargs or {}).items() if key not in importable_values(kwargs)}
    for key, value in importable_values(kwargs).items():
        qualname = getattr(value, "__qualname__", "")
        if inspect.ismethod(value) or "<lambda>" in qualname or "<locals>" in qualname:
            raise ConfigError(
                f"async_mode: the runner keyword {key}={qualname or value!r} cannot be "
                "imported by a detached job (a lambda, a closure or a bound method). Fix: "
                f"define it as a top-level function of your script or of a module, or run "
                "synchronously (async_mode=False).")
        out[key] = {IMPORT_KEY: list(split_path(class_path(value)))}
    return out


def decode_callables(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` read from a spec, with ``{"$import": [module, qualname]}`` imported."""
    out = dict(kwargs)
    for key, value in kwargs.items():
        if isinstance(value, dict) and set(value) == {IMPORT_KEY}:
            module, qualname = value[IMPORT_KEY]
            obj: Any = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
            out[key] = obj
    return out
