"""Hostile input lines: every line is accounted for exactly once and nothing crashes.

Generated manifests, Kaldi data dirs and LibriSpeech transcripts go through the real
corpus readers and the real ``PrepRunner.forward`` (audio decoded, features computed):
each non-blank line becomes exactly one item, and each item is kept or dropped with a
named reason. End-to-end runs of the CLI on a fixed hostile corpus check the same in
``stats.json``/``dropped.jsonl``, a valid Kaldi data dir, and that nothing outside the
output dir changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given
from hypothesis import strategies as st

from espnet3_prep.datasets import build_dataset
from tests.helpers import run_cli
from tests.validation.accounting import DROP_REASONS, account, runner_env
from tests.validation.inputs import (
    GOOD_IDS,
    endings,
    file_bytes,
    manifest_lines,
    non_blank_lines,
    snapshot,
    transcript_lines,
)

pytestmark = pytest.mark.fuzz
SR = 16000


@pytest.fixture(scope="module")
def env() -> dict[str, Any]:
    """The cleaner and feature a run builds."""
    return runner_env()


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Short real FLACs named after the good ids, an empty one and a folder."""
    folder = tmp_path_factory.mktemp("audio")
    t = np.arange(int(0.3 * SR)) / SR
    for utt in GOOD_IDS:
        sf.write(folder / f"{utt}.flac", (0.3 * np.sin(2 * np.pi * 220 * t)).astype("float32"),
                 SR)
    (folder / "empty.flac").write_bytes(b"")
    (folder / "a_dir").mkdir()
    return folder


def manifest_audio(folder: Path) -> list[str]:
    return [str(folder / f"{GOOD_IDS[0]}.flac"), f"{GOOD_IDS[1]}.flac", str(folder / "nope.flac"),
            str(folder / "empty.flac"), str(folder / "a_dir"), ""]


@given(data=st.data(), bom=st.booleans())
def test_manifest_lines_each_become_one_item(data: st.DataObject, bom: bool, audio: Path,
                                             env: dict[str, Any]) -> None:
    lines = data.draw(st.lists(manifest_lines(manifest_audio(audio)), min_size=1, max_size=10))
    raw = file_bytes(lines, data.draw(st.lists(endings, min_size=len(lines),
                                               max_size=len(lines))), bom)
    path = audio / "fuzz.jsonl"  # relative audio paths resolve against this folder
    path.write_bytes(raw)
    dataset = build_dataset({"type": "manifest", "path": str(path)}, "all")
    assert len(dataset) == non_blank_lines(raw)
    assert len(account(dataset, env)) == len(dataset)


@given(data=st.data(), bom=st.booleans())
def test_kaldi_text_lines_each_become_one_item(data: st.DataObject, bom: bool, audio: Path,
                                               env: dict[str, Any]) -> None:
    folder = audio / "kaldi" / "train"
    folder.mkdir(parents=True, exist_ok=True)
    text = data.draw(st.lists(transcript_lines(), min_size=1, max_size=10))
    raw = file_bytes(text, [b"\n"] * len(text), bom)
    (folder / "text").write_bytes(raw)
    wavs = data.draw(st.lists(st.sampled_from(GOOD_IDS), max_size=4))
    (folder / "wav.scp").write_text("".join(f"{u} {audio / u}.flac\n" for u in wavs))
    dataset = build_dataset({"type": "kaldi", "path": str(folder)}, "train")
    text_ids = [r.split(maxsplit=1)[0] for r in _decoded(raw)]
    expected = sum(max(text_ids.count(u), wavs.count(u)) for u in set(text_ids) | set(wavs))
    assert len(dataset) == expected
    assert len(account(dataset, env)) == expected


@given(data=st.data(), bom=st.booleans())
def test_librispeech_transcript_lines_each_become_one_item(
        data: st.DataObject, bom: bool, audio: Path, env: dict[str, Any]) -> None:
    chapter = audio / "ls" / "dev" / "100" / "200"
    chapter.mkdir(parents=True, exist_ok=True)
    lines = data.draw(st.lists(transcript_lines(), min_size=1, max_size=10))
    raw = file_bytes(lines, data.draw(st.lists(endings, min_size=len(lines),
                                               max_size=len(lines))), bom)
    (chapter / "100-200.trans.txt").write_bytes(raw)
    for utt in GOOD_IDS:
        target = chapter / f"{utt}.flac"
        if not target.exists():
            os.link(audio / f"{utt}.flac", target)
    dataset = build_dataset({"type": "librispeech", "root": str(audio / "ls"),
                             "splits": ["dev"]}, "dev")
    ids = {r.split(maxsplit=1)[0] for r in _decoded(raw)}
    assert len(dataset) == non_blank_lines(raw) + len(set(GOOD_IDS) - ids)
    assert len(account(dataset, env)) == len(dataset)


def _decoded(raw: bytes) -> list[str]:
    data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    return [s for s in (r.decode("utf-8", errors="replace").strip()
                        for r in data.splitlines()) if s]


HOSTILE_MANIFEST = [
    {"utt_id": "good-1", "audio": "good.flac", "text": "HELLO WORLD"},
    {"utt_id": "good-1", "audio": "good.flac", "text": "DUPLICATE"},
    {"utt_id": "../../escape", "audio": "good.flac", "text": "PATH ID"},
    {"utt_id": "/abs/escape", "audio": "good.flac", "text": "ABS ID"},
    {"utt_id": "empty-text", "audio": "good.flac", "text": "   "},
    {"utt_id": "nul-text", "audio": "good.flac", "text": "A\u0000B"},
    {"utt_id": "huge-text", "audio": "good.flac", "text": "A " * 500_000},
    {"utt_id": "no-audio", "audio": "missing.flac", "text": "X"},
    {"utt_id": "no-text", "audio": "good.flac"},
    {"audio": "good.flac", "text": "NO ID"},
    {"utt_id": 5, "audio": "good.flac", "text": "INT ID"},
    {"utt_id": "bad-channel", "audio": "good.flac", "text": "X", "channel": "left"},
    '{"utt_id": "broken", "text": ',
    "[1, 2]",
    "\x00\x00",
]


def _run_and_account(tmp_path: Path, split: str, *overrides: str) -> dict[str, str]:
    """Run the CLI; check the accounting, the data dir and that nothing else was written."""
    from espnet3_prep.datadir.validate import check_data_dir

    before = snapshot(tmp_path)
    out = tmp_path / "exp"
    proc = run_cli(*overrides, f"output_dir={out}")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads((out / split / "stats.json").read_text())
    dropped = [json.loads(x) for x in (out / split / "dropped.jsonl").open()]
    assert stats["kept"] + stats["dropped"] + stats["failed"] == stats["inputs"]
    assert stats["failed"] == 0 and len(dropped) == stats["dropped"]
    assert all(d["reason"] in DROP_REASONS and d["detail"] for d in dropped)
    assert check_data_dir(out / split) == []
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("exp/")}
    assert after == before, "a run wrote outside output_dir"
    assert not (tmp_path.parent / "escape").exists() and not Path("/abs/escape").exists()
    return {d["utt_id"]: d["reason"] for d in dropped} | {"inputs": str(stats["inputs"])}


def test_hostile_manifest_end_to_end(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sf.write(corpus / "good.flac", (0.3 * np.sin(np.arange(8000) / 10)).astype("float32"), SR)
    lines = [x if isinstance(x, str) else json.dumps(x) for x in HOSTILE_MANIFEST]
    (corpus / "m.jsonl").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    reasons = _run_and_account(tmp_path, "all", "dataset=manifest",
                               f"dataset.path={corpus / 'm.jsonl'}")
    assert reasons.pop("inputs") == str(len(HOSTILE_MANIFEST))
    assert reasons["m.jsonl:13"] == "malformed_line" and reasons["empty-text"] == "empty_transcript"
    assert reasons["no-audio"] == "missing_audio" and reasons["no-text"] == "missing_transcript"
    assert sum(r == "malformed_line" for r in reasons.values()) == 6


def test_hostile_kaldi_dir_end_to_end(tmp_path: Path) -> None:
    data = tmp_path / "corpus" / "train"
    data.mkdir(parents=True)
    sf.write(data / "good.flac", (0.3 * np.sin(np.arange(8000) / 10)).astype("float32"), SR)
    ids = ["u1", "u2", "u3", "dup", "../../escape", "nul", "bare"]
    text = (b"\xef\xbb\xbfu1 HELLO\r\nu2   \r\nu3 A\x00B\r\ndup ONE\r\ndup TWO\r\n"
            b"../../escape PATH\r\nnul\x00x Y\r\nbare\r\n" + b"huge " + b"A " * 500_000 + b"\n")
    (data / "text").write_bytes(text)
    (data / "wav.scp").write_text("".join(f"{u} good.flac\n" for u in ids)
                                  + "huge good.flac\nonly-audio good.flac\n")
    (data / "utt2spk").write_text("u1 spk/evil\nu3 s1\n")
    reasons = _run_and_account(tmp_path, "train", "dataset=kaldi", f"dataset.path={data}")
    assert reasons.pop("inputs") == "11"
    assert reasons["u1"] == "invalid_utt_id" and reasons["only-audio"] == "missing_transcript"
    assert reasons["u2"] == "empty_transcript" and reasons["bare"] == "empty_transcript"
    assert reasons["dup"] == "duplicate_utt_id" and reasons["'../../escape'"] == "invalid_utt_id"
