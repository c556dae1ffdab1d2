"""Cleaner machinery: drop-reason names, the Step base classes and the two-stage Cleaner.

A step is a keyword-only dataclass whose fields are its options (every step also has
``enabled: bool = True``, handy for command-line overrides). Options are type-checked
from the annotations when the cleaner is built; ``__post_init__`` range checks raise
:class:`OptionError`, reported as ``cleaner.steps[i].<option>: ...``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from omegaconf import DictConfig, ListConfig, OmegaConf

from espnet3_prep.errors import ConfigError

MISSING_TRANSCRIPT = "missing_transcript"
MISSING_AUDIO = "missing_audio"
INVALID_UTT_ID = "invalid_utt_id"
DUPLICATE_UTT_ID = "duplicate_utt_id"
NON_UTF8_TRANSCRIPT = "non_utf8_transcript"
EMPTY_TRANSCRIPT = "empty_transcript"
CHAR_NOT_IN_WHITELIST = "char_not_in_whitelist"
UNREADABLE_AUDIO = "unreadable_audio"
ZERO_LENGTH_AUDIO = "zero_length_audio"
NAN_OR_INF_SAMPLES = "nan_or_inf_samples"
WRONG_SAMPLE_RATE = "wrong_sample_rate"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
CLIPPING = "clipping"
NEAR_SILENCE = "near_silence"
AUDIO_TOO_SHORT_FOR_TEXT = "audio_too_short_for_text"

DROP_REASONS: tuple[str, ...] = (
    MISSING_TRANSCRIPT, MISSING_AUDIO, INVALID_UTT_ID, DUPLICATE_UTT_ID, NON_UTF8_TRANSCRIPT,
    EMPTY_TRANSCRIPT, CHAR_NOT_IN_WHITELIST, UNREADABLE_AUDIO, ZERO_LENGTH_AUDIO,
    NAN_OR_INF_SAMPLES, WRONG_SAMPLE_RATE, TOO_SHORT, TOO_LONG, CLIPPING, NEAR_SILENCE,
    AUDIO_TOO_SHORT_FOR_TEXT,
)
"""Every drop reason, in pipeline order (``unreadable_audio`` is recorded by the runner)."""

TextResult = tuple[dict | None, str | None, str | None]
AudioResult = tuple[str | None, str | None]


class OptionError(ValueError):
    """A step option out of range; ``key`` names the option."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(kw_only=True)
class Step:
    """Base of all steps; subclasses set ``NAME``, ``STAGE`` and ``REASONS``."""

    NAME: ClassVar[str] = ""
    STAGE: ClassVar[Literal["text", "audio"]] = "text"
    REASONS: ClassVar[tuple[str, ...]] = ()

    enabled: bool = True

    def options(self) -> dict[str, Any]:
        """The step's full option set (defaults included), for logs and plan hashes."""
        return {"name": self.NAME, **dataclasses.asdict(self)}


@dataclass(kw_only=True)
class TextStep(Step):
    """A check on the metadata only; may return a normalized copy of the sample."""

    def check(self, sample: dict) -> TextResult:
        """``(sample or a modified copy, None, None)`` to keep, ``(None, reason, detail)``."""
        raise NotImplementedError


@dataclass(kw_only=True)
class AudioStep(Step):
    """A check on the decoded waveform.

    A step that only looks at the number of samples and the rate sets
    ``NEEDS_SAMPLES = False`` and implements :meth:`check_length`; when no enabled step
    (and no feature extractor) needs the samples, the runner reads only the audio
    headers and calls ``check_length`` instead of ``check``.
    """

    STAGE: ClassVar[Literal["text", "audio"]] = "audio"
    NEEDS_SAMPLES: ClassVar[bool] = True

    def check(self, sample: Mapping[str, Any], wave: np.ndarray, sr: int) -> AudioResult:
        """``(None, None)`` to keep, else ``(reason, detail)``."""
        raise NotImplementedError

    def check_length(self, sample: Mapping[str, Any], num_samples: int, sr: int
                     ) -> AudioResult:
        """Same as :meth:`check` from the length alone (steps with ``NEEDS_SAMPLES = False``)."""
        raise NotImplementedError(f"step {self.NAME!r} needs the samples")


@dataclass(kw_only=True)
class LengthStep(AudioStep):
    """An audio step that needs only the number of samples and the rate (not the samples)."""

    NEEDS_SAMPLES: ClassVar[bool] = False

    def check(self, sample: Mapping[str, Any], wave: np.ndarray, sr: int) -> AudioResult:
        """:meth:`check_length` on the waveform's length."""
        return self.check_length(sample, int(wave.shape[0]), sr)


class Cleaner:
    """Runs the enabled steps: all text steps, then (with audio) all audio steps, in order."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)
        self.text_steps = [s for s in self.steps if s.enabled and isinstance(s, TextStep)]
        self.audio_steps = [s for s in self.steps if s.enabled and isinstance(s, AudioStep)]

    @property
    def needs_audio(self) -> bool:
        """Whether any audio-stage step is enabled."""
        return bool(self.audio_steps)

    @property
    def sample_steps(self) -> list[str]:
        """Names of the enabled steps that read the samples (not just their count)."""
        return [step.NAME for step in self.audio_steps if step.NEEDS_SAMPLES]

    def check_text(self, sample: Mapping[str, Any]) -> TextResult:
        """Metadata stage: ``(new_sample, None, None)`` to keep, ``(None, reason, detail)``.

        The input is never mutated; steps that normalize return a new dict.
        """
        current: dict = dict(sample)
        for step in self.text_steps:
            result, reason, detail = step.check(current)
            if reason is not None or result is None:
                return None, reason, detail
            current = result
        return current, None, None

    def check_audio(self, sample: Mapping[str, Any], wave: np.ndarray, sr: int) -> AudioResult:
        """Waveform stage: ``(None, None)`` to keep, else ``(reason, detail)``."""
        for step in self.audio_steps:
            reason, detail = step.check(sample, wave, sr)
            if reason is not None:
                return reason, detail
        return None, None

    def check_length(self, sample: Mapping[str, Any], num_samples: int, sr: int
                     ) -> AudioResult:
        """Waveform stage from the header alone (only when :attr:`sample_steps` is empty)."""
        for step in self.audio_steps:
            reason, detail = step.check_length(sample, num_samples, sr)
            if reason is not None:
                return reason, detail
        return None, None

    def __call__(self, sample: Mapping[str, Any]) -> dict | None:
        """Simple API: the cleaned sample or ``None`` when dropped.

        Runs the audio stage too when ``sample`` carries ``"wave"`` and ``"sr"``.
        """
        cleaned, reason, _ = self.check_text(sample)
        if cleaned is None or reason is not None:
            return None
        if "wave" in cleaned and "sr" in cleaned:
            reason, _ = self.check_audio(cleaned, cleaned["wave"], int(cleaned["sr"]))
            if reason is not None:
                return None
        return cleaned

    def describe(self) -> list[dict[str, Any]]:
        """Every step with its full options (defaults filled in), in config order."""
        return [step.options() for step in self.steps]

    def __repr__(self) -> str:
        names = ", ".join(s.NAME for s in self.steps if s.enabled)
        return f"<Cleaner [{names}]>"


def to_plain(cfg: Any, where: str) -> Any:
    """Resolve an OmegaConf node to plain containers (ConfigError on failure)."""
    if isinstance(cfg, DictConfig | ListConfig):
        try:
            return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        except Exception as exc:  # interpolation/missing-value errors from OmegaConf
            raise ConfigError(f"{where}: cannot resolve the config: {exc}") from exc
    return cfg


def make_step(registry: Mapping[str, type[Step]], spec: Any, where: str) -> Step:
    """Build one step from ``{name: ..., <options>}`` (or a bare name string)."""
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, Mapping) or "name" not in spec:
        raise ConfigError(f"{where}: expected a mapping with a 'name' key (or a step name), "
                          f"got {spec!r} — valid steps: {', '.join(registry)}")
    name = spec["name"]
    if not isinstance(name, str) or name not in registry:
        raise ConfigError(f"{where}.name: unknown step {name!r} — valid steps: "
                          f"{', '.join(registry)}")
    cls = registry[name]
    hints = typing.get_type_hints(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    opts = {k: v for k, v in spec.items() if k != "name"}
    for key, value in opts.items():
        if key not in fields:
            raise ConfigError(f"{where}.{key}: unknown option for step {name!r} — valid "
                              f"options: {', '.join(fields)}")
        if not _matches(value, hints[key]):
            raise ConfigError(f"{where}.{key}: expected {_describe(hints[key])}, got "
                              f"{value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where}.{key}: expected a finite number, got {value!r}")
    try:
        return cls(**opts)
    except OptionError as exc:  # "{step}" in a message names another option of the step
        raise ConfigError(f"{where}.{exc.key}: {str(exc).replace('{step}', where)}") from exc


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the (simple) type annotation ``hint``."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return value in typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _describe(hint: Any) -> str:
    """Readable form of a type annotation for error messages."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if hint is type(None):
        return "null"
    return {bool: "true/false", int: "an integer", float: "a number", str: "a string"}.get(
        hint, getattr(hint, "__name__", str(hint)))
