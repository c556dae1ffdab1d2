"""Backends: where shards run (in-process, Dask local or dask-jobqueue, submitit, and the
detached jobs of :mod:`espnet3_prep.backends.detached`). They only execute shard tasks;
they import :mod:`espnet3_prep.execution` and :mod:`espnet3_prep.storage`, never the
driver or the spec API."""

from __future__ import annotations

from typing import Any

from espnet3_prep.backends.base import Backend
from espnet3_prep.backends.dask import DaskBackend
from espnet3_prep.backends.inprocess import InProcessBackend
from espnet3_prep.backends.submitit import SubmititBackend


def make_backend(config: dict[str, Any]) -> Backend:
    """Backend for a normalized parallel config (see :mod:`espnet3_prep.backends.options`)."""
    env = config.get("env", "none")
    if env == "none":
        return InProcessBackend()
    if env.startswith("submitit"):
        return SubmititBackend(config)
    return DaskBackend(config)


__all__ = ["Backend", "DaskBackend", "InProcessBackend", "SubmititBackend", "make_backend"]
