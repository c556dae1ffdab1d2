"""What ``espnet3-prep`` does with a composed config: dispatch on ``action``, report,
and turn known failures into one clear message and a non-zero exit code."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from espnet3_prep.errors import Espnet3PrepError, Terminated, raise_terminated
from espnet3_prep.prep import detached
from espnet3_prep.prep.output_keys import WRITES_NOTHING
from espnet3_prep.prep.pipeline import run_prep
from espnet3_prep.prep.plan import print_plan
from espnet3_prep.prep.summary import print_summary
from espnet3_prep.prep.sweep import clear_failure, in_multirun, mark_failed
from espnet3_prep.prep.validate import check_passed, validate_config
from espnet3_prep.prep.verify import verify_output
from espnet3_prep.report import finish_report

log = logging.getLogger("espnet3_prep")
IO_ERROR_EXIT = 7
"""Exit code of an ``OSError`` (disk full, permissions); the others are the errors'
``exit_code`` (:mod:`espnet3_prep.errors`, README *Exit codes*)."""


def run_app(cfg: DictConfig) -> dict[str, Any] | None:
    """Run the configured action; exits non-zero with a clear message on known errors."""
    action = cfg.action.value if hasattr(cfg.action, "value") else str(cfg.action)
    signal.signal(signal.SIGTERM, raise_terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C -> exit 130 + hint
    if in_multirun() and action not in WRITES_NOTHING:
        clear_failure(Path(str(cfg.output_dir)))
    try:
        return _dispatch(cfg, action)
    except Espnet3PrepError as exc:
        _log_to_files(str(exc))  # the terminal shows the message once, below
        print(f"espnet3-prep: error: {exc}", file=sys.stderr)
        _exit(cfg, exc.exit_code, str(exc))
    except KeyboardInterrupt as exc:
        name = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        print(f"espnet3-prep: {name}; finished shards are kept — rerun the same command "
              "to resume", file=sys.stderr)
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    except OSError as exc:
        message = (f"{exc.strerror or exc} ({exc.filename or 'no file'}). Finished shards "
                   "are kept and nothing half-written counts as done; fix the problem (disk "
                   "space, permissions) and rerun the same command")
        print(f"espnet3-prep: error: {message}", file=sys.stderr)
        _exit(cfg, IO_ERROR_EXIT, message)
    except Exception as exc:
        if not in_multirun():
            raise  # a bug or an unexpected failure: the full traceback helps most
        log.exception("this sweep point failed")  # the other points still run
        mark_failed(cfg, 1, f"{type(exc).__name__}: {exc}")
    return None


def _log_to_files(message: str) -> None:
    """Record an error in the log files (Hydra's job log) but not on the console."""
    record = log.makeRecord(log.name, logging.ERROR, __file__, 0, message, None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def _exit(cfg: DictConfig, code: int, message: str) -> None:
    """Exit with ``code``; a sweep point records its failure instead, so the other points
    still run and the sweep summary lists it (the sweep then exits non-zero)."""
    if in_multirun():
        mark_failed(cfg, code, message)
        return
    sys.exit(code)


def _dispatch(cfg: DictConfig, action: str) -> dict[str, Any] | None:
    if action == "run" and cfg.runner.async_mode:
        return detached.submit_all(cfg)  # type: ignore[return-value]
    if action in ("status", "collect"):
        return detached.status_all(cfg) if action == "status" else detached.collect_all(cfg)
    if action == "check":  # single runs stop in the ValidateConfig callback; sweep jobs here
        print(check_passed(validate_config(cfg)))
        return None
    if action == "relocate":
        from espnet3_prep.prep.relocate import relocate_all

        return relocate_all(cfg)
    if action == "plan":
        print_plan(cfg)
        return None
    if action == "verify":
        return verify_output(cfg)
    stats = run_prep(cfg)
    print_summary(stats, str(cfg.output_dir))
    finish_report(str(cfg.output_dir), stats)  # details + output_dir/report.html
    return stats
