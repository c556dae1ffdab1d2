"""A built wheel carries conf/ and the embedded corpus: the CLI runs from it, outside the
source tree (dependencies are borrowed from the dev venv through a .pth file)."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_install_runs_outside_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "--quiet", "--no-deps", str(REPO), "-w", str(wheels)],
                   check=True, capture_output=True, timeout=300)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_dir = next(venv.glob("lib/python3*/site-packages"))
    (site_dir / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    wheel = next(wheels.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:  # the torchaudio hook lands in site-packages
        assert "espnet3_prep_torchaudio_hook.pth" in archive.namelist()
    subprocess.run([*pip, "install", "--quiet", "--no-deps", "--target", str(site_dir),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    out = tmp_path / "exp"
    proc = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import sys, espnet3_prep.cli as c; print(c.__file__); "
                           "sys.argv = ['espnet3-prep', sys.argv[1]]; c.main()",
                           f"output_dir={out}"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(site_dir))  # the wheel's copy, not the checkout
    stats = json.loads((out / "train-clean-5" / "stats.json").read_text())
    assert stats["kept"] == 24
