"""The corpus layouts written by ``tools/synth_corpora.py``, one function per corpus.

Edge cases (what the readers must account for), per corpus:

* commonvoice: an empty sentence, a TSV row whose clip is missing, a 0.3 s clip with a
  long sentence (audio too short for its text), quotes kept as written, a non-split TSV
  (``reported.tsv``) next to the split TSVs;
* tedlium: an ``ignore_time_segment_in_scoring`` line, ``<unk>`` tokens, a segment far too
  short for its words;
* aishell: a WAV without a transcript line, transcript lines of other splits;
* ljspeech: a WAV without a metadata line, raw vs normalized text, 22.05 kHz audio;
* mls: a FLAC without a transcript line, a clip too short for its text.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

LONG = ("this sentence is much too long to have been spoken in the short clip that "
        "claims to hold it")


def _client(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _seconds(path: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True)
    return float(out.stdout)


CV_COLUMNS = ("client_id\tpath\tsentence_id\tsentence\tsentence_domain\tup_votes\t"
              "down_votes\tage\tgender\taccents\tvariant\tlocale\tsegment")


def commonvoice(sp: Any, out: Path) -> Path:
    """``cv-corpus-synth/en/{train,dev,test,validated}.tsv`` + ``clips/*.mp3`` (48 kHz)."""
    lang = out / "cv-corpus-synth" / "en"
    a, b = _client("alice"), _client("bob")
    who = {a: ("en-gb", "female_feminine", "twenties", "England English"),
           b: ("en-us", "male_masculine", "thirties", "")}
    rows = {
        "train": [(a, 1, 'He said "good morning" to the old miller.'),
                  (b, 2, "The quiet river passed the little village."),
                  (a, 3, ""),                                    # empty sentence
                  (b, 4, "This clip was never downloaded."),     # missing clip
                  (a, 5, LONG)],                                 # clip too short
        "dev": [(b, 6, "A cold wind crossed the bridge."),
                (a, 7, "Every letter was read again.")],
        "test": [(a, 8, "The doctor opened the heavy door."),
                 (b, 9, "Some stars shine over the sea.")],
    }
    for split, entries in rows.items():
        lines = [CV_COLUMNS]
        for client, n, sentence in entries:
            clip = f"common_voice_en_{n:08d}.mp3"
            voice, gender, age, accent = who[client]
            if n == 5:
                sp.say("hi", lang / "clips" / clip, voice=voice, rate=48000)
            elif n != 4:
                sp.say(sentence or "hello", lang / "clips" / clip, voice=voice, rate=48000)
            lines.append("\t".join([client, clip, f"s{n}", sentence, "", "2", "0", age,
                                    gender, accent, "", "en", ""]))
        (lang / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    validated = (lang / "train.tsv").read_text().splitlines()[:3]
    (lang / "validated.tsv").write_text("\n".join(validated) + "\n", encoding="utf-8")
    (lang / "reported.tsv").write_text("sentence_id\tsentence\tlocale\treason\n",
                                       encoding="utf-8")
    return lang.parent


def tedlium(sp: Any, out: Path) -> Path:
    """``TEDLIUM_release-3/legacy/{train,dev,test}/{sph,stm}``: talks cut by STM times."""
    root = out / "TEDLIUM_release-3"
    talks = {
        "train": {"AlGore_2009": ("male", ["we have to act on the climate now",
                                           "the <unk> ice is melting every summer",
                                           "thank you"]),
                  "JaneDoe_2010": ("female", ["good stories change the world",
                                              "every child should learn to read"])},
        "dev": {"BillGates_2010": ("male", ["energy and climate matter to everyone",
                                            "we need new ideas"])},
        "test": {"AimeeMullins_2009": ("female", ["my legs are a work of art",
                                                  "the opportunity of adversity"])},
    }
    for split, by_talk in talks.items():
        for talk, (gender, utts) in by_talk.items():
            _ted_talk(sp, root / "legacy" / split, talk, gender, utts)
    return root


def _ted_talk(sp: Any, folder: Path, talk: str, gender: str, utts: list[str]) -> None:
    voice = "en-us" if gender == "male" else "en-gb"
    parts = [sp.say(text, Path(sp.workdir) / f"{talk}_{i}.wav", voice=voice)
             for i, text in enumerate(utts)]
    gap, lines = 0.6, []
    start = first = 0.3 + gap  # [0.3 s lead][gap][utt 1][gap][utt 2][gap]...
    label = f"<o,f0,{gender}>"
    for text, part in zip(utts, parts, strict=True):
        end = start + _seconds(part)
        lines.append(f"{talk} 1 {talk} {start:.2f} {end:.2f} {label} {text}")
        start = end + gap
    lines.append(f"{talk} 1 {talk} {start - gap + 0.05:.2f} {start - 0.05:.2f} {label} "
                 "ignore_time_segment_in_scoring")
    if len(utts) > 2:  # a segment far too short for its words (misaligned STM line)
        lines.append(f"{talk} 1 {talk} {first:.2f} {first + 0.15:.2f} {label} {LONG}")
    silence = Path(sp.workdir) / "lead.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-b", "16", "-c", "1", str(silence),
                    "trim", "0", "0.3"], check=True)
    joined = Path(sp.workdir) / f"{talk}.wav"
    sp.concat([silence, *parts], joined, gap)
    (folder / "sph").mkdir(parents=True, exist_ok=True)
    subprocess.run(["sox", str(joined), str(folder / "sph" / f"{talk}.sph")], check=True)
    (folder / "stm").mkdir(parents=True, exist_ok=True)
    (folder / "stm" / f"{talk}.stm").write_text("\n".join(lines) + "\n", encoding="utf-8")


def aishell(sp: Any, out: Path) -> Path:
    """``data_aishell/wav/<split>/<spk>/*.wav`` + ``transcript/aishell_transcript_v0.8.txt``."""
    base = out / "data_aishell"
    texts = ["而 对 楼市 成交 抑制 作用 最 大 的 限 购", "也 成为 地方 政府 的 眼中 钉",
             "自 六月 底 呼和浩特 市 率先 宣布 取消 限 购", "各地 政府 便 纷纷 跟进",
             "仅 一 个 多 月 的 时间 里", "广州 深圳 甚至 已经 追加 限 购"]
    speakers = {"train": ["S0002", "S0003"], "dev": ["S0724"], "test": ["S0764"]}
    lines, n = [], 0
    for split, spks in speakers.items():
        for spk in spks:
            for k in range(2):
                utt = f"BAC009{spk}W{121 + k:04d}"
                sp.say(texts[n % len(texts)].replace(" ", ""),
                       base / "wav" / split / spk / f"{utt}.wav", voice="cmn")
                lines.append(f"{utt} {texts[n % len(texts)]}")
                n += 1
    sp.say("你好", base / "wav" / "train" / "S0002" / "BAC009S0002W0999.wav", voice="cmn")
    (base / "transcript").mkdir(parents=True, exist_ok=True)
    (base / "transcript" / "aishell_transcript_v0.8.txt").write_text(
        "\n".join(sorted(lines)) + "\n", encoding="utf-8")
    return out


def ljspeech(sp: Any, out: Path) -> Path:
    """``LJSpeech-1.1/metadata.csv`` + ``wavs/*.wav`` at 22.05 kHz."""
    root = out / "LJSpeech-1.1"
    rows = [("LJ001-0001", "Printing, in the only sense with which we are concerned.",
             "Printing, in the only sense with which we are concerned."),
            ("LJ001-0002", "In 1864 Mr. Smith wrote 2 letters.",
             "In eighteen sixty-four Mister Smith wrote two letters."),
            ("LJ002-0001", "The prison was full.", "The prison was full.")]
    for utt, _, normalized in rows:
        sp.say(normalized, root / "wavs" / f"{utt}.wav", voice="en-gb", rate=22050)
    sp.say("an orphan clip", root / "wavs" / "LJ003-0001.wav", voice="en-gb", rate=22050)
    (root / "metadata.csv").write_text("".join(f"{u}|{r}|{n}\n" for u, r, n in rows),
                                       encoding="utf-8")
    return root


def mls(sp: Any, out: Path) -> Path:
    """``mls_english/<split>/{transcripts.txt,audio/<spk>/<book>/*.flac}`` + metainfo.txt."""
    lang = out / "mls_english"
    plan = {"train": {("4800", "10003"): ["the old captain sold his ship",
                                          "she walked along the river bank"],
                      ("5000", "200"): ["many years ago there lived a king", LONG]},
            "dev": {("6000", "300"): ["the morning was cold and clear"]},
            "test": {("7000", "400"): ["a letter came from the city"]}}
    genders = {"4800": "F", "5000": "M", "6000": "F", "7000": "M"}
    for split, books in plan.items():
        lines = []
        for (spk, book), texts in books.items():
            for k, text in enumerate(texts):
                utt = f"{spk}_{book}_{k:06d}"
                path = lang / split / "audio" / spk / book / f"{utt}.flac"
                sp.say("no" if text == LONG else text, path, voice="en-us")
                lines.append(f"{utt}\t{text}")
        (lang / split / "transcripts.txt").write_text("\n".join(lines) + "\n", "utf-8")
    sp.say("orphan", lang / "train" / "audio" / "4800" / "10003" / "4800_10003_000009.flac")
    meta = [" SPEAKER   |   GENDER   | PARTITION  |  MINUTES   |  BOOK ID   |  TITLE  |  CHAPTER"]
    meta += [f" {s} | {g} | train | 1.0 | 1 | T | C" for s, g in genders.items()]
    (lang / "metainfo.txt").write_text("\n".join(meta) + "\n", encoding="utf-8")
    return out


WRITERS: dict[str, Callable[[Any, Path], Path]] = {
    "commonvoice": commonvoice, "tedlium": tedlium, "aishell": aishell,
    "ljspeech": ljspeech, "mls": mls,
}
"""Corpus name -> writer(speaker, out dir) -> the folder to give as ``dataset.root``."""
