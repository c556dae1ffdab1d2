"""``feature=none`` reads only audio headers when no enabled cleaning step needs samples.

The header path must give the same rows and drops as decoding (lengths after resampling,
speed perturbation, segments; length-based cleaning), and ``action=plan`` says which
path a run takes and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from espnet3_prep.cleaners import build_cleaner
from espnet3_prep.execution.sinks import Dropped
from espnet3_prep.features import build_feature
from espnet3_prep.prep.runner import PrepRunner, needs_samples
from tests.helpers import run_cli
from tests.prep.test_bad_inputs import build_bad_corpus

LENGTH_STEPS = [{"name": "zero_length"}, {"name": "sample_rate", "expected": 16000},
                {"name": "duration", "min_s": 0.3, "max_s": 1.05}]


def _items(chapter: Path) -> list[dict[str, Any]]:
    """Every readable file of the bad corpus, plain and with speed/segment/channel twists."""
    items = []
    for flac in sorted(chapter.glob("*.flac")):
        base = {"utt_id": flac.stem, "speaker": "100", "text": "HI", "audio": str(flac)}
        items += [base, {**base, "speed": 0.9}, {**base, "speed": 1.1},
                  {**base, "segment": [0.1, 0.7]}, {**base, "segment": [0.5, 9.0]},
                  {**base, "segment": [3.0, 4.0]}, {**base, "channel": 1}]
    return items


def _forward(item: dict[str, Any], steps: list[Any], resample: bool) -> Any:
    model = build_feature({"type": "none", "sample_rate": 16000})
    return PrepRunner.forward(0, dataset=[item], model=model,
                              cleaner=build_cleaner({"steps": steps}),
                              audio_options={"resample": resample, "channel": None})


@pytest.mark.parametrize("resample", [True, False])
def test_header_rows_match_decoded_rows(tmp_path: Path, resample: bool) -> None:
    build_bad_corpus(tmp_path)
    chapter = tmp_path / "dev-bad" / "100" / "200"
    decoding = [*LENGTH_STEPS, {"name": "nan_inf"}]  # reads samples: every file decoded
    assert not needs_samples(build_feature({"type": "none"}), build_cleaner(
        {"steps": LENGTH_STEPS}))
    assert needs_samples(build_feature({"type": "none"}), build_cleaner({"steps": decoding}))
    kept = reasons = 0
    for item in _items(chapter):
        header = _forward(item, LENGTH_STEPS, resample)
        decoded = _forward(item, decoding, resample)
        if item["utt_id"] == "100-200-0002":  # truncated: see the next test
            continue
        if isinstance(decoded, Dropped):
            assert isinstance(header, Dropped), item
            assert (header.reason, header.duration) == (decoded.reason, decoded.duration)
            reasons += decoded.reason in ("too_long", "too_short", "zero_length_audio",
                                          "wrong_sample_rate")
        else:
            assert header == decoded, item
            kept += 1
    assert kept >= 10 and reasons >= 3  # both paths were really exercised


def test_truncated_file_is_kept_from_its_header(tmp_path: Path) -> None:
    """Proof that the header path does not decode: the truncated file passes."""
    build_bad_corpus(tmp_path)
    flac = tmp_path / "dev-bad" / "100" / "200" / "100-200-0002.flac"
    item = {"utt_id": flac.stem, "speaker": "100", "text": "HI", "audio": str(flac)}
    row = _forward(item, [], True)
    assert isinstance(row, dict) and row["num_samples"] == 32000
    decoded = _forward(item, [{"name": "silence"}], True)
    assert isinstance(decoded, Dropped) and decoded.reason == "unreadable_audio"


def test_plan_says_which_audio_path_a_run_takes(tmp_path: Path) -> None:
    common = (f"output_dir={tmp_path}", "action=plan", "dataset.splits=[dev-clean-2]",
              "feature=none")
    headers = run_cli(*common, "+cleaner.steps.7.enabled=false", "+cleaner.steps.9.enabled=false",
                      "+cleaner.steps.10.enabled=false")
    assert headers.returncode == 0, headers.stderr
    assert "audio: headers only" in headers.stdout
    decoding = run_cli(*common)
    assert decoding.returncode == 0, decoding.stderr
    assert "nan_inf, clipping, silence read the samples" in decoding.stdout
    assert "+cleaner.steps.<i>.enabled=false" in decoding.stdout
