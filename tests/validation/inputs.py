"""Hypothesis strategies for hostile input lines: manifests, Kaldi tables, transcripts.

Each strategy draws raw bytes lines (the corpus readers see bytes) mixing the problems of
real corpora: malformed JSON, missing keys, wrong types, duplicate ids, ids that are paths,
NUL bytes, byte-order marks, 1 MB lines and texts that are empty once normalized.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import strategies as st

GOOD_IDS = ("100-200-0000", "100-200-0001", "100-200-0002")
HOSTILE_IDS = ("../../etc/passwd", "/abs/id", "a/b", "has space", "-dash", ".hidden", "..",
               "nul\x00id", "tab\tid", "x" * 300, "caf\u00e9", "zero\u200bwidth", "\ufeffbom")
TEXTS = ("HELLO WORLD", "", "   ", "!!! ???", "A\x00B", "caf\u00e9 na\u00efve", "MIXED case",
         "tab\there", "\u3053\u3093\u306b\u3061\u306f")

ids = st.sampled_from(GOOD_IDS + HOSTILE_IDS) | st.text(min_size=1, max_size=12)
texts = st.sampled_from(TEXTS) | st.text(max_size=20) | st.just("A " * 500_000)  # 1 MB
endings = st.sampled_from([b"\n", b"\r\n"])


def manifest_lines(audio: list[str]) -> st.SearchStrategy[bytes]:
    """One JSONL line: a good object, missing/extra keys, wrong types or broken JSON."""
    good = st.fixed_dictionaries({"utt_id": ids, "audio": st.sampled_from(audio),
                                  "text": texts},
                                 optional={"speaker": ids, "gender": st.sampled_from("mfx"),
                                           "channel": st.sampled_from([0, 1, -1, "left"])})
    wrong = st.dictionaries(st.sampled_from(["utt_id", "audio", "text", "speaker", "extra"]),
                            st.none() | st.integers() | st.lists(st.integers(), max_size=2)
                            | st.floats() | st.booleans() | texts, max_size=4)
    as_json = (good | wrong).map(lambda obj: json.dumps(obj).encode())
    broken = st.sampled_from([b"{", b'{"utt_id": "a", "text": ', b"not json", b"[1, 2]",
                              b"null", b"\x00\x00", b'{"utt_id": "a"}\x00', b"\xff\xfe",
                              b'"just a string"', b"{}"])
    return as_json | broken


def transcript_lines() -> st.SearchStrategy[bytes]:
    """One ``<id> <text>`` line of a LibriSpeech transcript or a Kaldi ``text`` file."""
    line = st.tuples(ids, texts).map(lambda p: f"{p[0]} {p[1]}".encode("utf-8",
                                                                       "surrogatepass"))
    return line | st.sampled_from([b"", b"   ", b"\x00", b"ONLYID", b"\xe9\xe9 latin1",
                                   b"100-200-0000"])


def file_bytes(lines: list[bytes], endings_: list[bytes], bom: bool) -> bytes:
    """Join ``lines`` with the drawn line endings, optionally after a UTF-8 BOM."""
    body = b"".join(line + end for line, end in zip(lines, endings_, strict=False))
    return (b"\xef\xbb\xbf" if bom else b"") + body


def non_blank_lines(data: bytes) -> int:
    """Input lines that hold anything: each must become exactly one item."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return sum(1 for raw in data.splitlines()
               if raw.decode("utf-8", errors="replace").strip())


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file under ``folder``: proves nothing else was written."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _fields(sep: str, *parts: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """``parts`` joined by ``sep``, with fields dropped or added (a short or long row)."""
    row = st.tuples(*parts).map(list)
    resized = st.tuples(row, st.integers(0, len(parts) + 2)).map(
        lambda p: p[0][:p[1]] + [""] * max(0, p[1] - len(p[0])))
    return resized.map(lambda f: sep.join(f).encode("utf-8", "surrogatepass"))


_TIMES = st.sampled_from(["0.00", "0.10", "0.40", "0.9", "-1", "nan", "inf", "1e400", "abc",
                          "2.5", "1e-9"])
_HOSTILE = st.sampled_from([b"", b"   ", b"\x00", b"\xff\xfe", b"\xef\xbb\xbfmid-bom x",
                            b"\t", b"|", b";; comment", b"A " * 500_000])
CORPUS_LINES: dict[str, st.SearchStrategy[bytes]] = {
    "commonvoice": _fields("\t", st.sampled_from(["spk1", "spk2", ""]) | ids,
                           st.sampled_from(["c1.wav", "c2.wav", "nope.wav", "", "../../x",
                                            "a\x00b.wav"]), texts,
                           st.sampled_from(["2", "x"]), st.just("0"), st.just(""),
                           st.sampled_from(["male", "female", "", "other"])),
    "tedlium": _fields(" ", st.sampled_from(["talk1", "talk2"]) | ids, st.just("1"),
                       st.sampled_from(["talk1", "x"]), _TIMES, _TIMES,
                       st.sampled_from(["<o,f0,male>", "<o,f0,female>", "<>", "word"]),
                       texts | st.just("ignore_time_segment_in_scoring")),
    "aishell": _fields(" ", st.sampled_from(["BAC009S0001W0001", "BAC009S0001W0002"]) | ids,
                       texts),
    "ljspeech": _fields("|", st.sampled_from(["LJ001-0001", "LJ001-0002", " "]) | ids,
                        texts, texts),
    "mls": _fields("\t", st.sampled_from(["10_20_000001", "10_20_000002", " "]) | ids, texts),
}
"""One line of each corpus reader's text input: rows of the format, short or long, with
hostile ids, texts and times, or bytes that belong to no format."""


def corpus_lines(name: str) -> st.SearchStrategy[bytes]:
    """A line of corpus ``name``'s text input (see :data:`CORPUS_LINES`)."""
    return CORPUS_LINES[name] | _HOSTILE
