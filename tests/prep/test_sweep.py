"""Hydra multirun: one output dir per sweep point, the sweep summary, submitit launchers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from espnet3_prep.prep.sweep import job_config, job_dir_name
from espnet3_prep.prep.sweep_table import markdown, sweep_rows
from tests.helpers import run_cli

POINTS = {"cleaner.max_duration=3,feature.num_mel_bins=40": (40, 10),
          "cleaner.max_duration=3,feature.num_mel_bins=80": (80, 10),
          "cleaner.max_duration=30,feature.num_mel_bins=40": (40, 12),
          "cleaner.max_duration=30,feature.num_mel_bins=80": (80, 12)}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("sweep") / "exp"
    proc = run_cli("-m", f"output_dir={out}", "dataset.splits=[dev-clean-2]",
                   "feature.num_mel_bins=40,80", "cleaner.max_duration=3,30")
    assert proc.returncode == 0, proc.stderr
    return out / "multirun", proc.stdout


def test_one_output_dir_per_sweep_point(sweep: tuple[Path, str]) -> None:
    sweep_dir, _ = sweep
    jobs = sorted(p.name for p in sweep_dir.iterdir() if (p / ".hydra").is_dir())
    assert jobs == sorted(POINTS)
    for job, (dim, kept) in POINTS.items():
        stats = json.loads((sweep_dir / job / "dev-clean-2" / "stats.json").read_text())
        assert stats["kept"] == kept and stats["inputs"] == 12
        row = json.loads((sweep_dir / job / "dev-clean-2" / "manifest.jsonl").open().readline())
        assert row["feat_dim"] == dim and row["feats"].startswith(str(sweep_dir / job))
        assert (sweep_dir / job / "report.html").exists()


def test_sweep_summary_table_and_files(sweep: tuple[Path, str]) -> None:
    sweep_dir, stdout = sweep
    assert "espnet3-prep sweep" in stdout and "feat dim" in stdout
    summary = json.loads((sweep_dir / "sweep_summary.json").read_text())
    rows = {row["job"]: row for row in summary["jobs"]}
    assert set(rows) == set(POINTS)
    for job, (dim, kept) in POINTS.items():
        assert (rows[job]["kept"], rows[job]["feat_dim"]) == (kept, dim)
        assert rows[job]["drop_reasons"] == ({"too_long": 2} if kept == 10 else {})
    md = (sweep_dir / "sweep_summary.md").read_text()
    assert md.count("| cleaner.max_duration=") == 4 and "too_long=2" in md


def test_rows_skip_older_jobs_and_flag_missing_stats(tmp_path: Path) -> None:
    job = tmp_path / "feature=mfcc"
    (job / ".hydra").mkdir(parents=True)
    OmegaConf.save(OmegaConf.create(["feature=mfcc"]), job / ".hydra" / "overrides.yaml")
    rows = sweep_rows(tmp_path)
    assert rows[0]["status"] == "missing" and "missing stats.json" in markdown(rows)
    assert sweep_rows(tmp_path, since=2e10) == []


def test_job_dir_name_and_single_run_config() -> None:
    assert job_dir_name("dataset.root=/a/b,feature=mfcc") == "dataset.root=_a_b,feature=mfcc"
    assert job_dir_name("") == "defaults"
    cfg = OmegaConf.create({"output_dir": "exp/x"})
    assert job_config(cfg) is cfg  # outside a multirun nothing changes


def test_submitit_local_launcher_runs_each_point_as_a_job(tmp_path: Path) -> None:
    proc = run_cli("-m", "hydra/launcher=submitit_local", f"output_dir={tmp_path}",
                   "dataset.splits=[dev-clean-2]", "feature=fbank,mfcc")
    assert proc.returncode == 0, proc.stderr
    sweep_dir = tmp_path / "multirun"
    assert list((sweep_dir / ".submitit").iterdir())  # submitit's job folders
    dims = {json.loads(p.open().readline())["feat_dim"]
            for p in sweep_dir.glob("feature=*/dev-clean-2/manifest.jsonl")}
    assert dims == {80, 13}
    assert "feature=mfcc" in (sweep_dir / "sweep_summary.md").read_text()


@pytest.mark.slurm
def test_submitit_slurm_launcher_on_the_local_cluster(tmp_path: Path) -> None:
    proc = run_cli("-m", "hydra/launcher=submitit_slurm", "hydra.launcher.partition=debug",
                   "hydra.launcher.timeout_min=10", "hydra.launcher.mem_gb=2",
                   f"output_dir={tmp_path}", "dataset.splits=[dev-clean-2]",
                   "feature.num_mel_bins=40,80", timeout=600)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "multirun" / "sweep_summary.json").read_text())
    assert sorted((r["job"], r["kept"], r["feat_dim"]) for r in summary["jobs"]) == [
        ("feature.num_mel_bins=40", 12, 40), ("feature.num_mel_bins=80", 12, 80)]
    logs = list((tmp_path / "multirun" / ".submitit").glob("*/*_log.out"))
    assert logs, "submitit_slurm left no job logs"


def test_a_failing_point_does_not_stop_the_sweep(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    proc = run_cli("-m", f"output_dir={out}", "dataset.splits=[dev-clean-2]",
                   "feature.num_mel_bins=0,40")
    assert proc.returncode == 2, proc.stderr  # the failing point's exit code
    summary = json.loads((out / "multirun" / "sweep_summary.json").read_text())
    rows = {row["job"]: row for row in summary["jobs"]}
    assert rows["feature.num_mel_bins=40"]["status"] == "ok"
    failed = rows["feature.num_mel_bins=0"]
    assert failed["status"] == "failed" and failed["exit_code"] == 2
    assert "num_mel_bins" in failed["error"]
    assert "FAILED (exit 2)" in (out / "multirun" / "sweep_summary.md").read_text()
    again = run_cli("-m", f"output_dir={out}", "dataset.splits=[dev-clean-2]",
                    "feature.num_mel_bins=40")  # a rerun that succeeds forgets the failure
    assert again.returncode == 0, again.stderr


def test_backend_settings_stay_out_of_sweep_folder_names(tmp_path: Path) -> None:
    """Outputs do not depend on the backend, so a sweep rerun on another backend resumes
    the same folders (issue 17, item 4)."""
    out = tmp_path / "exp"
    first = run_cli("-m", f"output_dir={out}", "dataset.splits=[dev-clean-2]",
                    "feature.num_mel_bins=40", "parallel=none")
    assert first.returncode == 0, first.stderr
    job = out / "multirun" / "feature.num_mel_bins=40"
    assert sorted(p.name for p in (out / "multirun").iterdir() if p.is_dir()) == [job.name]
    marker = job / "dev-clean-2" / "shards" / "00000" / "DONE"
    done = marker.read_bytes()
    again = run_cli("-m", f"output_dir={out}", "dataset.splits=[dev-clean-2]",
                    "feature.num_mel_bins=40", "parallel=submitit_local",
                    "parallel.n_workers=1", "parallel.options.timeout_min=5")
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (out / "multirun").iterdir() if p.is_dir()) == [job.name]
    assert marker.read_bytes() == done  # the finished shard was reused, not rerun


def test_non_output_keys_cover_every_parallel_key() -> None:
    from espnet3_prep.prep.output_keys import non_output_keys

    keys = non_output_keys(["parallel=slurm", "+parallel.options.job_cpu=2",
                            "parallel.n_workers=8", "feature.num_mel_bins=40"])
    assert {"parallel", "parallel.options.job_cpu", "parallel.n_workers"} <= set(keys)
    assert "feature.num_mel_bins" not in keys and "output_dir" in keys
