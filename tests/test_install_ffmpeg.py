"""``tools/install_ffmpeg.sh`` (run by ``make install``): FFmpeg for HF audio decoding."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "install_ffmpeg.sh"


def _run(*prefix: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, "bash", str(SCRIPT)], capture_output=True, text=True,
                          cwd="/", timeout=120, check=False)


def test_present_libraries_are_left_alone() -> None:
    proc = _run()  # after `make install` the libraries are there on every machine
    assert proc.returncode == 0 and "FFmpeg libraries present" in proc.stdout, proc.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root")
def test_without_root_it_says_what_to_install_and_does_not_fail() -> None:
    fake = Path(tempfile.mkdtemp(prefix="no-ffmpeg-"))
    try:
        fake.chmod(0o755)
        (fake / "ldconfig").write_text("#!/bin/sh\nexit 0\n")  # a machine without libav*
        (fake / "ldconfig").chmod(0o755)
        proc = _run(str(shutil.which("runuser")), "-u", "nobody", "--", "env",
                    f"PATH={fake}:/usr/bin:/bin")
    finally:
        shutil.rmtree(fake)
    assert proc.returncode == 0, proc.stderr
    assert "missing libavutil libavcodec" in proc.stderr
    assert "apt-get install --no-install-recommends ffmpeg" in proc.stderr
