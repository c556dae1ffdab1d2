"""Local-cluster Dask defaults apply only where the user's dask config keeps Dask's."""

from __future__ import annotations

import dask

from espnet3_prep.backends.dask_cluster import LOCAL_TICK, local_dask_config


def test_defaults_slow_the_tick_and_turn_the_worker_profiler_off() -> None:
    assert local_dask_config() == {"distributed.admin.tick.interval": LOCAL_TICK,
                                   "distributed.worker.profile.enabled": False}


def test_user_settings_win() -> None:
    with dask.config.set({"distributed.admin.tick.interval": "50ms",
                          "distributed.worker.profile.interval": "20ms"}):
        assert local_dask_config() == {"distributed.admin.tick.interval": "50ms"}
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        assert "distributed.worker.profile.enabled" not in local_dask_config()
