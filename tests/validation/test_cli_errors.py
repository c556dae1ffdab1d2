"""The real ``espnet3-prep`` on config mistakes: exit 2, one message, no traceback, no trace.

The rows of issue 19's table run as a user runs them (a subprocess each); the in-process
``cli.main()`` checks cover Hydra's own composition errors and ``action=check``; the
permission cases run as an unprivileged user when the tests run as root (root ignores
permission bits).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from espnet3_prep import cli
from tests.helpers import CLI, cli_env, run_cli

ISSUE_TABLE = [  # the rows of issue 19's table, as a user runs them
    (("feature.sample_rate=123",), "feature.sample_rate=123"),
    (("feature.num_mel_bins=2000",), "feature.num_mel_bins=2000"),
    (("parallel=slurm", "parallel.options.memory=lots", "action=plan"),
     "parallel.options.memory='lots': is not a size"),
    (("runner.shard_size=abc",), "runner.shard_size"),  # Hydra's typed schema
]
KALDI_AND_BACKEND_RULES = [
    (("feature.high_freq=9000",), "feature.high_freq=9000"),
    (("feature.low_freq=-5",), "feature.low_freq=-5"),
    (("feature.frame_length=5", "feature.frame_shift=10"), "feature.frame_shift=10"),
    (("feature=mfcc", "feature.num_ceps=40"), "feature.num_ceps=40"),
    (("parallel=lsf", "parallel.options.walltime=forever"), "parallel.options.walltime"),
    (("parallel=submitit_slurm", "parallel.options.timeout_min=0"),
     "parallel.options.timeout_min=0"),
    (("runner.retries=nan",), "runner.retries"),
]


def _error_lines(stderr: str) -> list[str]:
    """Lines that report an error (our message, or a logged one)."""
    return [line for line in stderr.splitlines()
            if line.startswith("espnet3-prep: error") or "[ERROR]" in line]


@pytest.mark.parametrize(("overrides", "needle"), ISSUE_TABLE,
                         ids=[" ".join(o) for o, _ in ISSUE_TABLE])
def test_issue_table_rows_exit_2_once_without_traceback(tmp_path: Path,
                                                        overrides: tuple[str, ...],
                                                        needle: str) -> None:
    out = tmp_path / "exp"
    proc = run_cli(f"output_dir={out}", *overrides)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(_error_lines(proc.stderr)) <= 1, f"reported more than once:\n{proc.stderr}"
    assert not out.exists(), "a refused run wrote into output_dir"


def test_hydra_full_error_shows_the_traceback(tmp_path: Path) -> None:
    proc = run_cli(f"output_dir={tmp_path / 'exp'}", "runner.shard_size=abc",
                   env=cli_env(HYDRA_FULL_ERROR="1"))
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def _main(*args: str) -> tuple[int, str, str]:
    """``espnet3-prep args`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["espnet3-prep", *args]
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = argv
    return int(code or 0), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("overrides", "needle"), KALDI_AND_BACKEND_RULES,
                         ids=[" ".join(o) for o, _ in KALDI_AND_BACKEND_RULES])
def test_kaldi_and_backend_rules_in_process(tmp_path: Path, overrides: tuple[str, ...],
                                            needle: str) -> None:
    out = tmp_path / "exp"
    code, _, err = _main(f"output_dir={out}", *overrides)
    assert code == 2 and needle in err and "Traceback" not in err, err
    assert len(_error_lines(err)) <= 1 and not out.exists()


@pytest.mark.parametrize("override", [
    "runner.shard_sise=3", "export=abc", "action=explode", "parallel.n_workers=[1]",
    "runner.batch_size=0", "log_level=loud", "dataset.channel=-1", "cleaner.max_duration=-1",
    "parallel.worker_timeout_s=inf", "output_dir=/dev/null/exp", "paths=sideways",
    "feature.storage=zip", "export=[tarball]", "export_shard_size=0", "relocate.old=rel/dir",
    "relocate.new=/mnt/data", "cleaner.steps.11.max_chars_per_s=0", "tokenizer=bpe",
    "feature=raw feature.audio_format=mp3", "feature=raw feature.storage=npy",
    "action=relocate relocate.old=/a", "action=check dataset.splits=[nope]",
])
def test_in_process_refusals_write_nothing(tmp_path: Path, override: str) -> None:
    out = tmp_path / "exp"
    code, _, err = _main(f"output_dir={out}", *override.split())
    assert code == 2, err
    key = override.split()[-1].split("=")[0].lstrip("+")
    assert key.rsplit(".", 1)[-1] in err and "Traceback" not in err, err
    assert not out.exists()


def test_action_check_validates_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    code, stdout, err = _main(f"output_dir={out}", "action=check")
    assert code == 0, err
    assert "config OK" in stdout and "dev-clean-2" in stdout
    assert not out.exists()


@pytest.mark.parametrize("action", ["check", "relocate"])
def test_actions_in_a_real_process_write_nothing(tmp_path: Path, action: str) -> None:
    """``action=check`` (a good config) exits 0; ``action=relocate`` with a relative
    ``relocate.old`` exits 2 naming it; neither leaves a file, here or in the cwd."""
    out, cwd = tmp_path / "exp", tmp_path / "cwd"
    cwd.mkdir()
    bad = ["relocate.old=rel", "relocate.new=/mnt"] if action == "relocate" else []
    proc = run_cli(f"output_dir={out}", f"action={action}", *bad, cwd=cwd)
    assert proc.returncode == (2 if bad else 0), proc.stderr
    assert "Traceback" not in proc.stderr and len(_error_lines(proc.stderr)) == len(bad[:1])
    assert ("relocate.old='rel'" in proc.stderr) if bad else ("config OK" in proc.stdout)
    assert not out.exists() and not any(cwd.iterdir())


def test_sweep_check_exits_2_on_a_bad_point_and_writes_nothing(tmp_path: Path) -> None:
    out, cwd = tmp_path / "exp", tmp_path / "cwd"
    cwd.mkdir()
    proc = run_cli("-m", "action=check", f"output_dir={out}", "feature.num_mel_bins=40,2000",
                   cwd=cwd)
    assert proc.returncode == 2, proc.stderr
    assert "config OK" in proc.stdout and "feature.num_mel_bins=2000" in proc.stderr
    assert not out.exists() and not any(cwd.iterdir())


@contextlib.contextmanager
def _shared_tmp() -> Iterator[Path]:
    """A folder an unprivileged user can reach (pytest's tmp_path is root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="espnet3-prep-perm-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in folder.rglob("*"):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def _as_user(*overrides: str) -> subprocess.CompletedProcess[str]:
    """The CLI as ``nobody`` when root (so permissions apply), else as this user."""
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions cannot be shown")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = cli_env(HOME="/tmp")
    return subprocess.run([*prefix, CLI, *overrides], capture_output=True, text=True,
                          env=env, check=False, timeout=300, cwd="/tmp")


@pytest.mark.parametrize("case", ["unreadable_root", "unwritable_output_dir"])
def test_permission_problems_exit_2_naming_the_key(case: str, mini_root: Path) -> None:
    with _shared_tmp() as tmp:
        locked = tmp / "locked"
        if case == "unreadable_root":
            shutil.copytree(mini_root, locked, ignore=shutil.ignore_patterns("train-clean-5"))
            locked.chmod(0o000)
            args = ["dataset=librispeech", f"dataset.root={locked}",
                    "dataset.splits=[dev-clean-2]", f"output_dir={tmp / 'exp'}"]
            key = "dataset.root"
        else:
            locked.mkdir()
            locked.chmod(0o555)
            args, key = [f"output_dir={locked / 'exp'}"], "output_dir"
        proc = _as_user(*args, "action=check")
        assert proc.returncode == 2, proc.stderr
        assert key in proc.stderr and "Traceback" not in proc.stderr
        assert not (tmp / "exp").exists() and not (locked / "exp").exists()
