"""Detached shard jobs (``async_mode=True``): the backend side.

The driver (:mod:`espnet3_prep.driver.submit`) plans the shards exactly like a synchronous
run and writes one **JSON** job spec per shard; this package submits jobs through the
scheduler itself (``sbatch``/``qsub``/``bsub``, submitit arrays, or detached local
processes) and runs them. Each job runs ``python -m espnet3_prep.worker SPEC [SPEC ...]``
(:mod:`~espnet3_prep.backends.detached.job`): it builds the env once and commits its shards
with :func:`espnet3_prep.execution.shard.run_shard`. Everything a later shell needs —
specs, job records, per-shard worker state and logs — lives under ``<store>/jobs/``:

- :mod:`~espnet3_prep.backends.detached.specs` — spec files (JSON, never pickle), import checks;
- :mod:`~espnet3_prep.backends.detached.book` — the job records and on-disk layout;
- :mod:`~espnet3_prep.backends.detached.schedulers` — submitting and asking schedulers about jobs;
- :mod:`~espnet3_prep.backends.detached.job` — the job body.
"""
