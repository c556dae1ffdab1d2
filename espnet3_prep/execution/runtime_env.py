"""Runner keyword arguments (``BaseRunner(provider, cleaner=f)``) added to the env.

The spec lets extra runtime arguments of ``forward`` come "through the provider params or
when instantiating the runner". Both end up as keyword arguments of ``forward``; a key
given both ways (or naming ``dataset``/``model``/a provider extra) is a
:class:`~espnet3_prep.errors.ConfigError`, never a silent override.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from espnet3_prep.errors import ConfigError


def merge_runtime_kwargs(env: dict[str, Any], runtime_kwargs: Mapping[str, Any]
                         ) -> dict[str, Any]:
    """``env`` plus ``runtime_kwargs`` (a new dict); refuses keys present in both."""
    if not runtime_kwargs:
        return env
    both = sorted(set(env) & set(runtime_kwargs))
    if both:
        raise ConfigError(
            f"runner keyword argument(s) {both} are also built by the provider (its params, "
            "dataset/model or build_extras()); pass each forward() argument one way only: "
            "either in the provider's params or as a keyword of the runner")
    return {**env, **runtime_kwargs}


def check_runtime_kwargs(provider: Any, runtime_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The runner's extra ``forward`` keyword arguments, refusing the keys the provider
    builds itself (``dataset``, ``model``, its ``params``): see README, *ESPnet3*."""
    params = getattr(provider, "params", None) or {}
    both = sorted(({"dataset", "model"} | set(params)) & set(runtime_kwargs))
    if both:
        raise ConfigError(
            f"{type(provider).__name__} already provides {both}; pass each forward() "
            "argument one way only: in the provider's params or as a runner keyword")
    return dict(runtime_kwargs)


class WithRuntimeKwargs:
    """A picklable worker setup fn: the provider's env plus the runner's keyword args."""

    def __init__(self, setup_fn: Callable[[], dict[str, Any]],
                 runtime_kwargs: Mapping[str, Any]) -> None:
        self.setup_fn = setup_fn
        self.runtime_kwargs = dict(runtime_kwargs)

    def __call__(self) -> dict[str, Any]:
        """Build the env on the worker and add the runner's keyword arguments."""
        return merge_runtime_kwargs(self.setup_fn(), self.runtime_kwargs)
