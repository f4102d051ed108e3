"""Decoded samples, whatever file they came from: resampling, the silence check, 10 ms frame energy and the
span that holds the sound. :mod:`carrousel.speech.audio` reads files into them (and re-exports these names).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torchaudio.functional as AF

from carrousel.core.args import check_args
from carrousel.speech.errors import SilentAudioError

__all__ = ["SILENCE_PEAK", "check_not_silent", "frame_energy_db", "resample", "speech_bounds"]

SILENCE_PEAK = 10 ** (-60 / 20)  # a recording whose peak stays below -60 dBFS holds no speech


@check_args
def resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``x`` (mono, float32) resampled from ``rate`` to ``target`` Hz (a copy-free no-op when equal)."""
    if rate == target or len(x) == 0:
        return x
    g = math.gcd(int(rate), int(target))
    y = AF.resample(torch.from_numpy(np.ascontiguousarray(x)), rate // g, target // g)
    return y.numpy().astype(np.float32, copy=False)


def check_not_silent(x: np.ndarray, where: str) -> None:
    """Raises :class:`SilentAudioError` when ``x`` is digital silence or below -60 dBFS at its peak."""
    offset = float(np.mean(x)) if len(x) else 0.0
    if len(x) == 0 or float(np.max(np.abs(x - offset))) < SILENCE_PEAK:
        level = "peak below -60 dBFS"
        if abs(offset) >= SILENCE_PEAK:  # a constant level is not sound: say so, its raw peak is not low
            level = f"a constant level: {level} once its DC offset of {offset:+.3g} is removed"
        raise SilentAudioError(f"{where} is silent ({level}); check the recording level or the microphone")


@check_args
def speech_bounds(x: np.ndarray, rate: int, range_db: float = 35.0, margin: float = 0.3) -> tuple[int, int]:
    """Sample range ``[start, end)`` holding the sound: from the first to the last 10 ms frame within
    ``range_db`` of the loudest one, widened by ``margin`` seconds (the whole recording when its noise
    floor is within ``range_db`` of its peak, so noisy recordings are never cut)."""
    hop = max(1, rate // 100)
    n = len(x) // hop
    if n < 3:
        return 0, len(x)
    energy = frame_energy_db(x, hop)
    loud = energy > energy.max() - range_db
    first, last = int(np.argmax(loud)), n - 1 - int(np.argmax(loud[::-1]))
    pad = int(margin * rate)
    return max(0, first * hop - pad), min(len(x), (last + 1) * hop + pad)


@check_args
def frame_energy_db(x: np.ndarray, hop: int) -> np.ndarray:
    """The energy (dB) of each whole ``hop``-sample frame of ``x`` (10 ms frames: ``hop = rate // 100``): what
    :func:`speech_bounds` trims by and a stream's :class:`~carrousel.speech.streaming.LeadingSilence` waits on."""
    n = len(x) // hop
    return 10 * np.log10(np.mean(np.square(x[: n * hop].reshape(n, hop), dtype=np.float64), axis=1) + 1e-12)
