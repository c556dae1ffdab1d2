"""ESPnet3's low-level ``espnet3.parallel`` helpers, over our Dask backends.

``make_client``/``build_client`` (a Dask ``Client``), ``get_client`` (the same as a context
manager), ``parallel_map`` (a list, in input order) and ``parallel_for`` (a generator, in
input order, with a progress bar). A ``setup_fn`` builds a per-worker env once per worker
(as ESPnet3's worker plugin does) and passes it to ``func`` as keyword arguments. These are
plain helpers: no shard store, no resume; use a runner for that.
"""

from __future__ import annotations

import atexit
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from espnet3_prep.backends.dask import DaskBackend
from espnet3_prep.backends.dask_worker import as_worker_plugin
from espnet3_prep.driver.progress import ItemProgress
from espnet3_prep.errors import ConfigError

SetupFn = Callable[[], dict[str, Any]]
_names = itertools.count()
_owned: dict[int, DaskBackend] = {}
_client_env: dict[int, str] = {}  # the env get_client(setup_fn=...) registered, per client


def client_for(config: dict[str, Any]) -> Any:
    """A new Dask client for a normalized parallel config (its cluster closes with
    :func:`release_client` or at exit)."""
    if config["env"] == "none":
        config = {"env": "local", "n_workers": 1, "options": {"processes": False}}
    elif config["env"].startswith("submitit"):
        raise ConfigError(
            f"parallel.env={config['env']} has no Dask client; get_client/make_client/"
            "parallel_map need env local or a dask-jobqueue env (slurm, pbs, ...). "
            "Runners work on every env.")
    backend = DaskBackend(config)
    client = backend.start()
    _owned[id(client)] = backend
    return client


def forget_client_env(client: Any) -> None:
    """Unregister the env :func:`set_client_env` gave ``client`` (if any)."""
    name = _client_env.pop(id(client), None)
    if name is not None and client.status == "running":
        client.unregister_worker_plugin(name)


def release_client(client: Any) -> None:
    """Close a client made by :func:`client_for` and its cluster (idempotent)."""
    forget_client_env(client)
    backend = _owned.pop(id(client), None)
    if backend is not None:
        backend.close()
    else:
        client.close()


def register_env(client: Any, setup_fn: SetupFn | None) -> str | None:
    """Register ``setup_fn`` as a worker plugin (env built once per worker); its name."""
    if setup_fn is None:
        return None
    name = f"espnet3-prep-helper-env-{next(_names)}"
    client.register_plugin(as_worker_plugin(setup_fn), name=name)
    return name


def set_client_env(client: Any, setup_fn: SetupFn | None) -> None:
    """``get_client(setup_fn=...)``: the env every helper call on ``client`` gets."""
    name = register_env(client, setup_fn)
    if name is not None:
        _client_env[id(client)] = name


def call_with_env(func: Callable[..., Any], plugin: str | None, item: Any) -> Any:
    """Task body: ``func(item, **env)`` with this worker's env (or ``func(item)``)."""
    if plugin is None:
        return func(item)
    from distributed import get_worker  # only inside a Dask worker

    return func(item, **get_worker().plugins[plugin].get_env())


def iter_ordered(client: Any, func: Callable[..., Any], items: Iterable[Any],
                 setup_fn: SetupFn | None, progress: bool) -> Iterator[Any]:
    """Submit every item, yield results in input order (a failed item raises)."""
    data = list(items)
    own = register_env(client, setup_fn)
    plugin = own or _client_env.get(id(client))
    futures = client.map(call_with_env, [func] * len(data), [plugin] * len(data), data,
                         pure=False)
    bar = ItemProgress(len(data), getattr(func, "__name__", "items"), enabled=progress)
    try:
        with bar:
            for future in futures:
                yield future.result()
                bar.item("kept")
    finally:
        client.cancel(futures)
        if own is not None:
            client.unregister_worker_plugin(own)


def iter_inprocess(func: Callable[..., Any], items: Iterable[Any], setup_fn: SetupFn | None,
                   progress: bool) -> Iterator[Any]:
    """The same in this process (no parallel config): env built once."""
    data = list(items)
    env = setup_fn() if setup_fn is not None else {}
    with ItemProgress(len(data), getattr(func, "__name__", "items"), enabled=progress) as bar:
        for item in data:
            yield func(item, **env)
            bar.item("kept")


def _close_all() -> None:
    for backend in list(_owned.values()):
        backend.close()
    _owned.clear()


atexit.register(_close_all)
