"""Storage (lowest layer above :mod:`espnet3_prep.errors`): shard plans and the shard
store (the only code that decides whether a shard is done), atomic file writes, JSONL
helpers, the output-dir lock and on-disk status. Imports nothing but ``errors``."""
