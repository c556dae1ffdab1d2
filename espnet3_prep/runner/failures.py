"""Loud failures in the Python API: ``runner(indices)`` never fails silently.

With ``on_error="record"`` a run with failed items logs one WARNING naming the count, the
first error and where the errors are (``errors.jsonl`` of the shard, or
``runner.last_outcome.errors()`` in memory mode); a run in which *every* item failed raises
:class:`~espnet3_prep.errors.AllItemsFailedError` instead of returning ``[]``. The CLI
(``runner.run``) keeps its failure budget and does not go through here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from espnet3_prep.driver.run import RunOutcome
from espnet3_prep.errors import AllItemsFailedError
from espnet3_prep.storage.jsonl import read_jsonl
from espnet3_prep.storage.shards import ERRORS_FILE

log = logging.getLogger("espnet3_prep.runner")


def first_error(outcome: RunOutcome) -> tuple[dict[str, Any] | None, Path | None]:
    """The first failed item (in shard order) and the ``errors.jsonl`` holding it."""
    if outcome.store is None:
        errors = outcome.errors()
        return (errors[0] if errors else None), None
    for shard in outcome.shards:
        if not shard.summary.get("counts", {}).get("failed"):
            continue
        path = outcome.store.shard_dir(shard.shard_id) / ERRORS_FILE
        rows = read_jsonl(path) if path.exists() else []
        if rows:
            return rows[0], path
    return None, None


def report_failures(outcome: RunOutcome, runner_name: str) -> None:
    """WARN about failed items; raise when every item of the run failed."""
    failed = outcome.counts["failed"]
    if not failed:
        return
    total = sum(outcome.counts.values())
    error, path = first_error(outcome)
    first = "?" if error is None else (
        f"item {error.get('utt_id') or error.get('idx')}: {error.get('error')}")
    where = (f"all errors: {path.parent.parent}/*/{ERRORS_FILE}" if path is not None else
             "all errors: runner.last_outcome.errors() (pass work_dir= to keep "
             f"them in {ERRORS_FILE})")
    if failed >= total:
        raise AllItemsFailedError(
            f"{runner_name}: all {total} items failed; first error: {first}. {where}. "
            "Fix the error (or use on_error='raise' to stop at the first one with its "
            "traceback) and rerun.")
    log.warning("%s: %d of %d items failed; first error: %s. %s", runner_name, failed,
                total, first, where)
