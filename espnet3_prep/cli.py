"""``espnet3-prep``: compose the Hydra config and call the app (nothing else here)."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

import espnet3_prep.datasets  # noqa: F401 - registers the ${pkg_data:...} resolver
from espnet3_prep.config import register_configs
from espnet3_prep.prep import callbacks
from espnet3_prep.prep.output_keys import register_resolvers
from espnet3_prep.prep.sweep import job_config


def config_dir() -> str:
    """The ``conf/`` folder: inside the installed wheel, or at the source checkout's top."""
    packaged = Path(__file__).parent / "conf"
    return str(packaged if packaged.is_dir() else Path(__file__).parent.parent / "conf")


register_configs()
register_resolvers()


@hydra.main(config_path=config_dir(), config_name="config", version_base="1.3")
def _app(cfg: DictConfig) -> None:
    # lazy: --help and tab completion must not import the whole pipeline
    from espnet3_prep.prep.app import run_app

    run_app(job_config(cfg))  # in a multirun: output_dir = this job's folder


def main() -> None:
    """Console entry point.

    Hydra reports a config it cannot compose (unknown key, wrong type, bad override syntax)
    with its own message and exit code 1; that is a config error, so it exits 2 like every
    other (the message is already printed once).
    """
    callbacks.reset()
    try:
        _app()
    except SystemExit as exc:
        if exc.code == 1 and not callbacks.composed():
            raise SystemExit(2) from None
        raise


if __name__ == "__main__":
    main()
