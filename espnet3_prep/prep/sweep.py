"""Hydra multirun: one output dir per sweep point and a summary table at the end.

``espnet3-prep -m feature.num_mel_bins=40,80 cleaner.max_duration=20,30`` runs one job
per combination. In a multirun, ``output_dir`` is the *sweep root*: Hydra's
``hydra.sweep.dir`` is ``${output_dir}/multirun`` and each job writes into
``<sweep dir>/<overrides>`` (e.g. ``.../multirun/cleaner.max_duration=20,feature.num_mel_bins=40``),
which :func:`job_config` makes the job's ``output_dir``. Single runs keep
``output_dir`` as given. The folder names carry no timestamp, so rerunning a sweep
resumes its finished shards like a single run does.

:class:`SweepSummary` (a Hydra callback) reads every job's ``stats.json`` when the sweep
ends, prints a table and writes ``sweep_summary.md`` / ``sweep_summary.json`` into the
sweep dir. A failing point records ``FAILED.json`` (exit code, message) instead of
exiting, so the other points run; the summary lists it and the sweep exits non-zero.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from espnet3_prep.prep.output_keys import WRITES_NOTHING, action_name, planned_sweep_dir
from espnet3_prep.storage.files import atomic_write_json

log = logging.getLogger(__name__)
DEFAULT_JOB_DIR = "defaults"


def job_dir_name(override_dirname: str) -> str:
    """A single-level folder name for a job (``/`` in override values becomes ``_``)."""
    name = str(override_dirname).replace("/", "_").strip()
    return name or DEFAULT_JOB_DIR


OmegaConf.register_new_resolver("sweep_job_dir", job_dir_name, replace=True)


def in_multirun() -> bool:
    """True inside a Hydra multirun job (any launcher)."""
    if not HydraConfig.initialized():
        return False
    return HydraConfig.get().mode == RunMode.MULTIRUN


def job_config(cfg: DictConfig) -> DictConfig:
    """``cfg`` with ``output_dir`` set to this sweep job's folder (unchanged in single runs)."""
    if not in_multirun():
        return cfg
    hydra = HydraConfig.get()
    job_dir = hydra.runtime.output_dir
    planned = planned_sweep_dir()  # -m action=plan: show where the job would write
    if planned is not None and action_name(cfg.get("action")) in WRITES_NOTHING:
        job_dir = str(Path(planned) / str(hydra.sweep.subdir))
    copy = cfg.copy()
    copy.output_dir = str(job_dir)
    return copy


FAILED_FILE = "FAILED.json"
"""Written into a sweep point's folder when it fails (exit code and message)."""


def record_failure(job_dir: Path, code: int, message: str) -> None:
    """Mark this sweep point as failed (read by the sweep summary)."""
    job_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(job_dir / FAILED_FILE, {"exit_code": code, "error": message})


DRY_RUN_FAILURES: list[int] = []
"""Exit codes of the failed points of a sweep that writes nothing (``-m action=plan|check``,
in-process launcher): the sweep exits with the highest."""


def mark_failed(cfg: DictConfig, code: int, message: str) -> None:
    """This sweep point failed: ``FAILED.json`` in its folder, or — for an action that
    writes nothing, whose ``output_dir`` is where a real sweep would write — noted in
    :data:`DRY_RUN_FAILURES` only."""
    if action_name(cfg.get("action")) in WRITES_NOTHING:
        DRY_RUN_FAILURES.append(code)
        return
    record_failure(Path(str(cfg.output_dir)), code, message)


def clear_failure(job_dir: Path) -> None:
    """Forget an earlier failure of this sweep point (it is being run again)."""
    (job_dir / FAILED_FILE).unlink(missing_ok=True)


class SweepSummary(Callback):
    """Prints and writes the per-job table of a multirun (``on_multirun_end``)."""

    def __init__(self) -> None:
        self.started = 0.0

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Remember when the sweep started (jobs from older sweeps are left out)."""
        self.started = time.time() - 1.0

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Collect every job's stats, print the table, write the summary files."""
        # lazy: sweep_table imports FAILED_FILE from this module (a cycle at import time)
        from espnet3_prep.prep.sweep_table import print_table, sweep_rows, write_summary

        if action_name(config.get("action")) in WRITES_NOTHING:  # -m action=plan: nothing to sum up
            if DRY_RUN_FAILURES:
                raise SystemExit(max(DRY_RUN_FAILURES))
            return
        sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
        rows = sweep_rows(sweep_dir, since=self.started)
        if not rows:
            log.warning("sweep summary: no job folders found under %s", sweep_dir)
            return
        print_table(rows, sweep_dir)
        write_summary(rows, sweep_dir)
        failed = [row for row in rows if row.get("status") == "failed"]
        if failed:
            log.error("%d of %d sweep point(s) failed: %s", len(failed), len(rows),
                      ", ".join(row["job"] for row in failed))
            raise SystemExit(max(int(row.get("exit_code") or 1) for row in failed))
