"""From raw measurements to table rows with the issue's targets and PASS/FAIL."""

from __future__ import annotations

import argparse
from typing import Any

from bench.corpus import Corpus
from bench.report import Row

FBANK_RATIO = 1.5
AGREEMENT = 1e-3
PIPELINE_FRACTION = 0.5
SPEEDUP = 1.8
VS_LHOTSE = 1.5
US_PER_ITEM = 20.0
MS_PER_SHARD = 5.0
RSS_GROWTH = 1.2


def _xrt(corpus: Corpus, seconds: float) -> float:
    return corpus.seconds / seconds


def _rows_compute(corpus: Corpus, f: dict[str, Any]) -> list[Row]:
    decode = f["decode"]["float32"]
    ours, ta = f["fbank"]["ours"], f["fbank"]["torchaudio"]
    agree = f["agreement"]
    none, local = min(f["none"]["times"]), min(f["local"]["times"])
    small = min(f["none_small"]["times"])
    ratio = decode / none
    rows = [
        Row("1", "decode-only bound: soundfile.read float32, 1 core",
            f"{_xrt(corpus, decode):.0f}x RT ({decode:.3f} s)"),
        Row("2", "fbank 1 thread: ours / torchaudio.compliance.kaldi",
            f"{ta / ours:.2f}x ({_xrt(corpus, ours):.0f} vs {_xrt(corpus, ta):.0f}x RT)",
            f">= {FBANK_RATIO}x", ta / ours >= FBANK_RATIO),
        Row("2a", "fbank max abs diff vs torchaudio (float32)",
            f"{agree['max_abs_diff']:.2e} (99.9% <= {agree['q999_abs_diff']:.1e})",
            f"<= {AGREEMENT:.0e}", agree["max_abs_diff"] <= AGREEMENT),
        Row("2b", "max abs diff to torchaudio in float64: ours / torchaudio",
            f"{agree['ours_vs_f64']:.2e} / {agree['torchaudio_vs_f64']:.2e}", "ours <= theirs",
            agree["ours_vs_f64"] <= agree["torchaudio_vs_f64"]),
        Row("3", "pipeline parallel=none, 1 core (fraction of (1))",
            f"{_xrt(corpus, none):.0f}x RT = {ratio:.2f}", f">= {PIPELINE_FRACTION}",
            ratio >= PIPELINE_FRACTION),
        Row("3b", "  same with the shard size of (4)",
            f"{_xrt(corpus, small):.0f}x RT = {decode / small:.2f}"),
        Row("3c", "  bound: decode + fbank alone, 1 core ((1) + (2))",
            f"{_xrt(corpus, decode + ours):.0f}x RT = {decode / (decode + ours):.2f}"),
        Row("4", "pipeline parallel=local, 2 workers (speedup over (3))",
            f"{_xrt(corpus, local):.0f}x RT = {none / local:.2f}x", f">= {SPEEDUP}x",
            none / local >= SPEEDUP),
        Row("4b", "  machine: decode+fbank in 2 processes vs 1 (same rounds)",
            f"{f['capacity']['one'] / f['capacity']['many']:.2f}x"),
    ]
    if f["lhotse"]:
        lhotse = min(f["lhotse"]["times"])
        rows.append(Row("5", "lhotse compute_and_store_features, 2 procs ((4) / lhotse)",
                        f"{_xrt(corpus, lhotse):.0f}x RT; {lhotse / local:.2f}x",
                        f">= {VS_LHOTSE}x", lhotse / local >= VS_LHOTSE))
    return rows


def _rows_overhead(f: dict[str, Any]) -> list[Row]:
    o = f["overhead"]
    return [
        Row("6a", "runner overhead in-process, no-op forward x 100k",
            f"{o['inproc_us_per_item']:.1f} us/item", f"<= {US_PER_ITEM:.0f} us",
            o["inproc_us_per_item"] <= US_PER_ITEM),
        Row("6b", f"runner overhead on Dask LocalCluster ({o['dask_shards']} shards)",
            f"{o['dask_ms_per_shard']:.2f} ms/shard", f"<= {MS_PER_SHARD:.0f} ms",
            o["dask_ms_per_shard"] <= MS_PER_SHARD),
        Row("6c", "  same in-process with work_dir (JSONL + fsync'd shards)",
            f"{o['inproc_files_us_per_item']:.1f} us/item"),
    ]


def _rows_memory(f: dict[str, Any]) -> list[Row]:
    d1, d4 = f["local"]["driver_peak_rss_mb"], f["local4"]["driver_peak_rss_mb"]
    w1, w4 = max(f["local"]["worker_peak_rss_mb"]), max(f["local4"]["worker_peak_rss_mb"])
    n1, n4 = f["none"]["driver_peak_rss_mb"], f["none4"]["driver_peak_rss_mb"]
    return [
        Row("7a", "driver peak RSS, 1x -> 4x corpus (parallel=local)",
            f"{d1:.0f} -> {d4:.0f} MB ({d4 / d1:.2f}x)", f"<= {RSS_GROWTH}x",
            d4 / d1 <= RSS_GROWTH),
        Row("7b", "worker peak RSS, 1x -> 4x corpus", f"{w1:.0f} -> {w4:.0f} MB ({w4 / w1:.2f}x)",
            f"<= {RSS_GROWTH}x", w4 / w1 <= RSS_GROWTH),
        Row("7c", "in-process (parallel=none) peak RSS, 1x -> 4x",
            f"{n1:.0f} -> {n4:.0f} MB ({n4 / n1:.2f}x)"),
    ]


def build_rows(corpus: Corpus, found: dict[str, Any], args: argparse.Namespace
               ) -> tuple[list[Row], list[str]]:
    """Table rows and notes (corpus, method, secondary figures)."""
    rows = _rows_compute(corpus, found) + _rows_overhead(found) + _rows_memory(found)
    f = found
    notes = [
        f"corpus: {len(corpus.files)} FLAC files, {corpus.seconds / 60:.1f} min "
        f"(tools/synth_librispeech.py, cached in bench/cache/); 4x = each file listed 4 times",
        f"timings: best of {args.rounds} interleaved rounds x {args.reps} runs, warm "
        f"processes; shard_size (3) {args.shard_size_none}, (4) {args.shard_size}; "
        "x RT = audio seconds / wall seconds",
        f"int16 soundfile.read: {_xrt(corpus, f['decode']['int16']):.0f}x RT; Dask cluster "
        f"start {f['local']['cluster_start_s']:.2f} s, lhotse pool start "
        f"{f['lhotse'].get('startup_s', float('nan')):.2f} s (not in the timings)",
        f"4x corpus, one run each: parallel=local "
        f"{4 * corpus.seconds / f['local4']['times'][0]:.0f}x RT, parallel=none "
        f"{4 * corpus.seconds / f['none4']['times'][0]:.0f}x RT",
    ]
    return rows, notes
