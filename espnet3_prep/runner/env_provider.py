"""``EnvironmentProvider``: builds what must exist once per process (spec section 1)."""

from __future__ import annotations

import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.backends.detached.rebuild import constructor_digest
from espnet3_prep.backends.detached.specs import stable_class_name


def private_copy(config: DictConfig) -> DictConfig:
    """A deep copy of ``config`` with its flags and schema, ~3x cheaper than
    ``config.copy()`` (a pickle round trip instead of OmegaConf's node-by-node deepcopy;
    every env build makes several, on every worker)."""
    try:
        return pickle.loads(pickle.dumps(config, pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):  # objects only deepcopy handles
        return config.copy()


def as_config(config: Mapping[str, Any] | DictConfig | None) -> DictConfig:
    """A private DictConfig copy of ``config`` (dict or DictConfig); the caller's is untouched."""
    if config is None:
        return OmegaConf.create({})
    if isinstance(config, DictConfig):
        return private_copy(config)
    return OmegaConf.create(dict(config))


class EnvironmentProvider(ABC):
    """Builds the per-process environment (datasets, models, helpers) from a config.

    Subclasses implement :meth:`build_env_local` (used in-process) and
    :meth:`make_worker_setup_fn` (a picklable callable that builds the same env inside a
    worker process). The newer name ``build_worker_setup_fn`` is accepted too.

    Detached jobs (``async_mode``) rebuild the provider from its JSON spec: the config,
    ``params`` and any other constructor arguments that are JSON data. Otherwise define
    ``to_spec(self) -> dict`` and a classmethod ``from_spec(cls, data)`` (JSON only); see
    :mod:`espnet3_prep.backends.detached.rebuild`.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> EnvironmentProvider:  # noqa: D102
        self = super().__new__(cls)
        # the constructor's arguments as given: a detached job rebuilds the provider from
        # them (backends/detached/rebuild.py); plain attribute, so pickling is unchanged
        self._init_args = (args, kwargs)
        return self

    def __init__(self, config: Mapping[str, Any] | DictConfig | None = None) -> None:
        self.config = as_config(config)

    @abstractmethod
    def build_env_local(self) -> dict[str, Any]:
        """Build the environment in the current process."""

    def make_worker_setup_fn(self) -> Callable[[], dict[str, Any]]:
        """A picklable zero-argument callable building the env on a worker."""
        newer = type(self).build_worker_setup_fn
        if newer is not EnvironmentProvider.build_worker_setup_fn:
            return self.build_worker_setup_fn()
        raise NotImplementedError(
            f"{type(self).__name__} must implement make_worker_setup_fn() "
            "(or build_worker_setup_fn())"
        )

    def build_worker_setup_fn(self) -> Callable[[], dict[str, Any]]:
        """Newer ESPnet3 name of :meth:`make_worker_setup_fn`."""
        return self.make_worker_setup_fn()

    def worker_setup_fn(self) -> Callable[[], dict[str, Any]]:
        """Whichever of the two setup-fn names the subclass implements."""
        return self.make_worker_setup_fn()

    def fingerprint(self) -> dict[str, Any]:
        """What the outputs depend on (used to validate resumed plans): the class, the
        config and a hash of other constructor data (when it is JSON or ``to_spec()``)."""
        key = {"provider": stable_class_name(type(self)),
               "config": OmegaConf.to_container(self.config, resolve=True)}
        digest = constructor_digest(self)
        if digest is not None:
            key["constructor"] = digest
        return key
