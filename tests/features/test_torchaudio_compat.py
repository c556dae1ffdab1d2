"""import_torchaudio(): tested in fresh interpreters so import state and test order don't matter.

Besides the installed torchaudio, small fake ``torchaudio`` packages exercise each path:
healthy install (no stub), extension failure (stubbed), unrelated failure (re-raised).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import espnet3_prep

REPO_ROOT = Path(espnet3_prep.__file__).resolve().parents[1]


def _run(code: str, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    paths = [str(p) for p in (extra_path, REPO_ROOT) if p is not None]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )


def _fake_torchaudio(root: Path, extension_body: str, init_extra: str = "") -> Path:
    pkg = root / "torchaudio"
    (pkg / "_extension").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        f"from . import _extension\n{init_extra}\nVALUE = 42\n", encoding="utf-8"
    )
    (pkg / "_extension" / "__init__.py").write_text(extension_body, encoding="utf-8")
    return root


PROBE = """
import json, logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
from espnet3_prep.torchaudio_compat import extension_stubbed, import_torchaudio
ta = import_torchaudio()
again = import_torchaudio()
result = {"stubbed": extension_stubbed(), "same": ta is again}
"""


def test_installed_torchaudio_kaldi_and_resample_work() -> None:
    code = (
        PROBE
        + """
import torch
try:
    import torchaudio._extension as ext  # state as left by import_torchaudio
except Exception:
    ext = None
wave = torch.randn(1, 16000)
result["fbank"] = list(ta.compliance.kaldi.fbank(wave * 32768, num_mel_bins=80).shape)
result["mfcc"] = list(ta.compliance.kaldi.mfcc(wave * 32768).shape)
result["resample"] = list(ta.functional.resample(wave, 16000, 8000).shape)
print(json.dumps(result))
"""
    )
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["fbank"] == [98, 80] and result["mfcc"] == [98, 13]
    assert result["resample"] == [1, 8000] and result["same"]
    plain = _run("import torchaudio")
    # Detect, don't assume: stub used exactly when a plain import fails here.
    assert result["stubbed"] == (plain.returncode != 0), plain.stderr
    expected_log = "importing with a stub" if result["stubbed"] else "imported normally"
    assert expected_log in proc.stderr


def test_healthy_install_is_not_patched(tmp_path: Path) -> None:
    root = _fake_torchaudio(tmp_path, "_IS_TORCHAUDIO_EXT_AVAILABLE = True\n")
    proc = _run(
        PROBE + "print(json.dumps({**result, 'real': ta._extension."
        "_IS_TORCHAUDIO_EXT_AVAILABLE, 'value': ta.VALUE}))",
        root,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"stubbed": False, "same": True, "real": True, "value": 42}
    assert "imported normally" in proc.stderr


def test_extension_failure_is_stubbed(tmp_path: Path) -> None:
    body = "raise OSError('Could not load this library: lib/_torchaudio.abi3.so')\n"
    root = _fake_torchaudio(tmp_path, body, init_extra="from . import helper")
    (root / "torchaudio" / "helper.py").write_text("X = 1\n", encoding="utf-8")
    code = (
        PROBE
        + """
ext = sys.modules["torchaudio._extension"]
result["available"] = ext._IS_TORCHAUDIO_EXT_AVAILABLE
result["load_lib"] = ext._load_lib("anything")
result["value"] = ta.VALUE
print(json.dumps(result))
"""
    )
    proc = _run(code, root)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {
        "stubbed": True,
        "same": True,
        "available": False,
        "load_lib": False,
        "value": 42,
    }
    assert "importing with a stub" in proc.stderr


@pytest.mark.parametrize("body", ["raise OSError('disk on fire')\n", "import does_not_exist_xyz\n"])
def test_unrelated_failure_is_reraised(tmp_path: Path, body: str) -> None:
    root = tmp_path / "pkg"
    pkg = root / "torchaudio"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(body, encoding="utf-8")
    proc = _run(PROBE, root)
    assert proc.returncode != 0
    assert ("disk on fire" in proc.stderr) or ("does_not_exist_xyz" in proc.stderr)
    assert "importing with a stub" not in proc.stderr
