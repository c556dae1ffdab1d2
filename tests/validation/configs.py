"""The composed config as the matrix sees it: variants, leaf keys and one checked outcome.

Variants and leaves are discovered, never listed: every ``conf/<group>/<option>.yaml`` is a
variant, and every leaf of its composed config (inside the group it selects) is a key the
matrix tries bad values on; every ``action`` other than the default is a variant too, over
the top-level keys (not inside a group). A key, group option or action added is covered as is.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from espnet3_prep.cli import config_dir
from espnet3_prep.config import Action
from espnet3_prep.errors import ConfigError
from espnet3_prep.prep.callbacks import check_config

CONF = Path(config_dir())
GROUPS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name != "hydra")
OUTPUT_KEYS = {"output_dir", "log_directory", "folder", "local_directory", "async_specs_dir",
               "async_result_dir"}
INPUT_PATH_KEYS = {"root", "path", "audio_root"}


@dataclass(frozen=True)
class Leaf:
    """One key of one variant, with its default value."""

    variant: str  # "default" or "<group>=<option>"
    key: str
    default: Any

    @property
    def name(self) -> str:
        """The last component of the key (``memory`` for ``parallel.options.memory``)."""
        return self.key.rsplit(".", 1)[-1]


def default_choices() -> dict[str, str]:
    """``group -> option`` of ``conf/config.yaml``'s defaults list."""
    defaults = yaml.safe_load((CONF / "config.yaml").read_text())["defaults"]
    return {k: v for item in defaults if isinstance(item, dict) for k, v in item.items()
            if k in GROUPS}


def variants() -> list[str]:
    """``default``, every non-default option of every group, every non-default action."""
    chosen = default_choices()
    default_action = yaml.safe_load((CONF / "config.yaml").read_text()).get("action", "run")
    return ["default"] + [f"{group}={path.stem}" for group in GROUPS
                          for path in sorted((CONF / group).glob("*.yaml"))
                          if chosen.get(group) != path.stem] + [
        f"action={a.value}" for a in Action if a.value != default_action]


def in_scope(variant: str, key: str) -> bool:
    """Whether ``key`` is one ``variant`` varies: all for ``default``, the group's keys for
    a group option, the top-level keys (outside every group) for an action."""
    if variant == "default":
        return True
    name = variant.split("=")[0]
    if name == "action":
        return key.split(".")[0] not in GROUPS
    return key.startswith(f"{name}.")


def compose_variant(variant: str, overrides: list[str]) -> DictConfig:
    """The composed config of ``variant`` with ``overrides`` (as the CLI composes it)."""
    extra = [] if variant == "default" else [variant]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("config", [*extra, *overrides])


def walk(node: Any, prefix: str) -> list[tuple[str, Any]]:
    """Leaf ``(key, value)`` pairs; lists of scalars are leaves, lists of mappings are walked."""
    if isinstance(node, DictConfig):
        out = []
        for key in node:
            if OmegaConf.is_missing(node, key):
                out.append((f"{prefix}{key}", None))
                continue
            out.extend(walk(node._get_node(key), f"{prefix}{key}."))
        return out
    if isinstance(node, ListConfig) and any(isinstance(x, DictConfig) for x in node):
        return [pair for i, item in enumerate(node) for pair in walk(item, f"{prefix}{i}.")]
    if isinstance(node, ListConfig):
        return [(prefix[:-1], OmegaConf.to_container(node))]
    value = node._value() if hasattr(node, "_value") else node
    return [(prefix[:-1], getattr(value, "value", value))]  # enums -> their value


def leaves() -> list[Leaf]:
    """Every (variant, key) the matrix covers."""
    out = []
    for variant in variants():
        cfg = compose_variant(variant, [])
        for key, value in walk(cfg, ""):
            if in_scope(variant, key):
                out.append(Leaf(variant, key, value))
    return out


def normalize(text: str) -> str:
    """``steps[8]`` -> ``steps.8`` so list keys compare equal."""
    return re.sub(r"\[(\d+)\]", r".\1", text)


def outcome(base: DictConfig, key: str, value: Any) -> tuple[int, str]:
    """Exit code and message the CLI gives for ``base`` with ``key`` set to ``value``.

    A value the typed schema rejects is a Hydra composition error (the CLI exits 2 with
    Hydra's message); everything else goes through the same check as the CLI's callback.
    """
    cfg = copy.deepcopy(base)
    try:
        OmegaConf.update(cfg, key, value, merge=False, force_add=False)
    except OmegaConfBaseException as exc:
        return 2, str(exc)
    try:
        check_config(cfg)
    except ConfigError as exc:
        return 2, str(exc)
    return 0, ""


def is_number(value: Any) -> bool:
    """A plain int/float default (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def path_kind(leaf: Leaf, base: DictConfig) -> str | None:
    """``out`` (a folder the run writes), ``dir``/``file`` (an existing input), or None."""
    if leaf.name in OUTPUT_KEYS:
        return "out"
    if leaf.name not in INPUT_PATH_KEYS:
        return None
    current = OmegaConf.select(base, leaf.key)
    if isinstance(current, str) and os.path.isdir(current):
        return "dir"
    if isinstance(current, str) and os.path.isfile(current):
        return "file"
    return None
