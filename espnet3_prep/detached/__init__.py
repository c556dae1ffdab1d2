"""Detached shard jobs (``async_mode=True``): submit, status, collect, resume.

``runner(indices)`` with ``async_mode=True`` plans the shards exactly like a synchronous
run (same :mod:`espnet3_prep.shards` plan, markers and store), writes one **JSON** job spec
per shard, submits jobs through the scheduler itself (``sbatch``/``qsub``/``bsub``,
submitit arrays, or detached local processes) and returns at once. Each job runs
``python -m espnet3_prep.worker SPEC [SPEC ...]``: it builds the env once and commits its
shards with :func:`espnet3_prep.runner.execute.run_shard`. Everything a later shell needs —
specs, job records, per-shard worker state and logs — lives under ``<store>/jobs/``:

- :mod:`~espnet3_prep.detached.specs` — spec files (JSON, never pickle), import checks;
- :mod:`~espnet3_prep.detached.book` — the job records and on-disk layout;
- :mod:`~espnet3_prep.detached.schedulers` — submitting and asking schedulers about jobs;
- :mod:`~espnet3_prep.detached.submit` — plan validation, what to (re)submit, grouping;
- :mod:`~espnet3_prep.detached.status` — per-shard state, counts, throughput, ETA;
- :mod:`~espnet3_prep.detached.app` — ``action=run|status|collect`` for the CLI.
"""

from __future__ import annotations


class IncompleteShardsError(RuntimeError):
    """``action=collect`` found shards without a done marker (nothing was merged)."""
