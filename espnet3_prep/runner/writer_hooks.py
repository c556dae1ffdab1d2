"""ESPnet3's 2026 runner form: per-shard writers and ``merge`` (issue 20).

A runner that overrides any of the static hooks ``open_writers(shard_dir, **env)``,
``write_record(writers, result, state, **env)``, ``close_writers(writers)`` or the method
``merge(self, shard_dirs)`` gets them called:

- in the worker (in-process, Dask worker, submitit or detached job), through
  :class:`HookSink`: writers are opened in the shard's **private temp folder**, so the
  files they write are committed together with the shard's ``DONE`` marker (a shard's
  files never appear half-written, a resumed run skips done shards);
- in the driver, ``merge`` receives the shard folders **in plan order** once every shard
  is done; its return value is what ``runner(indices)`` returns.

``env`` of the hooks is the provider's env plus ``shard_id``, ``output_dir`` and
``shard_subdir`` (ESPnet3 also passes the last two to ``forward``; we do not).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from espnet3_prep.execution.sinks import Dropped, ShardSink
from espnet3_prep.storage.files import atomic_open

HOOKS = ("open_writers", "write_record", "close_writers", "merge")
HOOK_ENV = "hook_env"
"""The sink option carrying ``output_dir``/``shard_subdir`` to the hooks (JSON)."""


def uses_writer_hooks(runner_cls: type, base: type) -> bool:
    """True when ``runner_cls`` overrides any of ESPnet3's writer hooks of ``base``."""
    return any(getattr(runner_cls, name) is not getattr(base, name) for name in HOOKS)


class HookSink(ShardSink):
    """A sink that also feeds every kept result to the runner's writer hooks."""

    def __init__(self, runner_cls: type, directory: Path | None,
                 options: dict[str, Any] | None = None) -> None:
        super().__init__(directory, options)
        self.runner_cls = runner_cls
        self.writers: dict[str, Any] | None = None
        self.state: dict[str, Any] = {}
        self.hook_env: dict[str, Any] = {}

    def bind_env(self, env: dict[str, Any], shard_id: int) -> None:
        """Open the runner's writers in this shard's (temp) folder."""
        self.hook_env = {**env, "shard_id": shard_id, **self.options.get(HOOK_ENV, {})}
        self.state = {"shard_id": shard_id, "records": []}
        self.writers = self.runner_cls.open_writers(self.directory, **self.hook_env) or {}

    def add(self, idx: int, result: Any) -> str:
        """Hand a kept result to ``write_record``, then count it as usual."""
        if result is not None and not isinstance(result, Dropped):
            self.runner_cls.write_record(self.writers, result, self.state, **self.hook_env)
        return super().add(idx, result)

    def encode_result(self, idx: int, result: Any) -> Any:
        """The runner's writers hold the result; ``results.jsonl`` keeps only the index."""
        return None

    def close(self) -> dict[str, Any]:
        """Close the writers (their metadata goes into the shard's summary)."""
        meta = self._close_writers()
        summary = super().close()
        if meta:
            summary["writers"] = meta
        return summary

    def abort(self) -> None:
        """Close the writers too (the temp folder is thrown away)."""
        try:
            self._close_writers()
        finally:
            super().abort()

    def _close_writers(self) -> dict[str, Any] | None:
        writers, self.writers = self.writers, None
        return None if writers is None else self.runner_cls.close_writers(writers)


def concatenate_shard_files(shard_dirs: Sequence[str | Path], relative_name: str,
                            out_path: str | Path) -> bool:
    """Concatenate ``<shard_dir>/<relative_name>`` of every shard, in the order given, into
    ``out_path`` (written atomically: temp file, fsync, rename). Missing fragments are
    skipped; returns False (and writes nothing) when there is none."""
    fragments = [Path(d) / relative_name for d in shard_dirs]
    present = [f for f in fragments if f.exists()]
    if not present:
        Path(out_path).unlink(missing_ok=True)
        return False
    with atomic_open(out_path, "wb") as out:
        for fragment in present:
            with open(fragment, "rb") as handle:
                shutil.copyfileobj(handle, out)
    return True
