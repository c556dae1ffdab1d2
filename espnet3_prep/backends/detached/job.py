"""``python -m espnet3_prep.worker SPEC [SPEC ...]``: the body of a detached shard job.

(``espnet3_prep.worker`` is a stable shim for this module: job scripts embed its name.)

The worker reads the JSON specs written by ``runner(...)`` in ``async_mode`` and refuses
all of them, writing nothing, if any spec's plan hash is not the store's current
``plan.json`` (the output was re-planned since). It builds the env once through the
provider class named in the spec, then runs every shard that is not done yet with
:func:`espnet3_prep.execution.shard.run_shard` (private temp dir, fsync, rename, ``DONE``
marker). ``<jobs>/state/NNNNN.json`` tells ``action=status`` how far each shard got.

Exit codes: 0 every shard done, 1 a shard failed (the job stops there), 2 an unreadable
spec or one another user could have written (group/other-writable, or not yours: refused
before anything is imported), 3 a plan mismatch, 130/143 interrupted (SIGINT/SIGTERM,
e.g. ``scancel``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from espnet3_prep.backends.detached.book import JobsLayout
from espnet3_prep.backends.detached.callables import decode_callables
from espnet3_prep.backends.detached.rebuild import build_provider
from espnet3_prep.backends.detached.specs import IMPORT_ONLY_VAR, SpecError, load_spec
from espnet3_prep.compat import resolve_class
from espnet3_prep.errors import BackendError, Terminated, raise_terminated
from espnet3_prep.execution.runtime_env import merge_runtime_kwargs
from espnet3_prep.execution.shard import run_shard
from espnet3_prep.execution.task import ShardTask
from espnet3_prep.execution.threads import limit_threads
from espnet3_prep.storage.files import atomic_write_json, read_json
from espnet3_prep.storage.private import refuse_exposed
from espnet3_prep.storage.shards import PLAN_NAME, Shard, ShardStore

log = logging.getLogger("espnet3_prep.worker")
EXIT_FAILED, EXIT_SPEC, EXIT_PLAN = 1, 2, 3
STATE_EVERY_S = 1.0


class StateFile:
    """The worker's account of one shard in ``<jobs>/state/NNNNN.json``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        shard_id = int(spec["shard"]["id"])
        layout = JobsLayout(Path(spec["jobs_dir"]), Path(spec["_path"]).parent)
        self.path = layout.state_path(shard_id)
        items = spec.get("retry_indices") or spec["shard"]["indices"]
        self.base = {"shard": shard_id, "job": spec["job"], "pid": os.getpid(),
                     "host": socket.gethostname(), "num_items": len(items),
                     "started": time.time()}
        self.items = 0
        self.last = 0.0

    def write(self, state: str, **extra: Any) -> None:
        """Replace the state file atomically."""
        atomic_write_json(self.path, {**self.base, "state": state, "items_done": self.items,
                                      "updated": time.time(), **extra})

    def item(self, outcome: str) -> None:
        """Progress callback of run_shard: one item finished (written at most 1/s)."""
        self.items += 1
        if time.monotonic() - self.last >= STATE_EVERY_S:
            self.last = time.monotonic()
            self.write("running")

    def fail(self, exc: BaseException) -> None:
        """Record why the shard failed."""
        name = "terminated (SIGTERM)" if isinstance(exc, Terminated) else type(exc).__name__
        trace = "".join(traceback.format_exception(exc)[-4:])[-1500:]
        self.write("failed", error=f"{name}: {exc}".rstrip(": "), traceback=trace)


def plan_problem(specs: list[dict[str, Any]]) -> str | None:
    """Why a spec must not run (its plan is not the store's current plan), or None."""
    for spec in specs:
        path = Path(spec["store"]) / PLAN_NAME
        try:
            current = read_json(path).get("plan_hash")
        except (OSError, json.JSONDecodeError, AttributeError):
            current = None
        if current != spec["plan_hash"]:
            now = "is missing" if current is None else f"holds plan {current[:12]}"
            return (f"refusing {spec['_path']}: it was written for plan "
                    f"{spec['plan_hash'][:12]}, but {path} {now} (the output was re-planned: "
                    "inputs or config changed, or runner.resume=false). Nothing was written. "
                    "Resubmit with the current command (action=run runner.async_mode=true) "
                    "to get fresh specs.")
    return None


def task_from_spec(spec: dict[str, Any]) -> ShardTask:
    """The :class:`~espnet3_prep.execution.shard.ShardTask` a spec describes."""
    retry = spec.get("retry_indices")
    return ShardTask(resolve_class(spec["runner"]),
                     Shard(int(spec["shard"]["id"]), tuple(spec["shard"]["indices"])),
                     spec["store"], spec["plan_hash"], spec.get("batch_size"),
                     spec["on_error"], int(spec["retries"]), dict(spec["sink_options"]),
                     spec.get("item_timeout_s"), None if retry is None else tuple(retry))


def _env_for(spec: dict[str, Any], envs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The provider's env, built once per distinct provider/config/params in this job."""
    key = json.dumps([spec["provider"], spec["config"], spec.get("params"),
                      spec.get("runtime_kwargs"), spec.get("ctor_file"),
                      spec.get("ctor_kwargs"), spec.get("provider_state")], sort_keys=True)
    if key not in envs:
        provider = build_provider(resolve_class(spec["provider"]), spec)
        envs[key] = merge_runtime_kwargs(provider.build_env_local(),
                                         decode_callables(spec.get("runtime_kwargs") or {}))
    return envs[key]


RANK_VARIABLES = ("WORLD_RANK", "RANK")
"""Where a detached job finds its rank: ESPnet3's name and torch's (with ``WORLD_SIZE``,
and ``LOCAL_RANK=0``: one process per job)."""


def export_rank(spec: dict[str, Any]) -> None:
    """Set the job's rank and world size in ESPnet3's and torch's variable names."""
    if "rank" not in spec:  # a spec written by an older version
        return
    for name in RANK_VARIABLES:
        os.environ[name] = str(spec["rank"])
    os.environ["WORLD_SIZE"] = str(spec["world_size"])
    os.environ["LOCAL_RANK"] = "0"


def _remove_stale_attempts(store: ShardStore, shard_id: int) -> None:
    """Temp dirs of this shard left by a killed job (no live job holds this shard)."""
    if store.shards_dir.is_dir():
        for tmp in store.shards_dir.glob(f".{shard_id:05d}.tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)


def _run_spec(spec: dict[str, Any], envs: dict[str, dict[str, Any]]) -> bool:
    task = task_from_spec(spec)
    store = ShardStore(spec["store"])
    if task.retry_indices is None and store.is_done(task.shard.id, task.plan_hash):
        log.info("shard %s is already done; skipping", task.shard.name)
        return True
    _remove_stale_attempts(store, task.shard.id)
    state = StateFile(spec)
    state.write("running")
    log.info("shard %s: %d items", task.shard.name, state.base["num_items"])
    try:
        result = run_shard(task, _env_for(spec, envs), state.item)
    except KeyboardInterrupt as exc:
        state.fail(exc)
        raise
    except Exception as exc:  # noqa: BLE001 - recorded for action=status, job stops
        log.exception("shard %s failed", task.shard.name)
        state.fail(exc)
        return False
    state.write("done", seconds=result.summary.get("seconds"),
                counts=result.summary.get("counts", {}))
    log.info("shard %s done: %s", task.shard.name, result.summary.get("counts", {}))
    return True


def run_specs(paths: list[str]) -> int:
    """Run the shards of these spec files; returns the exit code."""
    exposed = refuse_exposed([p for path in paths for p in (path, Path(path).parent)],
                             "job spec (it names the classes to import)")
    if exposed:
        log.error("%s", exposed)
        return EXIT_SPEC
    try:
        specs = [load_spec(path) for path in paths]
    except SpecError as exc:
        log.error("%s", exc)
        return EXIT_SPEC
    for spec in specs:
        problem = plan_problem([spec])
        if problem:
            log.error("%s", problem)
            return EXIT_PLAN
    limit_threads()
    export_rank(specs[0])
    cwd = specs[0]["cwd"]
    os.environ[IMPORT_ONLY_VAR] = "1"  # a user script imported here must not run itself
    if os.path.isdir(cwd):
        os.chdir(cwd)  # as the submitting shell; user code may use relative paths
        if cwd not in sys.path:
            sys.path.insert(0, cwd)  # as `python -m` / the submit-time import check
    for folder in reversed(specs[0].get("pythonpath") or []):
        if folder not in sys.path:
            sys.path.insert(0, folder)  # the submitting script's folder
    envs: dict[str, dict[str, Any]] = {}
    for spec in specs:
        problem = plan_problem([spec])  # re-planned while earlier shards ran?
        if problem:
            log.error("%s", problem)
            return EXIT_PLAN
        try:
            ok = _run_spec(spec, envs)
        except Exception as exc:  # noqa: BLE001 - before the shard ran (e.g. an import)
            log.exception("shard %s could not start", spec["shard"]["id"])
            StateFile(spec).fail(exc)  # action=status shows this error line first
            return EXIT_FAILED
        if not ok:
            return EXIT_FAILED
    return 0


def submitit_entry(paths: list[str]) -> int:
    """submitit job body: :func:`run_specs`, logging to the job's log file as well."""
    _setup_logging()
    spec = json.loads(Path(paths[0]).read_text(encoding="utf-8"))
    log_path = Path(spec["jobs_dir"]) / "logs" / f"{spec['job']}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    logging.getLogger().addHandler(handler)
    code = run_specs(paths)
    if code:
        raise BackendError(f"espnet3-prep worker exited {code}; see {log_path}")
    return code


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=_FORMAT)


def main(argv: list[str] | None = None) -> int:
    """Console entry: parse the spec paths, run them, return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m espnet3_prep.worker",
        description="Run detached espnet3-prep shard jobs from their JSON specs.")
    parser.add_argument("specs", nargs="+", help="spec files written by async_mode runs")
    args = parser.parse_args(argv)
    _setup_logging()
    signal.signal(signal.SIGTERM, raise_terminated)
    log.info("job started: pid %d on %s, %d spec(s)", os.getpid(), socket.gethostname(),
             len(args.specs))
    try:
        code = run_specs(args.specs)
    except KeyboardInterrupt as exc:
        log.error("interrupted; the unfinished shard left nothing behind")
        return 143 if isinstance(exc, Terminated) else 130
    log.info("job finished with exit code %d", code)
    return code


if __name__ == "__main__":
    sys.exit(main())
