"""build_cleaner: config validation, shipped YAMLs, reason constants."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from espnet3_prep.cleaners import DROP_REASONS, STEPS, UNREADABLE_AUDIO, build_cleaner
from espnet3_prep.errors import ConfigError

CONF = Path(__file__).resolve().parents[2] / "conf" / "cleaner"


def test_none_and_empty() -> None:
    assert build_cleaner(None) is None
    cleaner = build_cleaner({"steps": []})
    assert cleaner.check_text({"utt_id": "x"}) == ({"utt_id": "x"}, None, None)
    assert not cleaner.needs_audio


@pytest.mark.parametrize(
    ("cfg", "needle"),
    [
        ({"steps": [{"name": "bogus"}]}, r"cleaner\.steps\[0\]\.name: unknown step 'bogus' — "
                                         r"valid steps: presence, valid_id"),
        ({"steps": ["presence", {"name": "duration", "min": 1}]},
         r"cleaner\.steps\[1\]\.min: unknown option for step 'duration' — valid options: "
         r"enabled, min_s, max_s"),
        ({"steps": [{"name": "normalize_text", "case": "title"}]},
         r"cleaner\.steps\[0\]\.case: expected one of 'upper', 'lower', 'keep', got 'title'"),
        ({"steps": [{"name": "clipping", "max_ratio": "high"}]},
         r"steps\[0\]\.max_ratio: expected a number"),
        ({"steps": [{"name": "clipping", "max_ratio": 2}]}, r"max_ratio: must be in \[0, 1\]"),
        ({"steps": [{"name": "duration", "min_s": 2, "max_s": 1}]}, r"max_s: must be greater"),
        ({"steps": [{"name": "char_whitelist"}]}, r"steps\[0\]\.chars: give exactly one"),
        ({"steps": [{"name": "presence", "enabled": "no"}]}, r"enabled: expected true/false"),
        ({"steps": [{"case": "upper"}]}, r"steps\[0\]: expected a mapping with a 'name' key"),
        ({"steps": "presence"}, r"cleaner\.steps: expected a list"),
        ({"stepz": []}, r"cleaner\.stepz: unknown key"),
    ],
)
def test_config_errors(cfg: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        build_cleaner(cfg)


@pytest.mark.parametrize("name", ["default", "none", "strict"])
def test_shipped_yamls_build(name: str) -> None:
    cleaner = build_cleaner(OmegaConf.load(CONF / f"{name}.yaml"))
    assert cleaner is not None
    clone = pickle.loads(pickle.dumps(cleaner))
    assert clone.describe() == cleaner.describe()


def test_default_yaml_contents() -> None:
    cleaner = build_cleaner(OmegaConf.load(CONF / "default.yaml"))
    names = [step["name"] for step in cleaner.describe()]
    assert names == ["presence", "valid_id", "duplicate_id", "non_utf8", "normalize_text",
                     "empty_text", "zero_length", "nan_inf", "duration", "clipping", "silence",
                     "text_rate"]
    item = {"utt_id": "1-2-3", "speaker": "1", "text": " hello  there ", "audio": "/a.flac",
            "issues": [], "source": "s"}
    assert cleaner.check_text(item)[0]["text"] == "HELLO THERE"
    strict = build_cleaner(OmegaConf.load(CONF / "strict.yaml"))
    assert strict.check_text({**item, "text": "hello 2"})[1] == "char_not_in_whitelist"


def test_drop_reasons_cover_every_step() -> None:
    declared = {reason for cls in STEPS.values() for reason in cls.REASONS}
    assert declared | {UNREADABLE_AUDIO} == set(DROP_REASONS)
    assert len(DROP_REASONS) == len(set(DROP_REASONS))
