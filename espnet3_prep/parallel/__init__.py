"""Process-wide parallel configuration (spec section 4).

``set_parallel(cfg.parallel)`` selects where runners execute; every runner created
afterwards uses it with no code change. The backend (and its cluster/client) is built
lazily on first use, reused across calls and splits, and closed at exit.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from espnet3_prep.backends import make_backend
from espnet3_prep.backends.base import Backend
from espnet3_prep.backends.options import normalize_parallel_config

log = logging.getLogger(__name__)

_lock = threading.Lock()
_config: dict[str, Any] | None = None
_backend: Backend | None = None


def set_parallel(config: Mapping[str, Any] | DictConfig | None) -> None:
    """Select the parallel backend; validates the config now, builds the cluster lazily.

    ``None`` or ``{"env": "none"}`` means in-process execution.
    """
    global _config
    plain = _to_plain(config)
    normalized = normalize_parallel_config(plain)
    with _lock:
        if _backend is not None and normalized != _config:
            _close_locked()
        _config = normalized


def get_parallel_config() -> dict[str, Any] | None:
    """The current parallel config (None when unset: in-process)."""
    return None if _config is None else dict(_config)


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

__all__ = ["set_parallel", "get_parallel_config", "get_backend", "close_parallel"]
