"""Rebuilding a job's provider from its spec — in the job, and at submit time in the driver.

A detached job has only its JSON spec. The provider is rebuilt from the class path, the
resolved ``config`` and ``params``, and — for providers that take more in their
constructor, e.g. ``ClipProvider(config, examples)`` — the other constructor arguments as
they were passed (recorded when they are JSON data). A provider whose data is not JSON
implements two hooks, JSON in and out::

    def to_spec(self) -> dict: ...                 # called once at submit time
    @classmethod
    def from_spec(cls, data: dict) -> "Provider": ...   # called in each job

Constructor data larger than :data:`SIDE_FILE_BYTES` goes to one side file next to the
specs (written once per submission, shared by every spec). The driver rebuilds the
provider exactly as a job will before anything is submitted, and refuses one it cannot
rebuild, naming the class, the argument and the ways out.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from espnet3_prep.errors import ConfigError
from espnet3_prep.storage.files import atomic_write_text

SIDE_FILE_BYTES = 64 * 1024
"""Constructor data above this size (as JSON) goes to a side file, not into every spec."""
SPEC_ARGS = ("config", "params")
"""Constructor parameters filled from the spec's ``config`` and ``params`` fields."""
WAYS_OUT = (
    "Ways out: pass only JSON data (str, numbers, lists, dicts) to the constructor; or "
    "implement to_spec() (JSON) and a classmethod from_spec(data) on the provider; or load "
    "the data inside build_dataset()/build_env_local() from a path in the config; or run "
    "synchronously (async_mode=False), which ships the provider to workers by pickle.")


def constructor_fields(provider: Any, specs_dir: Path) -> dict[str, Any]:
    """Spec fields that rebuild ``provider``'s constructor state (empty: config/params do)."""
    cls = type(provider)
    if callable(getattr(provider, "to_spec", None)):
        if not callable(getattr(cls, "from_spec", None)):
            raise ConfigError(f"{cls.__qualname__} defines to_spec() but no classmethod "
                              f"from_spec(data); a detached job could not rebuild it. "
                              f"{WAYS_OUT}")
        state = _json(provider.to_spec(), cls, "to_spec() result")
        return _maybe_side_file({"provider_state": state}, specs_dir)
    names, kwargs = _bound_arguments(provider)
    if not kwargs and set(names) <= set(SPEC_ARGS):
        return {"ctor_names": names} if names else {}
    data = {name: _json(value, cls, f"constructor argument {name!r}")
            for name, value in kwargs.items()}
    return _maybe_side_file({"ctor_names": names, "ctor_kwargs": data}, specs_dir)


def build_provider(provider_cls: type, spec: dict[str, Any]) -> Any:
    """The provider a spec describes (what every job of the spec constructs)."""
    fields = _load_side_file(spec)
    if "provider_state" in fields:
        return provider_cls.from_spec(fields["provider_state"])
    params = spec.get("params")
    names = fields.get("ctor_names")
    if names is None:  # a spec of an older version (or a provider with no recorded args)
        return (provider_cls(spec["config"]) if params is None
                else provider_cls(spec["config"], params=params))
    kwargs = dict(fields.get("ctor_kwargs") or {})
    if "config" in names:
        kwargs["config"] = spec["config"]
    if "params" in names:
        kwargs["params"] = params
    return provider_cls(**kwargs)


def constructor_digest(provider: Any) -> str | None:
    """A hash of the provider's constructor data beyond config/params (``to_spec()`` or
    the JSON arguments), for the plan key: changed data refuses to resume. None when
    there is none, or when it is not JSON (then only the config and params are checked)."""
    try:
        if callable(getattr(provider, "to_spec", None)):
            data = provider.to_spec()
        else:
            data = _bound_arguments(provider)[1]
        if not data:
            return None
        text = json.dumps(data, sort_keys=True, allow_nan=False, default=_plain)
    except (TypeError, ValueError, ConfigError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def check_rebuild(provider_cls: type, spec: dict[str, Any]) -> None:
    """Rebuild the provider from ``spec`` as a job will; a ConfigError when it fails."""
    try:
        build_provider(provider_cls, spec)
    except Exception as exc:  # noqa: BLE001 - any failure means every job would fail
        raise ConfigError(
            f"async_mode: {provider_cls.__qualname__} cannot be rebuilt from its job spec "
            f"({type(exc).__name__}: {exc}); nothing was submitted. A detached job only "
            f"has the spec's JSON: the class path, config, params and the constructor "
            f"arguments that were passed. {WAYS_OUT}") from exc


def _bound_arguments(provider: Any) -> tuple[list[str], dict[str, Any]]:
    """Names of the constructor arguments given, and the values of those not in the spec."""
    cls = type(provider)
    args, kwargs = getattr(provider, "_init_args", ((), {}))
    try:
        signature = inspect.signature(cls)
        bound = signature.bind(*args, **kwargs)
    except (TypeError, ValueError):
        return [], {}
    names: list[str] = []
    extra: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind == inspect.Parameter.VAR_POSITIONAL or (
                kind == inspect.Parameter.POSITIONAL_ONLY and name not in SPEC_ARGS):
            if value:
                raise ConfigError(f"{cls.__qualname__}: positional-only constructor "
                                  f"arguments ({name}) cannot be recorded. {WAYS_OUT}")
            continue
        if kind == inspect.Parameter.VAR_KEYWORD:
            extra.update(value)
            names.extend(value)
            continue
        names.append(name)
        if name not in SPEC_ARGS:
            extra[name] = value
    return names, extra


def _json(value: Any, cls: type, what: str) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False, default=_plain))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"async_mode: {cls.__qualname__}'s {what} is not JSON data ({exc}), and job "
            f"specs are JSON (never pickle), so a detached job could not rebuild the "
            f"provider; nothing was submitted. {WAYS_OUT}") from exc


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _maybe_side_file(fields: dict[str, Any], specs_dir: Path) -> dict[str, Any]:
    """``fields``, or a reference to one side file holding them when they are large."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    if len(text) <= SIDE_FILE_BYTES:
        return fields
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = specs_dir / f"provider-{digest}.json"
    if not path.exists():
        specs_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    return {"ctor_file": str(path)}


def _load_side_file(spec: dict[str, Any]) -> dict[str, Any]:
    if "ctor_file" not in spec:
        return spec
    with open(spec["ctor_file"], encoding="utf-8") as handle:
        return json.load(handle)
