"""Value rules of the dataset keys every corpus type accepts (``COMMON_KEYS``).

Type-specific keys (``root``, ``path``, ``splits``...) are checked by each
:class:`~espnet3_prep.datasets.base.CorpusType`'s ``check``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from espnet3_prep.rules import boolean, check_fields, integer, token


@dataclass
class CommonDatasetOptions:
    """``dataset.name``, ``split``, ``resample``, ``channel`` (``speed_perturb``: see
    :func:`espnet3_prep.datasets.speed.check_factors`)."""

    name: str = field(default="", metadata=token(example="my_corpus"))
    split: str | None = field(default=None, metadata=token(example="all", optional=True))
    resample: bool = field(default=True, metadata=boolean())
    channel: int | None = field(default=None, metadata=integer(
        0, 1023, example="0 (null: average all channels)", optional=True))


def check_common(cfg: Mapping[str, Any]) -> None:
    """ConfigError naming ``dataset.<key>`` for the first bad common value."""
    check_fields(CommonDatasetOptions, cfg, "dataset")
