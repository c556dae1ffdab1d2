"""Storage figures (issue 15), measured in one run: feature storages, raw dump, tar exports.

In interleaved rounds, the in-process pipeline (1 core, shard 100, the bench corpus) runs
with ``feature.storage=ark|ark_compressed|lilcom``, ``feature=raw``, and
``export=[shar]`` / ``export=[webdataset]`` on top of ``ark``; next to them, a bare loop
``soundfile.read`` + 16-bit FLAC encode (to memory) of every file. Each figure is the
best of rounds x reps; ratios are between figures of the same run. The last run of each
storage is kept and read back to measure its error against the float32 ark.

Usage: ``.venv/bin/python bench/storage.py [--rounds 3 --reps 2 --no-append]`` (also run
by ``make bench`` unless ``--skip-storage``).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.corpus import Corpus, ensure_corpus  # noqa: E402
from bench.report import Row  # noqa: E402

VARIANTS = {
    "ark": ["feature.storage=ark"],
    "ark_compressed": ["feature.storage=ark_compressed"],
    "lilcom": ["feature.storage=lilcom"],
    "raw": ["feature=raw"],
    "shar": ["export=[shar]"],
    "webdataset": ["export=[webdataset]"],
}
SIZE_MAX = 0.35
SPEED_MIN = 0.85
RAW_MIN = 0.5
EXPORT_MAX = 0.20


def bare_decode_encode(files: tuple[str, ...]) -> float:
    """Seconds for soundfile.read + 16-bit FLAC encode (to memory) of every file."""
    import soundfile

    start = time.perf_counter()
    for path in files:
        wave, sr = soundfile.read(path, dtype="float32")
        soundfile.write(io.BytesIO(), wave, sr, subtype="PCM_16", format="FLAC")
    return time.perf_counter() - start


def codec_costs(files: tuple[str, ...], scratch: Path) -> dict[str, float]:
    """Seconds per stage over the corpus, one core: decode, fbank, then storing the
    matrices as float32 ark, Kaldi compressed ark and lilcom (what bounds rows 8a/8b)."""
    import soundfile

    from espnet3_prep.features import build_feature
    from espnet3_prep.writers.feature_storage import open_writer

    fbank = build_feature({"type": "fbank"})
    start = time.perf_counter()
    waves = [soundfile.read(path, dtype="float32")[0] for path in files]
    costs = {"decode": time.perf_counter() - start}
    start = time.perf_counter()
    mats = [fbank.extract(wave, 16000) for wave in waves]
    costs["fbank"] = time.perf_counter() - start
    for storage in ("ark", "ark_compressed", "lilcom"):
        writer = open_writer(storage, scratch, scratch, f"codec-{storage}")
        start = time.perf_counter()
        for n, mat in enumerate(mats):
            writer.write(f"u{n}", mat.copy() if storage == "lilcom" else mat)
        writer.close()
        costs[storage] = time.perf_counter() - start
    return costs


def _job(corpus: Corpus, name: str, scratch: Path, reps: int) -> dict[str, Any]:
    from bench.run import run_job

    extra = [arg for o in VARIANTS[name] for arg in ("--override", o)]
    return run_job("pipeline_job.py", str(corpus.manifest_1x), str(scratch / name),
                   "--parallel", "none", "--shard-size", "100", "--reps", str(reps),
                   "--keep", *extra)


def _errors(scratch: Path) -> dict[str, float]:
    """Max abs error of each lossy storage against the float32 ark, and the largest
    error allowed by ark_compressed's per-column grid (max over utterances)."""
    from espnet3_prep.writers.feature_storage import load_feats

    def rows(name: str) -> list[dict[str, Any]]:
        split = next((scratch / name).glob("rep*"))
        return [json.loads(line) for line in (split / "manifest.jsonl").open()]

    ref = {r["utt_id"]: load_feats(r["feats"]) for r in rows("ark")}
    found = {"grid_bound": 0.0}
    for name in ("ark_compressed", "lilcom"):
        worst, excess = 0.0, 0.0
        for row in rows(name):
            mat = ref[row["utt_id"]]
            diff = np.abs(load_feats(row["feats"]) - mat)
            worst = max(worst, float(diff.max()))
            if name == "ark_compressed":
                bound = (mat.max(axis=0) - mat.min(axis=0)) / 126 + np.ptp(mat) / 65535
                excess = max(excess, float((diff - bound).max()))
                found["grid_bound"] = max(found["grid_bound"], float(bound.max()))
        found[name] = worst
        found[f"{name}_excess"] = excess
    return found


def measure(corpus: Corpus, rounds: int, reps: int, scratch: Path) -> dict[str, Any]:
    """Interleaved rounds of every variant and the bare loop; then the errors."""
    best: dict[str, float] = {}
    sizes: dict[str, dict[str, int]] = {}
    codecs: dict[str, float] = {}
    for round_no in range(rounds):
        print(f"bench storage: round {round_no + 1}/{rounds}", file=sys.stderr)
        for key, value in codec_costs(corpus.files, scratch).items():
            codecs[key] = min(codecs.get(key, value), value)
        bare = min(bare_decode_encode(corpus.files) for _ in range(reps))
        best["bare"] = min(best.get("bare", bare), bare)
        for name in VARIANTS:
            found = _job(corpus, name, scratch, reps)
            best[name] = min(best.get(name, float("inf")), min(found["times"]))
            best[f"{name}_cpu"] = min(best.get(f"{name}_cpu", float("inf")),
                                      min(found["cpu_times"]))
            sizes[name] = found["sizes"]
    return {"times": best, "sizes": sizes, "errors": _errors(scratch), "codecs": codecs}


def build_rows(corpus: Corpus, f: dict[str, Any]) -> list[Row]:
    """Table rows with the issue's targets."""
    t, s, e = f["times"], f["sizes"], f["errors"]
    ark = s["ark"]["feats"]
    xrt = {k: corpus.seconds / v for k, v in t.items()}
    rows = []
    for name, tol in (("ark_compressed", "within its grid"), ("lilcom", "<= 2^-6")):
        ratio = s[name]["feats"] / ark
        rows.append(Row(f"8{'a' if name == 'lilcom' else 'b'}",
                        f"{name} size / float32 ark", f"{ratio:.3f}x", f"<= {SIZE_MAX}x",
                        ratio <= SIZE_MAX))
        ok = e[f"{name}_excess"] <= 1e-6 if name == "ark_compressed" else \
            e[name] <= 2.0 ** -6 + 1e-6
        rows.append(Row("", f"  {name} max abs error vs float32",
                        f"{e[name]:.4f}", tol, ok))
        speed = t["ark"] / t[name]
        rows.append(Row("", f"  {name} pipeline speed / ark (1 core)",
                        f"{speed:.2f}x ({xrt[name]:.0f} vs {xrt['ark']:.0f}x RT; CPU "
                        f"{t['ark_cpu'] / t[f'{name}_cpu']:.2f}x)",
                        f">= {SPEED_MIN}x", speed >= SPEED_MIN))
    c = f["codecs"]
    rows.append(Row("8f", "  stage seconds, 1 core: decode / fbank / store ark / CM / lilcom",
                    " / ".join(f"{c[k]:.2f}" for k in ("decode", "fbank", "ark",
                                                       "ark_compressed", "lilcom"))))
    raw = t["bare"] / t["raw"]
    rows.append(Row("8c", "feature=raw / bare decode + FLAC encode loop",
                    f"{raw:.2f}x ({xrt['raw']:.0f} vs {xrt['bare']:.0f}x RT)",
                    f">= {RAW_MIN}x", raw >= RAW_MIN))
    for key, name in (("8d", "shar"), ("8e", "webdataset")):
        extra = t[name] / t["ark"] - 1
        cpu = t[f"{name}_cpu"] / t["ark_cpu"] - 1
        rows.append(Row(key, f"export=[{name}] added wall time (vs ark alone)",
                        f"{extra * 100:+.0f}% ({s[name].get('tars', 0) / 1e6:.0f} MB of tars)",
                        f"<= +{EXPORT_MAX * 100:.0f}%", extra <= EXPORT_MAX))
        rows.append(Row("", "  the same in CPU seconds of the run", f"{cpu * 100:+.0f}%"))
    return rows


def main() -> None:
    """Measure, print the rows, append them to bench/results.md."""
    from bench.report import append_results, machine_info, print_table, render

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    import os

    from espnet3_prep.execution.threads import limit_threads

    limit_threads()  # one BLAS/torch thread, as in the workers (the codec stage costs)
    load_start = os.getloadavg()
    corpus = ensure_corpus()
    with tempfile.TemporaryDirectory(prefix="bench-st-", dir=REPO / "bench" / "cache") as tmp:
        found = measure(corpus, args.rounds, args.reps, Path(tmp))
    rows = build_rows(corpus, found)
    print_table(rows)
    print(json.dumps(found["sizes"]), file=sys.stderr)
    if not args.no_append:
        text = render(rows, machine_info(load_start), ["storage bench (bench/storage.py)"])
        print(f"bench: appended to {append_results(text)}", file=sys.stderr)


if __name__ == "__main__":
    main()
