"""Process-wide parallel configuration (spec section 4).

``set_parallel(cfg.parallel)`` selects where runners execute; every runner created
afterwards uses it with no code change. The backend (and its cluster/client) is built
lazily on first use, reused across calls and splits, and closed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.backends import make_backend
from espnet3_prep.backends.base import Backend
from espnet3_prep.backends.dask import DaskBackend
from espnet3_prep.backends.options import normalize_parallel_config
from espnet3_prep.parallel.helpers import (
    SetupFn,
    client_for,
    forget_client_env,
    iter_inprocess,
    iter_ordered,
    release_client,
    set_client_env,
)

log = logging.getLogger(__name__)

_lock = threading.Lock()
_config: dict[str, Any] | None = None
_backend: Backend | None = None


def set_parallel(config: Mapping[str, Any] | DictConfig | None) -> None:
    """Select the parallel backend; validates the config now, builds the cluster lazily.

    ``None`` (unset again: :func:`get_parallel_config` returns None) or
    ``{"env": "none"}`` means in-process execution.
    """
    global _config
    plain = _to_plain(config)
    normalized = None if plain is None else normalize_parallel_config(plain)
    with _lock:
        if _backend is not None and normalized != _config:
            _close_locked()
        _config = normalized


def get_parallel_config() -> DictConfig | None:
    """The current parallel config as a ``DictConfig`` (``cfg.n_workers`` and
    ``cfg["n_workers"]`` both work, as in ESPnet3), or None when unset (in-process)."""
    return None if _config is None else OmegaConf.create(_config)


def current_parallel_config() -> dict[str, Any]:
    """The normalized config as a plain dict (in-process when unset)."""
    return dict(_config) if _config is not None else normalize_parallel_config(None)


def get_backend() -> Backend:
    """The backend for the current config, built once and reused."""
    global _backend
    with _lock:
        if _backend is None:
            _backend = make_backend(_config or {"env": "none"})
        return _backend


def close_parallel() -> None:
    """Shut down the current backend's client/cluster (idempotent)."""
    with _lock:
        _close_locked()


# ----------------------------------------------------------------- ESPnet3's helpers


def make_client(config: Mapping[str, Any] | DictConfig | None = None) -> Any:
    """A new Dask ``Client`` for ``config`` (default: the config of :func:`set_parallel`);
    close it with ``client.close()`` (its cluster closes at exit) or use :func:`get_client`.
    """
    plain = _to_plain(config) if config is not None else current_parallel_config()
    return client_for(normalize_parallel_config(plain))


build_client = make_client
"""ESPnet3's newer name of :func:`make_client`."""


@contextlib.contextmanager
def get_client(config: Mapping[str, Any] | DictConfig | None = None,
               setup_fn: SetupFn | None = None) -> Iterator[Any]:
    """A Dask client as a context manager. Without ``config``, the client of the backend
    :func:`set_parallel` selected (kept open afterwards); with one, a new cluster that is
    closed on exit. ``setup_fn`` is registered as a per-worker env (see parallel_map)."""
    backend = get_backend() if config is None else None
    shared = isinstance(backend, DaskBackend)
    client = backend.start() if isinstance(backend, DaskBackend) else make_client(config)
    try:
        set_client_env(client, setup_fn)
        yield client
    finally:
        if not shared:
            release_client(client)
        elif setup_fn is not None:
            forget_client_env(client)


def parallel_for(func: Callable[..., Any], items: Iterable[Any], client: Any = None,
                 setup_fn: SetupFn | None = None, progress: bool = True) -> Iterator[Any]:
    """Yield ``func(item, **env)`` for every item **in input order** as results arrive,
    on ``client``, else on the backend of :func:`set_parallel` (in-process when unset)."""
    if client is not None:
        yield from iter_ordered(client, func, items, setup_fn, progress)
    elif _config is None or _config["env"] == "none":
        yield from iter_inprocess(func, items, setup_fn, progress)
    else:
        with get_client() as shared:
            yield from iter_ordered(shared, func, items, setup_fn, progress)


def parallel_map(func: Callable[..., Any], items: Iterable[Any], client: Any = None,
                 setup_fn: SetupFn | None = None, progress: bool = True) -> list[Any]:
    """``[func(item, **env) for item in items]``, in parallel, in input order."""
    return list(parallel_for(func, items, client, setup_fn, progress))


def _close_locked() -> None:
    global _backend
    if _backend is not None:
        try:
            _backend.close()
        finally:
            _backend = None


def _to_plain(config: Mapping[str, Any] | DictConfig | None) -> dict[str, Any] | None:
    if config is None:
        return None
    if isinstance(config, DictConfig):
        return OmegaConf.to_container(config, resolve=True)  # type: ignore[return-value]
    return dict(config)


atexit.register(close_parallel)

__all__ = ["set_parallel", "get_parallel_config", "current_parallel_config", "get_backend",
           "close_parallel", "make_client", "build_client", "get_client", "parallel_map",
           "parallel_for"]
