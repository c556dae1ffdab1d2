"""Sequential-read tar exports written per shard, in the worker, while the shard runs.

``export=[shar]`` (lhotse Shar, read by ``CutSet.from_shar``) and ``export=[webdataset]``
(``<key>.flac``/``.wav`` + ``<key>.json`` + ``<key>.feats.npy``, read by the
``webdataset`` package; the ``.json`` row's ``audio``/``feats`` paths follow ``paths``
like the manifest's, relative to the split folder with ``paths=relative``) are streamed by
the shard's sink from what it already holds — the decoded audio, the feature matrix and
the row — so nothing is read twice and the driver never touches the corpus. Each shard
writes ``ceil(kept / export_shard_size)`` parts (one when ``export_shard_size`` is null);
``collect`` then hard-links every shard's parts, in shard order, into ``<split>/shar/``
and ``<split>/webdataset/`` (renumbered), so a resumed run leaves finished shards' tars
untouched.

Audio: a row whose audio is an unmodified mono FLAC/WAV file at the row's rate is
copied byte for byte; otherwise (segment, speed, channel, resampling) the audio as the
features saw it is encoded as 16-bit FLAC. Features: ``.npy`` (float32, exact) for the
lossless storages, lilcom (``.llc``, 2^-5 ticks) for the lossy ones. Tar members have
mtime 0 and no owner, gzip has no timestamp: reruns give the same bytes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from espnet3_prep.writers.paths import check_mode, rewrite_row
from espnet3_prep.writers.raw_dump import SUBTYPE, to_int16
from espnet3_prep.writers.tar_stream import TarStream, npy_chunks

SHARD_EXPORTS = ("shar", "webdataset")
LOSSY = frozenset({"ark_compressed", "lilcom"})
PART_GLOB = {"shar": "shar*.cuts.jsonl.gz", "webdataset": "wds*.tar"}


def flac_streaminfo(data: bytes) -> tuple[int, int, int] | None:
    """(channels, sample rate, frames) from a FLAC file's leading STREAMINFO block
    (None when the bytes do not start that way, e.g. an ID3 tag first)."""
    if len(data) < 26 or data[:4] != b"fLaC" or data[4] & 0x7F != 0:
        return None
    bits = int.from_bytes(data[18:26], "big")  # rate:20 channels-1:3 bps-1:5 frames:36
    return ((bits >> 41) & 7) + 1, bits >> 44, bits & ((1 << 36) - 1)


def _file_info(path: Path, data: bytes) -> tuple[int, int, int]:
    found = flac_streaminfo(data) if path.suffix.lower() == ".flac" else None
    if found is not None:
        return found
    import soundfile

    info = soundfile.info(io.BytesIO(data))
    return info.channels, info.samplerate, info.frames


def audio_bytes(row: Mapping[str, Any], wave: np.ndarray | None) -> tuple[bytes, str]:
    """The utterance's audio file bytes and format (``flac``/``wav``)."""
    import soundfile

    path = Path(str(row.get("audio", "")))
    plain = not any(row.get(key) is not None for key in ("segment", "speed", "channel"))
    if plain and path.suffix.lower() in (".flac", ".wav"):
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        if data and _file_info(path, data) == (1, row["sample_rate"], row["num_samples"]):
            return data, path.suffix.lower()[1:]
    if wave is None:
        raise ValueError(f"{row['utt_id']}: no decoded audio to export")
    buffer = io.BytesIO()
    soundfile.write(buffer, to_int16(wave), int(row["sample_rate"]), subtype=SUBTYPE,
                    format="FLAC")
    return buffer.getvalue(), "flac"


def _feature_chunks(feats: np.ndarray, lossy: bool) -> tuple[tuple[Any, ...], str]:
    if lossy:
        import lilcom

        return (lilcom.compress(np.array(feats, dtype=np.float32), tick_power=-5),), "llc"
    return npy_chunks(feats), "npy"


def _cut(row: Mapping[str, Any], feature: Mapping[str, Any], feats: np.ndarray | None
         ) -> dict[str, Any]:
    """A lhotse MonoCut dict whose recording and features are Shar placeholders."""
    utt, sr, duration = str(row["utt_id"]), int(row["sample_rate"]), float(row["duration"])
    sup = {"id": utt, "recording_id": utt, "start": 0.0, "duration": duration, "channel": 0,
           "text": row.get("text")}
    sup.update({k: row[k] for k in ("speaker", "gender") if row.get(k)})
    cut: dict[str, Any] = {"id": utt, "start": 0.0, "duration": duration, "channel": 0,
                           "supervisions": [sup]}
    if feats is not None:
        cut["features"] = {
            "type": f"kaldi-{feature.get('type', 'fbank')}", "num_frames": int(feats.shape[0]),
            "num_features": int(feats.shape[1]),
            "frame_shift": float(feature.get("frame_shift", 10.0)) / 1000.0,
            "sampling_rate": sr, "start": 0.0, "duration": duration, "storage_type": "shar",
            "storage_path": "", "storage_key": "", "recording_id": utt, "channels": 0}
    cut["recording"] = {"id": utt, "sources": [{"type": "shar", "channels": [0],
                                                "source": ""}],
                        "sampling_rate": sr, "num_samples": int(row["num_samples"]),
                        "duration": duration, "channel_ids": [0]}
    cut["type"] = "MonoCut"
    return cut


class _Part:
    """One open part: its tar files (and the Shar cuts file)."""

    def __init__(self, directory: Path, kind: str, name: str, with_feats: bool) -> None:
        import gzip

        self.raw: BinaryIO | None = None
        self.cuts = None
        fields = ("",) if kind != "shar" else (
            ("recording", "features") if with_feats else ("recording",))
        self.tars = {field: TarStream(directory / (f"{name}.{field}.tar" if field
                                                   else f"{name}.tar"))
                     for field in fields}
        if kind == "shar":
            self.raw = open(directory / f"{name}.cuts.jsonl.gz", "wb")  # noqa: SIM115
            self.cuts = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0)

    def close(self) -> None:
        for tar in self.tars.values():
            tar.close()
        if self.cuts is not None and self.raw is not None:
            self.cuts.close()
            self.raw.close()


class ShardExports:
    """Streams one shard's kept utterances into its Shar / WebDataset parts."""

    def __init__(self, directory: Path, options: Mapping[str, Any], tag: str = "",
                 split_dir: Path | None = None) -> None:
        self.directory = Path(directory)
        # WebDataset rows' paths as the manifest's (``paths``): relative to the split folder
        self.split_dir = Path(split_dir) if split_dir is not None else self.directory
        self.paths = check_mode(options.get("paths"))
        self.kinds = [k for k in options.get("exports", ()) if k in SHARD_EXPORTS]
        size = options.get("export_shard_size")
        self.part_size = int(size) if size else None
        self.feature = dict(options.get("export_feature") or {})
        self.lossy = options.get("storage") in LOSSY
        self.tag = tag
        self.count = 0
        self._parts: dict[str, _Part] = {}

    def add(self, row: Mapping[str, Any], wave: np.ndarray | None,
            feats: np.ndarray | None) -> None:
        """Append one kept utterance to every selected export."""
        if not self.kinds:
            return
        if self.part_size and self.count and self.count % self.part_size == 0:
            self._close_parts()
        part_id = self.count // self.part_size if self.part_size else 0
        audio, fmt = audio_bytes(row, wave)
        for kind in self.kinds:
            part = self._parts.get(kind)
            if part is None:
                name = f"{'shar' if kind == 'shar' else 'wds'}{self.tag}.{part_id:06d}"
                part = self._parts[kind] = _Part(self.directory, kind, name,
                                                 feats is not None)
            self._write(kind, part, row, audio, fmt, feats)
        self.count += 1

    def _write(self, kind: str, part: _Part, row: Mapping[str, Any], audio: bytes, fmt: str,
               feats: np.ndarray | None) -> None:
        utt = str(row["utt_id"])
        if kind == "webdataset":
            key = utt.replace(".", "_")  # webdataset splits a key at its first dot
            tar = part.tars[""]
            tar.add(f"{key}.{fmt}", audio)
            located = rewrite_row(dict(row), self.split_dir, self.paths)
            tar.add(f"{key}.json", json.dumps(located, ensure_ascii=False).encode())
            if feats is not None:
                tar.add(f"{key}.feats.npy", *npy_chunks(feats))
            return
        cut = _cut(row, self.feature, feats)
        assert part.cuts is not None  # Shar parts always have a cuts file
        part.cuts.write((json.dumps(cut, ensure_ascii=False) + "\n").encode())
        part.tars["recording"].add(f"{utt}.{fmt}", audio)
        part.tars["recording"].add(f"{utt}.json", json.dumps(cut["recording"]).encode())
        if feats is None or "features" not in part.tars:
            return
        chunks, ext = _feature_chunks(feats, self.lossy)
        part.tars["features"].add(f"{utt}.{ext}", *chunks)
        part.tars["features"].add(f"{utt}.json", json.dumps(cut["features"]).encode())

    def _close_parts(self) -> None:
        for part in self._parts.values():
            part.close()
        self._parts.clear()

    def close(self) -> None:
        """Finish every open part (idempotent)."""
        self._close_parts()


def link_split_exports(split_dir: Path, shard_dirs: list[Path], kinds: list[str]
                       ) -> list[Path]:
    """Hard-link every shard's parts into ``<split>/shar`` / ``<split>/webdataset``,
    numbered in shard order (an earlier collect's links are replaced)."""
    import os
    import shutil

    written = []
    for kind in kinds:
        target = split_dir / kind
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        number = 0
        for shard in shard_dirs:
            for first in sorted(shard.glob(PART_GLOB[kind])):
                stem = first.name.removesuffix(".cuts.jsonl.gz").removesuffix(".tar")
                pairs = ([(f"{stem}.cuts.jsonl.gz", "cuts.{:06d}.jsonl.gz"),
                          (f"{stem}.recording.tar", "recording.{:06d}.tar"),
                          (f"{stem}.features.tar", "features.{:06d}.tar")]
                         if kind == "shar" else [(first.name, "shard-{:06d}.tar")])
                for source, pattern in pairs:
                    if not (shard / source).exists():  # no features: no features tar
                        continue
                    dest = target / pattern.format(number)
                    try:
                        os.link(shard / source, dest)
                    except OSError:
                        shutil.copyfile(shard / source, dest)
                    written.append(dest)
                number += 1
    return written
