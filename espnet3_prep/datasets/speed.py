"""Speed perturbation (Kaldi's ``perturb_data_dir_speed.sh``): extra copies of a dataset
whose utterance and speaker ids carry an ``sp<factor>-`` prefix and whose audio is played
``factor`` times faster (tempo and pitch, like ``sox speed``).

Enabled with ``dataset.speed_perturb=[0.9,1.0,1.1]``; ``1.0`` keeps the original items.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

from espnet3_prep.errors import ConfigError


def check_factors(factors: Any) -> list[float]:
    """Validated, de-duplicated factors (each in (0.5, 2]) in config order."""
    if not isinstance(factors, list | tuple) or not factors:
        raise ConfigError(f"dataset.speed_perturb must be a non-empty list such as "
                          f"[0.9,1.0,1.1], got {factors!r}")
    out: list[float] = []
    for value in factors:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.5 < value <= 2:
            raise ConfigError(f"dataset.speed_perturb: {value!r} is not a speed factor in "
                              "(0.5, 2], e.g. dataset.speed_perturb=[0.9,1.0,1.1]")
        if float(value) not in out:
            out.append(float(value))
    return out


def prefix(factor: float) -> str:
    """Kaldi's id prefix: ``sp0.9-``, ``sp1.1-`` (empty for 1.0)."""
    return "" if factor == 1.0 else f"sp{factor:g}-"


class SpeedPerturbed(Sequence[dict]):
    """``len(factors)`` copies of ``base``, still sorted by utt_id across all copies."""

    def __init__(self, base: Any, factors: list[float]) -> None:
        self.base = base
        self.factors = factors
        keys = sorted((prefix(f) + str(base[i]["utt_id"]), n, i)
                      for n, f in enumerate(factors) for i in range(len(base)))
        self._copy = array("b", [n for _, n, _ in keys])
        self._index = array("q", [i for _, _, i in keys])
        self.total_bytes = int(getattr(base, "total_bytes", 0)) * len(factors)

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, idx: int) -> dict:  # type: ignore[override]
        """The base item, with prefixed ids and ``speed`` set for perturbed copies."""
        factor = self.factors[self._copy[idx]]
        item = dict(self.base[self._index[idx]])
        if factor != 1.0:
            item["utt_id"] = prefix(factor) + str(item["utt_id"])
            if item.get("speaker") is not None:
                item["speaker"] = prefix(factor) + str(item["speaker"])
            item["speed"] = factor
        return item

    def describe(self) -> dict[str, Any]:
        """The base description plus the factors and the total count."""
        return {**self.base.describe(), "speed_perturb": self.factors, "count": len(self)}
