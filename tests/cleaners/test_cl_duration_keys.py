"""cleaner.min_duration / cleaner.max_duration: shortcuts for the duration step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from espnet3_prep.cleaners import TOO_LONG, TOO_SHORT, build_cleaner
from espnet3_prep.cleaners.audio_checks import Duration
from espnet3_prep.errors import ConfigError

CONF = Path(__file__).resolve().parents[2] / "conf" / "cleaner"


def _duration(cleaner) -> Duration:  # noqa: ANN001 - a Cleaner
    (step,) = [s for s in cleaner.steps if isinstance(s, Duration)]
    return step


@pytest.mark.parametrize("name", ["default", "strict", "none"])
def test_shipped_yamls_accept_the_shortcuts(name: str) -> None:
    cfg = OmegaConf.load(CONF / f"{name}.yaml")
    cfg.max_duration = 20
    cleaner = build_cleaner(cfg)
    assert _duration(cleaner).max_s == 20
    wave = np.full(16000 * 21, 0.1, dtype=np.float32)
    assert cleaner.check_audio({"utt_id": "a"}, wave, 16000)[0] == TOO_LONG


def test_null_keeps_the_step_values() -> None:
    cleaner = build_cleaner(OmegaConf.load(CONF / "default.yaml"))
    assert (_duration(cleaner).min_s, _duration(cleaner).max_s) == (0.1, 35.0)


def test_min_duration_overrides_only_min() -> None:
    cleaner = build_cleaner({"steps": [{"name": "duration", "min_s": 0.1, "max_s": 9.0}],
                             "min_duration": 2.0})
    assert (_duration(cleaner).min_s, _duration(cleaner).max_s) == (2.0, 9.0)
    wave = np.full(16000, 0.1, dtype=np.float32)
    assert cleaner.check_audio({"utt_id": "a"}, wave, 16000)[0] == TOO_SHORT


def test_bare_step_name_and_appended_step() -> None:
    assert _duration(build_cleaner({"steps": ["duration"], "max_duration": 5})).max_s == 5
    appended = build_cleaner({"steps": ["presence"], "min_duration": 1})
    assert [s.NAME for s in appended.steps] == ["presence", "duration"]


def test_bad_limits_name_the_step() -> None:
    with pytest.raises(ConfigError, match=r"cleaner\.steps\[0\]\.max_s"):
        build_cleaner({"steps": ["duration"], "min_duration": 5, "max_duration": 2})
