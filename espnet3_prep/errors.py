"""Exception types shared across espnet3-prep (the bottom layer: imports nothing of ours).

Every error a user can cause derives from :class:`Espnet3PrepError`, names the file or
config key involved and the fix, and carries the process exit code ``espnet3-prep`` ends
with (the table is in the README, section *Exit codes*). The CLI prints such an error as
one line, never as a traceback.
"""

from __future__ import annotations


class Espnet3PrepError(Exception):
    """Root of every error espnet3-prep reports to the user (``exit_code``: see README)."""

    exit_code = 1


class ConfigError(Espnet3PrepError, ValueError):
    """A user configuration problem, raised before any work starts."""

    exit_code = 2


class PlanMismatchError(Espnet3PrepError, RuntimeError):
    """An output directory holds shards of a different plan (inputs or config changed)."""

    exit_code = 3


class OutputLockedError(Espnet3PrepError, RuntimeError):
    """Another live run holds the output directory."""

    exit_code = 4


class FailureBudgetExceeded(Espnet3PrepError, RuntimeError):
    """More items failed than ``runner.max_failures`` allows."""

    exit_code = 5


class ItemError(Espnet3PrepError):
    """An item failed with ``runner.on_error=raise``; carries a short traceback excerpt."""

    exit_code = 6


class AllItemsFailedError(ItemError):
    """Every item of a Python-API run failed (``on_error="record"``): nothing to return."""


class IncompleteShardsError(Espnet3PrepError, RuntimeError):
    """``action=collect`` found shards without a done marker (nothing was merged)."""

    exit_code = 8


class BackendError(Espnet3PrepError, RuntimeError):
    """A backend could not run the shards: no worker started, every worker or job died,
    a job failed outside the shard code. Finished shards are kept; rerunning resumes."""

    exit_code = 9


class DataError(Espnet3PrepError):
    """Input or output data on disk is unusable (unreadable spec, corrupt shard record)."""

    exit_code = 10


class AudioReadError(Exception):
    """An audio file could not be decoded (missing, corrupt, truncated, unsupported).

    Not a user-facing error: the runner turns it into a drop with a reason."""


class ChannelOutOfRange(AudioReadError):
    """``dataset.channel`` (or an item's channel) names a channel the file does not have."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (e.g. a scheduler's walltime kill), handled like Ctrl-C."""


def raise_terminated(signum: int, frame: object) -> None:
    """SIGTERM handler: raise :class:`Terminated` so the shard in progress is aborted."""
    raise Terminated()


class ItemTimeout(Exception):
    """One item ran longer than ``runner.item_timeout_s``."""
