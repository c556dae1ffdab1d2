#!/usr/bin/env python3
"""Deterministic offline synthesizer for a corpus in the exact LibriSpeech layout.

The corpus is made of pseudo-random English sentences (from an embedded word list,
drawn with a seeded ``random.Random``) spoken by ``espeak-ng`` with a different voice,
pitch and speed per speaker, then converted by ``sox`` to 16 kHz / 16-bit / mono FLAC.

Output layout (identical to LibriSpeech)::

    OUT/SPEAKERS.TXT
    OUT/CHAPTERS.TXT
    OUT/README.TXT
    OUT/<split>/<spk>/<chapter>/<spk>-<chapter>-NNNN.flac
    OUT/<split>/<spk>/<chapter>/<spk>-<chapter>.trans.txt

Split spec format: ``NAME:SPEAKERS:CHAPTERS:UTTS`` where SPEAKERS is the number of
speakers in the split, CHAPTERS the number of chapters per speaker and UTTS the number
of utterances per chapter, e.g. ``train-clean-5:3:2:4`` gives 3*2*4 = 24 utterances.

Examples::

    python tools/synth_librispeech.py --out /tmp/LibriSpeech \\
        --splits train-clean-5:3:2:4 dev-clean-2:2:1:6 --seed 16 --words-range 3:16 \\
        --word-dist loguniform          # = the embedded mini corpus (tools/make_mini_corpus.sh)

    # benchmark corpus: 216 utts, ~35 minutes, mixed ~2-19 s utterances, ~38 MB, ~6 s
    python tools/synth_librispeech.py --out /tmp/bench/LibriSpeech \\
        --splits train-clean-100:8:3:9 --seed 1 --words-range 6:50

Same arguments + same espeak-ng/sox versions => byte-identical output files (``--jobs``
and the ``--out`` path do not matter).  SPEAKERS.TXT/CHAPTERS.TXT/README.TXT describe
only the splits of the current invocation.
Requires the ``espeak-ng`` and ``sox`` binaries (``apt-get install -y espeak-ng sox``).
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

SAMPLE_RATE = 16000
SOX_EFFECTS = ["gain", "-3", "rate", "-h", str(SAMPLE_RATE), "gain", "-n", "-1"]


def _w(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated word list literal into a tuple."""
    return tuple(text.split())


# Embedded vocabulary, grouped by part of speech so sentences look vaguely English.
WORDS: dict[str, tuple[str, ...]] = {
    "det": _w("THE A THIS THAT EVERY NO SOME ONE HIS HER THEIR MY OUR"),
    "adj": _w("""OLD YOUNG LITTLE GREAT SMALL DARK BRIGHT QUIET COLD WARM GREEN GREY WHITE
        BLACK STRANGE GENTLE LONG SHORT HEAVY EMPTY DISTANT HONEST PROUD SILENT
        CAREFUL WEARY HAPPY POOR RICH NARROW BROAD DEEP GOLDEN SIMPLE FAMOUS"""),
    "noun": _w("""MAN WOMAN CHILD FATHER MOTHER DOCTOR CAPTAIN SOLDIER FARMER MILLER KING
        QUEEN HOUSE GARDEN RIVER FOREST MOUNTAIN VILLAGE CITY ROAD DOOR WINDOW
        LETTER BOOK CANDLE HORSE DOG SHIP WIND RAIN MORNING EVENING NIGHT WINTER
        SUMMER FIRE STONE BRIDGE CHURCH FIELD LAMP TABLE CHAIR SEA SKY HILL
        STRANGER FRIEND NEIGHBOUR SERVANT MASTER STORY SONG VOICE HEART"""),
    "poss": _w("MILLER'S FATHER'S CAPTAIN'S KING'S WOMAN'S DOCTOR'S"),
    "verb": _w("""SAW FOUND KNEW LOVED LEFT TOOK BROUGHT FOLLOWED WATCHED OPENED CLOSED
        CARRIED REMEMBERED HEARD SOUGHT BUILT CROSSED PASSED REACHED TOUCHED
        ANSWERED CALLED MET HELD KEPT LOST WROTE READ PAINTED SOLD"""),
    "iverb": _w("""WAITED LAUGHED SLEPT SMILED WEPT ARRIVED RETURNED LISTENED SPOKE SANG
        TREMBLED WANDERED RESTED PAUSED VANISHED"""),
    "adv": _w("""SLOWLY QUICKLY SOFTLY SUDDENLY OFTEN NEVER ALWAYS QUIETLY GLADLY AGAIN
        TOGETHER ALONE TONIGHT YESTERDAY SOMETIMES"""),
    "prep": _w("IN ON UNDER OVER NEAR BEYOND ACROSS THROUGH BEHIND BESIDE TOWARD"),
    "pron": _w("HE SHE THEY WE I YOU IT"),
    "neg": _w("DIDN'T COULDN'T WOULDN'T CAN'T SHOULDN'T"),
    "conj": _w("AND BUT SO WHILE BECAUSE THOUGH WHEN"),
}

# Words a sentence should not end on.
DANGLING = frozenset().union(
    *(WORDS[k] for k in ("det", "adj", "poss", "prep", "pron", "neg", "conj"))
)

# Clause templates; each symbol is a WORDS key, "np" expands to a noun phrase.
TEMPLATES: tuple[tuple[str, ...], ...] = (
    ("np", "verb", "np"),
    ("np", "iverb", "adv"),
    ("pron", "verb", "np", "prep", "np"),
    ("pron", "neg", "know", "np"),
    ("np", "iverb", "prep", "np"),
    ("adv", "pron", "verb", "np"),
    ("the", "poss", "noun", "iverb"),
    ("pron", "iverb", "prep", "np", "adv"),
)

FIRST_NAMES_F = _w("Alice Mary Ruth Helen Clara Agnes Edith Grace Martha Nora Lucy Irene")
FIRST_NAMES_M = _w("John Peter Arthur Henry Walter Albert Frank Hugh Oscar Louis Ernest")
LAST_NAMES = _w(
    "Hale Morgan Whitfield Barrow Ashby Fenwick Carter Lowell Pryce Garland Denton Shaw"
)
BASE_VOICES = ("en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan")
# Breathy variants (f2, f3, f5) add noise that inflates FLAC size by ~15%: not used.
VARIANTS = {"M": ("m1", "m3", "m5", "m6", "m7", "m8"), "F": ("f1", "f4")}
PITCH = {"M": (28, 50), "F": (55, 80)}
SPEED = {"M": (155, 185), "F": (150, 180)}


@dataclass(frozen=True)
class SplitSpec:
    """A requested split: ``name`` with speakers x chapters x utterances."""

    name: str
    n_speakers: int
    n_chapters: int
    n_utts: int


@dataclass(frozen=True)
class Speaker:
    """A synthetic reader with a fixed espeak-ng voice."""

    spk_id: int
    sex: str
    name: str
    subset: str
    voice: str
    pitch: int
    speed: int


@dataclass(frozen=True)
class Utterance:
    """One utterance to synthesize; ``rel_path`` is relative to the corpus root."""

    utt_id: str
    speaker: Speaker
    chapter_id: int
    text: str
    rel_path: str


def parse_split_spec(value: str) -> SplitSpec:
    """Parse ``NAME:SPEAKERS:CHAPTERS:UTTS`` (argparse ``type=``)."""
    parts = value.split(":")
    if len(parts) != 4 or not parts[0]:
        raise argparse.ArgumentTypeError(f"bad split spec {value!r}; want NAME:SPK:CHAP:UTTS")
    try:
        counts = [int(p) for p in parts[1:]]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"non-integer count in {value!r}") from exc
    if min(counts) < 1 or counts[2] > 9999:
        raise argparse.ArgumentTypeError(f"counts must be >=1 (UTTS <= 9999) in {value!r}")
    return SplitSpec(parts[0], *counts)


def parse_range(value: str) -> tuple[int, int]:
    """Parse ``MIN:MAX`` word counts (argparse ``type=``)."""
    try:
        lo, hi = (int(p) for p in value.split(":"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad range {value!r}; want MIN:MAX") from exc
    if not 1 <= lo <= hi:
        raise argparse.ArgumentTypeError(f"need 1 <= MIN <= MAX in {value!r}")
    return lo, hi


def check_tools() -> None:
    """Exit with an actionable message when espeak-ng or sox is missing."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        sys.exit(
            f"error: required tool(s) not found on PATH: {', '.join(missing)}\n"
            "install them with: apt-get install -y espeak-ng sox"
        )


def make_clause(rng: random.Random) -> list[str]:
    """Return one clause (list of upper-case words) from a random template."""
    words: list[str] = []
    for sym in rng.choice(TEMPLATES):
        if sym == "np":
            words.append(rng.choice(WORDS["det"]))
            if rng.random() < 0.5:
                words.append(rng.choice(WORDS["adj"]))
            words.append(rng.choice(WORDS["noun"]))
        elif sym in WORDS:
            words.append(rng.choice(WORDS[sym]))
        else:
            words.append(sym.upper())
    return words


def make_sentence(rng: random.Random, n_words: int, words_range: tuple[int, int]) -> str:
    """Return about ``n_words`` words: clauses joined by conjunctions.

    The cut is moved (staying inside ``words_range``) so the sentence does not end on a
    function word such as THE, IN or AND.
    """
    lo, hi = words_range
    words = make_clause(rng)
    while len(words) < max(n_words, hi):
        words.append(rng.choice(WORDS["conj"]))
        words.extend(make_clause(rng))
    end = n_words
    while end < hi and words[end - 1] in DANGLING:
        end += 1
    while end > lo and words[end - 1] in DANGLING:
        end -= 1
    words = words[:end]
    for i in range(len(words) - 1):
        if words[i] == "A" and words[i + 1][0] in "AEIOU":
            words[i] = "AN"
    return " ".join(words)


def draw_n_words(rng: random.Random, words_range: tuple[int, int], dist: str) -> int:
    """Draw a word count in ``words_range`` (uniform or log-uniform)."""
    lo, hi = words_range
    if dist == "uniform":
        return rng.randint(lo, hi)
    value = math.exp(rng.uniform(math.log(lo), math.log(hi + 1)))
    return min(hi, int(value))


def make_speaker(rng: random.Random, spk_id: int, sex: str, subset: str) -> Speaker:
    """Create a speaker with a random (seeded) name and espeak-ng voice."""
    first = rng.choice(FIRST_NAMES_F if sex == "F" else FIRST_NAMES_M)
    voice = f"{rng.choice(BASE_VOICES)}+{rng.choice(VARIANTS[sex])}"
    return Speaker(
        spk_id=spk_id,
        sex=sex,
        name=f"{first} {rng.choice(LAST_NAMES)}",
        subset=subset,
        voice=voice,
        pitch=rng.randint(*PITCH[sex]),
        speed=rng.randint(*SPEED[sex]),
    )


def plan_split(
    rng: random.Random,
    spec: SplitSpec,
    ids: Iterable[int],
    chapters: Iterable[int],
    opts: argparse.Namespace,
) -> list[Utterance]:
    """Plan every utterance of one split (all randomness happens here, serially)."""
    ids, chapters = iter(ids), iter(chapters)
    first_sex = rng.choice("FM")
    utts: list[Utterance] = []
    for i in range(spec.n_speakers):
        sex = first_sex if i % 2 == 0 else ("M" if first_sex == "F" else "F")
        spk = make_speaker(rng, next(ids), sex, spec.name)
        for _ in range(spec.n_chapters):
            chap = next(chapters)
            for k in range(spec.n_utts):
                utt_id = f"{spk.spk_id}-{chap}-{k:04d}"
                n_words = draw_n_words(rng, opts.words_range, opts.word_dist)
                text = make_sentence(rng, n_words, opts.words_range)
                rel = f"{spec.name}/{spk.spk_id}/{chap}/{utt_id}.flac"
                utts.append(Utterance(utt_id, spk, chap, text, rel))
    return utts


def plan_corpus(specs: list[SplitSpec], opts: argparse.Namespace) -> list[Utterance]:
    """Plan all splits; speaker and chapter ids are globally distinct."""
    rng = random.Random(opts.seed)
    n_spk = sum(s.n_speakers for s in specs)
    n_chap = sum(s.n_speakers * s.n_chapters for s in specs)
    spk_ids = rng.sample(range(19, 9000), n_spk)
    chap_ids = rng.sample(range(1000, 300000), n_chap)
    utts: list[Utterance] = []
    for spec in specs:
        n_c = spec.n_speakers * spec.n_chapters
        ids, spk_ids = sorted(spk_ids[: spec.n_speakers]), spk_ids[spec.n_speakers :]
        chaps, chap_ids = sorted(chap_ids[:n_c]), chap_ids[n_c:]
        utts.extend(plan_split(rng, spec, ids, chaps, opts))
    return utts


def spoken_text(text: str) -> str:
    """Return the espeak-ng input for a transcript.

    Lower-case (espeak-ng may spell out short all-caps words as acronyms) and a comma
    before each clause-joining conjunction, so the reader pauses like in read speech.
    """
    words = text.lower().split()
    for i in range(1, len(words)):
        if words[i].upper() in WORDS["conj"]:
            words[i - 1] += ","
    return " ".join(words)


def synth_one(utt: Utterance, out_root: Path, tmp_dir: Path) -> float:
    """Synthesize one utterance to FLAC; return its duration in seconds."""
    wav = tmp_dir / f"{utt.utt_id}.wav"
    flac = out_root / utt.rel_path
    spk = utt.speaker
    espeak = ["espeak-ng", "-v", spk.voice, "-p", str(spk.pitch), "-s", str(spk.speed)]
    subprocess.run([*espeak, "-w", str(wav), spoken_text(utt.text)], check=True)
    sox = ["sox", "-D", str(wav), "-b", "16", "-c", "1", str(flac), *SOX_EFFECTS]
    subprocess.run(sox, check=True)
    wav.unlink()
    info = sf.info(str(flac))
    return info.frames / info.samplerate


def synthesize(utts: list[Utterance], out_root: Path, jobs: int) -> dict[str, float]:
    """Synthesize all utterances in a thread pool; return utt_id -> seconds."""
    for utt in utts:
        (out_root / utt.rel_path).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="synth_ls_") as tmp, ThreadPoolExecutor(jobs) as ex:
        futures = [ex.submit(synth_one, u, out_root, Path(tmp)) for u in utts]
        return {u.utt_id: f.result() for u, f in zip(utts, futures, strict=True)}


def write_transcripts(utts: list[Utterance], out_root: Path) -> None:
    """Write one ``<spk>-<chapter>.trans.txt`` per chapter, sorted by utt id."""
    by_chapter: dict[Path, list[Utterance]] = defaultdict(list)
    for utt in utts:
        stem = f"{utt.speaker.spk_id}-{utt.chapter_id}.trans.txt"
        by_chapter[(out_root / utt.rel_path).parent / stem].append(utt)
    for path, items in by_chapter.items():
        lines = [f"{u.utt_id} {u.text}\n" for u in sorted(items, key=lambda u: u.utt_id)]
        path.write_text("".join(lines), encoding="utf-8")


SPEAKERS_HEADER = """\
; SYNTHETIC corpus made by tools/synth_librispeech.py (espeak-ng voices, not LibriVox).
; Some pipe(|) separated metadata about all readers whose audio is in the corpus.
;
; The meaning of the fields in left-to-right order is as follows:
;
; reader_id: the ID of the reader
; gender: 'F' for female, 'M' for male
; subset: the corpus subset to which the reader's audio is assigned
; duration: total number of minutes of speech by the reader, included in the corpus
; name: the (made-up) name of the reader
;
;ID  |SEX| SUBSET           |MINUTES| NAME
"""

CHAPTERS_HEADER = """\
; SYNTHETIC corpus made by tools/synth_librispeech.py (espeak-ng voices, not LibriVox).
; Some pipe(|) separated metadata about the audio chapters included in the corpus.
;
; The meaning of the fields in left-to-right order is as follows:
;
; chapter_id: the ID of the chapter
; reader_id: the ID of the reader
; duration: how many minutes of this chapter are used in the corpus
; subset: the corpus subset to which this chapter is assigned
; project_id: a made-up project ID
; book_id: a made-up book ID
; chapter_title: the title of the chapter
; project_title: the title of the project
;
;ID    |READER|MINUTES| SUBSET           | PROJ.|BOOK ID| CH. TITLE            | PROJECT TITLE
"""


def write_speakers_txt(utts: list[Utterance], durs: dict[str, float], out_root: Path) -> None:
    """Write ``SPEAKERS.TXT`` (LibriSpeech column layout), sorted by speaker id."""
    minutes: dict[Speaker, float] = defaultdict(float)
    for utt in utts:
        minutes[utt.speaker] += durs[utt.utt_id] / 60.0
    rows = [
        f"{s.spk_id:<5}| {s.sex} | {s.subset:<17}| {m:5.2f} | {s.name}\n"
        for s, m in sorted(minutes.items(), key=lambda kv: kv[0].spk_id)
    ]
    (out_root / "SPEAKERS.TXT").write_text(SPEAKERS_HEADER + "".join(rows), encoding="utf-8")


def write_chapters_txt(utts: list[Utterance], durs: dict[str, float], out_root: Path) -> None:
    """Write ``CHAPTERS.TXT`` (LibriSpeech column layout), sorted by chapter id."""
    minutes: dict[tuple[int, Speaker], float] = defaultdict(float)
    for utt in utts:
        minutes[(utt.chapter_id, utt.speaker)] += durs[utt.utt_id] / 60.0
    rows = []
    for i, ((chap, spk), mins) in enumerate(sorted(minutes.items(), key=lambda kv: kv[0][0])):
        proj, book = 1000 + chap % 9000, 10000 + chap % 50000
        title = f"Chapter {i % 40 + 1:02d}"
        rows.append(
            f"{chap:<7}| {spk.spk_id:<5}| {mins:5.2f} | {spk.subset:<17}| {proj:<5}| "
            f"{book:<6}| {title:<21}| Synthetic Readings Volume {i % 7 + 1}\n"
        )
    (out_root / "CHAPTERS.TXT").write_text(CHAPTERS_HEADER + "".join(rows), encoding="utf-8")


def canonical_args(args: argparse.Namespace) -> str:
    """Return the output-affecting arguments as a CLI string (no paths, no --jobs)."""
    splits = " ".join(f"{s.name}:{s.n_speakers}:{s.n_chapters}:{s.n_utts}" for s in args.splits)
    lo, hi = args.words_range
    return (
        f"--splits {splits} --seed {args.seed} --words-range {lo}:{hi} --word-dist {args.word_dist}"
    )


def write_readme(args: argparse.Namespace) -> None:
    """Write ``README.TXT`` stating the synthetic origin and how to regenerate."""
    text = (
        "Synthetic corpus in the LibriSpeech layout (NOT real LibriSpeech audio).\n"
        "Speech: espeak-ng; FLAC: sox (16 kHz, 16-bit, mono). See SPEAKERS.TXT, CHAPTERS.TXT.\n"
        f"Regenerate: python tools/synth_librispeech.py --out DIR {canonical_args(args)}\n"
    )
    (args.out / "README.TXT").write_text(text, encoding="utf-8")


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--out", type=Path, required=True, help="corpus root (the LibriSpeech dir)")
    p.add_argument(
        "--splits",
        type=parse_split_spec,
        nargs="+",
        required=True,
        metavar="NAME:SPK:CHAP:UTTS",
        help="split name, #speakers, #chapters per speaker, #utts per chapter",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--words-range",
        type=parse_range,
        default=(4, 20),
        metavar="MIN:MAX",
        help="words per utterance (default 4:20; ~0.3 s per word + ~0.3 s)",
    )
    p.add_argument("--min-words", type=int, help="override MIN of --words-range")
    p.add_argument("--max-words", type=int, help="override MAX of --words-range")
    p.add_argument(
        "--word-dist",
        choices=("uniform", "loguniform"),
        default="uniform",
        help="distribution of the word count (loguniform favours short utterances)",
    )
    p.add_argument("--jobs", type=int, default=4, help="parallel synthesis workers (default 4)")
    p.add_argument("--force", action="store_true", help="replace existing split directories")
    return p


def resolve_args(argv: list[str]) -> argparse.Namespace:
    """Parse ``argv`` and validate cross-argument constraints."""
    parser = build_parser()
    args = parser.parse_args(argv)
    lo, hi = args.words_range
    lo = args.min_words if args.min_words is not None else lo
    hi = args.max_words if args.max_words is not None else hi
    if not 1 <= lo <= hi:
        parser.error(f"need 1 <= min words <= max words, got {lo}:{hi}")
    args.words_range = (lo, hi)
    names = [s.name for s in args.splits]
    if len(set(names)) != len(names):
        parser.error(f"duplicate split names: {names}")
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    return args


def prepare_out_dir(out_root: Path, specs: list[SplitSpec], force: bool) -> None:
    """Create ``out_root``; refuse (or with ``force`` remove) existing split dirs."""
    out_root.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        split_dir = out_root / spec.name
        if split_dir.exists():
            if not force:
                sys.exit(f"error: {split_dir} exists; use --force to replace it")
            shutil.rmtree(split_dir)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    argv = sys.argv[1:] if argv is None else argv
    args = resolve_args(argv)
    check_tools()
    prepare_out_dir(args.out, args.splits, args.force)
    utts = plan_corpus(args.splits, args)
    durs = synthesize(utts, args.out, args.jobs)
    write_transcripts(utts, args.out)
    write_speakers_txt(utts, durs, args.out)
    write_chapters_txt(utts, durs, args.out)
    write_readme(args)
    for spec in args.splits:
        secs = [durs[u.utt_id] for u in utts if u.rel_path.startswith(spec.name + "/")]
        print(
            f"{spec.name}: {len(secs)} utts, {spec.n_speakers} speakers, "
            f"{sum(secs) / 3600:.4f} h ({min(secs):.2f}-{max(secs):.2f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
