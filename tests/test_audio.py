"""load_audio / audio_info on real files written with soundfile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from espnet3_prep.audio import audio_info, load_audio
from espnet3_prep.errors import AudioReadError


def tone(freq: float, sr: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(sr * seconds))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_freq(wave: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
    return float(np.fft.rfftfreq(len(wave), 1 / sr)[np.argmax(spectrum)])


@pytest.mark.parametrize(("ext", "subtype"), [("flac", "PCM_16"), ("wav", "PCM_16"),
                                              ("wav", "FLOAT"), ("ogg", "VORBIS")])
def test_formats_decode_to_float32_mono(tmp_path: Path, ext: str, subtype: str) -> None:
    path = tmp_path / f"a.{ext}"
    sf.write(path, tone(440, 16000, 0.5), 16000, subtype=subtype)
    wave, sr = load_audio(str(path), target_sr=16000)
    assert sr == 16000 and wave.dtype == np.float32 and wave.ndim == 1
    assert len(wave) == 8000
    assert np.abs(wave).max() <= 1.0
    assert abs(peak_freq(wave, sr) - 440) < 5


def test_info_reads_header(tmp_path: Path) -> None:
    path = tmp_path / "s.wav"
    sf.write(path, np.zeros((1234, 2), np.float32), 8000)
    assert audio_info(str(path)) == (8000, 1234, 2)


def test_resample_8k_to_16k_keeps_frequency_and_length(tmp_path: Path) -> None:
    path = tmp_path / "8k.flac"
    sf.write(path, tone(1000, 8000, 1.0), 8000)
    wave, sr = load_audio(str(path), target_sr=16000)
    assert sr == 16000 and len(wave) == 16000 and wave.dtype == np.float32
    assert abs(peak_freq(wave, sr) - 1000) < 3
    assert 0.45 < np.abs(wave[1000:-1000]).max() < 0.55


def test_rational_resample_44100_to_16000(tmp_path: Path) -> None:
    path = tmp_path / "cd.wav"
    sf.write(path, tone(300, 44100, 0.5), 44100)
    wave, sr = load_audio(str(path), target_sr=16000)
    assert sr == 16000 and len(wave) == 8000
    assert abs(peak_freq(wave, sr) - 300) < 5


def test_resample_disabled_returns_original_rate(tmp_path: Path) -> None:
    path = tmp_path / "8k.wav"
    sf.write(path, tone(1000, 8000, 0.25), 8000)
    wave, sr = load_audio(str(path), target_sr=16000, resample=False)
    assert sr == 8000 and len(wave) == 2000
    wave, sr = load_audio(str(path), target_sr=None)
    assert sr == 8000


def test_stereo_downmix_and_channel_pick(tmp_path: Path) -> None:
    path = tmp_path / "st.wav"
    left, right = np.full(100, 0.5, np.float32), np.full(100, -0.25, np.float32)
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    mixed, _ = load_audio(str(path), target_sr=16000)
    np.testing.assert_allclose(mixed, 0.125, atol=1e-6)
    picked, _ = load_audio(str(path), target_sr=16000, channel=1)
    np.testing.assert_allclose(picked, -0.25, atol=1e-6)
    with pytest.raises(AudioReadError, match=r"channel 2 .* 2 channel"):
        load_audio(str(path), target_sr=16000, channel=2)


def test_segment_reads_only_that_part(tmp_path: Path) -> None:
    path = tmp_path / "ramp.flac"
    ramp = (np.arange(16000) % 1000 / 2000).astype(np.float32)
    sf.write(path, np.concatenate([ramp, -ramp]), 16000, subtype="PCM_24")
    wave, sr = load_audio(str(path), target_sr=16000, segment=(0.25, 0.5))
    assert len(wave) == 4000
    np.testing.assert_allclose(wave, ramp[4000:8000], atol=1e-5)
    tail, _ = load_audio(str(path), target_sr=16000, segment=(1.5, 9.0))  # end clipped
    assert len(tail) == 8000 and tail.max() <= 0
    with pytest.raises(AudioReadError, match="starts after the end"):
        load_audio(str(path), target_sr=16000, segment=(3.0, 4.0))
    with pytest.raises(AudioReadError, match="invalid segment"):
        load_audio(str(path), target_sr=16000, segment=(0.5, 0.5))


def test_float_wav_keeps_nan_and_clips_finite(tmp_path: Path) -> None:
    path = tmp_path / "nan.wav"
    data = np.array([0.1, np.nan, 2.0, -3.0, np.inf], np.float32)
    sf.write(path, data, 16000, subtype="FLOAT")
    wave, _ = load_audio(str(path), target_sr=16000)
    assert np.isnan(wave[1]) and np.isinf(wave[4])
    assert wave[2] == 1.0 and wave[3] == -1.0


def test_zero_frame_wav_gives_empty_array(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, np.float32), 8000)
    wave, sr = load_audio(str(path), target_sr=16000)
    assert wave.size == 0 and wave.dtype == np.float32 and sr == 16000


@pytest.mark.parametrize("kind", ["zero_bytes", "random", "truncated", "missing"])
def test_unreadable_files_raise_audio_read_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.flac"
    if kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif kind == "truncated":
        sf.write(path, tone(440, 16000, 2.0), 16000)
        blob = path.read_bytes()
        path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(AudioReadError) as info:
        load_audio(str(path), target_sr=16000)
    assert str(path) in str(info.value)
    if kind != "truncated":
        with pytest.raises(AudioReadError):
            audio_info(str(path))


_EMFILE_PROBE = """
import errno, os, resource, sys
from espnet3_prep.audio import load_audio
from espnet3_prep.errors import AudioReadError
path = sys.argv[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
held = []
try:
    while True:
        held.append(os.open(path, os.O_RDONLY))
except OSError:
    pass
try:
    load_audio(path, target_sr=None)
except AudioReadError as exc:
    print("drop", exc)
except OSError as exc:
    print("retry", errno.errorcode[exc.errno])
for fd in held:
    os.close(fd)
print("after", load_audio(path, target_sr=None)[0].shape[0])
"""


def test_transient_io_errors_are_raised_for_retries(tmp_path: Path) -> None:
    """Out of file descriptors (a real EMFILE, which libsndfile reports only as "System
    error."): an OSError that runner.retries retries, not an unreadable_audio drop."""
    import subprocess
    import sys

    path = tmp_path / "a.flac"
    sf.write(path, np.zeros(1600, np.float32), 16000)
    proc = subprocess.run([sys.executable, "-c", _EMFILE_PROBE, str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["retry EMFILE", "after 1600"], proc.stdout


def test_missing_file_is_a_drop_not_a_retry(tmp_path: Path) -> None:
    with pytest.raises(AudioReadError, match="missing.flac"):
        load_audio(str(tmp_path / "missing.flac"), target_sr=None)
