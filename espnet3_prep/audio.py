"""Audio decoding: soundfile (FLAC/WAV/OGG) to float32 mono, optional exact resampling.

Every failure to decode (missing, corrupt, truncated, unsupported file, segment outside
the recording, channel out of range) raises :class:`~espnet3_prep.errors.AudioReadError`
naming the path and the underlying soundfile message; the runner records it as the drop
reason ``unreadable_audio``. Transient I/O errors (EIO, ESTALE, EMFILE, ...: see
:data:`TRANSIENT_ERRNOS`) are raised as ``OSError`` instead, for ``runner.retries``.
"""

from __future__ import annotations

import errno
import io
import math
import os
from fractions import Fraction

import numpy as np
import soundfile as sf

from espnet3_prep.errors import AudioReadError, ChannelOutOfRange

_SF_ERRORS = (sf.SoundFileError, RuntimeError, OSError, ValueError, TypeError)
TRANSIENT_ERRNOS = frozenset({errno.EIO, errno.ESTALE, errno.EAGAIN, errno.EMFILE,
                              errno.ENFILE, errno.ETIMEDOUT, errno.ENOMEM})
"""I/O errors a retry may cure (flaky NFS, too many open files): raised as they are, so
``runner.retries`` retries them and a last failure is recorded in errors.jsonl (and rerun
by ``runner.retry_failed``) instead of being a permanent ``unreadable_audio`` drop."""


SF_ERR_SYSTEM = 2
"""libsndfile's code for "System error." (the OS refused the open; no errno is kept)."""


def _raise_if_transient(exc: BaseException, path: str) -> None:
    """Re-raise transient OS errors as ``OSError``; libsndfile hides them as "System
    error.", so that case is probed by opening the file again from Python."""
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        raise exc
    if getattr(exc, "code", None) == SF_ERR_SYSTEM:
        try:
            os.close(os.open(path, os.O_RDONLY))
        except OSError as probe:
            if probe.errno in TRANSIENT_ERRNOS:
                raise probe from exc

INTEGER_SUBTYPES = frozenset({"PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "ULAW", "ALAW"})
"""libsndfile subtypes whose float decoding is ``int / 2**(bits-1)``: always in [-1, 1]."""


def audio_info(path: str) -> tuple[int, int, int]:
    """Read only the header of ``path``.

    Returns:
        ``(sample_rate, num_frames, channels)``.

    Raises:
        AudioReadError: The file is missing or its header cannot be parsed.
    """
    try:
        info = sf.info(str(path))
    except _SF_ERRORS as exc:
        _raise_if_transient(exc, str(path))
        raise AudioReadError(f"cannot read audio header of {path}: {exc}") from exc
    return int(info.samplerate), int(info.frames), int(info.channels)


def load_audio(
    path: str | io.BytesIO,
    *,
    target_sr: int | None,
    resample: bool = True,
    channel: int | None = None,
    segment: tuple[float, float] | None = None,
) -> tuple[np.ndarray, int]:
    """Decode ``path`` to a 1-D float32 array in [-1, 1] (non-finite samples kept as is).

    Args:
        path: Audio file readable by libsndfile (FLAC, WAV, OGG, MP3, NIST SPHERE...),
            or its bytes in a ``BytesIO`` (audio embedded in a table).
        target_sr: Wanted sample rate, or ``None`` to keep the file's rate.
        resample: When ``False`` the file's rate is returned even if it differs from
            ``target_sr`` (the ``sample_rate`` cleaner step then drops the item).
        channel: ``None`` averages all channels; ``k`` picks channel ``k`` (0-based).
        segment: ``(start_s, end_s)`` to read only that part (Kaldi ``segments``);
            an end past the file's end is clipped to it.

    Returns:
        ``(wave, sample_rate)``.

    Raises:
        AudioReadError: The file cannot be decoded, is truncated, the segment lies
            outside the recording or ``channel`` is out of range.
    """
    data, sr, subtype = _read_frames(path, channel, segment)
    wave = _to_mono(data, channel)
    if target_sr is not None and resample and sr != target_sr:
        wave = _resample(wave, sr, int(target_sr))
        sr = int(target_sr)
    elif subtype in INTEGER_SUBTYPES:  # decoded into [-1, 1], finite: clipping is a no-op
        return wave, int(sr)
    return _clip_finite(wave), int(sr)


def audio_length(
    path: str,
    *,
    target_sr: int | None,
    resample: bool = True,
    channel: int | None = None,
    segment: tuple[float, float] | None = None,
) -> tuple[int, int]:
    """``(len(wave), sr)`` of what :func:`load_audio` would return, from the header only.

    The same checks as ``load_audio`` that the header allows (unreadable header, segment
    outside the recording, channel out of range), without decoding: a file whose data is
    truncated or corrupt behind a valid header is not noticed.

    Raises:
        AudioReadError: As ``load_audio`` (header-level problems only).
    """
    try:
        with sf.SoundFile(str(path)) as handle:
            sr, frames, channels = handle.samplerate, handle.frames, handle.channels
            start, stop = _segment_frames(path, segment, sr, frames)
            _check_channel(path, channel, channels)
    except AudioReadError:
        raise
    except _SF_ERRORS as exc:
        _raise_if_transient(exc, str(path))
        raise AudioReadError(f"cannot read audio header of {path}: {exc}") from exc
    num = stop - start
    if target_sr is not None and resample and sr != target_sr:
        gcd = math.gcd(int(sr), int(target_sr))
        return resampled_length(num, int(target_sr) // gcd, int(sr) // gcd), int(target_sr)
    return num, int(sr)


def resampled_length(num: int, up: int, down: int) -> int:
    """Output length of ``resample_poly`` by ``up/down``: ``ceil(num * up / down)``."""
    return -(-num * up // down)


def speed_length(num: int, factor: float) -> int:
    """``len(change_speed(wave, factor))`` for a wave of ``num`` samples."""
    if factor == 1.0 or num == 0:
        return num
    ratio = Fraction(factor).limit_denominator(1000)
    gcd = math.gcd(ratio.numerator, ratio.denominator)
    return resampled_length(num, ratio.denominator // gcd, ratio.numerator // gcd)


def _check_channel(path: str, channel: int | None, channels: int) -> None:
    if channel is not None and not 0 <= channel < channels:
        raise ChannelOutOfRange(
            f"{path}: channel {channel} requested but the file has {channels} "
            f"channel(s) (valid: 0..{channels - 1})"
        )


def _read_frames(
    path: str | io.BytesIO, channel: int | None, segment: tuple[float, float] | None
) -> tuple[np.ndarray, int, str]:
    """Decode the frames of ``segment`` (or all): (frames, channels) float32, rate, subtype."""
    try:
        source = path if isinstance(path, io.BytesIO) else str(path)  # embedded bytes
        with sf.SoundFile(source) as handle:
            sr, frames, channels = handle.samplerate, handle.frames, handle.channels
            subtype = str(handle.subtype)
            start, stop = _segment_frames(path, segment, sr, frames)
            _check_channel(path, channel, channels)
            if start:
                handle.seek(start)
            data = handle.read(stop - start, dtype="float32", always_2d=True)
    except AudioReadError:
        raise
    except _SF_ERRORS as exc:
        _raise_if_transient(exc, str(path))
        raise AudioReadError(f"cannot decode audio {path}: {exc}") from exc
    if data.shape[0] < stop - start:
        raise AudioReadError(
            f"cannot decode audio {path}: truncated (header announces {stop - start} frames "
            f"from frame {start}, decoded {data.shape[0]})"
        )
    return data, int(sr), subtype


def _segment_frames(
    path: str, segment: tuple[float, float] | None, sr: int, frames: int
) -> tuple[int, int]:
    """Frame range ``[start, stop)`` of ``segment`` (whole file when ``None``)."""
    if segment is None:
        return 0, frames
    start_s, end_s = float(segment[0]), float(segment[1])
    if not (math.isfinite(start_s) and math.isfinite(end_s)) or start_s < 0 or end_s <= start_s:
        raise AudioReadError(f"{path}: invalid segment [{start_s}, {end_s}] s")
    start = int(round(start_s * sr))
    stop = min(int(round(end_s * sr)), frames)
    if start >= frames:
        raise AudioReadError(
            f"{path}: segment [{start_s}, {end_s}] s starts after the end of the "
            f"recording ({frames / sr:.3f} s)"
        )
    return start, stop


def _to_mono(data: np.ndarray, channel: int | None) -> np.ndarray:
    """(frames, channels) -> (frames,): pick ``channel`` or average all channels."""
    if channel is not None:
        return np.ascontiguousarray(data[:, channel])
    if data.shape[1] == 1:
        return data[:, 0]
    return data.mean(axis=1, dtype=np.float32)


def change_speed(wave: np.ndarray, factor: float) -> np.ndarray:
    """Play ``wave`` ``factor`` times faster at the same rate (tempo and pitch, as
    ``sox speed``): a rational resampling by ``1/factor``."""
    if factor == 1.0:
        return wave
    ratio = Fraction(factor).limit_denominator(1000)
    return _resample(wave, ratio.numerator, ratio.denominator)


def _resample(wave: np.ndarray, sr: int, target_sr: int) -> np.ndarray:
    """Exact rational resampling with a polyphase filter (``up/down`` reduced by gcd)."""
    if target_sr <= 0:
        raise ValueError(f"target_sr must be positive, got {target_sr}")
    if wave.size == 0:
        return wave
    gcd = math.gcd(sr, target_sr)
    from scipy.signal import resample_poly  # lazy: scipy.signal costs ~0.5 s to import

    out = resample_poly(wave, target_sr // gcd, sr // gcd)
    return np.asarray(out, dtype=np.float32)


def _clip_finite(wave: np.ndarray) -> np.ndarray:
    """Clip finite samples to [-1, 1]; NaN/inf are left for the ``nan_inf`` cleaner."""
    np.clip(wave, -1.0, 1.0, out=wave, where=np.isfinite(wave))
    return wave
