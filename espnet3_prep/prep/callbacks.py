"""Hydra callbacks: checks that must run before Hydra creates its run dir."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from espnet3_prep.errors import ConfigError
from espnet3_prep.prep.output_keys import WRITES_NOTHING
from espnet3_prep.prep.validate import check_writable


class CheckOutputDir(Callback):
    """Fail with a clear message (exit 2) when ``output_dir`` cannot be written.

    Hydra saves its run dir under ``output_dir``; without this check an unwritable
    output dir surfaces as a bare traceback from Hydra itself.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Check before the single run's output folder is created (a dry run writes
        nothing, so it creates no folder to check)."""
        if str(getattr(config.action, "value", config.action)) in WRITES_NOTHING:
            return
        try:
            check_writable(Path(str(config.output_dir)).absolute())
        except ConfigError as exc:
            print(f"espnet3-prep: error: {exc}", file=sys.stderr)
            sys.exit(2)
