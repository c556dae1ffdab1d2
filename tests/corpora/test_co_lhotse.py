"""Agreement with lhotse's own recipes on the same synthetic corpora: ids, texts, speakers,
genders, durations (to 1 ms) and segment times.

Deliberate differences (docs/corpora.md, "Differences from lhotse"):
* ids: Common Voice ``<client_id>-<clip>`` (lhotse: ``<clip>``), TED-LIUM
  ``<talk>-<start cs>-<end cs>`` (lhotse: ``<talk>-<STM line index>``) — speaker-prefixed,
  time-sorted Kaldi ids; matched here by clip / segment times;
* drops: lhotse keeps empty sentences and audio too short for its text (we drop them with a
  reason) and silently skips missing clips, WAVs without transcript and ignore segments
  (we drop them with a reason);
* genders are ``m``/``f`` (lhotse: the corpus's own spelling), LJSpeech's speaker is ``LJ``
  (lhotse: none), TED-LIUM genders come from the STM label (lhotse: none).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.corpora.corpora import ROOTS

lhotse_recipes = pytest.importorskip("lhotse.recipes")
LHOTSE_KEEPS = {"empty_transcript", "audio_too_short_for_text"}
"""Our drop reasons for inputs lhotse keeps."""


@pytest.fixture
def libsndfile_backend() -> Iterator[None]:
    """lhotse reads SPHERE through sph2pipe (a download); libsndfile reads it too."""
    from lhotse.audio.backend import (
        LibsndfileBackend,
        get_current_audio_backend,
        set_current_audio_backend,
    )

    previous = get_current_audio_backend()
    set_current_audio_backend(LibsndfileBackend())
    yield
    set_current_audio_backend(previous)


def lhotse_parts(name: str, root: Path, tmp: Path) -> dict[str, dict[str, Any]]:
    """split -> {recordings, supervisions} from lhotse's recipe."""
    if name == "commonvoice":
        out = tmp / "lhotse_cv"
        shutil.rmtree(out, ignore_errors=True)
        return lhotse_recipes.prepare_commonvoice(root, out, languages=["en"],
                                                  splits=["train", "dev", "test"])["en"]
    if name == "tedlium":
        return lhotse_recipes.prepare_tedlium(root)
    if name == "aishell":
        return lhotse_recipes.prepare_aishell(root)
    if name == "ljspeech":
        return {"all": lhotse_recipes.prepare_ljspeech(root)}
    return lhotse_recipes.prepare_mls(root, opus=False)["english"]


def our_id(name: str, sup: Any) -> str:
    """lhotse's supervision id -> ours."""
    if name == "commonvoice":
        return f"{sup.speaker}-{sup.id}"
    if name == "tedlium":
        end = sup.start + sup.duration
        return f"{sup.recording_id}-{round(sup.start * 100):07d}-{round(end * 100):07d}"
    return sup.id


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_agrees_with_lhotse(name: str, synth: Path, prepared: Callable[[str], Path],
                            tmp_path: Path, libsndfile_backend: None) -> None:
    parts = lhotse_parts(name, synth / ROOTS[name], tmp_path)
    out = prepared(name)
    for split, manifests in parts.items():
        ours = {r["utt_id"]: r for r in map(json.loads, (out / split / "manifest.jsonl").open())}
        drops = {d["utt_id"]: d["reason"]
                 for d in map(json.loads, (out / split / "dropped.jsonl").open())}
        theirs = {our_id(name, s): s for s in manifests["supervisions"]}
        kept_by_them = set(ours) | {u for u, why in drops.items() if why in LHOTSE_KEEPS}
        assert set(theirs) == kept_by_them, split
        for utt_id, row in ours.items():
            _same(name, row, theirs[utt_id], manifests["recordings"])


def _same(name: str, row: dict, sup: Any, recordings: Any) -> None:
    assert row["text"] == sup.text
    assert row["speaker"] == (sup.speaker if name != "ljspeech" else "LJ")
    if sup.gender is not None:
        assert row["gender"] == sup.gender[0].lower()
    assert abs(row["duration"] - sup.duration) < 1e-3, (row["utt_id"], sup.duration)
    if name == "tedlium":
        assert row["segment"] == pytest.approx([sup.start, sup.start + sup.duration], abs=1e-6)
        assert row["recording"] == sup.recording_id
    else:  # a whole file: its duration is the recording's
        assert abs(row["duration"] - recordings[sup.recording_id].duration) < 1e-3
