"""``InferenceProvider``: env = ``{"dataset", "model", **params}`` (spec section 1)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from omegaconf import DictConfig

from espnet3_prep.runner.env_provider import EnvironmentProvider, private_copy


class InferenceProvider(EnvironmentProvider):
    """A provider whose env is a dataset, a model and extra runtime params.

    Subclasses implement the static ``build_dataset(cfg)`` and ``build_model(cfg)``.
    ``params`` (e.g. ``{"output_dir": ...}``) are added to the env as keyword arguments.

    :meth:`build_env_local` builds the env once and caches it on the provider for the
    process's lifetime, so ``len(provider.build_env_local()["dataset"])`` followed by
    ``runner(indices)`` (the spec's section 3) builds the dataset once, and every runner
    sharing the provider reuses it. ``build_env_local(rebuild=True)`` builds it again
    (e.g. after the inputs changed on disk); :meth:`reset_env` drops it. The cache is not
    pickled: workers build their own env through :meth:`make_worker_setup_fn`.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | DictConfig | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(config)
        self.params: dict[str, Any] = dict(params or {})
        self._dataset: Any = None
        self._env: dict[str, Any] | None = None
        reserved = {"dataset", "model"} & set(self.params)
        if reserved:
            raise ValueError(
                f"params may not override env keys {sorted(reserved)}: they are built by "
                "build_dataset()/build_model(); rename the param"
            )

    @staticmethod
    def build_dataset(cfg: DictConfig) -> Any:
        """Build the dataset (a sequence indexed by the runner)."""
        raise NotImplementedError("InferenceProvider subclasses must implement build_dataset")

    @staticmethod
    def build_model(cfg: DictConfig) -> Any:
        """Build the model or helper object (optional: None by default)."""
        return None

    @staticmethod
    def build_extras(cfg: DictConfig) -> dict[str, Any]:
        """Further per-process env entries (e.g. a cleaner); none by default."""
        return {}

    def use_dataset(self, dataset: Any) -> None:
        """Reuse ``dataset`` (already built by the caller from this provider's config) for
        the in-process env instead of building it again; workers still build their own."""
        self._dataset = dataset
        self._env = None

    def build_env_local(self, rebuild: bool = False) -> dict[str, Any]:
        """``{"dataset", "model", **params}`` for this process: built on first use, then
        the same dict until ``rebuild=True`` or :meth:`reset_env`."""
        if self._env is None or rebuild:
            self._env = _build_env(type(self), self.config, self.params, self._dataset)
        return self._env

    def reset_env(self) -> None:
        """Forget the cached env; the next :meth:`build_env_local` builds a new one."""
        self._env = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the cached env (a dataset can be large; workers build theirs)."""
        state = dict(self.__dict__)
        state["_env"] = None
        return state

    def make_worker_setup_fn(self) -> Callable[[], dict[str, Any]]:
        """A picklable callable building the same env inside a worker."""
        return functools.partial(_build_env, type(self), private_copy(self.config),
                                 dict(self.params))

    def fingerprint(self) -> dict[str, Any]:
        """Provider class, resolved config and params."""
        base = super().fingerprint()
        base["params"] = {k: repr(v) for k, v in sorted(self.params.items())}
        return base


def _build_env(
    provider_cls: type[InferenceProvider], config: DictConfig, params: dict[str, Any],
    dataset: Any = None,
) -> dict[str, Any]:
    """Build one env (reusing ``dataset`` when given); each builder gets its own copy of the
    config so none can mutate the caller's."""
    if dataset is None:
        dataset = provider_cls.build_dataset(private_copy(config))
    model = provider_cls.build_model(private_copy(config))
    extras = provider_cls.build_extras(private_copy(config))
    both = sorted(set(extras) & (set(params) | {"dataset", "model"}))
    if both:
        raise ValueError(
            f"env keys {both} are given both by {provider_cls.__name__}.build_extras() and "
            "as params/dataset/model; pass each key one way only"
        )
    return {"dataset": dataset, "model": model, **extras, **params}

