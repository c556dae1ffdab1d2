"""The torchaudio import hook, in fresh interpreters of this venv (so import state and test
order don't matter): a plain ``import torchaudio`` works, through the ``.pth`` file that
``make install`` (or the wheel) puts in site-packages.

Besides the installed torchaudio, small fake ``torchaudio`` packages exercise each path:
healthy install (untouched), extension failure (completed as unavailable), unrelated
failure (re-raised), and the hook disabled (the failure shows).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import espnet3_prep
import espnet3_prep_torchaudio_hook as hook

REPO_ROOT = Path(espnet3_prep.__file__).resolve().parents[1]
EXT_FAILURE = "raise OSError('Could not load this library: lib/_torchaudio.abi3.so')\n"


def _run(code: str, extra_path: Path | None = None,
         **env_extra: str) -> subprocess.CompletedProcess:
    paths = [str(p) for p in (extra_path, REPO_ROOT) if p is not None]
    env = dict(os.environ, **env_extra)
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=240, check=False)


def _last_json(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fake_torchaudio(root: Path, extension_body: str, init_extra: str = "") -> Path:
    pkg = root / "torchaudio"
    (pkg / "_extension").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        f"from . import _extension\n{init_extra}\nVALUE = 42\n", encoding="utf-8")
    (pkg / "_extension" / "__init__.py").write_text(extension_body, encoding="utf-8")
    return root


def test_pth_file_is_installed_in_this_venv() -> None:
    pth = Path(sysconfig.get_paths()["purelib"]) / hook.PTH_NAME
    assert pth.read_text() == hook.PTH_LINE  # `make install` ran the hook's installer
    assert (REPO_ROOT / hook.PTH_NAME).read_text() == hook.PTH_LINE  # the wheel's copy


def test_plain_import_torchaudio_computes_kaldi_features() -> None:
    code = """
    import json, torch, torchaudio
    import espnet3_prep_torchaudio_hook as hook
    wave = torch.sin(torch.arange(16000) * 0.05).unsqueeze(0) * 3000
    fbank = torchaudio.compliance.kaldi.fbank(wave, num_mel_bins=80, dither=0.0)
    mfcc = torchaudio.compliance.kaldi.mfcc(wave, dither=0.0)
    print(json.dumps({"fbank": list(fbank.shape), "finite": bool(torch.isfinite(fbank).all()),
                      "mfcc": list(mfcc.shape), "stubbed": hook.extension_stubbed(),
                      "resample": list(torchaudio.functional.resample(wave, 16000, 8000).shape)}))
    """
    result = _last_json(_run(code))
    assert result["fbank"] == [98, 80] and result["finite"] and result["mfcc"] == [98, 13]
    assert result["resample"] == [1, 8000]
    without = _run("import torchaudio", ESPNET3_PREP_TORCHAUDIO_HOOK="0")
    # Detect, don't assume: the extension is marked unavailable exactly when torchaudio
    # cannot be imported without the hook (CPU torch + CUDA torchaudio here).
    assert result["stubbed"] == (without.returncode != 0), without.stderr
    if result["stubbed"]:
        assert "_torchaudio" in without.stderr


def test_compiled_op_names_the_missing_extension() -> None:
    code = """
    import torch, torchaudio, espnet3_prep_torchaudio_hook as hook
    if not hook.extension_stubbed():
        print("healthy"); raise SystemExit(0)
    try:
        torchaudio.functional.forced_align(torch.zeros(1, 5, 3), torch.tensor([[1]]))
    except RuntimeError as exc:
        print("error:", exc)
    """
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert "healthy" in proc.stdout or "C++ extension" in proc.stdout


def test_healthy_install_is_untouched(tmp_path: Path) -> None:
    root = _fake_torchaudio(tmp_path, "_IS_TORCHAUDIO_EXT_AVAILABLE = True\nMARK = 'real'\n")
    code = """
    import json, torchaudio, espnet3_prep_torchaudio_hook as hook
    from espnet3_prep.torchaudio_compat import import_torchaudio
    ext = torchaudio._extension
    print(json.dumps({"stubbed": hook.extension_stubbed(), "mark": ext.MARK,
                      "available": ext._IS_TORCHAUDIO_EXT_AVAILABLE, "value": torchaudio.VALUE,
                      "same": import_torchaudio() is torchaudio}))
    """
    result = _last_json(_run(code, root))
    assert result == {"stubbed": False, "mark": "real", "available": True, "value": 42,
                      "same": True}


def test_extension_failure_is_tolerated_by_a_plain_import(tmp_path: Path) -> None:
    root = _fake_torchaudio(tmp_path, EXT_FAILURE, init_extra="from . import helper")
    (root / "torchaudio" / "helper.py").write_text("X = 1\n", encoding="utf-8")
    code = """
    import json, torchaudio, espnet3_prep_torchaudio_hook as hook
    ext = torchaudio._extension
    print(json.dumps({"stubbed": hook.extension_stubbed(), "value": torchaudio.VALUE,
                      "available": ext._IS_TORCHAUDIO_EXT_AVAILABLE,
                      "load_lib": ext._load_lib("anything"), "helper": torchaudio.helper.X}))
    """
    result = _last_json(_run(code, root))
    assert result == {"stubbed": True, "value": 42, "available": False, "load_lib": False,
                      "helper": 1}
    disabled = _run("import torchaudio", root, ESPNET3_PREP_TORCHAUDIO_HOOK="0")
    assert disabled.returncode != 0 and "_torchaudio.abi3.so" in disabled.stderr
    forced = _run("from espnet3_prep.torchaudio_compat import import_torchaudio as i; "
                  "print(i().VALUE)", root, ESPNET3_PREP_TORCHAUDIO_HOOK="0")
    assert forced.returncode == 0 and forced.stdout.strip() == "42", forced.stderr


@pytest.mark.parametrize("body", ["raise OSError('disk on fire')\n",
                                  "import does_not_exist_xyz\n"])
def test_unrelated_failure_is_reraised(tmp_path: Path, body: str) -> None:
    root = _fake_torchaudio(tmp_path, body)
    proc = _run("import torchaudio", root)
    assert proc.returncode != 0
    assert ("disk on fire" in proc.stderr) or ("does_not_exist_xyz" in proc.stderr)


def test_install_is_idempotent_and_cli_reports(tmp_path: Path) -> None:
    first = hook.install(str(tmp_path))
    stat = first.stat()
    assert hook.install(str(tmp_path)) == first and first.stat().st_mtime_ns == stat.st_mtime_ns
    assert first.read_text() == hook.PTH_LINE
    proc = subprocess.run([sys.executable, "-m", "espnet3_prep_torchaudio_hook", "status"],
                          capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0 and "present" in proc.stdout, proc.stderr
    bad = subprocess.run([sys.executable, "-m", "espnet3_prep_torchaudio_hook", "bogus"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "usage" in bad.stderr
