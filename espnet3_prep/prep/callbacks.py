"""Hydra callbacks: the whole config is validated before Hydra creates its run dir."""

from __future__ import annotations

import sys
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict
from omegaconf.errors import OmegaConfBaseException

from espnet3_prep.errors import ConfigError

_STARTED = {"value": False}
OUTPUT_ONLY = ("relocate", "verify")
"""Actions on a finished output only (the dataset is not read, so it is not checked)."""


def composed() -> bool:
    """Whether Hydra got as far as starting a run or sweep (its config composed)."""
    return _STARTED["value"]


def reset() -> None:
    """Forget an earlier run of this process (the CLI calls this before each run)."""
    _STARTED["value"] = False


def check_config(config: DictConfig) -> list[str]:
    """Everything a run validates before it writes anything; returns the splits.

    Raises:
        ConfigError: the first problem, naming the key, the value, why and an example.
    """
    # lazy: keeps --help light
    from espnet3_prep.prep.validate import validate_config, validate_schema

    if "hydra" in config:  # a callback's config: Hydra's runtime values are not set yet
        config = config.copy()
        with open_dict(config):
            del config["hydra"]
    try:
        if _action(config) in OUTPUT_ONLY:  # the corpus may have moved: only the schema
            validate_schema(config)
            return []
        return validate_config(config)
    except OmegaConfBaseException as exc:  # e.g. an interpolation that does not resolve
        key = getattr(exc, "full_key", None) or "config"
        raise ConfigError(f"{key}: {getattr(exc, 'msg', exc)} — fix the value or quote "
                          "it if '${' is meant literally") from exc


def _action(config: DictConfig) -> str:
    return str(getattr(config.action, "value", config.action))


class ValidateConfig(Callback):
    """Refuse a bad config with one message and exit 2, before anything is written.

    Hydra saves its run dir under ``output_dir``; checking here (``on_run_start``) means a
    refused run leaves no ``output_dir/hydra/...`` behind. Sweeps validate each job's config
    when the job starts (its ``output_dir`` is the job's folder).
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Validate the composed config of a single run; ``action=check`` stops here."""
        _STARTED["value"] = True
        try:
            splits = check_config(config)
        except ConfigError as exc:
            print(f"espnet3-prep: error: {exc}", file=sys.stderr)
            sys.exit(2)
        if _action(config) == "check":
            from espnet3_prep.prep.validate import check_passed

            print(check_passed(splits))
            sys.exit(0)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Note that the sweep started (its jobs validate their own configs)."""
        _STARTED["value"] = True
