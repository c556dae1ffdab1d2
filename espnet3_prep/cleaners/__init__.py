"""Data cleaning: ``build_cleaner(cfg)`` turns ``{steps: [{name: ..., <options>}, ...]}``
into a two-stage :class:`Cleaner` (metadata checks, then waveform checks).

Adding a step = a dataclass in one of the step modules + one entry in :data:`STEPS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from espnet3_prep.cleaners.audio_checks import (
    Clipping,
    Duration,
    NanInf,
    SampleRate,
    Silence,
    TextRate,
    ZeroLength,
)
from espnet3_prep.cleaners.base import (
    AUDIO_TOO_SHORT_FOR_TEXT,
    CHAR_NOT_IN_WHITELIST,
    CLIPPING,
    DROP_REASONS,
    DUPLICATE_UTT_ID,
    EMPTY_TRANSCRIPT,
    INVALID_UTT_ID,
    MISSING_AUDIO,
    MISSING_TRANSCRIPT,
    NAN_OR_INF_SAMPLES,
    NEAR_SILENCE,
    NON_UTF8_TRANSCRIPT,
    TOO_LONG,
    TOO_SHORT,
    UNREADABLE_AUDIO,
    WRONG_SAMPLE_RATE,
    ZERO_LENGTH_AUDIO,
    AudioStep,
    Cleaner,
    LengthStep,
    Step,
    TextStep,
    make_step,
    to_plain,
)
from espnet3_prep.cleaners.presence import DuplicateId, Presence, ValidId
from espnet3_prep.cleaners.text import CharWhitelist, EmptyText, NonUtf8, NormalizeText
from espnet3_prep.errors import ConfigError

__all__ = [
    "AUDIO_TOO_SHORT_FOR_TEXT", "CHAR_NOT_IN_WHITELIST", "CLIPPING", "DROP_REASONS",
    "DUPLICATE_UTT_ID",
    "EMPTY_TRANSCRIPT", "INVALID_UTT_ID", "MISSING_AUDIO", "MISSING_TRANSCRIPT",
    "NAN_OR_INF_SAMPLES", "NEAR_SILENCE", "NON_UTF8_TRANSCRIPT", "STEPS", "TOO_LONG",
    "TOO_SHORT", "UNREADABLE_AUDIO", "WRONG_SAMPLE_RATE", "ZERO_LENGTH_AUDIO", "AudioStep",
    "Cleaner", "LengthStep", "Step", "TextStep", "build_cleaner",
]

STEPS: dict[str, type[Step]] = {
    cls.NAME: cls
    for cls in (
        Presence, ValidId, DuplicateId, NonUtf8, NormalizeText, EmptyText, CharWhitelist,
        ZeroLength, NanInf, SampleRate, Duration, Clipping, Silence, TextRate,
    )
}
"""Registry: step name -> step class."""

_TOP_KEYS = ("steps", "name", "min_duration", "max_duration")
_DURATION_KEYS = {"min_duration": "min_s", "max_duration": "max_s"}


def build_cleaner(cfg: Mapping[str, Any] | None) -> Cleaner | None:
    """Build the cleaner described by ``cfg`` (the ``cleaner`` config node).

    ``None`` gives ``None`` (no cleaning); ``{steps: []}`` gives a Cleaner that keeps
    everything. A step is ``{name: <step>, <option>: <value>, ...}`` or a bare step name.
    ``min_duration`` / ``max_duration`` (seconds, null = keep the step's value) override
    the ``duration`` step's ``min_s`` / ``max_s``; one is appended if there is none.

    Raises:
        ConfigError: Unknown step/option or bad value, naming ``cleaner.steps[i].<opt>``
            and listing the valid names.
    """
    if cfg is None:
        return None
    plain = to_plain(cfg, "cleaner")
    if not isinstance(plain, Mapping):
        raise ConfigError(f"cleaner: expected a mapping with a 'steps' list, got {plain!r}")
    for key in plain:
        if key not in _TOP_KEYS:
            raise ConfigError(f"cleaner.{key}: unknown key — valid keys: {', '.join(_TOP_KEYS)}")
    steps = plain.get("steps") or []
    if isinstance(steps, str | bytes) or not isinstance(steps, Sequence):
        raise ConfigError(f"cleaner.steps: expected a list of steps, got {steps!r}")
    steps = _with_duration_limits(list(steps), plain)
    shortcuts = ", ".join(f"cleaner.{key}={plain[key]!r}" for key in _DURATION_KEYS
                          if plain.get(key) is not None)
    built = []
    for i, spec in enumerate(steps):
        try:
            built.append(make_step(STEPS, spec, f"cleaner.steps[{i}]"))
        except ConfigError as exc:
            if shortcuts and isinstance(spec, Mapping) and spec.get("name") == Duration.NAME:
                raise ConfigError(f"{exc} (the duration limits come from {shortcuts})") from exc
            raise
    return Cleaner(built)


def _with_duration_limits(steps: list[Any], plain: Mapping[str, Any]) -> list[Any]:
    """Apply the top-level ``min_duration`` / ``max_duration`` keys to the duration step."""
    for key in _DURATION_KEYS:
        value = plain.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not math.isfinite(value) or value < 0):
            raise ConfigError(f"cleaner.{key}={value!r}: must be a number of seconds >= 0 "
                              f"or null — e.g. cleaner.{key}=20")
    limits = {opt: plain[key] for key, opt in _DURATION_KEYS.items()
              if plain.get(key) is not None}
    if not limits:
        return steps
    for i, spec in enumerate(steps):
        name = spec if isinstance(spec, str) else dict(spec).get("name")
        if name == Duration.NAME:
            base = {"name": name} if isinstance(spec, str) else dict(spec)
            steps[i] = {**base, **limits}
            return steps
    return [*steps, {"name": Duration.NAME, **limits}]
