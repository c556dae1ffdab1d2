"""Exception types shared across espnet3-prep.

Every error a user can cause names the file or config key involved and the fix.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A user configuration problem, raised before any work starts."""


class AudioReadError(Exception):
    """An audio file could not be decoded (missing, corrupt, truncated, unsupported)."""


class PlanMismatchError(RuntimeError):
    """An output directory holds shards of a different plan (inputs or config changed)."""


class OutputLockedError(RuntimeError):
    """Another live run holds the output directory."""


class ChannelOutOfRange(AudioReadError):
    """``dataset.channel`` (or an item's channel) names a channel the file does not have."""


class ItemError(Exception):
    """An item failed; carries a short traceback excerpt for errors.jsonl."""


class FailureBudgetExceeded(RuntimeError):
    """More items failed than ``runner.max_failures`` allows."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (e.g. a scheduler's walltime kill), handled like Ctrl-C."""


def raise_terminated(signum: int, frame: object) -> None:
    """SIGTERM handler: raise :class:`Terminated` so the shard in progress is aborted."""
    raise Terminated()


class ItemTimeout(Exception):
    """One item ran longer than ``runner.item_timeout_s``."""
