"""One live run per output directory: ``<output_dir>/.lock`` holds the owner's pid/host.

A second run on the same output dir fails at once, naming the other run. A lock left by
a dead process on this host is taken over with a warning; one from another host is
refused with the path to delete if that run is known to be dead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from espnet3_prep.errors import OutputLockedError
from espnet3_prep.storage.files import read_json_object

log = logging.getLogger(__name__)
LOCK_NAME = ".lock"
ACQUIRE_ATTEMPTS = 20
GUARD_STALE_S = 10.0
"""A takeover guard older than this was left by a run that died while taking over."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputLock:
    """An exclusive, stale-aware lock file; use as a context manager."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory).absolute() / LOCK_NAME
        self.owner = {"pid": os.getpid(), "host": socket.gethostname(),
                      "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
        self.held = False

    def acquire(self) -> None:
        """Take the lock or raise :class:`OutputLockedError` naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(ACQUIRE_ATTEMPTS):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                self._handle_existing()
                continue
            with os.fdopen(fd, "w") as handle:
                json.dump(self.owner, handle)
            self.held = True
            return
        raise OutputLockedError(f"could not take {self.path}; another run keeps recreating it")

    def _handle_existing(self) -> None:
        holder = self._read_holder()
        pid, host = holder.get("pid"), holder.get("host")
        if host == self.owner["host"] and isinstance(pid, int) and not _pid_alive(pid):
            self._take_over(pid)
            return
        if not holder:  # being written right now, or empty: treat as held
            time.sleep(0.1)
            holder = self._read_holder()
        raise OutputLockedError(
            f"{self.path.parent} is in use by another espnet3-prep run (pid {pid} on "
            f"{host}, started {holder.get('started', '?')}). Wait for it, or choose another "
            f"output_dir=...; if that run is dead, delete {self.path}"
        )

    def _take_over(self, dead_pid: int) -> None:
        """Remove the dead run's lock under a short-lived guard file, so two runs taking
        over at once cannot both win (the second would otherwise delete the first's new
        lock); the caller then competes for the lock with ``O_EXCL`` as usual."""
        guard = self.path.with_name(self.path.name + ".takeover")
        try:
            fd = os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - guard.stat().st_mtime > GUARD_STALE_S:  # its taker died
                    guard.unlink()
            time.sleep(0.05)
            return
        try:
            if self._read_holder().get("pid") == dead_pid:  # still the dead run's lock
                log.warning("taking over stale lock %s from dead pid %s", self.path, dead_pid)
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
        finally:
            os.close(fd)
            guard.unlink(missing_ok=True)

    def _read_holder(self) -> dict[str, Any]:
        return read_json_object(self.path) or {}

    def release(self) -> None:
        """Remove the lock if we hold it."""
        if self.held and self._read_holder().get("pid") == self.owner["pid"]:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.held = False

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
