"""Hostile lines in the text inputs of the corpus readers: Common Voice TSV, TED-LIUM STM,
AISHELL transcript, LJSpeech metadata.csv, MLS transcripts.txt.

Each generated file (with CRLF or LF endings, with or without a byte-order mark) goes
through the real reader and every item through the real ``PrepRunner.forward``: the
reader never raises, every line that holds anything becomes exactly one item (AISHELL:
every WAV does, its transcript covering all splits), and each item is kept or dropped
with a named reason. An end-to-end CLI run checks the same in ``stats.json`` (``make
test``: TED-LIUM, whose lines are cut from one recording; ``make fuzz``: every reader).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from espnet3_prep.datasets import build_dataset
from tests.helpers import run_cli
from tests.validation.accounting import DROP_REASONS, account, runner_env
from tests.validation.conftest import FUZZ
from tests.validation.inputs import (
    CORPUS_LINES,
    corpus_lines,
    endings,
    file_bytes,
    ids,
    snapshot,
    texts,
)
from tests.validation.layouts import LAYOUTS, Layout, item_lines

pytestmark = pytest.mark.fuzz
READERS = sorted(CORPUS_LINES)


@pytest.fixture(scope="module")
def env() -> dict[str, Any]:
    """The cleaner and feature a run builds."""
    return runner_env()


def hostile_layout(root: Path, name: str, lines: list[bytes], ends: list[bytes],
                   bom: bool) -> Layout:
    """Corpus ``name`` under ``root`` with ``lines`` as its text input."""
    layout = LAYOUTS[name](root, b"")
    body = file_bytes(lines, ends, False)
    head = layout.text_file.read_bytes()  # the Common Voice header (empty elsewhere)
    layout.text_file.write_bytes((b"\xef\xbb\xbf" if bom else b"") + head + body)
    return layout


def check_accounting(layout: Layout, env: dict[str, Any]) -> list[str]:
    """Every line (or WAV) is one item, every item kept or dropped with a reason."""
    dataset = build_dataset(layout.dataset, layout.split)
    items = list(dataset)
    source = str(layout.text_file)
    if layout.lines_are_items:
        from_file = Counter(int(i["source"].rsplit(":", 1)[1]) for i in items
                            if i["source"].rsplit(":", 1)[0] == source)
        assert sorted(from_file.elements()) == item_lines(layout), items
    else:
        assert len(items) == len(layout.audio), items
    outcomes = account(dataset, env)
    assert len(outcomes) == len(items)
    return outcomes


@pytest.mark.parametrize("name", READERS)
@given(data=st.data(), bom=st.booleans())
def test_corpus_lines_each_become_one_item(name: str, data: st.DataObject, bom: bool,
                                           tmp_path_factory: pytest.TempPathFactory,
                                           env: dict[str, Any]) -> None:
    lines = data.draw(st.lists(corpus_lines(name), min_size=1, max_size=8), label="lines")
    ends = data.draw(st.lists(endings, min_size=len(lines), max_size=len(lines)))
    root = tmp_path_factory.mktemp(name)
    check_accounting(hostile_layout(root, name, lines, ends, bom), env)


HOSTILE = {
    "commonvoice": [b"spk1\tc1.wav\tHELLO\t1\t0\t\tmale\t", b"spk1\tc1.wav\tHELLO\t1\t0",
                    b"only-one-field", b"spk2\tnope.wav\tMISSING", b"\tc2.wav\tNO SPEAKER",
                    b"spk3\t../../c1.wav\tESCAPE", b"spk4\tc2.wav\t   "],
    "tedlium": [b"talk1 1 talk1 0.00 0.40 <o,f0,male> hello", b"talk1 1 talk1 nan 0.4 <> x",
                b"talk1 1 talk1", b"talk1 1 talk1 0.40 0.20 <> backwards",
                b"talk2 1 talk2 0.00 0.40 <> no sph", b";; comment",
                b"talk1 1 talk1 0.50 0.90 <> ignore_time_segment_in_scoring"],
    "ljspeech": [b"LJ001-0001|Hello|Hello", b" |no id|no id", b"LJ001-0001|Dup|Dup",
                 b"LJ009-0009|No wav|No wav", b"LJ001-0002", b"../x|Path|Path"],
    "mls": [b"10_20_000001\thello", b"\tno id", b"10_20_000001\tduplicate",
            b"10_20_000009\tno audio", b"10_20_000002", b"a/b\tpath id"],
    "aishell": [b"BAC009S0001W0001 \xe4\xbd\xa0 \xe5\xa5\xbd", b"BAC009S0001W0002",
                b"BAC009S0001W0001 \xe5\x86\x8d", b"\x00 \xff"],
}


@pytest.mark.parametrize("name", READERS if FUZZ else ["tedlium"])  # one CLI run per reader
def test_hostile_corpus_end_to_end(name: str, tmp_path: Path) -> None:
    layout = hostile_layout(tmp_path / "corpus", name, HOSTILE[name],
                            [b"\r\n"] * len(HOSTILE[name]), bom=True)
    before = snapshot(tmp_path)
    out = tmp_path / "exp"
    proc = run_cli(*layout.overrides(), "feature.num_mel_bins=23", "runner.progress=false",
                   f"output_dir={out}")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads((out / layout.split / "stats.json").read_text())
    dropped = [json.loads(x) for x in (out / layout.split / "dropped.jsonl").open()]
    expected = len(item_lines(layout)) if layout.lines_are_items else len(layout.audio)
    assert stats["inputs"] >= expected and stats["failed"] == 0
    assert stats["kept"] + stats["dropped"] == stats["inputs"] == len(
        build_dataset(layout.dataset, layout.split))
    assert stats["kept"] >= 1 and all(d["reason"] in DROP_REASONS for d in dropped)
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("exp/")}
    assert after == before, "a run wrote outside output_dir"


@given(data=st.data())
def test_hf_rows_each_become_one_item(data: st.DataObject,
                                      tmp_path_factory: pytest.TempPathFactory,
                                      env: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    layout = LAYOUTS["hf"](tmp_path_factory.mktemp("hf"))
    good = [str(p) for p in layout.audio]
    rows = data.draw(st.lists(st.tuples(
        st.none() | ids | st.integers().map(str),
        st.none() | texts,
        st.sampled_from([*good, "", "missing.flac", "a\x00b.flac", "../clips/h1.flac"]),
        st.none() | ids), min_size=1, max_size=8), label="rows")
    ids_, texts_, audio, speakers = (list(col) for col in zip(*rows, strict=True))
    pq.write_table(pa.table({"audio": audio, "text": texts_, "id": ids_, "spk": speakers}),
                   layout.text_file)
    layout.dataset.update(id_column="id", speaker_column="spk")
    layout.audio = [Path(a) for a in audio]  # one item per row
    check_accounting(layout, env)
