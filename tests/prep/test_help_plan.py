"""``--help``, ``--cfg job`` and ``action=plan`` (sizes and ETA without writing features)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from espnet3_prep.config import Action
from espnet3_prep.prep.estimate import human_bytes, human_seconds
from tests.helpers import cli_env, run_cli

SIZE = re.compile(r"expected feats ark \(float32, dim (\d+)\): ~([\d.]+) (KB|MB)")
UNITS = {"KB": 1e3, "MB": 1e6}


def test_help_lists_groups_and_top_level_options() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    for needle in ("dataset: aishell, commonvoice, hf, kaldi, librispeech, ljspeech, manifest, "
                   "mini_librispeech, mls, tedlium",
                   "feature: fbank, mfcc, none", "cleaner: default, none, strict",
                   "export=[lhotse,hf]", "cleaner.max_duration",
                   "-m feature.num_mel_bins=40,80", "espnet3-prep -sc install=bash",
                   "paths=absolute|relative"):
        assert needle in proc.stdout, needle
    for action in Action:  # every action the schema accepts is explained
        assert f"action={action.value} " in proc.stdout, action


def test_plan_writes_nothing_not_even_hydra_files(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    for parallel in ("none", "slurm"):  # slurm: renders the job script, submits nothing
        out = tmp_path / "out" / parallel
        proc = run_cli(f"output_dir={out}", "action=plan", "dataset.splits=[dev-clean-2]",
                       f"parallel={parallel}", cwd=cwd)
        assert proc.returncode == 0, proc.stderr
        assert "dev-clean-2: 12 items" in proc.stdout
        assert not (tmp_path / "out").exists(), sorted((tmp_path / "out").rglob("*"))
        assert not list(cwd.iterdir())
    existing = tmp_path / "existing"
    existing.mkdir()
    proc = run_cli(f"output_dir={existing}", "action=plan", "parallel=slurm", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert not list(existing.iterdir()) and not list(cwd.iterdir())


def test_multirun_plan_writes_nothing_and_names_the_sweep_folders(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    out = tmp_path / "out"
    scratch = set(Path(tempfile.gettempdir()).glob("espnet3-prep-plan-*"))
    proc = run_cli("-m", f"output_dir={out}", "action=plan", "dataset.splits=[dev-clean-2]",
                   "feature=none,fbank", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    for point in ("feature=none", "feature=fbank"):  # where the real sweep would write
        assert f"-> {out}/multirun/{point}/dev-clean-2" in proc.stdout, proc.stdout
    assert not out.exists(), sorted(out.rglob("*"))
    assert not list(cwd.iterdir())
    assert set(Path(tempfile.gettempdir()).glob("espnet3-prep-plan-*")) <= scratch  # removed


def test_cfg_job_prints_the_composed_config() -> None:
    proc = run_cli("--cfg", "job", "feature=mfcc", "export=[lhotse]")
    assert proc.returncode == 0, proc.stderr
    assert "type: mfcc" in proc.stdout and "- lhotse" in proc.stdout
    assert "hydra:" not in proc.stdout


def test_plan_estimates_sizes_and_eta_without_writing(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", "action=plan", "dataset.splits=[dev-clean-2]",
                   "export=[lhotse]")
    assert proc.returncode == 0, proc.stderr
    assert "dev-clean-2: 12 items" in proc.stdout
    assert re.search(r"ETA ~\d+s on 1 worker\(s\) \(\d+x real time per worker, timed on 5",
                     proc.stdout)
    assert "expected manifest + Kaldi text" in proc.stdout
    assert "expected export lhotse: ~" in proc.stdout  # selected
    assert "expected export hf (with export=[hf]): ~" in proc.stdout  # every format shown
    dim, value, unit = SIZE.search(proc.stdout).groups()
    assert dim == "80"
    assert not list(tmp_path.glob("**/*.ark")) and not list(tmp_path.glob("**/manifest.jsonl"))
    run = run_cli(f"output_dir={tmp_path}", "dataset.splits=[dev-clean-2]")
    assert run.returncode == 0, run.stderr
    actual = sum(p.stat().st_size for p in tmp_path.glob("dev-clean-2/shards/*/feats.ark"))
    assert abs(float(value) * UNITS[unit] - actual) / actual < 0.05  # durations are exact here


def test_human_units() -> None:
    assert human_bytes(999) == "999 B" and human_bytes(1_500_000) == "1.5 MB"
    assert human_seconds(12) == "12s" and human_seconds(200) == "3m20s"
    assert human_seconds(3720) == "1h02m"


def test_shell_completion_completes_config_keys() -> None:
    proc = run_cli("-sc", "query=bash", env=cli_env(COMP_LINE="espnet3-prep feature.num",
                                                    COMP_POINT="24"))
    assert proc.returncode == 0, proc.stderr
    assert "feature.num_mel_bins=" in proc.stdout.split()


def test_plan_in_async_mode_prints_the_detached_job_script(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path}", "action=plan", "dataset.splits=[dev-clean-2]",
                   "parallel=slurm", "runner.async_mode=true", "runner.shard_size=5",
                   "parallel.n_workers=2")
    assert proc.returncode == 0, proc.stderr
    assert "#SBATCH -J espnet3-prep-mini_librispeech-async" in proc.stdout
    assert "-m espnet3_prep.worker" in proc.stdout and "distributed.cli" not in proc.stdout
    assert f"{tmp_path}/dev-clean-2/jobs/specs/00000.json" in proc.stdout
    assert not (tmp_path / "dev-clean-2" / "jobs").exists()  # nothing written or submitted
