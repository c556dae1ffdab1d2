"""Kaldi data dir rules (as ``utils/validate_data_dir.sh`` checks them), in Python.

* every ``<key> <value>`` file is sorted by key in C-locale (byte) order, keys unique;
* ``utt2spk`` and ``spk2utt`` exist and agree exactly (``spk2utt`` = ``utt2spk`` grouped:
  speakers sorted, utterances in ``utt2spk`` order);
* sorting ``utt2spk`` by speaker keeps the utterance order (speaker ids prefix utt ids);
* every utterance is in every per-utterance file (``text``, ``feats.scp``, ``utt2dur``,
  ``utt2num_frames``, ``segments``; ``wav.scp`` when there is no ``segments``);
* with ``segments``, every recording it uses is in ``wav.scp``;
* ``utt2dur`` values are positive numbers, ``utt2num_frames`` positive integers.
"""

from __future__ import annotations

from pathlib import Path

UTT_FILES = ("text", "feats.scp", "utt2dur", "utt2num_frames", "segments", "utt2lang")
KEYED_FILES = ("wav.scp", "utt2spk", "spk2utt", "spk2gender", *UTT_FILES)


class DataDirError(ValueError):
    """A data dir breaks Kaldi's rules; the message lists every problem."""


def c_sort_key(key: str) -> bytes:
    """Kaldi's ``LC_ALL=C`` order: by UTF-8 bytes."""
    return key.encode("utf-8")


def read_keyed(path: Path) -> list[tuple[str, str]]:
    """``(key, rest)`` per line of a Kaldi ``<key> <value>`` file."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            key, _, rest = line.rstrip("\n").partition(" ")
            pairs.append((key, rest))
    return pairs


def _sorted_unique(name: str, keys: list[str]) -> list[str]:
    problems = []
    for previous, key in zip(keys, keys[1:], strict=False):
        if c_sort_key(key) == c_sort_key(previous):
            problems.append(f"{name}: duplicate key {key!r}")
            break
        if c_sort_key(key) < c_sort_key(previous):
            problems.append(f"{name}: not sorted in C-locale order ({previous!r} before {key!r})")
            break
    return problems


def _speakers(directory: Path, utt2spk: list[tuple[str, str]]) -> list[str]:
    """spk2utt must equal utt2spk grouped; utt order must survive sorting by speaker."""
    problems = []
    grouped: dict[str, list[str]] = {}
    for utt, spk in utt2spk:
        grouped.setdefault(spk, []).append(utt)
    expected = [(spk, " ".join(grouped[spk])) for spk in sorted(grouped, key=c_sort_key)]
    if not (directory / "spk2utt").exists():
        problems.append("spk2utt: missing (make it from utt2spk)")
    elif read_keyed(directory / "spk2utt") != expected:
        problems.append("spk2utt: does not match utt2spk (regenerate it from utt2spk)")
    by_speaker = sorted(utt2spk, key=lambda pair: (c_sort_key(pair[1]), c_sort_key(pair[0])))
    if [u for u, _ in by_speaker] != [u for u, _ in utt2spk]:
        problems.append("utt2spk: not in sorted order when sorted by speaker first (make "
                        "speaker ids prefixes of utterance ids)")
    return problems


def _values(name: str, pairs: list[tuple[str, str]]) -> list[str]:
    for key, value in pairs:
        if not value.strip():
            return [f"{name}: empty value for {key!r}"] if name != "text" else []
        if name in ("utt2dur", "utt2num_frames"):
            try:
                number = float(value) if name == "utt2dur" else int(value)
            except ValueError:
                return [f"{name}: {key!r} has a non-numeric value {value!r}"]
            if number <= 0:
                return [f"{name}: {key!r} has a non-positive value {value!r}"]
    return []


def _genders(files: dict[str, list[tuple[str, str]]]) -> list[str]:
    """``spk2gender``, when present, gives m or f for exactly the speakers of utt2spk."""
    if "spk2gender" not in files:
        return []
    genders = dict(files["spk2gender"])
    speakers = {s for _, s in files["utt2spk"]}
    problems = []
    if set(genders) != speakers:
        missing = sorted(speakers - set(genders))[:3]
        extra = sorted(set(genders) - speakers)[:3]
        problems.append(f"spk2gender: speakers differ from utt2spk (missing {missing}, "
                        f"extra {extra})")
    bad = sorted(k for k, v in genders.items() if v not in ("m", "f"))[:3]
    if bad:
        problems.append(f"spk2gender: values must be m or f (not for {bad})")
    return problems


def check_data_dir(directory: Path) -> list[str]:
    """Every rule the data dir breaks (an empty list when it is valid)."""
    directory = Path(directory)
    if not (directory / "utt2spk").exists():
        return [f"{directory}: utt2spk missing"]
    files = {name: read_keyed(directory / name) for name in KEYED_FILES
             if (directory / name).exists()}
    problems = []
    for name, pairs in files.items():
        problems += _sorted_unique(name, [k for k, _ in pairs]) + _values(name, pairs)
    utts = [k for k, _ in files["utt2spk"]]
    problems += _speakers(directory, files["utt2spk"])
    has_segments = "segments" in files
    per_utt = [n for n in UTT_FILES if n in files]
    if not has_segments and "wav.scp" in files:
        per_utt.append("wav.scp")
    for name in per_utt:
        keys = [k for k, _ in files[name]]
        if set(keys) != set(utts):
            missing = sorted(set(utts) - set(keys))[:3]
            extra = sorted(set(keys) - set(utts))[:3]
            problems.append(f"{name}: keys differ from utt2spk (missing {missing}, extra {extra})")
    problems += _genders(files)
    if "wav.scp" not in files:
        problems.append("wav.scp: missing")
    elif has_segments:
        recordings = {k for k, _ in files["wav.scp"]}
        unknown = sorted({v.split()[0] for _, v in files["segments"] if v.split()} - recordings)
        if unknown:
            problems.append(f"segments: recordings not in wav.scp: {unknown[:3]}")
    return problems


def validate_data_dir(directory: Path) -> None:
    """Raise :class:`DataDirError` listing every broken rule."""
    problems = check_data_dir(directory)
    if problems:
        raise DataDirError(f"{directory} is not a valid Kaldi data dir:\n  " +
                           "\n  ".join(problems))
