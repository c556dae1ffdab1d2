"""Shard execution: run one shard's items through ``forward`` into a sink, with retries,
time-outs and the commit of its outputs. Used by every backend, in whatever process holds
the env. Imports only :mod:`espnet3_prep.storage`, :mod:`espnet3_prep.errors` and
:mod:`espnet3_prep.malloc`."""
