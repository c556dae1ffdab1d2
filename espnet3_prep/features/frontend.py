"""Vectorized numpy/scipy Kaldi front-end shared by fbank and mfcc.

Pipeline per frame (as ``torchaudio.compliance.kaldi``): dither → DC removal → (raw
energy) → pre-emphasis → window → zero-pad → rfft → power/magnitude → mel filterbank.

Speed notes: frames are strided views of the waveform (no copy); without dither the
pre-emphasis is computed once on the waveform instead of per overlapping frame, and the
per-frame mean is folded in afterwards (exact algebra:
``(x_j - m) - c (x_{j-1} - m) = (x_j - c x_{j-1}) - (1 - c) m``). Frames are processed in
chunks through per-thread reusable buffers (fresh large allocations page-fault, which
dominated the run time in measurements), the window (and the first sample's factor) is
applied in one contiguous pass over the whole FFT buffer with a tiled window row (a
per-row broadcast was 2x slower), and the mel product only touches the non-zero band of
each block of filters.
"""

from __future__ import annotations

import math
import threading
from types import SimpleNamespace

import numpy as np
import scipy.fft

from .kaldi_frames import KaldiOptions, extended_waveform, window_function
from .mel import BandedMatrix, mel_banks

__all__ = ["EPSILON", "MelFrontend"]

EPSILON = float(np.finfo(np.float32).eps)  # Kaldi's floor before taking logs
_CHUNK_FRAMES = 512
_sliding = np.lib.stride_tricks.sliding_window_view


class MelFrontend:
    """Computes mel filterbank energies (and frame log-energies) of a waveform.

    Args:
        opts: framing/mel options.
        use_power: use the power spectrum (else the magnitude).
    """

    def __init__(self, opts: KaldiOptions, use_power: bool = True) -> None:
        self.opts = opts
        self.geo = opts.geometry()
        self.use_power = use_power
        coef = float(opts.preemphasis_coefficient)
        window = window_function(opts.window_type, self.geo.window_size, opts.blackman_coeff)
        self._scale = np.float32(opts.waveform_scale)
        self._coef = np.float32(coef)
        self._win_tail = window[1:].astype(np.float32)
        self._win_head = np.float32(window[0] * (1.0 - coef))
        # one FFT-buffer row of window factors: [head, tail..., 0 (padding)...]
        self._win_row = np.zeros(self.geo.padded_window_size, np.float32)
        self._win_row[0], self._win_row[1 : self.geo.window_size] = self._win_head, self._win_tail
        self._dc_scale = np.float32(1.0 - coef)
        low, high = opts.mel_range()
        banks = mel_banks(
            opts.num_mel_bins, self.geo.padded_window_size, opts.sample_rate, low, high
        )
        self.mel = BandedMatrix(banks)
        floor = opts.energy_floor
        self._log_energy_floor = np.float32(math.log(floor)) if floor > 0.0 else None
        self._local = threading.local()

    def __getstate__(self) -> dict:
        """Pickle without the per-thread scratch buffers (``threading.local`` can't pickle)."""
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def _workspace(self, rows: int) -> SimpleNamespace:
        """Per-thread scratch buffers for chunks of up to ``rows`` frames.

        ``buf`` keeps its zero FFT padding columns: only the first ``window_size`` are written.
        """
        ws = getattr(self._local, "ws", None)
        if ws is not None and ws.rows >= rows:
            return ws
        n, geo = self.geo.window_size, self.geo
        seg = (rows - 1) * geo.window_shift + n
        ws = SimpleNamespace(
            rows=rows,
            seg=np.empty(seg, np.float32),
            pre=np.empty(max(seg, rows * n), np.float32),
            buf=np.zeros((rows, geo.padded_window_size), np.float32),
            noisy=np.empty((rows, n), np.float32),
            tmp=np.empty(rows * n + 1, np.float32),
            pow=np.empty((rows, geo.padded_window_size // 2 + 1), np.float32),
            win=np.tile(self._win_row, rows),
        )
        self._local.ws = ws
        return ws

    def compute(
        self,
        wave: np.ndarray,
        rng: np.random.Generator | None,
        out: np.ndarray,
        log_mel: bool = True,
    ) -> np.ndarray | None:
        """Fill ``out`` (``(num_frames, num_mel_bins)``, may be a column slice) with mel energies.

        Args:
            wave: float32 waveform in [-1, 1] (multiplied by ``waveform_scale`` here).
            rng: generator for dithering, or None when ``dither == 0``.
            out: destination; its row count must be ``geo.num_frames(len(wave))``.
            log_mel: take ``log(max(x, EPSILON))`` of the mel energies.

        Returns:
            The frames' log-energies, shape ``(num_frames,)``, if ``opts.use_energy``.
        """
        geo, m = self.geo, out.shape[0]
        energy = np.empty(m, np.float32) if self.opts.use_energy else None
        if m == 0:
            return energy
        ext = extended_waveform(wave, geo, m)
        ws = self._workspace(min(m, _CHUNK_FRAMES))
        for r0 in range(0, m, _CHUNK_FRAMES):
            r1 = min(m, r0 + _CHUNK_FRAMES)
            seg = ext[r0 * geo.window_shift : (r1 - 1) * geo.window_shift + geo.window_size]
            part = None if energy is None else energy[r0:r1]
            self._chunk(seg, rng, ws, out[r0:r1], part)
        if log_mel:
            np.maximum(out, EPSILON, out=out)
            np.log(out, out=out)
        return energy

    def _chunk(
        self,
        seg: np.ndarray,
        rng: np.random.Generator | None,
        ws: SimpleNamespace,
        out: np.ndarray,
        energy: np.ndarray | None,
    ) -> None:
        """Process the waveform segment covering ``out.shape[0]`` frames."""
        r, opts, size = out.shape[0], self.opts, self.geo.window_size
        scaled = np.multiply(seg, self._scale, out=ws.seg[: seg.shape[0]])
        frames = _sliding(scaled, size)[:: self.geo.window_shift]
        if rng is None:  # pre-emphasis once on the waveform (frame samples j >= 1)
            pre = np.multiply(scaled[:-1], -self._coef, out=ws.pre[: seg.shape[0] - 1])
            pre += scaled[1:]
            pre = _sliding(pre, size - 1)[:: self.geo.window_shift]
        else:
            frames, pre = self._dither(frames, rng, ws)
        mean = frames.mean(axis=1, dtype=np.float32) if opts.remove_dc_offset else None
        if energy is not None and opts.raw_energy:
            self._log_energy(self._centered(frames, mean, ws), energy)
        body = ws.buf[:r, 1:size]
        if mean is not None:
            np.subtract(pre, (self._dc_scale * mean)[:, None], out=body)
            np.subtract(frames[:, 0], mean, out=ws.buf[:r, 0])
            flat = ws.buf[:r].reshape(-1)  # one contiguous pass windows heads and bodies
            np.multiply(flat, ws.win[: flat.shape[0]], out=flat)
        else:
            np.multiply(pre, self._win_tail, out=body)
            np.multiply(frames[:, 0], self._win_head, out=ws.buf[:r, 0])
        if energy is not None and not opts.raw_energy:
            self._log_energy(ws.buf[:r, :size], energy)
        self._mel(scipy.fft.rfft(ws.buf[:r], axis=1), ws, out)

    def _dither(
        self, frames: np.ndarray, rng: np.random.Generator, ws: SimpleNamespace
    ) -> tuple[np.ndarray, np.ndarray]:
        """Frames plus ``dither * N(0, 1)`` noise (fresh per frame, like Kaldi), and their
        per-frame pre-emphasis for samples j >= 1."""
        r, size = frames.shape
        noisy = ws.noisy[:r]
        _standard_normal(rng, noisy.reshape(-1), ws.tmp)
        noisy *= np.float32(self.opts.dither)
        noisy += frames
        pre = ws.pre[: r * (size - 1)].reshape(r, size - 1)
        np.multiply(noisy[:, :-1], -self._coef, out=pre)
        pre += noisy[:, 1:]
        return noisy, pre

    @staticmethod
    def _centered(frames: np.ndarray, mean: np.ndarray | None, ws: SimpleNamespace) -> np.ndarray:
        if mean is None:
            return frames
        centered = ws.tmp[: frames.size].reshape(frames.shape)
        np.subtract(frames, mean[:, None], out=centered)
        return centered

    def _log_energy(self, frames: np.ndarray, energy: np.ndarray) -> None:
        """``energy = max(log(max(sum(x**2), eps)), log(energy_floor))`` per frame."""
        np.einsum("ij,ij->i", frames, frames, out=energy)
        np.maximum(energy, EPSILON, out=energy)
        np.log(energy, out=energy)
        if self._log_energy_floor is not None:
            np.maximum(energy, self._log_energy_floor, out=energy)

    def _mel(self, spec: np.ndarray, ws: SimpleNamespace, out: np.ndarray) -> None:
        """Power (or magnitude) of the FFT bins, times the mel filterbank, into ``out``.

        All bins in one contiguous pass (a slice of the used bins is a 2-D loop, ~1.5x
        slower); the product reads only the used ones.
        """
        power = ws.pow[: spec.shape[0]]
        np.abs(spec, out=power)
        if self.use_power:
            np.square(power, out=power)
        self.mel.matmul(power[:, self.mel.lo : self.mel.hi], out)


def _standard_normal(rng: np.random.Generator, out: np.ndarray, scratch: np.ndarray) -> None:
    """Fill 1-D float32 ``out`` with N(0, 1) samples (Box-Muller on ``rng.random``).

    About 2x faster than ``rng.standard_normal`` (ziggurat) for float32; tails are cut at
    ~5.8 sigma by the 24-bit uniforms, irrelevant for dithering. ``scratch`` needs
    ``out.size + 1`` elements.
    """
    n = out.shape[0]
    half = (n + 1) // 2
    uniform = scratch[: 2 * half]
    rng.random(dtype=np.float32, out=uniform)
    radius, angle = uniform[:half], uniform[half:]
    np.subtract(np.float32(1.0), radius, out=radius)  # (0, 1]: log is finite
    np.log(radius, out=radius)
    radius *= np.float32(-2.0)
    np.sqrt(radius, out=radius)
    angle *= np.float32(2.0 * math.pi)
    np.cos(angle, out=out[:half])
    out[:half] *= radius
    np.sin(angle[: n - half], out=out[half:])
    out[half:] *= radius[: n - half]
